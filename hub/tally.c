/* The tally: one row per reporting station holding what the dashboard's
 * headline figures and area counts, and the areas' weather, are made of.
 * SQLite triggers keep it in the same transaction as every change to items,
 * whoever writes them, so it can never drift from the items it counts. */
#include <stdbool.h>
#include <stddef.h>

#include "hub/tally.h"
#include "protocol/db.h"
#include "protocol/log.h"

/* What one item adds to its origin's row, each 0 or 1, in the column order
 * of the table after `collected`. The definitions are the dashboard's
 * (docs/API.md "figures"): solved is verified or rated; on time is solved,
 * never escalated, last resolved within its limit; satisfied counts basic. */
/* No IN lists here: in a trigger SQLite builds an IN list's table anew at
 * every firing (measured: 0.65 ms a row), so the sets are spelt as ORs. */
#define SOLVED(r) "(" r ".state = 'verified' OR " r ".state = 'rated')"
#define OPEN_STATE(r) "(" r ".state = 'reported' OR " r ".state = 'signed' OR " \
	r ".state = 'assigned' OR " r ".state = 'resolved')"
#define P_SOLVED(r) "ifnull(" SOLVED(r) ", 0)"
#define P_MEDIATED(r) "ifnull(" SOLVED(r) " AND " r ".category = 'dispute', 0)"
#define P_OPEN(r, c) "ifnull(" OPEN_STATE(r) " AND " r ".colour = '" c "', 0)"
#define P_ON_TIME(r) "ifnull(" SOLVED(r) " AND " r ".escalations = 0 AND " \
	r ".resolved_at <= " r ".resolve_by, 0)"
#define P_RATED(r) "ifnull(" r ".rating IS NOT NULL, 0)"
#define P_SATISFIED(r) "ifnull(" r ".rating = 'satisfied' OR " r ".rating = 'basic', 0)"
/* The weather's (weather.c): in hand, that is waiting on a handler, and
 * orange items already reminded. */
#define IN_HAND(r) "(" r ".state = 'reported' OR " r ".state = 'signed' OR " \
	r ".state = 'assigned')"
#define P_HAND(r, c) "ifnull(" IN_HAND(r) " AND " r ".colour = '" c "', 0)"
#define P_LATE(r) "ifnull(" IN_HAND(r) " AND " r ".colour = 'orange' AND " \
	r ".reminders > 0, 0)"
#define PARTS(r) P_SOLVED(r) ", " P_MEDIATED(r) ", " P_OPEN(r, "blue") ", " \
	P_OPEN(r, "orange") ", " P_OPEN(r, "red") ", " P_ON_TIME(r) ", " \
	P_RATED(r) ", " P_SATISFIED(r) ", " P_HAND(r, "blue") ", " \
	P_HAND(r, "orange") ", " P_HAND(r, "red") ", " P_LATE(r)
/* The same parts named o1..o12, to be subtracted or summed. */
#define PARTS_AS(r) P_SOLVED(r) " AS o1, " P_MEDIATED(r) " AS o2, " \
	P_OPEN(r, "blue") " AS o3, " P_OPEN(r, "orange") " AS o4, " \
	P_OPEN(r, "red") " AS o5, " P_ON_TIME(r) " AS o6, " P_RATED(r) " AS o7, " \
	P_SATISFIED(r) " AS o8, " P_HAND(r, "blue") " AS o9, " \
	P_HAND(r, "orange") " AS o10, " P_HAND(r, "red") " AS o11, " \
	P_LATE(r) " AS o12"
#define COLS "solved, mediated, open_blue, open_orange, open_red, on_time, " \
	"rated, satisfied, hand_blue, hand_orange, hand_red, late_orange"
#define ADD_NEW "INSERT INTO tally(origin, collected, " COLS ") " \
	"VALUES(NEW.origin, 1, " PARTS("NEW") ") ON CONFLICT(origin) DO UPDATE SET " \
	"collected = collected + 1, solved = solved + excluded.solved, " \
	"mediated = mediated + excluded.mediated, " \
	"open_blue = open_blue + excluded.open_blue, " \
	"open_orange = open_orange + excluded.open_orange, " \
	"open_red = open_red + excluded.open_red, " \
	"on_time = on_time + excluded.on_time, rated = rated + excluded.rated, " \
	"satisfied = satisfied + excluded.satisfied, " \
	"hand_blue = hand_blue + excluded.hand_blue, " \
	"hand_orange = hand_orange + excluded.hand_orange, " \
	"hand_red = hand_red + excluded.hand_red, " \
	"late_orange = late_orange + excluded.late_orange;"
#define TAKE_OLD "UPDATE tally SET collected = collected - 1, " \
	"(" COLS ") = (SELECT solved - o1, mediated - o2, open_blue - o3, " \
	"open_orange - o4, open_red - o5, on_time - o6, rated - o7, satisfied - o8, " \
	"hand_blue - o9, hand_orange - o10, hand_red - o11, late_orange - o12 " \
	"FROM (SELECT " PARTS_AS("OLD") ")) WHERE origin = OLD.origin;"

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS tally("
	"  origin TEXT PRIMARY KEY, collected INTEGER NOT NULL,"
	"  solved INTEGER NOT NULL, mediated INTEGER NOT NULL,"
	"  open_blue INTEGER NOT NULL, open_orange INTEGER NOT NULL,"
	"  open_red INTEGER NOT NULL, on_time INTEGER NOT NULL,"
	"  rated INTEGER NOT NULL, satisfied INTEGER NOT NULL,"
	"  hand_blue INTEGER NOT NULL, hand_orange INTEGER NOT NULL,"
	"  hand_red INTEGER NOT NULL, late_orange INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TRIGGER IF NOT EXISTS tally_insert AFTER INSERT ON items BEGIN "
	ADD_NEW " END;"
	/* Most updates (deadlines, reminders, sequence numbers) change none of
	 * the counted parts: those leave the tally alone. */
	"CREATE TRIGGER IF NOT EXISTS tally_update AFTER UPDATE ON items "
	"WHEN OLD.origin IS NOT NEW.origin OR (" PARTS("OLD") ") IS NOT (" PARTS("NEW")
	") BEGIN " TAKE_OLD " " ADD_NEW " END;"
	"CREATE TRIGGER IF NOT EXISTS tally_delete AFTER DELETE ON items BEGIN "
	TAKE_OLD " END;";

#define FILL "INSERT INTO tally(origin, collected, " COLS ") " \
	"SELECT origin, count(*), sum(o1), sum(o2), sum(o3), sum(o4), sum(o5), " \
	"sum(o6), sum(o7), sum(o8), sum(o9), sum(o10), sum(o11), sum(o12) " \
	"FROM (SELECT origin, " PARTS_AS("items") \
	" FROM items) GROUP BY origin;"

/* A tally of the current shape: its newest column is there. */
static bool current(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	bool have = sqlite3_prepare_v2(db, "SELECT late_orange FROM tally LIMIT 0", -1,
		&st, NULL) == SQLITE_OK;

	sqlite3_finalize(st);
	return have;
}

proto_err hub_tally_install(sqlite3 *db)
{
	if (current(db))
		return proto_db_exec(db, schema);
	/* A database from before the tally, or before its latest columns:
	 * counted afresh once, in the transaction that creates the triggers,
	 * so nothing slips between the two. */
	log_info("counting the stored items into the tally");
	if (proto_db_exec(db, "BEGIN IMMEDIATE"))
		return PROTO_ERR_IO;
	if (proto_db_exec(db, "DROP TRIGGER IF EXISTS tally_insert;"
			      "DROP TRIGGER IF EXISTS tally_update;"
			      "DROP TRIGGER IF EXISTS tally_delete;"
			      "DROP TABLE IF EXISTS tally;") ||
	    proto_db_exec(db, schema) || proto_db_exec(db, FILL) ||
	    proto_db_exec(db, "COMMIT")) {
		proto_db_exec(db, "ROLLBACK");
		return PROTO_ERR_IO;
	}
	return PROTO_OK;
}
