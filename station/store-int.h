/* Internals of the station store shared by its files (store.c: opening,
 * meta, outbox; store-schema.c: the tables and their versions;
 * store-inbox.c: inbox and timeline; store-team.c: the service team). Not
 * for other modules. */
#ifndef STATION_STORE_INT_H
#define STATION_STORE_INT_H

#include <sqlite3.h>

#include "station/store.h"

struct station_store {
	sqlite3 *db;
	char code[PROTO_CODE_MAX + 1];
	bool in_tx;
};

/* Brings the store db (at path, named so in the log) to the schema version
 * this program knows, creating its tables in a new file, in one
 * transaction. Returns PROTO_OK; PROTO_ERR_BAD_VERSION for a store of a
 * newer version, left untouched; PROTO_ERR_IO otherwise. Logged. */
proto_err station_store__migrate(sqlite3 *db, const char *path);

/* Steps st, calling fn for each outbox row of ENTRY_COLUMNS; finalizes st. */
proto_err station_store__each_entry(station_store *s, sqlite3_stmt *st,
	station_entry_fn fn, void *ud);

#define STATION_ENTRY_COLUMNS \
	"id, type, payload, created, state, attempts, error, field, receipt_at, item"

#endif
