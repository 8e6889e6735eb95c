/* The workflow's rules: where a report goes (its colour's tier, from
 * the policy), what each station's step may do to an item and who may take
 * it (the table of protocol/workflow.h), and what every event does: the item
 * saved, the event appended, its snapshot queued for everyone involved,
 * the surge rule and the weather told. The receipt of a report carries
 * the item as it is. Here too the workflow is made over the store, and its
 * policy replaced on a reload. Builds on the base layer (hub/item.h), the
 * downbox, the surge rule and the weather; escalation by time builds on
 * this. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/downbox.h"
#include "hub/item.h"
#include "hub/rules.h"
#include "hub/surge.h"
#include "hub/weather.h"
#include "protocol/db.h"
#include "protocol/str.h"

/* ------------------------------------------------------------- lifecycle */

hub_workflow *hub_workflow_create(hub_store *store, const hub_policy *policy)
{
	hub_workflow *l = calloc(1, sizeof *l);

	if (!l)
		return NULL;
	l->store = store;
	l->db = hub_store_db(store);
	l->secret = hub_store_secret(store);
	l->pol = *policy;
	if (workflow_base_open(l)) {
		hub_workflow_destroy(l);
		return NULL;
	}
	return l;
}

void hub_workflow_set_policy(hub_workflow *l, const hub_policy *p)
{
	l->pol = *p;
	/* Full under the old counts and window, maybe not under these. */
	workflow_surge_reset(l);
	/* A reload brings the registry with the policy: names may differ. */
	workflow_down_forget(l);
}

void hub_workflow_destroy(hub_workflow *l)
{
	if (!l)
		return;
	workflow_base_close(l);
	workflow_down_forget(l);
	free(l);
}

/* ---------------------------------------------------------------- events */

/* Saves the item as it is after its event it->seq, appends the event and
 * queues its snapshot for everyone involved. */
static proto_err save_event(hub_workflow *l, workflow_item *it, const char *kind,
	const char *by, const char *note, const char *also, int64_t now)
{
	bool held = hub_tally_in_hand(&it->counted);
	proto_err err = workflow_item_put(l, it, now);

	/* Its town may have fallen below the surge rule's counts. */
	if (!err && held && !hub_tally_in_hand(&it->counted))
		workflow_surge_forget(l, it);
	if (!err)
		err = workflow_event_row(l, it, kind, by, note, now);
	if (!err)
		err = workflow_down_event(l, it, kind, by, note, also, now, NULL);
	return err;
}

proto_err workflow_event(hub_workflow *l, workflow_item *it, const char *kind, const char *by,
	const char *note, const char *also, int64_t now)
{
	it->seq++;
	if (strcmp(kind, "resolve") == 0)
		it->resolved_at = now;
	return save_event(l, it, kind, by, note, also, now);
}

proto_err hub_workflow_receipt(hub_workflow *l, const proto_msg *receipt, char **json)
{
	char *by, *kind, *note;
	int64_t at;
	workflow_item it;
	proto_err err;

	*json = NULL;
	err = workflow_item_get(l, receipt->u.receipt.item, &it);
	if (err == PROTO_ERR_UNKNOWN_ITEM)
		return PROTO_OK; /* stored before the hub ran the workflow */
	if (err)
		return err;
	/* The latest event's own words and time, as its item message has them. */
	err = workflow_event_words(l, &it, &at, &by, &kind, &note);
	if (err)
		return err;
	*json = workflow_down_snapshot(l, &it, receipt->station, 0, kind, by, note,
		at ? at : it.received, receipt, NULL, NULL);
	free(by);
	free(kind);
	free(note);
	return *json ? PROTO_OK : PROTO_ERR_NOMEM;
}

/* -------------------------------------------------------------- routing */

bool workflow_route(const hub_policy *p, const char *origin, proto_colour c,
	char out[PROTO_CODE_MAX + 1])
{
	proto_tier want = p->colour[c].tier, have = proto_code_tier(origin);

	/* A station at or above the tier handles its own report. */
	if (have == PROTO_TIER_NONE)
		return false;
	if (have <= want) {
		proto_copy(out, PROTO_CODE_MAX + 1, origin);
		return true;
	}
	return proto_code_ancestor(origin, want, out);
}

bool hub_workflow_routable(const hub_workflow *l, const proto_msg *m)
{
	char handler[PROTO_CODE_MAX + 1];

	return workflow_route(&l->pol, m->station, m->u.report.colour, handler);
}

proto_err hub_workflow_route(hub_workflow *l, const proto_msg *m, int64_t now,
	const proto_msg *receipt, char **json)
{
	workflow_item it = {.colour = m->u.report.colour, .category = m->u.report.category,
			.state = PROTO_STATE_REPORTED, .created = m->ts, .received = now};
	proto_err err;

	*json = NULL;
	proto_item_id(it.id, m->station, m->id);
	proto_copy(it.origin, sizeof it.origin, m->station);
	if (!workflow_route(&l->pol, it.origin, it.colour, it.handler))
		return PROTO_ERR_BAD_VALUE;
	workflow_restart_limits(l, &it, now);
	/* Saved as it is after its first event, "route". */
	it.seq = 1;
	err = workflow_item_insert(l, &it, now);
	if (!err)
		err = workflow_event_row(l, &it, "route", "hub", NULL, now);
	if (!err)
		err = workflow_down_event(l, &it, "route", "hub", NULL, NULL, now, &m->u.report);
	if (!err)
		err = workflow_surge(l, &it, now);
	if (!err)
		err = workflow_weather_update(l, it.origin, now);
	/* The item is at hand: not read back as for a duplicate's receipt. */
	if (!err && !(*json = workflow_down_snapshot(l, &it, receipt->station, 0, "route", "hub", NULL,
			now, receipt, &m->u.report, NULL)))
		err = PROTO_ERR_NOMEM;
	return err;
}

/* ---------------------------------------------------------------- steps */

static bool member_serves(hub_workflow *l, const char *member, const char *handler)
{
	sqlite3_stmt *st = l->st[LS_MEMBER];
	char station[PROTO_CODE_MAX + 1] = "";

	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		proto_db_copy_text(station, sizeof station, st, 0);
	proto_db_reset(st);
	return station[0] && proto_code_within(station, handler);
}

static proto_err fail(char *field, const char *name, proto_err err)
{
	proto_copy(field, PROTO_FIELD_MAX, name);
	return err;
}

proto_err hub_workflow_apply(hub_workflow *l, const proto_msg *m, int64_t now,
	char field[PROTO_FIELD_MAX])
{
	return hub_workflow_apply_as(l, m, m->station, now, field);
}

proto_err hub_workflow_apply_as(hub_workflow *l, const proto_msg *m, const char *by,
	int64_t now, char field[PROTO_FIELD_MAX])
{
	const proto_action *a = &m->u.action;
	int step = proto_step_parse(a->action), rating = 0;
	char old[PROTO_CODE_MAX + 1] = "";
	proto_state next;
	workflow_item it;
	proto_err err;
	bool need_note;

	field[0] = '\0';
	if (step < 0)
		return fail(field, "action", PROTO_ERR_BAD_VALUE);
	err = workflow_item_get(l, a->item, &it);
	if (err)
		return fail(field, "item", err);
	if (step == PROTO_STEP_RATE) {
		if (!a->rating)
			return fail(field, "rating", PROTO_ERR_MISSING_FIELD);
		rating = proto_rating_parse(a->rating);
		if (rating < 0)
			return fail(field, "rating", PROTO_ERR_BAD_VALUE);
	}
	err = proto_workflow_next(it.state, (proto_step)step,
		proto_workflow_roles(m->station, it.handler, it.origin),
		(proto_rating)rating, &next);
	if (err)
		return fail(field, "action", err);
	/* Each of these is a judgement someone must account for later: the
	 * audit trail keeps its words. */
	need_note = step == PROTO_STEP_RESOLVE || step == PROTO_STEP_RETURN ||
		    step == PROTO_STEP_EXTEND || step == PROTO_STEP_COMMENT ||
		    step == PROTO_STEP_REOPEN || step == PROTO_STEP_VERIFY ||
		    step == PROTO_STEP_WITHDRAW;
	if (need_note && !a->note)
		return fail(field, "note", PROTO_ERR_MISSING_FIELD);
	switch (step) {
	case PROTO_STEP_ASSIGN:
		if (!a->member)
			return fail(field, "member", PROTO_ERR_MISSING_FIELD);
		if (!member_serves(l, a->member, it.handler))
			return fail(field, "member", PROTO_ERR_BAD_VALUE);
		proto_copy(it.member, sizeof it.member, a->member);
		break;
	case PROTO_STEP_RETURN:
		/* Up for re-dispatch; the county has no one above it. */
		proto_copy(old, sizeof old, it.handler);
		if (!proto_code_parent(old, it.handler))
			return fail(field, "action", PROTO_ERR_BAD_STATE);
		it.member[0] = '\0';
		workflow_restart_limits(l, &it, now);
		break;
	case PROTO_STEP_EXTEND:
		if (!a->until)
			return fail(field, "until", PROTO_ERR_MISSING_FIELD);
		if (a->until <= now)
			return fail(field, "until", PROTO_ERR_BAD_VALUE);
		if (it.state == PROTO_STATE_REPORTED)
			it.sign_by = a->until;
		else
			it.resolve_by = a->until;
		if (it.resolve_by < it.sign_by)
			it.resolve_by = it.sign_by;
		it.reminders = 0;
		it.supervised = 0; /* a new deadline, supervised anew if missed */
		break;
	case PROTO_STEP_SIGN:
		/* The resolve limit's reminders start (its deadline is the one
		 * set at this tier: signing late gains no time). */
		it.signed_at = now;
		it.reminders = 0;
		it.supervised = 0;
		break;
	case PROTO_STEP_RATE:
		proto_copy(it.rating, sizeof it.rating, a->rating);
		if (next == PROTO_STATE_SIGNED) {
			it.resolve_by = now + l->pol.colour[it.colour].resolve_ms;
			it.tier_since = now;
			it.reminders = 0;
			it.supervised = 0;
		}
		break;
	case PROTO_STEP_REOPEN:
		it.resolve_by = now + l->pol.colour[it.colour].resolve_ms;
		it.tier_since = now;
		it.reminders = 0;
		it.supervised = 0;
		break;
	case PROTO_STEP_MERGE: {
		workflow_item into;
		if (!a->into[0])
			return fail(field, "into", PROTO_ERR_MISSING_FIELD);
		if (strcmp(a->into, it.id) == 0 || workflow_item_get(l, a->into, &into) ||
		    !proto_state_open(into.state))
			return fail(field, "into", PROTO_ERR_BAD_VALUE);
		proto_copy(it.into, sizeof it.into, a->into);
		/* The other item's reporter hears of the merge too. */
		proto_copy(old, sizeof old, into.origin);
		break;
	}
	default:
		break;
	}
	it.state = next;
	err = workflow_event(l, &it, proto_step_name((proto_step)step), by, a->note,
		old, now);
	if (!err)
		err = workflow_weather_update(l, it.origin, now);
	return err;
}
