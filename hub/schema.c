/* The schema of hub.db (hub/schema.h): every table the hub, its closed
 * workflow, its tally and the dashboard's accounts keep there, and the steps
 * from each version to the next. Version 1 is the schema as the releases
 * before the versions left it, written so that it takes their databases
 * (user_version 0, tables made, a column maybe missing) to it without
 * loss; each later version is one step, never edited once released. */
#include <stdbool.h>
#include <stdio.h>

#include "hub/schema.h"
#include "protocol/db.h"
#include "protocol/log.h"

/* ---------------------------------------------------------- version 1 */

/* The store's (hub/store.c): stations, what came in, the reports. */
static const char store_tables[] =
	"CREATE TABLE IF NOT EXISTS stations("
	"  code TEXT PRIMARY KEY, name TEXT NOT NULL, lat REAL, lon REAL,"
	"  online INTEGER NOT NULL DEFAULT 0,"
	"  session INTEGER NOT NULL DEFAULT 0,"  /* of the last status applied */
	"  last_seen INTEGER,"                    /* Unix ms of the last message */
	"  outbox INTEGER, agent TEXT,"
	"  settled INTEGER);"                     /* station: all ids below receipted */
	"CREATE TABLE IF NOT EXISTS inbound("
	"  station TEXT NOT NULL, id INTEGER NOT NULL, type TEXT NOT NULL,"
	"  received_at INTEGER NOT NULL, PRIMARY KEY(station, id)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS reports("
	"  seq INTEGER PRIMARY KEY,"              /* arrival order at the hub */
	"  item TEXT NOT NULL UNIQUE,"            /* <station>-<id> */
	"  station TEXT NOT NULL, id INTEGER NOT NULL,"
	"  colour TEXT NOT NULL, category TEXT NOT NULL,"
	"  title TEXT NOT NULL, text TEXT NOT NULL,"
	"  reporter BLOB, phone BLOB,"            /* personal data, sealed */
	"  people INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL,"             /* at the station, Unix ms */
	"  received_at INTEGER NOT NULL);"        /* committed at the hub */
	/* reports(station, id) served no query: the item id is the
	 * idempotence check. */
	"DROP INDEX IF EXISTS reports_station;";

/* The workflow's (hub/item.c and the files over it). */
static const char workflow_tables[] =
	"CREATE TABLE IF NOT EXISTS items("
	"  item TEXT PRIMARY KEY, origin TEXT NOT NULL, category TEXT NOT NULL,"
	"  colour TEXT NOT NULL, state TEXT NOT NULL, handler TEXT NOT NULL,"
	"  member TEXT, rating TEXT, into_item TEXT,"
	"  created INTEGER NOT NULL,"     /* at the station, Unix ms */
	"  received INTEGER NOT NULL,"    /* hub time of the report */
	"  tier_since INTEGER NOT NULL,"  /* hub time it reached its current tier */
	"  sign_by INTEGER NOT NULL, resolve_by INTEGER NOT NULL,"
	"  reminders INTEGER NOT NULL DEFAULT 0," /* sent for the current limit */
	"  supervised INTEGER NOT NULL DEFAULT 0," /* 督办 since it passed */
	"  due INTEGER,"                  /* next look by the timer; NULL: none */
	"  escalations INTEGER NOT NULL DEFAULT 0,"
	"  seq INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL,"
	"  resolved_at INTEGER,"          /* hub time of the last resolve */
	"  signed_at INTEGER);"           /* of the last sign-for at this tier */
	"CREATE INDEX IF NOT EXISTS items_due ON items(due) WHERE due IS NOT NULL;"
	/* items(origin) alone was a prefix of items_area, which serves the
	 * same ranges: one index fewer to keep per report. */
	"DROP INDEX IF EXISTS items_origin;"
	/* Covering indexes: the weather and surge queries read only these, so
	 * they never touch the table's rows (a county has many). */
	"CREATE INDEX IF NOT EXISTS items_area ON items(origin, state, colour, "
	"  reminders, sign_by, resolve_by);"
	"CREATE INDEX IF NOT EXISTS items_surge_cover ON items(category, origin, received, state, item);"
	"CREATE INDEX IF NOT EXISTS items_into ON items(into_item) WHERE into_item IS NOT NULL;"
	/* The dashboard's open red and orange items, soonest deadline first. */
	"DROP INDEX IF EXISTS items_urgent;" /* said with IN lists */
	"CREATE INDEX IF NOT EXISTS items_urgent_by ON items(origin, state, sign_by, "
	"  resolve_by, item) WHERE " HUB_URGENT_WHERE ";"
	/* The dashboard's figures once read this index; the tally (tally.c)
	 * serves them now, and each index costs every write. */
	"DROP INDEX IF EXISTS items_figures;"
	"CREATE TABLE IF NOT EXISTS events("
	"  item TEXT NOT NULL, seq INTEGER NOT NULL, at INTEGER NOT NULL,"
	"  actor TEXT NOT NULL, kind TEXT NOT NULL, note TEXT,"
	"  state TEXT NOT NULL, colour TEXT NOT NULL, handler TEXT NOT NULL,"
	"  PRIMARY KEY(item, seq)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS downbox("
	"  id INTEGER PRIMARY KEY, station TEXT NOT NULL, item TEXT NOT NULL,"
	"  payload BLOB NOT NULL, created INTEGER NOT NULL,"
	"  type TEXT);"                   /* NULL: item; else the message type */
	"CREATE INDEX IF NOT EXISTS downbox_station ON downbox(station, id);"
	"CREATE TABLE IF NOT EXISTS members("
	"  id TEXT PRIMARY KEY, name TEXT NOT NULL, station TEXT NOT NULL,"
	"  phone BLOB, categories TEXT);"
	/* What each station was last told of each member it may assign
	 * (members.c): a reload sends only the difference. gen: the load
	 * that last saw the pair. */
	"CREATE TABLE IF NOT EXISTS team_sent("
	"  station TEXT NOT NULL, member TEXT NOT NULL, name TEXT NOT NULL,"
	"  unit TEXT NOT NULL, gen INTEGER NOT NULL,"
	"  PRIMARY KEY(station, member)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS alerts("
	"  id INTEGER PRIMARY KEY, area TEXT NOT NULL, category TEXT NOT NULL,"
	"  colour TEXT NOT NULL, at INTEGER NOT NULL, count INTEGER NOT NULL,"
	"  items TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS weather("
	"  code TEXT PRIMARY KEY, weather TEXT NOT NULL, at INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS hub_meta(key TEXT PRIMARY KEY, value INTEGER);";

/* The dashboard's accounts (dashboard/users.c): a name, a role (the tier
 * she works at), the station she acts for, an argon2id hash. */
static const char users_table[] =
	"CREATE TABLE IF NOT EXISTS users("
	"  name TEXT PRIMARY KEY, display TEXT NOT NULL, role TEXT NOT NULL,"
	"  scope TEXT NOT NULL, hash TEXT NOT NULL, created INTEGER NOT NULL);";

/* Whether a database made before the column has the table but not the
 * column itself (a statement naming it does not prepare). */
static bool lacks_column(sqlite3 *db, const char *table, const char *column)
{
	char q[96];
	sqlite3_stmt *st = NULL;
	bool has_table, has_column;

	snprintf(q, sizeof q, "SELECT * FROM %s LIMIT 0", table);
	has_table = sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK;
	sqlite3_finalize(st);
	st = NULL;
	snprintf(q, sizeof q, "SELECT %s FROM %s LIMIT 0", column, table);
	has_column = sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK;
	sqlite3_finalize(st);
	return has_table && !has_column;
}

/* Databases made before items had resolved_at get it, filled from their
 * events; those made before supervision (督办) get its count, at 0: an
 * overdue red item of theirs is supervised from its next look. */
static proto_err add_columns(sqlite3 *db)
{
	if (lacks_column(db, "items", "resolved_at")) {
		log_info("adding resolved_at to the items of an older database");
		if (proto_db_exec(db, "ALTER TABLE items ADD COLUMN resolved_at "
			"INTEGER; UPDATE items SET resolved_at = (SELECT max(e.at) FROM "
			"events e WHERE e.item = items.item AND e.kind = 'resolve');"))
			return PROTO_ERR_IO;
	}
	/* The last sign-for at the tier the item is at, as near as events
	 * tell (figures' 按期签收, hub/figures.c). */
	if (lacks_column(db, "items", "signed_at")) {
		log_info("adding signed_at to the items of an older database");
		if (proto_db_exec(db, "ALTER TABLE items ADD COLUMN signed_at "
			"INTEGER; UPDATE items SET signed_at = (SELECT max(e.at) FROM "
			"events e WHERE e.item = items.item AND e.kind = 'sign' AND "
			"e.at >= items.tier_since);"))
			return PROTO_ERR_IO;
	}
	if (lacks_column(db, "items", "supervised")) {
		log_info("adding supervised to the items of an older database");
		if (proto_db_exec(db, "ALTER TABLE items ADD COLUMN supervised INTEGER "
			"NOT NULL DEFAULT 0"))
			return PROTO_ERR_IO;
	}
	/* Its rows are all item messages: NULL is an item's. */
	if (lacks_column(db, "downbox", "type")) {
		log_info("adding type to the downbox of an older database");
		if (proto_db_exec(db, "ALTER TABLE downbox ADD COLUMN type TEXT"))
			return PROTO_ERR_IO;
	}
	return PROTO_OK;
}

/* The columns first, for the tables an older release made without them;
 * then every table and index as version 1 has them (IF NOT EXISTS: an
 * older database has most). */
static proto_err version_1(sqlite3 *db)
{
	proto_err err = add_columns(db);

	if (!err)
		err = proto_db_exec(db, store_tables);
	if (!err)
		err = proto_db_exec(db, workflow_tables);
	if (!err)
		err = proto_db_exec(db, HUB_SCHEMA_TALLY);
	if (!err)
		err = proto_db_exec(db, users_table);
	return err;
}

/* ---------------------------------------------------------- version 2 */

/* The reads by period (the wall's /api/stats, the figures over a span):
 * the items of a scope reported within [from, to). Without it they read
 * every row of the scope's origin range from items_area; with it the
 * received bound is checked in the index, and only the period's rows are
 * read (a county of 200,000 items over three months, seven days' worth:
 * 2.0 s of CPU to 0.75 s). state lets the dashboard's item lists by state
 * filter here too, which SQLite picks for them. origin and received never
 * change: a step writes this index only when the state moves. */
static const char version_2[] =
	"CREATE INDEX IF NOT EXISTS items_period ON items(origin, received, state);";

/* ------------------------------------------------------------- the steps */

static const proto_migration steps[HUB_SCHEMA_VERSION] = {
	{NULL, version_1},
	{version_2, NULL},
};

proto_err hub_schema_migrate(sqlite3 *db, const char *path)
{
	return proto_db_migrate(db, path, steps, HUB_SCHEMA_VERSION);
}
