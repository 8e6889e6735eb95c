/* The schema of hub.db, every table of it in one place (hub/schema.c), and
 * its versions (PRAGMA user_version), each a step of proto_db_migrate:
 *
 *   version  what it brings
 *   0        a database of before the versions: its tables made by the
 *            release that wrote it, some columns maybe missing
 *   1        the tables as of the first versioned release: stations,
 *            inbound, reports (hub/store.c); items, events, downbox,
 *            members, team_sent, alerts, weather, hub_meta (the closed
 *            workflow); tally (hub/tally.c); users (dashboard/users.c)
 *   2        items_period: the reads of a scope's items by period (the
 *            wall's /api/stats)
 *
 * Who reads and writes each table stays with its module; only its shape
 * is said here. */
#ifndef HUB_SCHEMA_H
#define HUB_SCHEMA_H

#include <sqlite3.h>

#include "protocol/error.h"

/* The version this program writes. */
#define HUB_SCHEMA_VERSION 2

/* The open red and orange items, as the partial index items_urgent_by
 * states it: a query must say it in these words for SQLite to use the
 * index. ORs, not IN lists: SQLite checks a partial index's condition on
 * every write of a row, and an IN list costs a throwaway table each time. */
#define HUB_URGENT_WHERE "(state = 'reported' OR state = 'signed' OR " \
	"state = 'assigned') AND (colour = 'red' OR colour = 'orange')"

/* The tally's table, one row per reporting station, its columns after
 * origin and collected in the order of hub/tally.h's parts (tally.c names
 * them so). hub/tally.c makes it afresh, with this, when its counts must
 * be counted again. Its rows are counts derived from the items: a later
 * shape may change this text (version 1's too), as tally.c counts a table
 * of any other shape afresh. */
#define HUB_SCHEMA_TALLY "CREATE TABLE IF NOT EXISTS tally(" \
	"origin TEXT PRIMARY KEY, collected INTEGER NOT NULL, " \
	"open_blue INTEGER NOT NULL, open_orange INTEGER NOT NULL, " \
	"open_red INTEGER NOT NULL, signed_for INTEGER NOT NULL, " \
	"signed_on_time INTEGER NOT NULL, resolved INTEGER NOT NULL, " \
	"resolved_on_time INTEGER NOT NULL, solved INTEGER NOT NULL, " \
	"mediated INTEGER NOT NULL, visit_due INTEGER NOT NULL, " \
	"visited INTEGER NOT NULL, rated INTEGER NOT NULL, " \
	"satisfied INTEGER NOT NULL, escalated INTEGER NOT NULL, " \
	"hand_blue INTEGER NOT NULL, hand_orange INTEGER NOT NULL, " \
	"hand_red INTEGER NOT NULL, late_orange INTEGER NOT NULL) WITHOUT ROWID;"

/* Brings the open database db (path: its name in the log) to
 * HUB_SCHEMA_VERSION in one transaction, from any older version,
 * including a database of before the versions (0) without loss. Returns
 * PROTO_OK when it is there; PROTO_ERR_BAD_VERSION, logged and the file
 * left as it was, for a database of a newer release; PROTO_ERR_IO,
 * logged, when a step fails (nothing changed). */
proto_err hub_schema_migrate(sqlite3 *db, const char *path);

#endif
