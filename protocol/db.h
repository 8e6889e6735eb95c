/* SQLite conventions shared by the station store and the hub store: WAL,
 * synchronous=FULL (survives power loss), a busy handler that lets a
 * second writer in promptly (the clerk's client beside the agent, `minqing-hub
 * user` beside the hub), and errors logged once here. */
#ifndef PROTO_DB_H
#define PROTO_DB_H

#include <sqlite3.h>

#include "protocol/error.h"

/* Opens (creating) a database with the project's pragmas and runs schema
 * (may be NULL). Returns NULL on failure, logged. */
sqlite3 *proto_db_open(const char *path, const char *schema);

/* Runs SQL without results (BEGIN, COMMIT, schema); logs failures. */
proto_err proto_db_exec(sqlite3 *db, const char *sql);

/* Prepares a statement, logging failures; NULL on error. */
sqlite3_stmt *proto_db_prepare(sqlite3 *db, const char *sql);

/* Closes the database, accepting NULL. */
void proto_db_close(sqlite3 *db);

#endif
