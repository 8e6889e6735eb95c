/* The closed loop's engine over the hub's database: items, their events,
 * and the delivery box of item messages for stations (sealed, since
 * snapshots carry residents' names), which also carries the service team's
 * member messages (members.c). Escalation by time and pattern and the
 * weather live in escalate.c and weather.c over the same state (loop-int.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/loop-int.h"
#include "hub/store.h"
#include "hub/tally.h"
#include "protocol/clock.h"
#include "protocol/db.h"
#include "protocol/log.h"
#include "protocol/str.h"
#include "protocol/topic.h"

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS items("
	"  item TEXT PRIMARY KEY, origin TEXT NOT NULL, category TEXT NOT NULL,"
	"  colour TEXT NOT NULL, state TEXT NOT NULL, handler TEXT NOT NULL,"
	"  member TEXT, rating TEXT, into_item TEXT,"
	"  created INTEGER NOT NULL,"     /* at the station, Unix ms */
	"  received INTEGER NOT NULL,"    /* hub time of the report */
	"  tier_since INTEGER NOT NULL,"  /* hub time it reached its current tier */
	"  sign_by INTEGER NOT NULL, resolve_by INTEGER NOT NULL,"
	"  reminders INTEGER NOT NULL DEFAULT 0," /* sent for the current limit */
	"  supervised INTEGER NOT NULL DEFAULT 0," /* 督办 since it passed */
	"  due INTEGER,"                  /* next look by the timer; NULL: none */
	"  escalations INTEGER NOT NULL DEFAULT 0,"
	"  seq INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL,"
	"  resolved_at INTEGER,"          /* hub time of the last resolve */
	"  signed_at INTEGER);"           /* of the last sign-for at this tier */
	"CREATE INDEX IF NOT EXISTS items_due ON items(due) WHERE due IS NOT NULL;"
	/* items(origin) alone was a prefix of items_area, which serves the
	 * same ranges: one index fewer to keep per report. */
	"DROP INDEX IF EXISTS items_origin;"
	/* Covering indexes: the weather and surge queries read only these, so
	 * they never touch the table's rows (a county has many). */
	"CREATE INDEX IF NOT EXISTS items_area ON items(origin, state, colour, "
	"  reminders, sign_by, resolve_by);"
	"CREATE INDEX IF NOT EXISTS items_surge_cover ON items(category, origin, received, state, item);"
	"CREATE INDEX IF NOT EXISTS items_into ON items(into_item) WHERE into_item IS NOT NULL;"
	/* The dashboard's open red and orange items, soonest deadline first. */
	"DROP INDEX IF EXISTS items_urgent;" /* said with IN lists */
	"CREATE INDEX IF NOT EXISTS items_urgent_by ON items(origin, state, sign_by, "
	"  resolve_by, item) WHERE " HUB_URGENT_WHERE ";"
	/* The dashboard's figures once read this index; the tally (tally.c)
	 * serves them now, and each index costs every write. */
	"DROP INDEX IF EXISTS items_figures;"
	"CREATE TABLE IF NOT EXISTS events("
	"  item TEXT NOT NULL, seq INTEGER NOT NULL, at INTEGER NOT NULL,"
	"  actor TEXT NOT NULL, kind TEXT NOT NULL, note TEXT,"
	"  state TEXT NOT NULL, colour TEXT NOT NULL, handler TEXT NOT NULL,"
	"  PRIMARY KEY(item, seq)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS downbox("
	"  id INTEGER PRIMARY KEY, station TEXT NOT NULL, item TEXT NOT NULL,"
	"  payload BLOB NOT NULL, created INTEGER NOT NULL,"
	"  type TEXT);"                   /* NULL: item; else the message type */
	"CREATE INDEX IF NOT EXISTS downbox_station ON downbox(station, id);"
	"CREATE TABLE IF NOT EXISTS members("
	"  id TEXT PRIMARY KEY, name TEXT NOT NULL, station TEXT NOT NULL,"
	"  phone BLOB, categories TEXT);"
	/* What each station was last told of each member it may assign
	 * (members.c): a reload sends only the difference. gen: the load
	 * that last saw the pair. */
	"CREATE TABLE IF NOT EXISTS team_sent("
	"  station TEXT NOT NULL, member TEXT NOT NULL, name TEXT NOT NULL,"
	"  unit TEXT NOT NULL, gen INTEGER NOT NULL,"
	"  PRIMARY KEY(station, member)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS alerts("
	"  id INTEGER PRIMARY KEY, area TEXT NOT NULL, category TEXT NOT NULL,"
	"  colour TEXT NOT NULL, at INTEGER NOT NULL, count INTEGER NOT NULL,"
	"  items TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS weather("
	"  code TEXT PRIMARY KEY, weather TEXT NOT NULL, at INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS hub_meta(key TEXT PRIMARY KEY, value INTEGER);";

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
	/* Run for a report unless its town is known to be full (escalate.c):
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

/* Whether a database made before the column has the table but not the
 * column itself (a statement naming it does not prepare). */
static bool lacks_column(sqlite3 *db, const char *table, const char *column)
{
	char q[96];
	sqlite3_stmt *st = NULL;
	bool has_table, has_column;

	snprintf(q, sizeof q, "SELECT * FROM %s LIMIT 0", table);
	has_table = sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK;
	sqlite3_finalize(st);
	st = NULL;
	snprintf(q, sizeof q, "SELECT %s FROM %s LIMIT 0", column, table);
	has_column = sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK;
	sqlite3_finalize(st);
	return has_table && !has_column;
}

/* Databases made before items had resolved_at get it, filled from their
 * events, before the schema's index on it is created; those made before
 * supervision (督办) get its count, at 0: an overdue red item of theirs is
 * supervised from its next look. */
static int add_columns(sqlite3 *db)
{
	if (lacks_column(db, "items", "resolved_at")) {
		log_info("adding resolved_at to the items of an older database");
		if (proto_db_exec(db, "BEGIN; ALTER TABLE items ADD COLUMN resolved_at "
			"INTEGER; UPDATE items SET resolved_at = (SELECT max(e.at) FROM "
			"events e WHERE e.item = items.item AND e.kind = 'resolve'); COMMIT;"))
			return -1;
	}
	/* The last sign-for at the tier the item is at, as near as events
	 * tell (figures' 按期签收, hub/figures.c). */
	if (lacks_column(db, "items", "signed_at")) {
		log_info("adding signed_at to the items of an older database");
		if (proto_db_exec(db, "BEGIN; ALTER TABLE items ADD COLUMN signed_at "
			"INTEGER; UPDATE items SET signed_at = (SELECT max(e.at) FROM "
			"events e WHERE e.item = items.item AND e.kind = 'sign' AND "
			"e.at >= items.tier_since); COMMIT;"))
			return -1;
	}
	if (lacks_column(db, "items", "supervised")) {
		log_info("adding supervised to the items of an older database");
		if (proto_db_exec(db, "ALTER TABLE items ADD COLUMN supervised INTEGER "
			"NOT NULL DEFAULT 0"))
			return -1;
	}
	/* Its rows are all item messages: NULL is an item's. */
	if (lacks_column(db, "downbox", "type")) {
		log_info("adding type to the downbox of an older database");
		if (proto_db_exec(db, "ALTER TABLE downbox ADD COLUMN type TEXT"))
			return -1;
	}
	return 0;
}

static proto_err read_down_id(hub_loop *l);

hub_loop *hub_loop_create(hub_store *store, const hub_policy *policy)
{
	hub_loop *l = calloc(1, sizeof *l);

	if (!l)
		return NULL;
	l->store = store;
	l->db = hub_store_db(store);
	l->secret = hub_store_secret(store);
	l->pol = *policy;
	if (add_columns(l->db) || proto_db_exec(l->db, schema))
		goto fail;
	l->tally = hub_tally_create(l->db);
	if (!l->tally)
		goto fail;
	for (int i = 0; i < LS__COUNT; i++) {
		l->st[i] = proto_db_prepare(l->db, sql[i]);
		if (!l->st[i])
			goto fail;
	}
	if (read_down_id(l))
		goto fail;
	return l;
fail:
	hub_loop_destroy(l);
	return NULL;
}

static void places_clear(hub_loop *l)
{
	for (size_t i = 0; i < LOOP_PLACES; i++) {
		free(l->places[i].name);
		l->places[i].name = NULL;
		l->places[i].code[0] = '\0';
	}
}

void hub_loop_set_policy(hub_loop *l, const hub_policy *p)
{
	l->pol = *p;
	/* Full under the old counts and window, maybe not under these. */
	memset(l->surge_full, 0, sizeof l->surge_full);
	/* A reload brings the registry with the policy: names may differ. */
	places_clear(l);
}

void hub_loop_destroy(hub_loop *l)
{
	if (!l)
		return;
	for (int i = 0; i < LS__COUNT; i++)
		sqlite3_finalize(l->st[i]);
	places_clear(l);
	hub_tally_destroy(l->tally);
	free(l->body[0].json);
	free(l->body[1].json);
	free(l);
}

/* ----------------------------------------------------------------- items */

static hub_tally_parts tally_of(const loop_item *it)
{
	return hub_tally_of(&(hub_tally_item){.state = it->state, .colour = it->colour,
		.category = it->category, .escalations = it->escalations,
		.reminders = it->reminders, .sign_by = it->sign_by,
		.resolve_by = it->resolve_by, .signed_at = it->signed_at,
		.resolved_at = it->resolved_at, .rating = it->rating});
}

proto_err loop_item_get(hub_loop *l, const char *id, loop_item *it)
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

int64_t loop_deadline(const loop_item *it)
{
	return it->state == PROTO_STATE_REPORTED ? it->sign_by : it->resolve_by;
}

/* When the timer must look at the item next: its next reminder, else its
 * deadline; 0 when it waits on nobody. Reminders whose time has already
 * passed (a limit that started long ago) are counted as sent. A red item
 * past its deadline has nowhere to escalate: its next supervision (督办),
 * at the deadline and then every policy period, until the cap. */
static int64_t next_due(hub_loop *l, loop_item *it, int64_t now)
{
	int64_t deadline = loop_deadline(it), limit = deadline - it->tier_since;

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

/* Starts the limits of the item's colour from now at its current tier. */
void loop_restart_limits(hub_loop *l, loop_item *it, int64_t now)
{
	const hub_policy_colour *c = &l->pol.colour[it->colour];

	it->tier_since = now;
	it->sign_by = now + c->sign_ms;
	it->resolve_by = now + c->resolve_ms;
	it->reminders = 0;
	it->supervised = 0;
	it->signed_at = 0; /* to be signed for at the new tier */
}

static void bind_opt(sqlite3_stmt *st, int col, const char *s)
{
	if (s && *s)
		sqlite3_bind_text(st, col, s, -1, SQLITE_STATIC);
}

static proto_err item_put(hub_loop *l, loop_item *it, int64_t now)
{
	sqlite3_stmt *st = l->st[LS_ITEM_PUT];
	int64_t due = next_due(l, it, now);

	sqlite3_bind_text(st, 1, proto_colour_name(it->colour), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, proto_state_name(it->state), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, it->handler, -1, SQLITE_STATIC);
	bind_opt(st, 4, it->member);
	bind_opt(st, 5, it->rating);
	bind_opt(st, 6, it->into);
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
	/* Its town may have fallen below the surge rule's counts. */
	if (!err && hub_tally_in_hand(&it->counted) && !hub_tally_in_hand(&now_counted))
		loop_surge_forget(l, it);
	if (!err)
		it->counted = now_counted;
	return err;
}

/* ------------------------------------------------------------- delivery */

/* Ids rise across restarts: the last one given out is stored with the row
 * in the same transaction. The hub is the only writer, so it is read once;
 * an id of a batch rolled back is not given out again, which only skips
 * it (nothing with it was ever published). */
/* Item message ids: Unix ms, or one more than the last when a burst gives
 * out more than one a millisecond. The last is kept in hub_meta, written
 * once per batch (hub_loop_before_commit), so that ids run on after a
 * restart even when they had run ahead of the clock. */
static proto_err read_down_id(hub_loop *l)
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

int64_t loop_next_down_id(hub_loop *l)
{
	int64_t now = proto_now_ms();

	l->last_down_id = now > l->last_down_id ? now : l->last_down_id + 1;
	l->down_id_dirty = true;
	return l->last_down_id;
}

proto_err hub_loop_before_commit(hub_loop *l)
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

/* The readable name of the station code (HUB_STATION_LABEL), cut at
 * PROTO_PLACE_MAX code points (a station refuses longer), into out; NULL
 * when the code is no registered station, or is no code ("hub", a user).
 * Kept in l->places, emptied when the registry may have changed
 * (set_policy); copied out, since the next call may evict it. */
static char *place(hub_loop *l, const char *code, char out[4 * PROTO_PLACE_MAX + 1])
{
	sqlite3_stmt *st = l->st[LS_PLACE];
	loop_place *slot;
	size_t at = 0, cp = 0;
	const char *s;

	if (!code || !proto_code_valid(code))
		return NULL;
	slot = &l->places[proto_str_hash(code) % LOOP_PLACES];
	if (strcmp(slot->code, code) == 0) {
		proto_copy(out, 4 * PROTO_PLACE_MAX + 1, slot->name);
		return out[0] ? out : NULL;
	}
	out[0] = '\0';
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && (s = (const char *)sqlite3_column_text(st, 0))) {
		while (s[at] && cp < PROTO_PLACE_MAX) {
			size_t n = 1;
			while ((s[at + n] & 0xC0) == 0x80)
				n++;
			memcpy(out + at, s + at, n);
			at += n;
			cp++;
		}
		out[at] = '\0';
		char *kept = strdup(out);
		if (kept) { /* out of memory: looked up again next time */
			free(slot->name);
			slot->name = kept;
			proto_copy(slot->code, sizeof slot->code, code);
		}
	}
	proto_db_reset(st);
	return out[0] ? out : NULL;
}

/* The body of the item it as of its event it->seq (event, by, note), for
 * its handler and reporter (personal) or for others: made once for all of
 * them, the report's words from rep when given (a report being routed),
 * else read back. A batch rolled back may have had an event of the same
 * number. NULL when it cannot be made. */
static const loop_body *item_body(hub_loop *l, const loop_item *it, bool personal,
	const char *event, const char *by, const char *note, const proto_report *rep)
{
	sqlite3_stmt *st = l->st[LS_REPORT];
	loop_body *b = &l->body[personal];
	uint64_t undone = hub_store_undone(l->store);
	proto_item p = {0};
	bool opened = false;
	char origin_name[4 * PROTO_PLACE_MAX + 1], handler_name[4 * PROTO_PLACE_MAX + 1];
	char by_name[4 * PROTO_PLACE_MAX + 1];

	if (b->json && b->seq == it->seq && b->undone == undone &&
	    strcmp(b->item, it->id) == 0)
		return b;
	free(b->json);
	b->json = NULL;
	proto_copy(p.item, sizeof p.item, it->id);
	proto_copy(p.origin, sizeof p.origin, it->origin);
	proto_copy(p.handler, sizeof p.handler, it->handler);
	proto_copy(p.into, sizeof p.into, it->into);
	p.colour = it->colour;
	p.category = it->category;
	if (rep) {
		p.title = rep->title;
		p.text = rep->text;
		p.reporter_name = personal ? rep->reporter_name : NULL;
		p.reporter_phone = personal ? rep->reporter_phone : NULL;
		p.people = rep->people;
	} else {
		sqlite3_bind_text(st, 1, it->id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_ROW)
			goto done;
		p.title = (char *)sqlite3_column_text(st, 0);
		p.text = (char *)sqlite3_column_text(st, 1);
		if (personal && sqlite3_column_type(st, 2) == SQLITE_BLOB)
			p.reporter_name = hub_secret_open_blob(l->secret,
				sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2));
		if (personal && sqlite3_column_type(st, 3) == SQLITE_BLOB)
			p.reporter_phone = hub_secret_open_blob(l->secret,
				sqlite3_column_blob(st, 3), (size_t)sqlite3_column_bytes(st, 3));
		p.people = sqlite3_column_int(st, 4);
		opened = true;
	}
	p.state = (char *)proto_state_name(it->state);
	p.deadline = proto_state_open(it->state) ? loop_deadline(it) : 0;
	p.seq = it->seq;
	p.created = it->created;
	p.event = (char *)event;
	p.by = (char *)by;
	p.note = (char *)(note && *note ? note : NULL);
	p.member = it->member[0] ? (char *)it->member : NULL;
	p.rating = it->rating[0] ? (char *)it->rating : NULL;
	p.escalations = it->escalations;
	/* Stations know no other station's name: they read these. */
	p.origin_name = place(l, it->origin, origin_name);
	p.handler_name = place(l, it->handler, handler_name);
	p.by_name = place(l, by, by_name);
	b->json = proto_item_encode(&p);
	b->named = p.reporter_name || p.reporter_phone;
	proto_copy(b->item, sizeof b->item, it->id);
	b->seq = it->seq;
	b->undone = undone;
	if (opened) {
		free(p.reporter_name);
		free(p.reporter_phone);
	}
done:
	proto_db_reset(st);
	return b->json ? b : NULL;
}

/* The item message for station: the item as it is after its latest event.
 * Names and phones only for its handler and its reporter. With receipt, that
 * receipt carrying the same snapshot instead (PROTOCOL.md §5.4). *named:
 * whether it names the resident. */
static char *snapshot(hub_loop *l, const loop_item *it, const char *station,
	int64_t id, const char *event, const char *by, const char *note, int64_t now,
	const proto_msg *receipt, const proto_report *rep, bool *named)
{
	bool personal = proto_loop_personal(station, it->handler, it->origin);
	const loop_body *b = item_body(l, it, personal, event, by, note, rep);

	if (!b)
		return NULL;
	if (named)
		*named = b->named;
	/* The event's hub time, fixed in the stored message: a resend keeps it,
	 * so a station's timeline shows when things happened. */
	if (receipt) {
		proto_msg r = *receipt;
		proto_item written = {0}; /* as the body says */
		r.ts = now;
		r.u.receipt.snapshot = &written;
		return proto_msg_encode_item(&r, b->json);
	}
	proto_msg m = {.v = PROTO_VERSION, .type = PROTO_MSG_ITEM, .id = id, .ts = now};
	proto_copy(m.station, sizeof m.station, station);
	return proto_msg_encode_item(&m, b->json);
}

static proto_err enqueue(hub_loop *l, const loop_item *it, const char *station,
	const char *event, const char *by, const char *note, int64_t now,
	const proto_report *rep)
{
	sqlite3_stmt *st = l->st[LS_DOWN_INSERT];
	unsigned char *sealed;
	size_t len;
	int64_t id = loop_next_down_id(l);
	bool named;
	char *json;

	json = snapshot(l, it, station, id, event, by, note, now, NULL, rep, &named);
	if (!json)
		return PROTO_ERR_NOMEM;
	/* Sealed (a blob) when it names the resident, as the report's own
	 * row does; else as text, like the report's title and words. */
	if (named) {
		sealed = hub_secret_seal(l->secret, json, &len);
		free(json);
		if (!sealed)
			return PROTO_ERR_NOMEM;
		sqlite3_bind_blob(st, 4, sealed, (int)len, free);
	} else {
		sqlite3_bind_text(st, 4, json, -1, free);
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, station, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, it->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, now);
	return proto_db_step(st);
}

proto_err loop_down_put(hub_loop *l, int64_t id, const char *station,
	proto_msg_type type, const char *key, char *json, int64_t now)
{
	sqlite3_stmt *st = l->st[LS_DOWN_INSERT];

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, station, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, json, -1, free);
	sqlite3_bind_int64(st, 5, now);
	sqlite3_bind_text(st, 6, proto_msg_type_name(type), -1, SQLITE_STATIC);
	return proto_db_step(st);
}

/* The event it->seq on an item already saved as it is after it, and its
 * snapshot queued for everyone involved (rep: the report, when at hand). */
static proto_err record_event(hub_loop *l, loop_item *it, const char *kind,
	const char *by, const char *note, const char *also, int64_t now,
	const proto_report *rep)
{
	sqlite3_stmt *st = l->st[LS_EVENT];
	const char *sent[8];
	int n = 0;
	proto_err err;

	sqlite3_bind_text(st, 1, it->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, it->seq);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_text(st, 4, by, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, kind, -1, SQLITE_STATIC);
	bind_opt(st, 6, note);
	sqlite3_bind_text(st, 7, proto_state_name(it->state), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, proto_colour_name(it->colour), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, it->handler, -1, SQLITE_STATIC);
	err = proto_db_step(st);
	if (!err)
		hub_loop_notify(l, HUB_CHANGE_ITEM, it->id, NULL, 0);
	/* Everyone involved hears of it once: handler, reporter, a former
	 * handler, and the reporters of items merged into this one. The
	 * reporter learns of the route from its report's receipt, which
	 * carries this snapshot (hub_loop_receipt), also when it handles the
	 * item itself (a village's own blue report). */
	bool route = strcmp(kind, "route") == 0;
	if (!route || strcmp(it->origin, it->handler) != 0)
		sent[n++] = it->handler;
	if (strcmp(it->origin, it->handler) != 0 && !route)
		sent[n++] = it->origin;
	if (also && *also && strcmp(also, it->handler) && strcmp(also, it->origin))
		sent[n++] = also;
	/* A station that handled its own report does not visit it: its parent
	 * does (proto_loop_roles) and hears of it from the resolve on, through
	 * the visit and the rating, or a reopening. */
	char visitor[PROTO_CODE_MAX + 1];
	if (strcmp(it->origin, it->handler) == 0 &&
	    (it->state == PROTO_STATE_RESOLVED || it->state == PROTO_STATE_VERIFIED ||
	     it->state == PROTO_STATE_RATED || strcmp(kind, "reopen") == 0) &&
	    proto_code_parent(it->handler, visitor) && (!also || strcmp(also, visitor)))
		sent[n++] = visitor;
	for (int i = 0; !err && i < n; i++)
		err = enqueue(l, it, sent[i], kind, by, note, now, rep);
	if (!err) {
		sqlite3_stmt *q = l->st[LS_MERGED];
		char origins[8][PROTO_CODE_MAX + 1];
		int m = 0;

		sqlite3_bind_text(q, 1, it->id, -1, SQLITE_STATIC);
		while (m < 8 && sqlite3_step(q) == SQLITE_ROW)
			proto_db_copy_text(origins[m++], sizeof origins[0], q, 0);
		proto_db_reset(q);
		for (int i = 0; !err && i < m; i++) {
			bool dup = false;
			for (int j = 0; j < n; j++)
				dup |= strcmp(origins[i], sent[j]) == 0;
			if (!dup)
				err = enqueue(l, it, origins[i], kind, by, note, now, rep);
		}
	}
	return err;
}

proto_err loop_event(hub_loop *l, loop_item *it, const char *kind, const char *by,
	const char *note, const char *also, int64_t now)
{
	proto_err err;

	it->seq++;
	if (strcmp(kind, "resolve") == 0)
		it->resolved_at = now;
	err = item_put(l, it, now);
	if (err)
		return err;
	return record_event(l, it, kind, by, note, also, now, NULL);
}

proto_err hub_loop_receipt(hub_loop *l, const proto_msg *receipt, char **json)
{
	sqlite3_stmt *st = l->st[LS_EVENT_GET];
	char *by = NULL, *kind = NULL, *note = NULL;
	bool nomem = false;
	int64_t at = 0;
	loop_item it;
	proto_err err;

	*json = NULL;
	err = loop_item_get(l, receipt->u.receipt.item, &it);
	if (err == PROTO_ERR_UNKNOWN_ITEM)
		return PROTO_OK; /* stored before the hub ran the loop */
	if (err)
		return err;
	/* The latest event's own words and time, as its item message has them. */
	sqlite3_bind_text(st, 1, it.id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, it.seq);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *t;
		at = sqlite3_column_int64(st, 0);
		if ((t = (const char *)sqlite3_column_text(st, 1)))
			nomem |= !(by = strdup(t));
		if ((t = (const char *)sqlite3_column_text(st, 2)))
			nomem |= !(kind = strdup(t));
		if ((t = (const char *)sqlite3_column_text(st, 3)))
			nomem |= !(note = strdup(t));
	}
	proto_db_reset(st);
	if (!nomem)
		*json = snapshot(l, &it, receipt->station, 0, kind, by, note,
			at ? at : it.received, receipt, NULL, NULL);
	free(by);
	free(kind);
	free(note);
	return *json ? PROTO_OK : PROTO_ERR_NOMEM;
}

/* -------------------------------------------------------------- routing */

bool loop_route(const hub_policy *p, const char *origin, proto_colour c,
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

bool hub_loop_routable(const hub_loop *l, const proto_msg *m)
{
	char handler[PROTO_CODE_MAX + 1];

	return loop_route(&l->pol, m->station, m->u.report.colour, handler);
}

proto_err hub_loop_route(hub_loop *l, const proto_msg *m, int64_t now,
	const proto_msg *receipt, char **json)
{
	sqlite3_stmt *st = l->st[LS_ITEM_INSERT];
	loop_item it = {.colour = m->u.report.colour, .category = m->u.report.category,
			.state = PROTO_STATE_REPORTED, .created = m->ts, .received = now};
	proto_err err;

	proto_item_id(it.id, m->station, m->id);
	proto_copy(it.origin, sizeof it.origin, m->station);
	if (!loop_route(&l->pol, it.origin, it.colour, it.handler))
		return PROTO_ERR_BAD_VALUE;
	loop_restart_limits(l, &it, now);
	/* Saved as it is after its first event, "route". */
	it.seq = 1;
	int64_t due = next_due(l, &it, now);
	sqlite3_bind_text(st, 1, it.id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, it.origin, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, proto_category_name(it.category), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, proto_colour_name(it.colour), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, proto_state_name(it.state), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, it.handler, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, it.created);
	sqlite3_bind_int64(st, 8, it.received);
	sqlite3_bind_int64(st, 9, it.tier_since);
	sqlite3_bind_int64(st, 10, it.sign_by);
	sqlite3_bind_int64(st, 11, it.resolve_by);
	sqlite3_bind_int(st, 12, it.reminders);
	if (due)
		sqlite3_bind_int64(st, 13, due);
	sqlite3_bind_int64(st, 14, it.seq);
	sqlite3_bind_int64(st, 15, now);
	*json = NULL;
	err = proto_db_step(st);
	it.counted = tally_of(&it);
	if (!err)
		err = hub_tally_move(l->tally, it.origin, NULL, &it.counted);
	if (!err)
		err = record_event(l, &it, "route", "hub", NULL, NULL, now, &m->u.report);
	if (!err)
		err = loop_surge(l, &it, now);
	if (!err)
		err = loop_weather_update(l, it.origin, now);
	/* The item is at hand: not read back as for a duplicate's receipt. */
	if (!err && !(*json = snapshot(l, &it, receipt->station, 0, "route", "hub", NULL,
			now, receipt, &m->u.report, NULL)))
		err = PROTO_ERR_NOMEM;
	return err;
}

/* ---------------------------------------------------------------- steps */

static bool member_serves(hub_loop *l, const char *member, const char *handler)
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

proto_err hub_loop_apply(hub_loop *l, const proto_msg *m, int64_t now,
	char field[PROTO_FIELD_MAX])
{
	return hub_loop_apply_as(l, m, m->station, now, field);
}

proto_err hub_loop_apply_as(hub_loop *l, const proto_msg *m, const char *by,
	int64_t now, char field[PROTO_FIELD_MAX])
{
	const proto_action *a = &m->u.action;
	int step = proto_step_parse(a->action), rating = 0;
	char old[PROTO_CODE_MAX + 1] = "";
	proto_state next;
	loop_item it;
	proto_err err;
	bool need_note;

	field[0] = '\0';
	if (step < 0)
		return fail(field, "action", PROTO_ERR_BAD_VALUE);
	err = loop_item_get(l, a->item, &it);
	if (err)
		return fail(field, "item", err);
	if (step == PROTO_STEP_RATE) {
		if (!a->rating)
			return fail(field, "rating", PROTO_ERR_MISSING_FIELD);
		rating = proto_rating_parse(a->rating);
		if (rating < 0)
			return fail(field, "rating", PROTO_ERR_BAD_VALUE);
	}
	err = proto_loop_next(it.state, (proto_step)step,
		proto_loop_roles(m->station, it.handler, it.origin),
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
		loop_restart_limits(l, &it, now);
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
		loop_item into;
		if (!a->into[0])
			return fail(field, "into", PROTO_ERR_MISSING_FIELD);
		if (strcmp(a->into, it.id) == 0 || loop_item_get(l, a->into, &into) ||
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
	err = loop_event(l, &it, proto_step_name((proto_step)step), by, a->note,
		old, now);
	if (!err)
		err = loop_weather_update(l, it.origin, now);
	return err;
}

void hub_loop_set_notify(hub_loop *l, const hub_notify *n)
{
	if (n)
		l->notify = *n;
	else
		memset(&l->notify, 0, sizeof l->notify);
}

void hub_loop_notify(hub_loop *l, hub_change kind, const char *key, const char *text,
	int64_t n)
{
	if (l->notify.change)
		l->notify.change(l->notify.ud, kind, key, text, n);
}

void hub_loop_notify_commit(hub_loop *l, bool ok)
{
	if (l->notify.commit)
		l->notify.commit(l->notify.ud, ok);
}

void hub_loop_notify_durable(hub_loop *l, bool ok)
{
	if (l->notify.durable)
		l->notify.durable(l->notify.ud, ok);
}

proto_err hub_loop_delivered(hub_loop *l, const char *station, int64_t ref)
{
	sqlite3_stmt *st = l->st[LS_DOWN_DELETE];

	sqlite3_bind_int64(st, 1, ref);
	sqlite3_bind_text(st, 2, station, -1, SQLITE_STATIC);
	return proto_db_step(st);
}

/* Publishes the rows a query yields, but for stations offline when online
 * only; returns how many, and the last id looked at. */
static int publish_rows(hub_loop *l, proto_link *link, sqlite3_stmt *st, int64_t *last,
	bool online)
{
	int n = 0;

	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		const char *station = (const char *)sqlite3_column_text(st, 1);
		const char *type = (const char *)sqlite3_column_text(st, 3);
		int t = type ? proto_msg_type_parse(type) : PROTO_MSG_ITEM;
		char topic[PROTO_TOPIC_MAX];

		if (last)
			*last = id;
		/* An offline station's message waits in the box for its
		 * birth (hub_ingest's redelivery): in the broker's queue it
		 * would only be sent twice. */
		if (online && (!station || !hub_store_online(l->store, station)))
			continue;
		/* Text: stored plain (enqueue); a blob: sealed. */
		char *json = sqlite3_column_type(st, 2) == SQLITE_TEXT ?
			strdup((const char *)sqlite3_column_text(st, 2)) :
			hub_secret_open_blob(l->secret, sqlite3_column_blob(st, 2),
				(size_t)sqlite3_column_bytes(st, 2));

		if (json && station &&
		    t >= 0 && proto_topic_for(topic, sizeof topic, station, (proto_msg_type)t) &&
		    proto_link_publish(link, topic, json, strlen(json), 1, false, NULL) == 0)
			n++;
		else if (!json)
			log_error("an item message cannot be unsealed (key changed?)");
		free(json);
	}
	proto_db_reset(st);
	return n;
}

/* Item messages in flight per call: the broker's queue for an offline
 * station is finite. */
#define DELIVER_WINDOW 200
/* New item messages are handed to libmosquitto only while fewer than this
 * many of the hub's messages wait there for the broker's acknowledgement:
 * its queue is a list it walks on every publish and acknowledgement, and,
 * unbounded, it grew to every item message of a burst, with receipts queued
 * behind them. The rest wait in the downbox, published as acks come in. */
#define DELIVER_QUEUE 400

int64_t hub_loop_last_down_id(const hub_loop *l)
{
	return l->last_down_id;
}

void hub_loop_deliver(hub_loop *l, proto_link *link, const char *station,
	int64_t upto)
{
	int64_t room = DELIVER_QUEUE - proto_link_pending(link);
	sqlite3_stmt *st;

	if (!proto_link_connected(link))
		return;
	/* A station's own backlog on its birth goes whatever the queue: rare,
	 * and bounded by the window. */
	if (station) {
		st = l->st[LS_DOWN_STATION];
		sqlite3_bind_text(st, 1, station, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, DELIVER_WINDOW);
		sqlite3_bind_int64(st, 3, upto);
		publish_rows(l, link, st, NULL, false);
	}
	if (room <= 0)
		return;
	st = l->st[LS_DOWN_NEXT];
	sqlite3_bind_int64(st, 1, l->last_sent);
	sqlite3_bind_int(st, 2, room < DELIVER_WINDOW ? (int)room : DELIVER_WINDOW);
	sqlite3_bind_int64(st, 3, upto);
	publish_rows(l, link, st, &l->last_sent, true);
}
