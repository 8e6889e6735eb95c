/* Escalation by time, like a weather warning raised a level: the timer's
 * look at every item due (hub_workflow_tick). An item not signed for or not
 * resolved within its limit first gets the policy's reminders (催办), then
 * moves up one colour and at least one tier, with a reason; a red one past
 * its limit keeps it and is supervised (督办). Escalation by pattern, the
 * surge rule, is surge.c's. Builds on the rules (an escalation is an
 * event, its new handler a route) and the weather. */
#include <stdio.h>
#include <string.h>

#include "hub/item.h"
#include "hub/rules.h"
#include "hub/weather.h"
#include "protocol/db.h"
#include "protocol/log.h"
#include "protocol/str.h"

/* The handler after a raise to colour c: that colour's station, and at
 * least the parent of the old handler, so that a raise always goes up. */
static void raise_handler(hub_workflow *l, workflow_item *it, proto_colour c)
{
	char next[PROTO_CODE_MAX + 1];

	if (!workflow_route(&l->pol, it->origin, c, next) ||
	    proto_code_tier(next) >= proto_code_tier(it->handler))
		if (!proto_code_parent(it->handler, next))
			proto_copy(next, sizeof next, it->handler);
	proto_copy(it->handler, sizeof it->handler, next);
}

/* Red has nowhere higher to go. Its deadline stays where it was set (the
 * item is overdue, 超期, until done: moving it would make a late item
 * count as on time); the handler and the station above it at the policy's
 * tier are told, at the deadline and then at the policy's cadence, up to
 * its cap (next_due in item.c stops the timer there). */
static proto_err supervise(hub_workflow *l, workflow_item *it, int64_t now)
{
	char note[160], above[PROTO_CODE_MAX + 1] = "";
	bool unsigned_ = it->state == PROTO_STATE_REPORTED;
	int64_t late = now - workflow_deadline(it);

	it->supervised++;
	if (late < 3600000)
		snprintf(note, sizeof note, "%s时限已到，第%d次督办",
			unsigned_ ? "签收" : "办结", it->supervised);
	else
		snprintf(note, sizeof note, "%s已超期%lld小时，第%d次督办",
			unsigned_ ? "签收" : "办结", (long long)(late / 3600000),
			it->supervised);
	if (proto_code_tier(it->handler) > l->pol.supervise.to &&
	    !proto_code_ancestor(it->handler, l->pol.supervise.to, above))
		above[0] = '\0';
	log_warn("item %s: red and overdue at %s by %lld min; supervised (%d of %d)",
		it->id, it->handler, (long long)(late / 60000), it->supervised,
		l->pol.supervise.max);
	return workflow_event(l, it, "supervise", "hub", note, above[0] ? above : NULL, now);
}

static proto_err escalate(hub_workflow *l, workflow_item *it, int64_t now)
{
	char old[PROTO_CODE_MAX + 1], note[160];
	bool unsigned_ = it->state == PROTO_STATE_REPORTED;
	proto_colour from = it->colour, to = hub_policy_next_colour(from);
	int64_t limit = unsigned_ ? l->pol.colour[from].sign_ms : l->pol.colour[from].resolve_ms;

	if (to == from)
		return supervise(l, it, now);
	proto_copy(old, sizeof old, it->handler);
	snprintf(note, sizeof note, "未在%lld分钟内%s，由%s升级为%s",
		(long long)(limit / 60000), unsigned_ ? "签收" : "办结",
		proto_colour_name_zh(from), proto_colour_name_zh(to));
	it->colour = to;
	raise_handler(l, it, to);
	it->state = PROTO_STATE_REPORTED;
	it->member[0] = '\0';
	it->escalations++;
	workflow_restart_limits(l, it, now);
	log_info("escalated item %s from %s at %s to %s at %s (not %s in time)", it->id,
		proto_colour_name(from), old, proto_colour_name(to), it->handler,
		unsigned_ ? "signed for" : "resolved");
	return workflow_event(l, it, "escalate", "hub", note, old, now);
}

int hub_workflow_tick(hub_workflow *l, int64_t now)
{
	sqlite3_stmt *st = l->st[LS_DUE];
	char ids[64][PROTO_ITEM_ID_MAX];
	int n = 0, changed = 0;

	sqlite3_bind_int64(st, 1, now);
	while (n < 64 && sqlite3_step(st) == SQLITE_ROW)
		proto_db_copy_text(ids[n++], sizeof ids[0], st, 0);
	proto_db_reset(st);
	for (int i = 0; i < n; i++) {
		workflow_item it;
		proto_err err = workflow_item_get(l, ids[i], &it);

		/* An item marks at most its four tiers: a forced weather flush
		 * must not happen inside its savepoint, where a rollback would
		 * undo the rows of areas already taken off the dirty list. */
		if (l->n_dirty > WORKFLOW_DIRTY_MAX - PROTO_TIER_GROUP - 1 &&
		    hub_workflow_weather_flush(l, now, true))
			break;
		if (err || hub_store_savepoint(l->store))
			continue;
		if (now >= workflow_deadline(&it)) {
			err = escalate(l, &it, now);
		} else {
			char note[64];
			snprintf(note, sizeof note, "请在时限内%s",
				it.state == PROTO_STATE_REPORTED ? "签收" : "办结");
			it.reminders++;
			log_info("reminded %s of item %s", it.handler, it.id);
			err = workflow_event(l, &it, "remind", "hub", note, NULL, now);
		}
		if (!err)
			err = workflow_weather_update(l, it.origin, now);
		/* One item that cannot be changed must neither leave half a
		 * change in the batch nor, first in due order, hold up every
		 * other item's reminders and escalations: it is undone and
		 * looked at again in an hour. */
		err = hub_store_release(l->store, err);
		if (err && sqlite3_get_autocommit(l->db)) {
			/* SQLite gave up the whole batch (disk full, I/O): no
			 * savepoint is left to undo into; stop until the next tick. */
			log_error("the batch was lost while changing item %s", it.id);
			break;
		}
		if (err) {
			sqlite3_stmt *st2 = l->st[LS_DUE_LATER];
			log_error("item %s cannot be reminded or escalated (%s); "
				  "trying again in an hour", it.id, proto_err_name(err));
			sqlite3_bind_int64(st2, 1, now + 3600000);
			sqlite3_bind_text(st2, 2, it.id, -1, SQLITE_STATIC);
			proto_db_step(st2);
			continue;
		}
		changed++;
	}
	return changed;
}
