/* The station store: opening (its tables and their versions are
 * store-schema.c's), meta, the outbox and the link. Message ids are
 * max(last id + 1, now in ms), taken under an immediate transaction: unique
 * and increasing per station even when the client and the agent write at
 * once, and still increasing after the store is wiped and recreated (the
 * clock moved on), so the hub never mistakes a new report for a duplicate
 * of an old one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/clock.h"
#include "protocol/db.h"
#include "protocol/log.h"
#include "station/store-int.h"

static proto_err meta_get(station_store *s, const char *key, char *out, size_t n)
{
	sqlite3_stmt *st = proto_db_prepare(s->db, "SELECT value FROM meta WHERE key = ?");

	if (!st)
		return PROTO_ERR_IO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	return proto_db_first_text(st, out, n) ? PROTO_OK : PROTO_ERR_NOT_FOUND;
}

static proto_err meta_set(station_store *s, const char *key, const char *value)
{
	sqlite3_stmt *st = proto_db_prepare(s->db,
		"INSERT INTO meta(key, value) VALUES(?, ?) "
		"ON CONFLICT(key) DO UPDATE SET value = excluded.value");

	if (!st)
		return PROTO_ERR_IO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	return proto_db_run(st);
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
	s->db = proto_db_open(path, NULL);
	if (!s->db || station_store__migrate(s->db, path))
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

/* Numbers, validates and queues one up message of type in one transaction,
 * or in the caller's when one is open (the caller then commits, or rolls
 * back on an error). */
static proto_err add_message(station_store *s, proto_msg *msg, int64_t *id,
	char field[PROTO_FIELD_MAX])
{
	proto_msg check;
	sqlite3_stmt *st = NULL;
	char *json = NULL;
	proto_err err;
	bool own = !s->in_tx;

	field[0] = '\0';
	snprintf(msg->station, sizeof msg->station, "%s", s->code);
	msg->v = PROTO_VERSION;
	msg->ts = proto_now_ms();
	err = station_store_begin(s);
	if (err)
		return err;
	err = next_counter(s, "last_id", &msg->id);
	if (err)
		goto fail;
	json = proto_msg_encode(msg);
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
		"INSERT INTO outbox(id, type, payload, created) VALUES(?, ?, ?, ?)");
	if (!st) {
		err = PROTO_ERR_IO;
		goto fail;
	}
	sqlite3_bind_int64(st, 1, msg->id);
	sqlite3_bind_text(st, 2, proto_msg_type_name(msg->type), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, json, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, msg->ts);
	err = proto_db_run(st);
	st = NULL;
	if (err)
		goto fail;
	free(json);
	*id = msg->id;
	return own ? station_store_commit(s) : PROTO_OK;
fail:
	sqlite3_finalize(st);
	free(json);
	if (own)
		station_store_rollback(s);
	return err;
}

void station_store_rollback(station_store *s)
{
	if (!s->in_tx)
		return;
	s->in_tx = false;
	proto_db_exec(s->db, "ROLLBACK");
}

proto_err station_store_add_report(station_store *s, const proto_report *r,
	int64_t *id, char field[PROTO_FIELD_MAX])
{
	proto_msg msg = {.type = PROTO_MSG_REPORT};

	msg.u.report = *r;
	return add_message(s, &msg, id, field);
}

proto_err station_store_add_action(station_store *s, const proto_action *act,
	int64_t *id, char field[PROTO_FIELD_MAX])
{
	proto_msg msg = {.type = PROTO_MSG_ACTION};

	msg.u.action = *act;
	return add_message(s, &msg, id, field);
}

proto_err station_store__each_entry(station_store *s, sqlite3_stmt *st,
	station_entry_fn fn, void *ud)
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
			.receipt_at = sqlite3_column_int64(st, 8),
			.item = (const char *)sqlite3_column_text(st, 9),
		};
		if (fn(ud, &e))
			break;
	}
	return proto_db_finish(st, rc);
}

proto_err station_store_queued(station_store *s, int64_t after, int limit,
	station_entry_fn fn, void *ud)
{
	sqlite3_stmt *st = proto_db_prepare(s->db, "SELECT " STATION_ENTRY_COLUMNS
		" FROM outbox WHERE state = 'queued' AND id > ? ORDER BY id LIMIT ?");

	if (!st)
		return PROTO_ERR_IO;
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int(st, 2, limit);
	return station_store__each_entry(s, st, fn, ud);
}

proto_err station_store_each(station_store *s, const char *type,
	station_entry_fn fn, void *ud)
{
	sqlite3_stmt *st = proto_db_prepare(s->db, "SELECT " STATION_ENTRY_COLUMNS
		" FROM outbox WHERE ?1 IS NULL OR type = ?1 ORDER BY id");

	if (!st)
		return PROTO_ERR_IO;
	sqlite3_bind_text(st, 1, type, -1, SQLITE_STATIC);
	return station_store__each_entry(s, st, fn, ud);
}

proto_err station_store_receipt(station_store *s, const proto_receipt *rc)
{
	sqlite3_stmt *st = proto_db_prepare(s->db,
		"UPDATE outbox SET state = ?, receipt_at = ?, error = ?, field = ?, "
		"item = ? WHERE id = ? AND state = 'queued'");
	bool rejected = rc->status == PROTO_RECEIPT_REJECTED;

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
	return proto_db_run(st);
}

proto_err station_store_attempted(station_store *s, int64_t id)
{
	sqlite3_stmt *st = proto_db_prepare(s->db,
		"UPDATE outbox SET attempts = attempts + 1 WHERE id = ?");

	if (!st)
		return PROTO_ERR_IO;
	sqlite3_bind_int64(st, 1, id);
	return proto_db_run(st);
}

int64_t station_store_depth(station_store *s)
{
	return proto_db_int(proto_db_prepare(s->db,
		"SELECT count(*) FROM outbox WHERE state = 'queued'"), -1);
}

int64_t station_store_settled(station_store *s)
{
	return proto_db_int(proto_db_prepare(s->db,
		"SELECT coalesce((SELECT min(id) FROM outbox WHERE state = 'queued'),"
		" (SELECT CAST(value AS INTEGER) + 1 FROM meta WHERE key = 'last_id'), 1)"), 0);
}

/* ------------------------------------------------------------ link */

static const char *const link_names[] = {"unknown", "down", "up", "hub_offline"};

proto_err station_store_set_link(station_store *s, station_link_state state,
	int64_t contact)
{
	char text[32], known[32];
	proto_err err = PROTO_OK;

	if (meta_get(s, "link", known, sizeof known) != PROTO_OK ||
	    strcmp(known, link_names[state]) != 0) {
		snprintf(text, sizeof text, "%lld", (long long)proto_now_ms());
		err = meta_set(s, "link", link_names[state]);
		if (!err)
			err = meta_set(s, "link_changed", text);
	}
	if (!err && contact > 0) {
		snprintf(text, sizeof text, "%lld", (long long)contact);
		err = meta_set(s, "contact", text);
	}
	return err;
}

proto_err station_store_link(station_store *s, station_link *out)
{
	char text[32];
	proto_err err;

	memset(out, 0, sizeof *out);
	err = meta_get(s, "link", text, sizeof text);
	if (err == PROTO_ERR_NOT_FOUND)
		return PROTO_OK;
	if (err)
		return err;
	for (size_t i = 0; i < sizeof link_names / sizeof link_names[0]; i++)
		if (strcmp(text, link_names[i]) == 0)
			out->state = (station_link_state)i;
	if (meta_get(s, "link_changed", text, sizeof text) == PROTO_OK)
		out->changed = strtoll(text, NULL, 10);
	if (meta_get(s, "contact", text, sizeof text) == PROTO_OK)
		out->contact = strtoll(text, NULL, 10);
	return PROTO_OK;
}
