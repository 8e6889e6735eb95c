/* The hub store on SQLite: WAL, synchronous=FULL, statements prepared once.
 * (station, id) in `inbound` is the idempotence key for every message type,
 * so redeliveries and resends after a crash are recognised, never stored
 * twice. */
#include <stdlib.h>
#include <string.h>

#include "hub/store.h"
#include "protocol/db.h"
#include "protocol/log.h"

enum {
	ST_INBOUND, ST_REPORT, ST_SEEN, ST_STATUS, ST_STATION, ST__COUNT
};

static const char *const sql[ST__COUNT] = {
	[ST_INBOUND] = "INSERT OR IGNORE INTO inbound(station, id, type, received_at) "
		       "VALUES(?, ?, ?, ?)",
	[ST_REPORT] = "INSERT INTO reports(item, station, id, colour, category, title, "
		      "text, reporter, phone, people, created, received_at) "
		      "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[ST_SEEN] = "UPDATE stations SET last_seen = ? WHERE code = ?",
	[ST_STATUS] = "UPDATE stations SET online = ?, session = ?, last_seen = ?, "
		      "outbox = coalesce(?, outbox), agent = coalesce(?, agent) "
		      "WHERE code = ? AND session <= ?",
	[ST_STATION] = "INSERT INTO stations(code, name, lat, lon) VALUES(?, ?, ?, ?) "
		       "ON CONFLICT(code) DO UPDATE SET name = excluded.name, "
		       "lat = excluded.lat, lon = excluded.lon",
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS stations("
	"  code TEXT PRIMARY KEY, name TEXT NOT NULL, lat REAL, lon REAL,"
	"  online INTEGER NOT NULL DEFAULT 0,"
	"  session INTEGER NOT NULL DEFAULT 0,"  /* of the last status applied */
	"  last_seen INTEGER,"                    /* Unix ms of the last message */
	"  outbox INTEGER, agent TEXT);"
	"CREATE TABLE IF NOT EXISTS inbound("
	"  station TEXT NOT NULL, id INTEGER NOT NULL, type TEXT NOT NULL,"
	"  received_at INTEGER NOT NULL, PRIMARY KEY(station, id)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS reports("
	"  seq INTEGER PRIMARY KEY,"              /* arrival order at the hub */
	"  item TEXT NOT NULL UNIQUE,"            /* <station>-<id> */
	"  station TEXT NOT NULL, id INTEGER NOT NULL,"
	"  colour TEXT NOT NULL, category TEXT NOT NULL,"
	"  title TEXT NOT NULL, text TEXT NOT NULL,"
	"  reporter TEXT, phone TEXT,"            /* personal data */
	"  people INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL,"             /* at the station, Unix ms */
	"  received_at INTEGER NOT NULL);"        /* committed at the hub */
	"CREATE INDEX IF NOT EXISTS reports_station ON reports(station, id);";

struct hub_store {
	sqlite3 *db;
	sqlite3_stmt *st[ST__COUNT];
	bool in_batch;
};

hub_store *hub_store_open(const char *path)
{
	hub_store *s = calloc(1, sizeof *s);

	if (!s)
		return NULL;
	s->db = proto_db_open(path, schema);
	if (!s->db)
		goto fail;
	for (int i = 0; i < ST__COUNT; i++) {
		s->st[i] = proto_db_prepare(s->db, sql[i]);
		if (!s->st[i])
			goto fail;
	}
	return s;
fail:
	hub_store_close(s);
	return NULL;
}

void hub_store_close(hub_store *s)
{
	if (!s)
		return;
	if (s->in_batch)
		proto_db_exec(s->db, "ROLLBACK");
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(s->st[i]);
	proto_db_close(s->db);
	free(s);
}

/* Runs a prepared statement that returns no rows and resets it. */
static proto_err step(hub_store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		log_error("sqlite: %s", sqlite3_errmsg(s->db));
		return PROTO_ERR_IO;
	}
	return PROTO_OK;
}

proto_err hub_store_begin(hub_store *s)
{
	if (s->in_batch)
		return PROTO_OK;
	if (proto_db_exec(s->db, "BEGIN IMMEDIATE"))
		return PROTO_ERR_IO;
	s->in_batch = true;
	return PROTO_OK;
}

proto_err hub_store_commit(hub_store *s)
{
	if (!s->in_batch)
		return PROTO_OK;
	s->in_batch = false;
	if (proto_db_exec(s->db, "COMMIT")) {
		proto_db_exec(s->db, "ROLLBACK");
		return PROTO_ERR_IO;
	}
	return PROTO_OK;
}

bool hub_store_in_batch(const hub_store *s)
{
	return s->in_batch;
}

proto_err hub_store_sync_registry(hub_store *s, const proto_registry *reg)
{
	sqlite3_stmt *st = s->st[ST_STATION];
	proto_err err = hub_store_begin(s);

	for (size_t i = 0; !err && i < proto_registry_count(reg); i++) {
		const proto_station *p = proto_registry_at(reg, i);
		sqlite3_bind_text(st, 1, p->code, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, p->name, -1, SQLITE_STATIC);
		if (p->has_position) {
			sqlite3_bind_double(st, 3, p->lat);
			sqlite3_bind_double(st, 4, p->lon);
		}
		err = step(s, st);
	}
	if (err) {
		s->in_batch = false;
		proto_db_exec(s->db, "ROLLBACK");
		return err;
	}
	return hub_store_commit(s);
}

static proto_err mark_inbound(hub_store *s, const proto_msg *m, int64_t now, bool *dup)
{
	sqlite3_stmt *st = s->st[ST_INBOUND];
	proto_err err;

	sqlite3_bind_text(st, 1, m->station, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, m->id);
	sqlite3_bind_text(st, 3, proto_msg_type_name(m->type), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	err = step(s, st);
	*dup = !err && sqlite3_changes(s->db) == 0;
	return err;
}

static proto_err seen(hub_store *s, const char *station, int64_t now)
{
	sqlite3_stmt *st = s->st[ST_SEEN];

	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, station, -1, SQLITE_STATIC);
	return step(s, st);
}

proto_err hub_store_report(hub_store *s, const proto_msg *m, int64_t now, bool *dup)
{
	const proto_report *r = &m->u.report;
	sqlite3_stmt *st = s->st[ST_REPORT];
	char item[PROTO_ITEM_ID_MAX];
	proto_err err = mark_inbound(s, m, now, dup);

	if (err || *dup)
		return err;
	proto_item_id(item, m->station, m->id);
	sqlite3_bind_text(st, 1, item, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, m->station, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, m->id);
	sqlite3_bind_text(st, 4, proto_colour_name(r->colour), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, proto_category_name(r->category), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, r->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, r->text, -1, SQLITE_STATIC);
	if (r->reporter_name)
		sqlite3_bind_text(st, 8, r->reporter_name, -1, SQLITE_STATIC);
	if (r->reporter_phone)
		sqlite3_bind_text(st, 9, r->reporter_phone, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 10, r->people);
	sqlite3_bind_int64(st, 11, m->ts);
	sqlite3_bind_int64(st, 12, now);
	err = step(s, st);
	if (!err)
		err = seen(s, m->station, now);
	return err;
}

proto_err hub_store_status(hub_store *s, const proto_msg *m, int64_t now)
{
	const proto_status *p = &m->u.status;
	sqlite3_stmt *st = s->st[ST_STATUS];

	sqlite3_bind_int(st, 1, p->online);
	sqlite3_bind_int64(st, 2, p->session);
	sqlite3_bind_int64(st, 3, now);
	if (p->outbox >= 0)
		sqlite3_bind_int64(st, 4, p->outbox);
	if (p->agent)
		sqlite3_bind_text(st, 5, p->agent, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, m->station, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, p->session);
	return step(s, st);
}
