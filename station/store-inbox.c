/* The station's inbox: the latest snapshot of every item the hub has sent
 * this station, and the timeline of the events it has seen. The hub resends
 * until receipted, so the same message, or an older one after a newer, may
 * come again: seq orders them, and only a higher one replaces a snapshot. */
#include <string.h>

#include "protocol/clock.h"
#include "protocol/db.h"
#include "station/store-int.h"

static void bind_opt_text(sqlite3_stmt *st, int i, const char *text)
{
	if (text)
		sqlite3_bind_text(st, i, text, -1, SQLITE_STATIC);
}

static proto_err add_event(station_store *s, const proto_msg *m, int64_t seq)
{
	const proto_item *it = &m->u.item;
	sqlite3_stmt *st = proto_db_prepare(s->db,
		"INSERT INTO timeline(item, seq, event, by_whom, at, note) "
		"VALUES(?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING");

	if (!st)
		return PROTO_ERR_IO;
	sqlite3_bind_text(st, 1, it->item, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, seq);
	bind_opt_text(st, 3, it->event);
	bind_opt_text(st, 4, it->by);
	sqlite3_bind_int64(st, 5, m->ts);
	bind_opt_text(st, 6, it->note);
	return proto_db_run(st);
}

static proto_err put_snapshot(station_store *s, const proto_msg *m, int64_t seq,
	const char *json, size_t len, bool *newer)
{
	const proto_item *it = &m->u.item;
	sqlite3_stmt *st = proto_db_prepare(s->db,
		"INSERT INTO inbox(item, seq, msg_id, origin, handler, colour, category,"
		" title, state, deadline, updated, received, snapshot)"
		" VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
		" ON CONFLICT(item) DO UPDATE SET seq = excluded.seq,"
		" msg_id = excluded.msg_id, origin = excluded.origin,"
		" handler = excluded.handler, colour = excluded.colour,"
		" category = excluded.category, title = excluded.title,"
		" state = excluded.state, deadline = excluded.deadline,"
		" updated = excluded.updated, received = excluded.received,"
		" snapshot = excluded.snapshot WHERE excluded.seq > inbox.seq");
	proto_err err;

	if (!st)
		return PROTO_ERR_IO;
	sqlite3_bind_text(st, 1, it->item, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, seq);
	sqlite3_bind_int64(st, 3, m->id);
	sqlite3_bind_text(st, 4, it->origin, -1, SQLITE_STATIC);
	/* A hub that does not say who handles it sent it to its handler. */
	sqlite3_bind_text(st, 5, it->handler[0] ? it->handler : m->station, -1,
		SQLITE_STATIC);
	sqlite3_bind_text(st, 6, proto_colour_name(it->colour), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, proto_category_name(it->category), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, it->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, it->state, -1, SQLITE_STATIC);
	if (it->deadline > 0)
		sqlite3_bind_int64(st, 10, it->deadline);
	sqlite3_bind_int64(st, 11, m->ts);
	sqlite3_bind_int64(st, 12, proto_now_ms());
	sqlite3_bind_text(st, 13, json, (int)len, SQLITE_STATIC);
	err = proto_db_run(st);
	/* 0 when the row holds this seq or a higher one already. */
	*newer = !err && sqlite3_changes(s->db) > 0;
	return err;
}

proto_err station_store_item(station_store *s, const proto_msg *m,
	const char *json, size_t len, bool *newer)
{
	int64_t seq = m->u.item.seq > 0 ? m->u.item.seq : 1;
	proto_err err;

	*newer = false;
	if (m->type != PROTO_MSG_ITEM || !json || len > PROTO_PAYLOAD_MAX)
		return PROTO_ERR_INVAL;
	/* A savepoint nests in the agent's batch and is a transaction of its
	 * own otherwise: the event and its snapshot are stored together. */
	if (proto_db_exec(s->db, "SAVEPOINT item"))
		return PROTO_ERR_IO;
	err = add_event(s, m, seq);
	if (!err)
		err = put_snapshot(s, m, seq, json, len, newer);
	if (err) {
		*newer = false;
		proto_db_exec(s->db, "ROLLBACK TO item");
		proto_db_exec(s->db, "RELEASE item");
		return err;
	}
	return proto_db_exec(s->db, "RELEASE item");
}

/* The readable names are read from the snapshot itself: an older store has
 * them too once the hub sends them, with no column to add. */
#define ITEM_COLUMNS "item, seq, msg_id, origin, handler, colour, category, title," \
	" state, coalesce(deadline, 0), updated, received, snapshot," \
	" coalesce(json_extract(snapshot, '$.origin_name'), '')," \
	" coalesce(json_extract(snapshot, '$.handler_name'), '')"

static proto_err each_item(station_store *s, sqlite3_stmt *st, station_item_fn fn,
	void *ud, int *rows)
{
	int rc;

	*rows = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		station_item it = {
			.item = (const char *)sqlite3_column_text(st, 0),
			.seq = sqlite3_column_int64(st, 1),
			.msg_id = sqlite3_column_int64(st, 2),
			.origin = (const char *)sqlite3_column_text(st, 3),
			.handler = (const char *)sqlite3_column_text(st, 4),
			.colour = (const char *)sqlite3_column_text(st, 5),
			.category = (const char *)sqlite3_column_text(st, 6),
			.title = (const char *)sqlite3_column_text(st, 7),
			.state = (const char *)sqlite3_column_text(st, 8),
			.deadline = sqlite3_column_int64(st, 9),
			.updated = sqlite3_column_int64(st, 10),
			.received = sqlite3_column_int64(st, 11),
			.snapshot = (const char *)sqlite3_column_text(st, 12),
			.origin_name = (const char *)sqlite3_column_text(st, 13),
			.handler_name = (const char *)sqlite3_column_text(st, 14),
		};
		(*rows)++;
		if (fn(ud, &it))
			break;
	}
	return proto_db_finish(st, rc);
}

proto_err station_store_items(station_store *s, station_item_fn fn, void *ud)
{
	sqlite3_stmt *st = proto_db_prepare(s->db, "SELECT " ITEM_COLUMNS
		" FROM inbox ORDER BY updated DESC, item");
	int rows;

	if (!st)
		return PROTO_ERR_IO;
	return each_item(s, st, fn, ud, &rows);
}

bool station_store_station_name(station_store *s, const char *code, char *out,
	size_t n)
{
	/* The newest snapshot that names the code as reporter or handler.
	 * Only the rows of that code are parsed (a timeline asks once an
	 * event, of an inbox of thousands); an actor is nearly always one of
	 * the two somewhere, so by_name is not searched for. */
	sqlite3_stmt *st = proto_db_prepare(s->db,
		"SELECT name FROM ("
		" SELECT json_extract(snapshot, '$.origin_name') AS name, updated FROM inbox"
		"  WHERE origin = ?1"
		" UNION ALL SELECT json_extract(snapshot, '$.handler_name'), updated FROM inbox"
		"  WHERE handler = ?1)"
		" WHERE name IS NOT NULL AND name <> '' ORDER BY updated DESC LIMIT 1");

	/* No code: left unbound, NULL, which names no row. */
	if (st && code)
		sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
	return proto_db_first_text(st, out, n);
}

proto_err station_store_find_item(station_store *s, const char *item,
	station_item_fn fn, void *ud)
{
	sqlite3_stmt *st = proto_db_prepare(s->db, "SELECT " ITEM_COLUMNS
		" FROM inbox WHERE item = ?");
	proto_err err;
	int rows;

	if (!st)
		return PROTO_ERR_IO;
	sqlite3_bind_text(st, 1, item, -1, SQLITE_TRANSIENT);
	err = each_item(s, st, fn, ud, &rows);
	return err ? err : rows ? PROTO_OK : PROTO_ERR_NOT_FOUND;
}

proto_err station_store_timeline(station_store *s, const char *item,
	station_event_fn fn, void *ud)
{
	sqlite3_stmt *st = proto_db_prepare(s->db,
		"SELECT seq, event, by_whom, at, note FROM timeline WHERE item = ?"
		" ORDER BY seq");
	int rc;

	if (!st)
		return PROTO_ERR_IO;
	sqlite3_bind_text(st, 1, item, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		station_event ev = {
			.seq = sqlite3_column_int64(st, 0),
			.event = (const char *)sqlite3_column_text(st, 1),
			.by = (const char *)sqlite3_column_text(st, 2),
			.at = sqlite3_column_int64(st, 3),
			.note = (const char *)sqlite3_column_text(st, 4),
		};
		if (fn(ud, &ev))
			break;
	}
	return proto_db_finish(st, rc);
}

proto_err station_store_actions(station_store *s, const char *item,
	station_entry_fn fn, void *ud)
{
	/* The payload is the action exactly as queued: its item is the one
	 * acted on, receipted or not. */
	sqlite3_stmt *st = proto_db_prepare(s->db, "SELECT " STATION_ENTRY_COLUMNS
		" FROM outbox WHERE type = 'action'"
		" AND json_extract(payload, '$.item') = ? ORDER BY id");

	if (!st)
		return PROTO_ERR_IO;
	sqlite3_bind_text(st, 1, item, -1, SQLITE_TRANSIENT);
	return station_store__each_entry(s, st, fn, ud);
}
