/* The workflow's base layer (hub/item.h): the prepared statements of
 * every layer (prepared once, at the workflow's making), an item read and
 * written (items rows, with the tally's counts moved in the same batch),
 * its append-only events rows, the ids of the downbox's messages and the
 * observer's hook. It calls no other file of the workflow:
 * the rules, the downbox, escalation, surge and weather build on it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/item.h"
#include "hub/store.h"
#include "hub/tally.h"
#include "protocol/clock.h"
#include "protocol/db.h"
#include "protocol/log.h"
#include "protocol/str.h"

/* The open reports of one service item (?2) in one town (?1) since ?3. */
#define SURGE_WHERE "origin >= ?1 AND origin < ?1 || ';' AND category = ?2 " \
	"AND received >= ?3 AND (state = 'reported' OR state = 'signed' OR " \
	"state = 'assigned')"

static const char *const sql[LS__COUNT] = {
	/* With the values of its first event: an insert and then an update
	 * of the same row rewrote each of its index entries twice. */
	[LS_ITEM_INSERT] = "INSERT INTO items(item, origin, category, colour, state, "
			   "handler, created, received, tier_since, sign_by, resolve_by, "
			   "reminders, due, seq, updated) "
			   "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[LS_ITEM_GET] = "SELECT origin, category, colour, state, handler, member, "
			"rating, into_item, created, received, tier_since, sign_by, "
			"resolve_by, reminders, escalations, seq, resolved_at, supervised, "
			"signed_at FROM items "
			"WHERE item = ?",
	[LS_ITEM_PUT] = "UPDATE items SET colour = ?, state = ?, handler = ?, member = ?, "
			"rating = ?, into_item = ?, tier_since = ?, sign_by = ?, "
			"resolve_by = ?, reminders = ?, due = ?, escalations = ?, seq = ?, "
			"updated = ?, resolved_at = ?, supervised = ?, signed_at = ?18 "
			"WHERE item = ?17",
	[LS_DUE_LATER] = "UPDATE items SET due = ? WHERE item = ?",
	[LS_EVENT_GET] = "SELECT at, actor, kind, note FROM events WHERE item = ? AND seq = ?",
	[LS_EVENT] = "INSERT INTO events(item, seq, at, actor, kind, note, state, colour, "
		     "handler) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[LS_DOWN_INSERT] = "INSERT INTO downbox(id, station, item, payload, created, type) "
			   "VALUES(?, ?, ?, ?, ?, ?)",
	[LS_DOWN_DELETE] = "DELETE FROM downbox WHERE id = ? AND station = ?",
	/* ?3: the last id of a batch on disk (the open batch's rows are
	 * visible to the hub's connection before they are). */
	[LS_DOWN_NEXT] = "SELECT id, station, payload, type FROM downbox WHERE id > ?1 "
			 "AND id <= ?3 ORDER BY id LIMIT ?2",
	[LS_DOWN_STATION] = "SELECT id, station, payload, type FROM downbox WHERE station = ?1 "
			    "AND id <= ?3 ORDER BY id LIMIT ?2",
	[LS_DUE] = "SELECT item FROM items WHERE due <= ? ORDER BY due LIMIT 64",
	[LS_REPORT] = "SELECT title, text, reporter, phone, people FROM reports "
		      "WHERE item = ?",
	[LS_MEMBER] = "SELECT station FROM members WHERE id = ?",
	[LS_MERGED] = "SELECT origin FROM items WHERE into_item = ?",
	[LS_META_GET] = "SELECT value FROM hub_meta WHERE key = ?",
	[LS_META_SET] = "INSERT OR REPLACE INTO hub_meta(key, value) VALUES(?, ?)",
	/* Areas are code prefixes: [code, code || ';') is the range of codes
	 * within code (';' sorts right after '9'), which the index serves. */
	/* ORs, not an IN list, whose table SQLite builds at every run. */
	[LS_SURGE] = "SELECT item FROM items WHERE " SURGE_WHERE " LIMIT ?4",
	/* Run for a report unless its town is known to be full (surge.c):
	 * a count, the items named only when it fires. */
	/* With the oldest of those counted: while it is in the window, so are
	 * the others. The index read backwards, newest first within a station:
	 * no sort, and the later it is, the longer a full town stays known. */
	[LS_PLACE] = "SELECT " HUB_STATION_LABEL("s.code", "s.name") " FROM stations s "
		     "WHERE s.code = ?",
	[LS_SURGE_COUNT] = "SELECT count(*), min(received) FROM (SELECT received "
			   "FROM items WHERE " SURGE_WHERE " ORDER BY origin DESC, "
			   "received DESC LIMIT ?4)",
	[LS_ALERT] = "INSERT INTO alerts(area, category, colour, at, count, items) "
		     "VALUES(?, ?, ?, ?, ?, ?)",
	/* The weather's counts, from the tally (tally.c): a row per station
	 * of the area, never a scan of its items. */
	[LS_AREA] = "SELECT sum(hand_blue), sum(hand_orange), sum(hand_red), "
		    "sum(late_orange) FROM tally WHERE origin >= ?1 AND origin < ?1 || ';'",
	[LS_AREA_OWN] = "SELECT hand_blue, hand_orange, hand_red, late_orange "
			"FROM tally WHERE origin = ?1",
	[LS_CHILD_WEATHER] = "SELECT weather FROM weather WHERE code > ?1 "
			     "AND code < ?1 || ';' AND length(code) = ?2",
	[LS_BLUE_MAX] = "SELECT max(n) FROM (SELECT sum(hand_blue) AS n FROM tally "
			"WHERE origin >= ?1 AND origin < ?1 || ';' "
			"GROUP BY substr(origin, 1, ?2))",
	[LS_WEATHER_GET] = "SELECT weather FROM weather WHERE code = ?",
	[LS_WEATHER_SET] = "INSERT OR REPLACE INTO weather(code, weather, at) VALUES(?, ?, ?)",
	[LS_MEMBER_CLEAR] = "DELETE FROM members",
	[LS_MEMBER_ADD] = "INSERT INTO members(id, name, station, phone, categories) "
			  "VALUES(?, ?, ?, ?, ?)",
};

/* ------------------------------------------------------------- lifecycle */

static proto_err read_down_id(hub_workflow *l);

int workflow_base_open(hub_workflow *l)
{
	l->tally = hub_tally_create(l->db);
	if (!l->tally)
		return -1;
	for (int i = 0; i < LS__COUNT; i++) {
		l->st[i] = proto_db_prepare(l->db, sql[i]);
		if (!l->st[i])
			return -1;
	}
	return read_down_id(l) ? -1 : 0;
}

void workflow_base_close(hub_workflow *l)
{
	for (int i = 0; i < LS__COUNT; i++) {
		sqlite3_finalize(l->st[i]);
		l->st[i] = NULL;
	}
	hub_tally_destroy(l->tally);
	l->tally = NULL;
}

/* ----------------------------------------------------------------- items */

static hub_tally_parts tally_of(const workflow_item *it)
{
	return hub_tally_of(&(hub_tally_item){.state = it->state, .colour = it->colour,
		.category = it->category, .escalations = it->escalations,
		.reminders = it->reminders, .sign_by = it->sign_by,
		.resolve_by = it->resolve_by, .signed_at = it->signed_at,
		.resolved_at = it->resolved_at, .rating = it->rating});
}

proto_err workflow_item_get(hub_workflow *l, const char *id, workflow_item *it)
{
	sqlite3_stmt *st = l->st[LS_ITEM_GET];
	char buf[32];
	proto_err err = PROTO_ERR_UNKNOWN_ITEM;

	memset(it, 0, sizeof *it);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		proto_copy(it->id, sizeof it->id, id);
		proto_db_copy_text(it->origin, sizeof it->origin, st, 0);
		proto_db_copy_text(buf, sizeof buf, st, 1);
		it->category = (proto_category)proto_category_parse(buf);
		proto_db_copy_text(buf, sizeof buf, st, 2);
		it->colour = (proto_colour)proto_colour_parse(buf);
		proto_db_copy_text(buf, sizeof buf, st, 3);
		it->state = (proto_state)proto_state_parse(buf);
		proto_db_copy_text(it->handler, sizeof it->handler, st, 4);
		proto_db_copy_text(it->member, sizeof it->member, st, 5);
		proto_db_copy_text(it->rating, sizeof it->rating, st, 6);
		proto_db_copy_text(it->into, sizeof it->into, st, 7);
		it->created = sqlite3_column_int64(st, 8);
		it->received = sqlite3_column_int64(st, 9);
		it->tier_since = sqlite3_column_int64(st, 10);
		it->sign_by = sqlite3_column_int64(st, 11);
		it->resolve_by = sqlite3_column_int64(st, 12);
		it->reminders = sqlite3_column_int(st, 13);
		it->escalations = sqlite3_column_int(st, 14);
		it->seq = sqlite3_column_int64(st, 15);
		it->resolved_at = sqlite3_column_int64(st, 16);
		it->supervised = sqlite3_column_int(st, 17);
		it->signed_at = sqlite3_column_int64(st, 18);
		err = (int)it->category < 0 || (int)it->colour < 0 || (int)it->state < 0 ?
			PROTO_ERR_IO : PROTO_OK;
		it->counted = tally_of(it);
	}
	proto_db_reset(st);
	return err;
}

int64_t workflow_deadline(const workflow_item *it)
{
	return it->state == PROTO_STATE_REPORTED ? it->sign_by : it->resolve_by;
}

/* When the timer must look at the item next: its next reminder, else its
 * deadline; 0 when it waits on nobody. Reminders whose time has already
 * passed (a limit that started long ago) are counted as sent. A red item
 * past its deadline has nowhere to escalate: its next supervision (督办),
 * at the deadline and then every policy period, until the cap. */
static int64_t next_due(hub_workflow *l, workflow_item *it, int64_t now)
{
	int64_t deadline = workflow_deadline(it), limit = deadline - it->tier_since;

	if (!proto_state_open(it->state))
		return 0;
	if (it->colour == PROTO_COLOUR_RED && (now >= deadline || it->supervised)) {
		if (it->supervised >= l->pol.supervise.max)
			return 0;
		return deadline + it->supervised * l->pol.supervise.every_ms;
	}
	for (;;) {
		int64_t at = hub_policy_remind_at(&l->pol, it->colour, limit, it->reminders);
		if (at < 0 || it->tier_since + at >= deadline)
			return deadline;
		if (it->tier_since + at > now)
			return it->tier_since + at;
		it->reminders++;
	}
}

void workflow_restart_limits(hub_workflow *l, workflow_item *it, int64_t now)
{
	const hub_policy_colour *c = &l->pol.colour[it->colour];

	it->tier_since = now;
	it->sign_by = now + c->sign_ms;
	it->resolve_by = now + c->resolve_ms;
	it->reminders = 0;
	it->supervised = 0;
	it->signed_at = 0; /* to be signed for at the new tier */
}

void workflow_bind_opt(sqlite3_stmt *st, int col, const char *s)
{
	if (s && *s)
		sqlite3_bind_text(st, col, s, -1, SQLITE_STATIC);
}

/* A new item, written once as it is after its first event ("route"). */
proto_err workflow_item_insert(hub_workflow *l, workflow_item *it, int64_t now)
{
	sqlite3_stmt *st = l->st[LS_ITEM_INSERT];
	int64_t due = next_due(l, it, now);
	proto_err err;

	sqlite3_bind_text(st, 1, it->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, it->origin, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, proto_category_name(it->category), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, proto_colour_name(it->colour), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, proto_state_name(it->state), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, it->handler, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, it->created);
	sqlite3_bind_int64(st, 8, it->received);
	sqlite3_bind_int64(st, 9, it->tier_since);
	sqlite3_bind_int64(st, 10, it->sign_by);
	sqlite3_bind_int64(st, 11, it->resolve_by);
	sqlite3_bind_int(st, 12, it->reminders);
	if (due)
		sqlite3_bind_int64(st, 13, due);
	sqlite3_bind_int64(st, 14, it->seq);
	sqlite3_bind_int64(st, 15, now);
	err = proto_db_step(st);
	it->counted = tally_of(it);
	if (!err)
		err = hub_tally_move(l->tally, it->origin, NULL, &it->counted);
	return err;
}

proto_err workflow_item_put(hub_workflow *l, workflow_item *it, int64_t now)
{
	sqlite3_stmt *st = l->st[LS_ITEM_PUT];
	int64_t due = next_due(l, it, now);

	sqlite3_bind_text(st, 1, proto_colour_name(it->colour), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, proto_state_name(it->state), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, it->handler, -1, SQLITE_STATIC);
	workflow_bind_opt(st, 4, it->member);
	workflow_bind_opt(st, 5, it->rating);
	workflow_bind_opt(st, 6, it->into);
	sqlite3_bind_int64(st, 7, it->tier_since);
	sqlite3_bind_int64(st, 8, it->sign_by);
	sqlite3_bind_int64(st, 9, it->resolve_by);
	sqlite3_bind_int(st, 10, it->reminders);
	if (due)
		sqlite3_bind_int64(st, 11, due);
	sqlite3_bind_int(st, 12, it->escalations);
	sqlite3_bind_int64(st, 13, it->seq);
	sqlite3_bind_int64(st, 14, now);
	if (it->resolved_at)
		sqlite3_bind_int64(st, 15, it->resolved_at);
	sqlite3_bind_int(st, 16, it->supervised);
	sqlite3_bind_text(st, 17, it->id, -1, SQLITE_STATIC);
	if (it->signed_at)
		sqlite3_bind_int64(st, 18, it->signed_at);
	proto_err err = proto_db_step(st);
	/* The item's counts move with it, in the same batch. */
	hub_tally_parts now_counted = tally_of(it);
	if (!err)
		err = hub_tally_move(l->tally, it->origin, &it->counted, &now_counted);
	if (!err)
		it->counted = now_counted;
	return err;
}


/* ---------------------------------------------------------------- events */

proto_err workflow_event_row(hub_workflow *l, const workflow_item *it, const char *kind,
	const char *by, const char *note, int64_t now)
{
	sqlite3_stmt *st = l->st[LS_EVENT];
	proto_err err;

	sqlite3_bind_text(st, 1, it->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, it->seq);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_text(st, 4, by, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, kind, -1, SQLITE_STATIC);
	workflow_bind_opt(st, 6, note);
	sqlite3_bind_text(st, 7, proto_state_name(it->state), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, proto_colour_name(it->colour), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, it->handler, -1, SQLITE_STATIC);
	err = proto_db_step(st);
	if (!err)
		hub_workflow_notify(l, HUB_CHANGE_ITEM, it->id, NULL, 0);
	return err;
}

proto_err workflow_event_words(hub_workflow *l, const workflow_item *it, int64_t *at, char **by,
	char **kind, char **note)
{
	sqlite3_stmt *st = l->st[LS_EVENT_GET];
	bool nomem = false;

	*at = 0;
	*by = *kind = *note = NULL;
	sqlite3_bind_text(st, 1, it->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, it->seq);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *t;
		*at = sqlite3_column_int64(st, 0);
		if ((t = (const char *)sqlite3_column_text(st, 1)))
			nomem |= !(*by = strdup(t));
		if ((t = (const char *)sqlite3_column_text(st, 2)))
			nomem |= !(*kind = strdup(t));
		if ((t = (const char *)sqlite3_column_text(st, 3)))
			nomem |= !(*note = strdup(t));
	}
	proto_db_reset(st);
	if (!nomem)
		return PROTO_OK;
	free(*by);
	free(*kind);
	free(*note);
	*by = *kind = *note = NULL;
	return PROTO_ERR_NOMEM;
}

/* ----------------------------------------------------------- downbox ids */

/* Ids rise across restarts: the last one given out is stored with the row
 * in the same transaction. The hub is the only writer, so it is read once;
 * an id of a batch rolled back is not given out again, which only skips
 * it (nothing with it was ever published). */
/* Item message ids: Unix ms, or one more than the last when a burst gives
 * out more than one a millisecond. The last is kept in hub_meta, written
 * once per batch (hub_workflow_before_commit), so that ids run on after a
 * restart even when they had run ahead of the clock. */
static proto_err read_down_id(hub_workflow *l)
{
	sqlite3_stmt *st = l->st[LS_META_GET];
	int rc;

	sqlite3_bind_text(st, 1, "last_down_id", -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		l->last_down_id = sqlite3_column_int64(st, 0);
	proto_db_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? PROTO_OK : PROTO_ERR_IO;
}

int64_t workflow_next_down_id(hub_workflow *l)
{
	int64_t now = proto_now_ms();

	l->last_down_id = now > l->last_down_id ? now : l->last_down_id + 1;
	l->down_id_dirty = true;
	return l->last_down_id;
}

proto_err hub_workflow_before_commit(hub_workflow *l)
{
	sqlite3_stmt *st = l->st[LS_META_SET];

	if (!l->down_id_dirty)
		return PROTO_OK;
	sqlite3_bind_text(st, 1, "last_down_id", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, l->last_down_id);
	proto_err err = proto_db_step(st);
	if (!err)
		l->down_id_dirty = false;
	return err;
}

int64_t hub_workflow_last_down_id(const hub_workflow *l)
{
	return l->last_down_id;
}

/* -------------------------------------------------------------- observer */

void hub_workflow_set_notify(hub_workflow *l, const hub_notify *n)
{
	if (n)
		l->notify = *n;
	else
		memset(&l->notify, 0, sizeof l->notify);
}

void hub_workflow_notify(hub_workflow *l, hub_change kind, const char *key, const char *text,
	int64_t n)
{
	if (l->notify.change)
		l->notify.change(l->notify.ud, kind, key, text, n);
}

void hub_workflow_notify_commit(hub_workflow *l, bool ok)
{
	if (l->notify.commit)
		l->notify.commit(l->notify.ud, ok);
}

void hub_workflow_notify_durable(hub_workflow *l, bool ok)
{
	if (l->notify.durable)
		l->notify.durable(l->notify.ud, ok);
}

