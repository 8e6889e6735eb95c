/* Unit tests of protocol/db.c's statement helpers against a real SQLite
 * file in a fresh temporary directory (WAL needs a file): a kept statement
 * starts clean after every run, failed or not, and leaves a full disk
 * visible as SQLITE_FULL (what the hub's rollback looks for); one-use
 * statements are always finalized (the database then closes); columns read
 * as text are never NULL and are cut to fit. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "protocol/clock.h"
#include "protocol/db.h"

#include "check.h"

static const char schema[] =
	"CREATE TABLE t(k TEXT PRIMARY KEY, v TEXT NOT NULL, n TEXT);"
	"CREATE TABLE big(b BLOB);";

static int64_t rows(sqlite3 *db, const char *where)
{
	char sql[128];

	snprintf(sql, sizeof sql, "SELECT count(*) FROM t WHERE %s", where);
	return proto_db_int(proto_db_prepare(db, sql), -1);
}

/* A kept statement: reset and its bindings cleared after each run, so a
 * failed run does not stick and an old binding does not leak into the
 * next. */
static void test_step(sqlite3 *db)
{
	sqlite3_stmt *st = proto_db_prepare(db, "INSERT INTO t(k, v) VALUES(?, ?)");

	CHECK(st != NULL);
	sqlite3_bind_text(st, 1, "a", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, "x", -1, SQLITE_STATIC);
	CHECK_EQ_INT(proto_db_step(st), PROTO_OK);
	CHECK_EQ_INT(rows(db, "k = 'a' AND v = 'x'"), 1);
	/* Only k bound: v would still be 'x' had the bindings stayed. */
	sqlite3_bind_text(st, 1, "b", -1, SQLITE_STATIC);
	CHECK_EQ_INT(proto_db_step(st), PROTO_ERR_IO);
	CHECK_EQ_INT(sqlite3_errcode(db), SQLITE_CONSTRAINT);
	CHECK_EQ_INT(rows(db, "k = 'b'"), 0);
	/* The failure did not stick: the statement runs again. */
	sqlite3_bind_text(st, 1, "b", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, "y", -1, SQLITE_STATIC);
	CHECK_EQ_INT(proto_db_step(st), PROTO_OK);
	CHECK_EQ_INT(rows(db, "k = 'b' AND v = 'y'"), 1);
	/* A statement that returns a row did not run to its end. */
	sqlite3_stmt *q = proto_db_prepare(db, "SELECT 1");
	CHECK_EQ_INT(proto_db_step(q), PROTO_ERR_IO);
	sqlite3_finalize(q);
	sqlite3_finalize(st);
}

/* The disk full, as SQLite sees it when the file may not grow: the step
 * fails and the connection still says SQLITE_FULL after the reset. */
static void test_step_full(sqlite3 *db)
{
	int64_t pages = proto_db_int(proto_db_prepare(db, "PRAGMA page_count"), -1);
	char sql[64];
	sqlite3_stmt *st;
	proto_err err = PROTO_OK;

	CHECK(pages > 0);
	snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", (long long)pages + 2);
	CHECK_EQ_INT(proto_db_exec(db, sql), PROTO_OK);
	CHECK_EQ_INT(proto_db_exec(db, "BEGIN"), PROTO_OK);
	st = proto_db_prepare(db, "INSERT INTO big(b) VALUES(zeroblob(?))");
	CHECK(st != NULL);
	for (int i = 0; i < 16 && !err; i++) {
		sqlite3_bind_int(st, 1, 4096);
		err = proto_db_step(st);
	}
	CHECK_EQ_INT(err, PROTO_ERR_IO);
	CHECK_EQ_INT(sqlite3_extended_errcode(db) & 0xff, SQLITE_FULL);
	sqlite3_finalize(st);
	if (!sqlite3_get_autocommit(db))
		proto_db_exec(db, "ROLLBACK");
	CHECK_EQ_INT(proto_db_exec(db, "PRAGMA max_page_count = 1073741823"), PROTO_OK);
}

/* One-use statements: run and finalized whatever happens. */
static void test_run(sqlite3 *db)
{
	sqlite3_stmt *st;

	/* A prepare that failed (NULL) is an error, not a crash. */
	CHECK_EQ_INT(proto_db_run(proto_db_prepare(db, "INSERT INTO nowhere VALUES(1)")),
		PROTO_ERR_IO);
	st = proto_db_prepare(db, "UPDATE t SET n = ? WHERE k = ?");
	sqlite3_bind_text(st, 1, "note", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, "a", -1, SQLITE_STATIC);
	CHECK_EQ_INT(proto_db_run(st), PROTO_OK);
	CHECK_EQ_INT(sqlite3_changes(db), 1);
	CHECK_EQ_INT(rows(db, "k = 'a' AND n = 'note'"), 1);
	st = proto_db_prepare(db, "INSERT INTO t(k, v) VALUES('a', 'again')");
	CHECK_EQ_INT(proto_db_run(st), PROTO_ERR_IO);
	CHECK_EQ_INT(rows(db, "v = 'again'"), 0);
}

/* A query stepped by its caller: what the last step said decides. */
static void test_finish(sqlite3 *db)
{
	sqlite3_stmt *st = proto_db_prepare(db, "SELECT k FROM t ORDER BY k");
	int rc, n = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		n++;
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(proto_db_finish(st, rc), PROTO_OK);
	/* Stopped at a row by the caller: still well. */
	st = proto_db_prepare(db, "SELECT k FROM t ORDER BY k");
	CHECK_EQ_INT(proto_db_finish(st, sqlite3_step(st)), PROTO_OK);
	st = proto_db_prepare(db, "SELECT k FROM t");
	CHECK_EQ_INT(proto_db_finish(st, SQLITE_IOERR), PROTO_ERR_IO);
}

static void test_int(sqlite3 *db)
{
	CHECK_EQ_INT(proto_db_int(proto_db_prepare(db, "SELECT count(*) FROM t"), -1), 2);
	CHECK_EQ_INT(proto_db_int(proto_db_prepare(db, "SELECT 7 WHERE 0"), -1), -1);
	CHECK_EQ_INT(proto_db_int(NULL, 42), 42);
	CHECK_EQ_INT(proto_db_int(proto_db_prepare(db, "SELECT 1 << 40"), 0),
		INT64_C(1) << 40);
}

/* A kept query left at a row: readied again, it holds no old binding. */
static void test_reset(sqlite3 *db)
{
	sqlite3_stmt *st = proto_db_prepare(db, "SELECT v FROM t WHERE k = ?");

	sqlite3_bind_text(st, 1, "a", -1, SQLITE_STATIC);
	CHECK_EQ_INT(sqlite3_step(st), SQLITE_ROW);
	CHECK_STR(proto_db_text(st, 0), "x");
	proto_db_reset(st);
	CHECK_EQ_INT(sqlite3_step(st), SQLITE_DONE); /* k = NULL: no row */
	proto_db_reset(st);
	sqlite3_bind_text(st, 1, "b", -1, SQLITE_STATIC);
	CHECK_EQ_INT(sqlite3_step(st), SQLITE_ROW);
	CHECK_STR(proto_db_text(st, 0), "y");
	sqlite3_finalize(st);
}

static void test_first_text(sqlite3 *db)
{
	char out[8] = "old";

	CHECK(proto_db_first_text(proto_db_prepare(db, "SELECT v FROM t WHERE k = 'a'"),
		out, sizeof out));
	CHECK_STR(out, "x");
	CHECK(proto_db_first_text(proto_db_prepare(db, "SELECT n FROM t WHERE k = 'b'"),
		out, sizeof out));
	CHECK_STR(out, ""); /* a row whose column is NULL */
	snprintf(out, sizeof out, "old");
	CHECK(!proto_db_first_text(proto_db_prepare(db, "SELECT v FROM t WHERE 0"),
		out, sizeof out));
	CHECK_STR(out, "");
	snprintf(out, sizeof out, "old");
	CHECK(!proto_db_first_text(NULL, out, sizeof out));
	CHECK_STR(out, "");
	CHECK(proto_db_first_text(proto_db_prepare(db, "SELECT 'abcdefghij'"), out,
		sizeof out));
	CHECK_STR(out, "abcdefg");
}

static void test_text(sqlite3 *db)
{
	sqlite3_stmt *st = proto_db_prepare(db,
		"SELECT k, v, n, 'abcdefghij', '县民情' FROM t WHERE k = 'b'");
	char buf[4], wide[32];

	CHECK_EQ_INT(sqlite3_step(st), SQLITE_ROW);
	CHECK_STR(proto_db_text(st, 0), "b");
	CHECK_STR(proto_db_text(st, 2), ""); /* NULL */
	proto_db_copy_text(buf, sizeof buf, st, 1);
	CHECK_STR(buf, "y");
	proto_db_copy_text(buf, sizeof buf, st, 2);
	CHECK_STR(buf, "");
	proto_db_copy_text(buf, sizeof buf, st, 3);
	CHECK_STR(buf, "abc");
	proto_db_copy_text(wide, sizeof wide, st, 4);
	CHECK_STR(wide, "县民情");
	sqlite3_finalize(st);
}

static int applied;

static proto_err apply_count(sqlite3 *db)
{
	(void)db;
	applied++;
	return PROTO_OK;
}

/* Steps run once each, from the version the database is at; a step that
 * fails leaves it as it was; a newer database is refused. */
static void test_migrate(const char *dir)
{
	char path[600];
	sqlite3 *db;
	const proto_migration v2[] = {
		{ "CREATE TABLE IF NOT EXISTS m(a INTEGER);", apply_count },
		{ "ALTER TABLE m ADD COLUMN b TEXT;", NULL },
	};
	const proto_migration v3[] = {
		v2[0], v2[1],
		{ "INSERT INTO m VALUES(1, 'x'); ALTER TABLE m ADD COLUMN a TEXT;", NULL },
	};

	snprintf(path, sizeof path, "%s/migrate.db", dir);
	db = proto_db_open(path, NULL);
	CHECK(db != NULL);
	if (!db)
		return;
	CHECK_EQ_INT(proto_db_version(db), 0);
	/* Before the versions: the table exists already, as an old release left it. */
	CHECK_EQ_INT(proto_db_exec(db, "CREATE TABLE m(a INTEGER); INSERT INTO m VALUES(7);"),
		PROTO_OK);
	CHECK_EQ_INT(proto_db_migrate(db, "test.db", v2, 2), PROTO_OK);
	CHECK_EQ_INT(proto_db_version(db), 2);
	CHECK_EQ_INT(applied, 1);
	CHECK_EQ_INT(proto_db_int(proto_db_prepare(db, "SELECT a FROM m WHERE b IS NULL"), -1),
		7);
	/* Again: nothing to do, nothing run. */
	CHECK_EQ_INT(proto_db_migrate(db, "test.db", v2, 2), PROTO_OK);
	CHECK_EQ_INT(applied, 1);
	/* At the version, no write lock is taken: another program's long
	 * transaction (the hub committing beside `minqing-hub user`) does not
	 * hold the open up. */
	sqlite3 *other = proto_db_open(path, NULL);
	CHECK(other != NULL);
	if (other) {
		CHECK_EQ_INT(proto_db_exec(other, "BEGIN IMMEDIATE"), PROTO_OK);
		int64_t t0 = proto_mono_ms();
		CHECK_EQ_INT(proto_db_migrate(db, "test.db", v2, 2), PROTO_OK);
		CHECK(proto_mono_ms() - t0 < 1000);
		CHECK_EQ_INT(sqlite3_get_autocommit(db), 1);
		CHECK_EQ_INT(proto_db_exec(other, "COMMIT"), PROTO_OK);
		CHECK_EQ_INT(sqlite3_close(other), SQLITE_OK);
	}
	/* A step that fails (a column twice) undoes its own insert too. */
	CHECK_EQ_INT(proto_db_migrate(db, "test.db", v3, 3), PROTO_ERR_IO);
	CHECK_EQ_INT(proto_db_version(db), 2);
	CHECK_EQ_INT(proto_db_int(proto_db_prepare(db, "SELECT count(*) FROM m"), -1), 1);
	/* A database a newer release made is refused, and left alone. */
	CHECK_EQ_INT(proto_db_exec(db, "PRAGMA user_version = 9"), PROTO_OK);
	CHECK_EQ_INT(proto_db_migrate(db, "test.db", v2, 2), PROTO_ERR_BAD_VERSION);
	CHECK_EQ_INT(proto_db_version(db), 9);
	CHECK_EQ_INT(sqlite3_get_autocommit(db), 1);
	CHECK_EQ_INT(sqlite3_close(db), SQLITE_OK);
	unlink(path);
	snprintf(path, sizeof path, "%s/migrate.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/migrate.db-shm", dir);
	unlink(path);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[512], path[600], side[620];
	sqlite3 *db;

	snprintf(dir, sizeof dir, "%s/minqing-db-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof path, "%s/test.db", dir);
	db = proto_db_open(path, schema);
	CHECK(db != NULL);
	if (db) {
		test_step(db);
		test_step_full(db);
		test_run(db);
		test_finish(db);
		test_int(db);
		test_reset(db);
		test_first_text(db);
		test_text(db);
		/* Every statement above was finalized: close does not refuse. */
		CHECK_EQ_INT(sqlite3_close(db), SQLITE_OK);
	}
	test_migrate(dir);
	unlink(path);
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
	rmdir(dir);
	return check_finish();
}
