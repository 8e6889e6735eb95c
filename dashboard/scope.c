/* The scope of a read: ?scope= resolved against the user's own (a code
 * prefix; a town's staff see their town), and the station names that
 * check it. Every read of the API is cut to the scope this gives. */
#include <stdio.h>

#include "dashboard/dash-int.h"
#include "protocol/db.h"

/* The name of a registered station; false when there is none. */
bool dash_station_name(sqlite3 *db, const char *code, char *out, size_t n)
{
	sqlite3_stmt *st = proto_db_prepare(db, "SELECT name FROM stations WHERE code = ?");

	if (st)
		sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	return proto_db_first_text(st, out, n);
}

bool dash_scope_arg(dash_req *r, sqlite3 *db, char out[PROTO_CODE_MAX + 1])
{
	const char *s = dash_arg(r, "scope");
	char name[128];

	if (!s || !*s) {
		snprintf(out, PROTO_CODE_MAX + 1, "%s", r->user.scope);
		return true;
	}
	if (!proto_code_valid(s) || !proto_code_within(s, r->user.scope) ||
	    !dash_station_name(db, s, name, sizeof name)) {
		dash_reply_error(r, 404, "not_found", "no such area within your scope");
		return false;
	}
	snprintf(out, PROTO_CODE_MAX + 1, "%s", s);
	return true;
}
