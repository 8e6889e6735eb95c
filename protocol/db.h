/* SQLite conventions shared by the station store, the hub store and the
 * dashboard: WAL, synchronous=FULL (survives power loss), a busy handler that
 * lets a second writer in promptly (the clerk's client beside the agent,
 * `minqing-hub user` beside the hub), and the few ways every module runs a
 * statement and reads a column, with errors logged once here. */
#ifndef PROTO_DB_H
#define PROTO_DB_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/error.h"

/* Opens (creating) a database with the project's pragmas and runs schema
 * (may be NULL). Returns NULL on failure, logged. */
sqlite3 *proto_db_open(const char *path, const char *schema);

/* Runs SQL without results (BEGIN, COMMIT, schema); logs failures. */
proto_err proto_db_exec(sqlite3 *db, const char *sql);

/* Prepares a statement, logging failures; NULL on error. */
sqlite3_stmt *proto_db_prepare(sqlite3 *db, const char *sql);

/* Readies a kept statement for its next use, whatever its last step said:
 * reset, its bindings cleared (NULL), so that no value of one use is taken
 * for the next's. The connection's error code is left as the step left it. */
void proto_db_reset(sqlite3_stmt *st);

/* Runs a kept statement (one prepared once and run many times, as the hub's
 * are) that returns no rows, then resets it and clears its bindings, so the
 * next use starts clean whatever happened. Returns PROTO_OK when it ran to
 * the end (SQLITE_DONE), else PROTO_ERR_IO, logged. On error the
 * connection's error code stays as the step left it: a caller that then
 * rolls back can still tell a full disk (SQLITE_FULL, hub_store_rollback)
 * from another failure. */
proto_err proto_db_step(sqlite3_stmt *st);

/* Runs a statement made for one use (proto_db_prepare, then bound) that
 * changes rows (INSERT, UPDATE, DELETE), and finalizes it. st may be NULL,
 * a prepare that failed (logged there): PROTO_ERR_IO. Returns PROTO_OK when
 * it ran (a first row, should it return any, is dropped), else
 * PROTO_ERR_IO, logged. sqlite3_changes() of the connection still tells the
 * rows it changed. */
proto_err proto_db_run(sqlite3_stmt *st);

/* Finalizes a statement whose rows were stepped through until rc (the last
 * sqlite3_step result). Returns PROTO_OK when rc says it ended well (a row
 * the caller stopped at, or done), else PROTO_ERR_IO, logged. */
proto_err proto_db_finish(sqlite3_stmt *st, int rc);

/* Runs a statement made for one use whose first row's first column is a
 * number (count(*), PRAGMA user_version), and finalizes it. Returns that
 * number, or fallback when st is NULL, there is no row or the step fails;
 * nothing is logged (an operator's command may ask a database that lacks
 * the table). */
int64_t proto_db_int(sqlite3_stmt *st, int64_t fallback);

/* Runs a statement made for one use (proto_db_prepare, then bound) and
 * copies its first row's first column into out of size n (> 0), as
 * proto_db_copy_text does; out is "" when there is no row. Finalizes st.
 * Returns true when there was a row; false too when st is NULL (a prepare
 * that failed) or the step fails, which is not logged. */
bool proto_db_first_text(sqlite3_stmt *st, char *out, size_t n);

/* The text of column col of the current row: "" for NULL, never NULL
 * itself. Valid until the statement steps, resets or is finalized. */
const char *proto_db_text(sqlite3_stmt *st, int col);

/* Copies column col of the current row into dst of size n (> 0): "" for
 * NULL, cut to fit and always terminated. */
void proto_db_copy_text(char *dst, size_t n, sqlite3_stmt *st, int col);

/* One step of a database's schema, from version v to v + 1 (v being its
 * index in the list given to proto_db_migrate). sql runs first (may be
 * NULL), then apply (may be NULL) for what SQL alone cannot say, such as a
 * column added only where it is missing. Version 1 of every schema is
 * written so that it also takes a database of before the versions
 * (user_version 0, its tables already made) to version 1: CREATE ... IF NOT
 * EXISTS, and columns added where they lack. */
typedef struct proto_migration {
	const char *sql;
	proto_err (*apply)(sqlite3 *db);
} proto_migration;

/* Brings the database to version n (PRAGMA user_version) by running steps
 * [user_version, n) in one transaction, so a step that fails leaves the
 * database as it was. A database at version n is only read: no write
 * lock is taken. name says which database in the log ("hub.db").
 * Refuses (PROTO_ERR_BAD_VERSION, logged) a database of a newer version than n:
 * an older program must not write tables it does not know. Returns
 * PROTO_OK when the database is at version n, else PROTO_ERR_IO, logged. */
proto_err proto_db_migrate(sqlite3 *db, const char *name, const proto_migration *steps,
	int n);

/* The database's schema version (PRAGMA user_version), -1 when unreadable. */
int proto_db_version(sqlite3 *db);

/* Closes the database, accepting NULL. */
void proto_db_close(sqlite3 *db);

#endif
