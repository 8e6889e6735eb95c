/* The station store. Message ids are max(last id + 1, now in ms), taken
 * under an immediate transaction: unique and increasing per station even
 * when the client and the agent write at once, and still increasing after
 * the store is wiped and recreated (the clock moved on), so the hub never
 * mistakes a new report for a duplicate of an old one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/clock.h"
#include "protocol/db.h"
#include "protocol/log.h"
#include "station/store.h"

struct station_store {
	sqlite3 *db;
	char code[PROTO_CODE_MAX + 1];
	bool in_tx;
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS meta("
	"  key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS outbox("
	"  id INTEGER PRIMARY KEY,"            /* message id */
	"  type TEXT NOT NULL,"                /* report | action */
	"  payload TEXT NOT NULL,"             /* JSON exactly as published */
	"  created INTEGER NOT NULL,"          /* Unix ms */
	"  state TEXT NOT NULL DEFAULT 'queued',"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  receipt_at INTEGER, error TEXT, field TEXT, item TEXT);"
	"CREATE INDEX IF NOT EXISTS outbox_queued ON outbox(id) WHERE state = 'queued';";

static proto_err meta_get(station_store *s, const char *key, char *out, size_t n)
{
	sqlite3_stmt *st = proto_db_prepare(s->db, "SELECT value FROM meta WHERE key = ?");
	proto_err err = PROTO_ERR_NOT_FOUND;

	if (!st)
		return PROTO_ERR_IO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
		err = PROTO_OK;
	}
	sqlite3_finalize(st);
	return err;
}

static proto_err meta_set(station_store *s, const char *key, const char *value)
{
	sqlite3_stmt *st = proto_db_prepare(s->db,
		"INSERT INTO meta(key, value) VALUES(?, ?) "
		"ON CONFLICT(key) DO UPDATE SET value = excluded.value");
	proto_err err = PROTO_ERR_IO;

	if (!st)
		return PROTO_ERR_IO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_DONE)
		err = PROTO_OK;
	else
		log_error("sqlite: %s", sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return err;
}

station_store *station_store_open(const char *dir, const char *code)
{
	station_store *s = calloc(1, sizeof *s);
	char path[4096], known[PROTO_CODE_MAX + 1];

	if (!s)
		return NULL;
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, STATION_DB_NAME) >=
	    sizeof path) {
		log_error("data directory path too long");
		goto fail;
	}
	s->db = proto_db_open(path, schema);
	if (!s->db)
		goto fail;
	proto_err err = meta_get(s, "code", known, sizeof known);
	if (err == PROTO_OK) {
		if (code && strcmp(code, known) != 0) {
			log_error("data directory belongs to station %s, not %s", known, code);
			goto fail;
		}
		snprintf(s->code, sizeof s->code, "%s", known);
	} else if (err == PROTO_ERR_NOT_FOUND && code) {
		if (!proto_code_valid(code)) {
			log_error("'%s' is not a station code", code);
			goto fail;
		}
		if (meta_set(s, "code", code))
			goto fail;
		snprintf(s->code, sizeof s->code, "%s", code);
	} else {
		if (err == PROTO_ERR_NOT_FOUND)
			log_error("%s has no station yet: give the station code", dir);
		goto fail;
	}
	return s;
fail:
	station_store_close(s);
	return NULL;
}

void station_store_close(station_store *s)
{
	if (!s)
		return;
	proto_db_close(s->db);
	free(s);
}

const char *station_store_code(const station_store *s)
{
	return s->code;
}

proto_err station_store_begin(station_store *s)
{
	if (s->in_tx)
		return PROTO_OK;
	if (proto_db_exec(s->db, "BEGIN IMMEDIATE"))
		return PROTO_ERR_IO;
	s->in_tx = true;
	return PROTO_OK;
}

proto_err station_store_commit(station_store *s)
{
	if (!s->in_tx)
		return PROTO_OK;
	s->in_tx = false;
	if (proto_db_exec(s->db, "COMMIT")) {
		proto_db_exec(s->db, "ROLLBACK");
		return PROTO_ERR_IO;
	}
	return PROTO_OK;
}

/* Advances the counter meta[key] to max(last + 1, now in ms), inside the
 * caller's immediate transaction. */
static proto_err next_counter(station_store *s, const char *key, int64_t *value)
{
	char text[32];
	int64_t last = 0, now = proto_now_ms();
	proto_err err = meta_get(s, key, text, sizeof text);

	if (err == PROTO_OK)
		last = strtoll(text, NULL, 10);
	else if (err != PROTO_ERR_NOT_FOUND)
		return err;
	*value = now > last ? now : last + 1;
	snprintf(text, sizeof text, "%lld", (long long)*value);
	return meta_set(s, key, text);
}

int64_t station_store_next_session(station_store *s)
{
	int64_t session = 0;
	bool own = !s->in_tx;

	if (own && station_store_begin(s))
		return 0;
	if (next_counter(s, "last_session", &session))
		session = 0;
	if (own && station_store_commit(s))
		session = 0;
	return session;
}

proto_err station_store_add_report(station_store *s, const proto_report *r,
	int64_t *id, char field[PROTO_FIELD_MAX])
{
	proto_msg msg = {.v = PROTO_VERSION, .type = PROTO_MSG_REPORT};
	proto_msg check;
	sqlite3_stmt *st = NULL;
	char *json = NULL;
	proto_err err;

	field[0] = '\0';
	msg.u.report = *r;
	snprintf(msg.station, sizeof msg.station, "%s", s->code);
	msg.ts = proto_now_ms();
	err = station_store_begin(s);
	if (err)
		return err;
	err = next_counter(s, "last_id", &msg.id);
	if (err)
		goto fail;
	json = proto_msg_encode(&msg);
	if (!json) {
		err = PROTO_ERR_BAD_VALUE;
		goto fail;
	}
	/* The hub's own decoder is the validation: what is queued here will not
	 * come back rejected for its form. */
	err = proto_msg_decode(json, strlen(json), &check, field);
	proto_msg_clear(&check);
	if (err)
		goto fail;
	st = proto_db_prepare(s->db,
		"INSERT INTO outbox(id, type, payload, created) VALUES(?, 'report', ?, ?)");
	if (!st) {
		err = PROTO_ERR_IO;
		goto fail;
	}
	sqlite3_bind_int64(st, 1, msg.id);
	sqlite3_bind_text(st, 2, json, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, msg.ts);
	if (sqlite3_step(st) != SQLITE_DONE) {
		log_error("sqlite: %s", sqlite3_errmsg(s->db));
		err = PROTO_ERR_IO;
		goto fail;
	}
	sqlite3_finalize(st);
	free(json);
	*id = msg.id;
	return station_store_commit(s);
fail:
	sqlite3_finalize(st);
	free(json);
	s->in_tx = false;
	proto_db_exec(s->db, "ROLLBACK");
	return err;
}

static proto_err each_row(station_store *s, sqlite3_stmt *st, station_entry_fn fn,
	void *ud)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		station_entry e = {
			.id = sqlite3_column_int64(st, 0),
			.type = (const char *)sqlite3_column_text(st, 1),
			.payload = (const char *)sqlite3_column_text(st, 2),
			.created = sqlite3_column_int64(st, 3),
			.state = (const char *)sqlite3_column_text(st, 4),
			.attempts = sqlite3_column_int64(st, 5),
			.error = (const char *)sqlite3_column_text(st, 6),
			.field = (const char *)sqlite3_column_text(st, 7),
		};
		if (fn(ud, &e))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_error("sqlite: %s", sqlite3_errmsg(s->db));
		sqlite3_finalize(st);
		return PROTO_ERR_IO;
	}
	sqlite3_finalize(st);
	return PROTO_OK;
}

#define ENTRY_COLUMNS "id, type, payload, created, state, attempts, error, field"

proto_err station_store_queued(station_store *s, int64_t after, int limit,
	station_entry_fn fn, void *ud)
{
	sqlite3_stmt *st = proto_db_prepare(s->db, "SELECT " ENTRY_COLUMNS
		" FROM outbox WHERE state = 'queued' AND id > ? ORDER BY id LIMIT ?");

	if (!st)
		return PROTO_ERR_IO;
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int(st, 2, limit);
	return each_row(s, st, fn, ud);
}

proto_err station_store_each(station_store *s, const char *type,
	station_entry_fn fn, void *ud)
{
	sqlite3_stmt *st = proto_db_prepare(s->db, "SELECT " ENTRY_COLUMNS
		" FROM outbox WHERE ?1 IS NULL OR type = ?1 ORDER BY id");

	if (!st)
		return PROTO_ERR_IO;
	sqlite3_bind_text(st, 1, type, -1, SQLITE_STATIC);
	return each_row(s, st, fn, ud);
}

proto_err station_store_receipt(station_store *s, const proto_receipt *rc)
{
	sqlite3_stmt *st = proto_db_prepare(s->db,
		"UPDATE outbox SET state = ?, receipt_at = ?, error = ?, field = ?, "
		"item = ? WHERE id = ? AND state = 'queued'");
	bool rejected = rc->status == PROTO_RECEIPT_REJECTED;
	proto_err err = PROTO_OK;

	if (!st)
		return PROTO_ERR_IO;
	sqlite3_bind_text(st, 1, proto_receipt_status_name(rc->status), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, proto_now_ms());
	if (rejected) {
		sqlite3_bind_text(st, 3, proto_err_name(rc->error), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, rc->field, -1, SQLITE_STATIC);
	}
	if (rc->item[0])
		sqlite3_bind_text(st, 5, rc->item, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, rc->ref);
	if (sqlite3_step(st) != SQLITE_DONE) {
		log_error("sqlite: %s", sqlite3_errmsg(s->db));
		err = PROTO_ERR_IO;
	}
	sqlite3_finalize(st);
	return err;
}

proto_err station_store_attempted(station_store *s, int64_t id)
{
	sqlite3_stmt *st = proto_db_prepare(s->db,
		"UPDATE outbox SET attempts = attempts + 1 WHERE id = ?");
	proto_err err = PROTO_OK;

	if (!st)
		return PROTO_ERR_IO;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		err = PROTO_ERR_IO;
	sqlite3_finalize(st);
	return err;
}

int64_t station_store_depth(station_store *s)
{
	sqlite3_stmt *st = proto_db_prepare(s->db,
		"SELECT count(*) FROM outbox WHERE state = 'queued'");
	int64_t n = -1;

	if (!st)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

int64_t station_store_settled(station_store *s)
{
	sqlite3_stmt *st = proto_db_prepare(s->db,
		"SELECT coalesce((SELECT min(id) FROM outbox WHERE state = 'queued'),"
		" (SELECT CAST(value AS INTEGER) + 1 FROM meta WHERE key = 'last_id'), 1)");
	int64_t id = 0;

	if (!st)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return id;
}
