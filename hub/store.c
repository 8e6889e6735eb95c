/* The hub store on SQLite: WAL, synchronous=FULL (the running hub hands its
 * syncs to durable.c), statements prepared once.
 * (station, id) in `inbound` is the idempotence key for every message type,
 * so redeliveries and resends after a crash are recognised, never stored
 * twice. */
#include <stdlib.h>
#include <string.h>

#include "hub/store.h"
#include "protocol/db.h"
#include "protocol/log.h"

enum {
	ST_INBOUND, ST_REPORT, ST_SEEN, ST_STATUS, ST_STATION, ST_SAVEPOINT, ST_RELEASE,
	ST_ROLLBACK_TO, ST__COUNT
};

static const char *const sql[ST__COUNT] = {
	[ST_INBOUND] = "INSERT OR IGNORE INTO inbound(station, id, type, received_at) "
		       "VALUES(?, ?, ?, ?)",
	[ST_REPORT] = "INSERT INTO reports(item, station, id, colour, category, title, "
		      "text, reporter, phone, people, created, received_at) "
		      "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	/* A new id below the station's own "settled" mark is a replay: the
	 * station has a receipt for everything below it and never resends. */
	[ST_SEEN] = "UPDATE stations SET last_seen = ?1 "
		    "WHERE code = ?3 AND coalesce(settled, 0) <= ?2",
	[ST_STATUS] = "UPDATE stations SET online = ?1, session = ?2, last_seen = ?3, "
		      "outbox = coalesce(?4, outbox), agent = coalesce(?5, agent), "
		      "settled = max(coalesce(settled, 0), coalesce(?8, 0)) "
		      "WHERE code = ?6 AND session <= ?7",
	[ST_STATION] = "INSERT INTO stations(code, name, lat, lon) VALUES(?, ?, ?, ?) "
		       "ON CONFLICT(code) DO UPDATE SET name = excluded.name, "
		       "lat = excluded.lat, lon = excluded.lon",
	/* Per message: prepared once, not parsed anew each time (9 % of the
	 * hub's CPU under a fleet). */
	[ST_SAVEPOINT] = "SAVEPOINT msg",
	[ST_RELEASE] = "RELEASE msg",
	[ST_ROLLBACK_TO] = "ROLLBACK TO msg",
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS stations("
	"  code TEXT PRIMARY KEY, name TEXT NOT NULL, lat REAL, lon REAL,"
	"  online INTEGER NOT NULL DEFAULT 0,"
	"  session INTEGER NOT NULL DEFAULT 0,"  /* of the last status applied */
	"  last_seen INTEGER,"                    /* Unix ms of the last message */
	"  outbox INTEGER, agent TEXT,"
	"  settled INTEGER);"                     /* station: all ids below receipted */
	"CREATE TABLE IF NOT EXISTS inbound("
	"  station TEXT NOT NULL, id INTEGER NOT NULL, type TEXT NOT NULL,"
	"  received_at INTEGER NOT NULL, PRIMARY KEY(station, id)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS reports("
	"  seq INTEGER PRIMARY KEY,"              /* arrival order at the hub */
	"  item TEXT NOT NULL UNIQUE,"            /* <station>-<id> */
	"  station TEXT NOT NULL, id INTEGER NOT NULL,"
	"  colour TEXT NOT NULL, category TEXT NOT NULL,"
	"  title TEXT NOT NULL, text TEXT NOT NULL,"
	"  reporter BLOB, phone BLOB,"            /* personal data, sealed */
	"  people INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL,"             /* at the station, Unix ms */
	"  received_at INTEGER NOT NULL);"        /* committed at the hub */
	/* reports(station, id) served no query: inbound's key is the
	 * idempotence check. */
	"DROP INDEX IF EXISTS reports_station;";

struct hub_store {
	sqlite3 *db;
	const hub_secret *secret;
	sqlite3_stmt *st[ST__COUNT];
	bool in_batch;
};

hub_store *hub_store_open(const char *path, const hub_secret *secret)
{
	hub_store *s = calloc(1, sizeof *s);

	if (!s)
		return NULL;
	s->secret = secret;
	s->db = proto_db_open(path, schema);
	if (!s->db)
		goto fail;
	/* A county's items and indexes stay in memory: 64 MiB of page cache
	 * instead of SQLite's default 2. Temporary storage in memory too: each
	 * message's savepoint journals the pages it changes, ~20 of them, past
	 * the 64 KiB SQLite keeps in memory, and the rest went to a temporary
	 * file, two pwrites a page (most of the hub's writes, not the WAL);
	 * every write firing the tally's triggers has a statement journal. */
	if (proto_db_exec(s->db, "PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY"))
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

/* Marks the station seen; PROTO_ERR_REPLAY when a new id is below the mark
 * the station itself reported as settled. */
static proto_err advance(hub_store *s, const proto_msg *m, int64_t now)
{
	sqlite3_stmt *st = s->st[ST_SEEN];
	proto_err err;

	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, m->id);
	sqlite3_bind_text(st, 3, m->station, -1, SQLITE_STATIC);
	err = step(s, st);
	if (!err && sqlite3_changes(s->db) == 0)
		err = PROTO_ERR_REPLAY;
	return err;
}

/* Each message is staged under a savepoint, so that a failure half-way
 * (an inbound row written, its report not) leaves nothing behind in the
 * batch: otherwise the resend would be answered "duplicate" for a report
 * that was never stored. */
static proto_err savepoint(hub_store *s)
{
	return step(s, s->st[ST_SAVEPOINT]);
}

static proto_err release(hub_store *s, proto_err err)
{
	if (err)
		step(s, s->st[ST_ROLLBACK_TO]);
	if (step(s, s->st[ST_RELEASE]) && !err)
		err = PROTO_ERR_IO;
	return err;
}

/* Binds the sealed form of a personal field (NULL stays NULL). */
static proto_err bind_sealed(hub_store *s, sqlite3_stmt *st, int col, const char *text)
{
	unsigned char *blob;
	size_t len;

	if (!text)
		return PROTO_OK;
	blob = hub_secret_seal(s->secret, text, &len);
	if (!blob)
		return PROTO_ERR_NOMEM;
	sqlite3_bind_blob(st, col, blob, (int)len, free);
	return PROTO_OK;
}

proto_err hub_store_stage_report(hub_store *s, const proto_msg *m, int64_t now, bool *dup)
{
	const proto_report *r = &m->u.report;
	sqlite3_stmt *st = s->st[ST_REPORT];
	char item[PROTO_ITEM_ID_MAX];
	proto_err err = mark_inbound(s, m, now, dup);

	if (err || *dup)
		return err;
	err = advance(s, m, now);
	if (err)
		return err;
	proto_item_id(item, m->station, m->id);
	sqlite3_bind_text(st, 1, item, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, m->station, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, m->id);
	sqlite3_bind_text(st, 4, proto_colour_name(r->colour), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, proto_category_name(r->category), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, r->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, r->text, -1, SQLITE_STATIC);
	if (bind_sealed(s, st, 8, r->reporter_name) || bind_sealed(s, st, 9, r->reporter_phone)) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return PROTO_ERR_NOMEM;
	}
	sqlite3_bind_int(st, 10, r->people);
	sqlite3_bind_int64(st, 11, m->ts);
	sqlite3_bind_int64(st, 12, now);
	return step(s, st);
}

proto_err hub_store_report(hub_store *s, const proto_msg *m, int64_t now, bool *dup)
{
	proto_err err = savepoint(s);

	if (err)
		return err;
	return release(s, hub_store_stage_report(s, m, now, dup));
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
	if (p->settled > 0)
		sqlite3_bind_int64(st, 8, p->settled);
	sqlite3_bind_text(st, 6, m->station, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, p->session);
	return step(s, st);
}

void hub_store_abandon(hub_store *s)
{
	s->in_batch = false;
}

sqlite3 *hub_store_db(hub_store *s)
{
	return s->db;
}

const hub_secret *hub_store_secret(const hub_store *s)
{
	return s->secret;
}

proto_err hub_store_savepoint(hub_store *s)
{
	return savepoint(s);
}

proto_err hub_store_release(hub_store *s, proto_err err)
{
	return release(s, err);
}

proto_err hub_store_inbound(hub_store *s, const proto_msg *m, int64_t now, bool *dup)
{
	proto_err err = mark_inbound(s, m, now, dup);

	if (!err && !*dup)
		err = advance(s, m, now);
	return err;
}
