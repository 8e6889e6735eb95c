/* SQLite helpers. Every program goes through proto_db_open so that none can
 * forget WAL or FULL sync, which the "nothing lost" promise depends on. */
#include <stddef.h>

#include "protocol/db.h"
#include "protocol/log.h"

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

sqlite3 *proto_db_open(const char *path, const char *schema)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
		    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_error("cannot open database %s: %s", path,
			db ? sqlite3_errmsg(db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(db, 10000);
	if (proto_db_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			      "PRAGMA foreign_keys=ON;"))
		goto fail;
	if (schema && proto_db_exec(db, schema))
		goto fail;
	return db;
fail:
	sqlite3_close(db);
	return NULL;
}

void proto_db_close(sqlite3 *db)
{
	if (db)
		sqlite3_close(db);
}
