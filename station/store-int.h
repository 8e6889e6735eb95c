/* Internals of the station store shared by its files (store.c: opening,
 * meta, outbox; store-inbox.c: inbox and timeline). Not for other modules. */
#ifndef STATION_STORE_INT_H
#define STATION_STORE_INT_H

#include <sqlite3.h>

#include "station/store.h"

struct station_store {
	sqlite3 *db;
	char code[PROTO_CODE_MAX + 1];
	bool in_tx;
};

/* Steps st, calling fn for each outbox row of ENTRY_COLUMNS; finalizes st. */
proto_err station_store__each_entry(station_store *s, sqlite3_stmt *st,
	station_entry_fn fn, void *ud);

#define STATION_ENTRY_COLUMNS \
	"id, type, payload, created, state, attempts, error, field, receipt_at, item"

#endif
