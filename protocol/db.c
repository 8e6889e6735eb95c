/* SQLite helpers. Every program goes through proto_db_open so that none can
 * forget WAL or FULL sync, which the "nothing lost" promise depends on. */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "protocol/db.h"
#include "protocol/log.h"
#include "protocol/str.h"

proto_err proto_db_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_error("sqlite: %s", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return PROTO_ERR_IO;
	}
	return PROTO_OK;
}

sqlite3_stmt *proto_db_prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_error("sqlite prepare: %s", sqlite3_errmsg(db));
		return NULL;
	}
	return st;
}

void proto_db_reset(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

proto_err proto_db_step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	/* sqlite3_reset reports the step's error again and leaves it as the
	 * connection's: the message below and a caller's look at the error
	 * code after still see it. */
	proto_db_reset(st);
	if (rc != SQLITE_DONE) {
		log_error("sqlite: %s", sqlite3_errmsg(sqlite3_db_handle(st)));
		return PROTO_ERR_IO;
	}
	return PROTO_OK;
}

proto_err proto_db_run(sqlite3_stmt *st)
{
	if (!st)
		return PROTO_ERR_IO;
	return proto_db_finish(st, sqlite3_step(st));
}

proto_err proto_db_finish(sqlite3_stmt *st, int rc)
{
	proto_err err = PROTO_OK;

	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_error("sqlite: %s", sqlite3_errmsg(sqlite3_db_handle(st)));
		err = PROTO_ERR_IO;
	}
	sqlite3_finalize(st);
	return err;
}

int64_t proto_db_int(sqlite3_stmt *st, int64_t fallback)
{
	int64_t v = fallback;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

const char *proto_db_text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t ? (const char *)t : "";
}

void proto_db_copy_text(char *dst, size_t n, sqlite3_stmt *st, int col)
{
	proto_copy(dst, n, proto_db_text(st, col));
}

bool proto_db_first_text(sqlite3_stmt *st, char *out, size_t n)
{
	bool found = st && sqlite3_step(st) == SQLITE_ROW;

	if (found)
		proto_db_copy_text(out, n, st, 0);
	else if (n)
		out[0] = '\0';
	sqlite3_finalize(st);
	return found;
}

/* How long a writer waits for another's write lock, in looks a millisecond
 * apart: about 10 s. */
#define BUSY_LOOKS 10000

/* SQLite's own busy handler looks at the lock less and less often, at last
 * every 100 ms. The hub under load holds its write lock for a few
 * milliseconds at a time, hundreds of times a second, and is without it
 * for well under a millisecond between batches: looking that seldom, a
 * writer beside it (`minqing-hub user`, the clerk's client beside the
 * agent) mostly finds it taken and waits for seconds. Looking every
 * millisecond, it gets in within tens. */
static int busy(void *ud, int looks)
{
	(void)ud;
	if (looks >= BUSY_LOOKS)
		return 0;
	sqlite3_sleep(1);
	return 1;
}

/* WAL is a property of the file, set once. Switching needs the file to
 * itself, and SQLite does not wait on the busy handler for that: two
 * programs opening a new database at once (the clerk's client and the
 * agent) can see "database is locked". So: skip when already WAL, else
 * retry for a while. */
static proto_err set_wal(sqlite3 *db)
{
	for (int attempt = 0; attempt < 200; attempt++) {
		sqlite3_stmt *st = NULL;
		int rc = sqlite3_prepare_v2(db, attempt ? "PRAGMA journal_mode=WAL" :
			"PRAGMA journal_mode", -1, &st, NULL);
		bool wal = false;

		if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			const unsigned char *mode = sqlite3_column_text(st, 0);
			wal = mode && sqlite3_stricmp((const char *)mode, "wal") == 0;
		}
		sqlite3_finalize(st);
		if (wal)
			return PROTO_OK;
		if (rc != SQLITE_ROW && rc != SQLITE_BUSY && rc != SQLITE_LOCKED) {
			log_error("sqlite journal mode: %s", sqlite3_errmsg(db));
			return PROTO_ERR_IO;
		}
		if (attempt)
			sqlite3_sleep(50);
	}
	log_error("sqlite: cannot switch to WAL: %s", sqlite3_errmsg(db));
	return PROTO_ERR_IO;
}

sqlite3 *proto_db_open(const char *path, const char *schema)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
		    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_error("cannot open database %s: %s", path,
			db ? sqlite3_errmsg(db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_handler(db, busy, NULL);
	if (set_wal(db) || proto_db_exec(db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"))
		goto fail;
	if (schema && proto_db_exec(db, schema))
		goto fail;
	return db;
fail:
	sqlite3_close(db);
	return NULL;
}

int proto_db_version(sqlite3 *db)
{
	return (int)proto_db_int(proto_db_prepare(db, "PRAGMA user_version"), -1);
}

proto_err proto_db_migrate(sqlite3 *db, const char *name, const proto_migration *steps,
	int n)
{
	char sql[48];
	int from;

	/* At the version already (every open but the first after an
	 * upgrade): no write lock to wait for, so a program opening beside a
	 * long transaction (`minqing-hub user` beside the hub's commits, a
	 * clerk's `list` beside an `import`) opens at once. The version is set
	 * in the transaction that makes the tables: read current, they are
	 * all there. */
	if (proto_db_version(db) == n)
		return PROTO_OK;
	/* BEGIN IMMEDIATE: a second program opening the same file (the
	 * dashboard's readers, `minqing-hub user`) waits for the steps instead
	 * of reading a half-made schema or racing to make it too. */
	if (proto_db_exec(db, "BEGIN IMMEDIATE"))
		return PROTO_ERR_IO;
	from = proto_db_version(db);
	if (from < 0)
		goto fail;
	if (from > n) {
		log_error("%s: schema version %d is newer than this program's %d; "
			"run the release that made it, or restore a backup", name, from, n);
		proto_db_exec(db, "ROLLBACK");
		return PROTO_ERR_BAD_VERSION;
	}
	for (int v = from; v < n; v++) {
		if (steps[v].sql && proto_db_exec(db, steps[v].sql))
			goto fail;
		if (steps[v].apply && steps[v].apply(db))
			goto fail;
	}
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", n);
	if (from < n && proto_db_exec(db, sql))
		goto fail;
	if (proto_db_exec(db, "COMMIT"))
		goto fail;
	if (from < n)
		log_info("%s: schema version %d to %d", name, from, n);
	return PROTO_OK;
fail:
	log_error("%s: schema not brought from version %d to %d; nothing changed", name,
		from, n);
	proto_db_exec(db, "ROLLBACK");
	return PROTO_ERR_IO;
}

void proto_db_close(sqlite3 *db)
{
	if (db)
		sqlite3_close(db);
}
