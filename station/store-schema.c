/* The schema of station.db, the one place its tables are made: the steps
 * that bring a store from each PRAGMA user_version to the next, run by
 * proto_db_migrate when the agent or the client opens it (store.c).
 *
 * The versions, as releases wrote them:
 *   0  meta and outbox (0.1.0, before the versions: user_version was
 *      never set, and a new file is 0 too)
 *   1  inbox and timeline added
 *   2  team added (store-team.c)
 * Step v takes a store from version v to v + 1. Each CREATE says IF NOT
 * EXISTS, so a store that already holds a table of its step (a 0.1.0 store
 * at step 0, whose meta and outbox are made) keeps it and its rows. No
 * column has been added to a station table since 0.1.0; a step that adds
 * one must do it with an apply that looks first (PRAGMA table_info), since
 * a store of before the versions may or may not have it.
 *
 * A store of a newer version is refused: this program would not know what
 * its tables mean, and must not write them. */
#include "protocol/db.h"
#include "station/store-int.h"

static const proto_migration steps[] = {
	/* 0 -> 1: the tables of 0.1.0, for a new file, and the inbox. */
	{.sql =
		"CREATE TABLE IF NOT EXISTS meta("
		"  key TEXT PRIMARY KEY, value TEXT NOT NULL);"
		"CREATE TABLE IF NOT EXISTS outbox("
		"  id INTEGER PRIMARY KEY,"            /* message id */
		"  type TEXT NOT NULL,"                /* report | action */
		"  payload TEXT NOT NULL,"             /* JSON exactly as published */
		"  created INTEGER NOT NULL,"          /* Unix ms */
		"  state TEXT NOT NULL DEFAULT 'queued',"
		"  attempts INTEGER NOT NULL DEFAULT 0,"
		"  receipt_at INTEGER, error TEXT, field TEXT, item TEXT);"
		"CREATE INDEX IF NOT EXISTS outbox_queued ON outbox(id) WHERE state = 'queued';"
		"CREATE TABLE IF NOT EXISTS inbox("
		"  item TEXT PRIMARY KEY,"             /* public item id */
		"  seq INTEGER NOT NULL,"              /* events so far, as last seen */
		"  msg_id INTEGER NOT NULL,"           /* the item message that brought it */
		"  origin TEXT NOT NULL, handler TEXT NOT NULL,"
		"  colour TEXT NOT NULL, category TEXT NOT NULL, title TEXT NOT NULL,"
		"  state TEXT NOT NULL,"
		"  deadline INTEGER,"                  /* Unix ms, NULL when none */
		"  updated INTEGER NOT NULL,"          /* hub time of the change, ms */
		"  received INTEGER NOT NULL,"         /* local time it arrived, ms */
		"  snapshot TEXT NOT NULL);"           /* the item message's JSON */
		"CREATE TABLE IF NOT EXISTS timeline("
		"  item TEXT NOT NULL, seq INTEGER NOT NULL,"
		"  event TEXT, by_whom TEXT,"
		"  at INTEGER NOT NULL,"               /* hub time, ms */
		"  note TEXT,"
		"  PRIMARY KEY(item, seq)) WITHOUT ROWID;"},
	/* 1 -> 2: the service team the hub sends (member messages). */
	{.sql =
		"CREATE TABLE IF NOT EXISTS team("
		"  member TEXT PRIMARY KEY,"           /* the id an assign names */
		"  name TEXT NOT NULL, unit TEXT NOT NULL,"
		"  gone INTEGER NOT NULL,"             /* 1: left; kept against old copies */
		"  msg_id INTEGER NOT NULL,"           /* the member message it is from */
		"  received INTEGER NOT NULL);"},      /* local ms */
};

#define SCHEMA_VERSION ((int)(sizeof steps / sizeof steps[0]))

proto_err station_store__migrate(sqlite3 *db, const char *path)
{
	return proto_db_migrate(db, path, steps, SCHEMA_VERSION);
}
