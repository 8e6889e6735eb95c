/* The item reads: one item with its history (GET /api/items/ID) and the
 * lists (GET /api/items, filtered by state, colour and category, newest
 * first, a page at a time, with the total). An item is within a scope
 * when the station that reported it is. */
#include <stdio.h>
#include <string.h>

#include "dashboard/dash-int.h"
#include "protocol/db.h"
#include "protocol/workflow.h"

/* 在办 as docs/FIGURES.md defines it (hub/figures.c): waiting on the
 * handler. A resolved item awaits its return visit: neither open nor
 * closed, listed by its own state. */
#define OPEN_STATES "('reported', 'signed', 'assigned')"
#define CLOSED_STATES "('verified', 'rated', 'withdrawn', 'merged')"

void dash_api_item(dash_req *r, sqlite3 *db, const char *id)
{
	cJSON *o = dash_item_json(r->d, db, &r->user, id);

	if (!o)
		dash_reply_error(r, 404, "not_found", "no such item within your scope");
	else
		dash_reply_json(r, 200, o);
}

void dash_api_items(dash_req *r, sqlite3 *db)
{
	char scope[PROTO_CODE_MAX + 1], sql[1024], where[512];
	const char *state = dash_arg(r, "state"), *colour = dash_arg(r, "colour"),
		   *category = dash_arg(r, "category");
	bool bad = false;
	int64_t limit = dash_arg_int(r, "limit", 50, 1, 500, &bad);
	int64_t offset = dash_arg_int(r, "offset", 0, 0, 10000000, &bad);
	sqlite3_stmt *st;
	cJSON *out, *a;

	if (bad) {
		dash_reply_error(r, 400, "bad_request", "limit is 1..500, offset 0 or more");
		return;
	}
	if (!dash_scope_arg(r, db, scope))
		return;
	/* Fixed fragments only; every value is bound. */
	snprintf(where, sizeof where, "WHERE " DASH_WITHIN("i.origin"));
	if (!state || !*state || strcmp(state, "all") == 0)
		;
	else if (strcmp(state, "open") == 0)
		strcat(where, " AND i.state IN " OPEN_STATES);
	else if (strcmp(state, "closed") == 0)
		strcat(where, " AND i.state IN " CLOSED_STATES);
	else if (proto_state_parse(state) >= 0)
		strcat(where, " AND i.state = ?2");
	else
		bad = true;
	if (colour && *colour) {
		if (proto_colour_parse(colour) < 0)
			bad = true;
		strcat(where, " AND i.colour = ?3");
	}
	if (category && *category) {
		if (proto_category_parse(category) < 0)
			bad = true;
		strcat(where, " AND i.category = ?4");
	}
	if (bad) {
		dash_reply_error(r, 400, "bad_request", "unknown state, colour or category");
		return;
	}
	out = cJSON_CreateObject();
	a = cJSON_AddArrayToObject(out, "items");
	snprintf(sql, sizeof sql, "SELECT " DASH_SUMMARY_COLS " " DASH_SUMMARY_FROM "%s "
		"ORDER BY i.received DESC, i.item DESC LIMIT ?5 OFFSET ?6", where);
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			snprintf(sql, sizeof sql, "SELECT count(*) FROM items i %s", where);
		st = proto_db_prepare(db, sql);
		if (!st) {
			cJSON_Delete(out);
			dash_reply_error(r, 500, "internal", "query failed");
			return;
		}
		sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
		if (state)
			sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
		if (colour)
			sqlite3_bind_text(st, 3, colour, -1, SQLITE_STATIC);
		if (category)
			sqlite3_bind_text(st, 4, category, -1, SQLITE_STATIC);
		if (pass == 0) {
			sqlite3_bind_int64(st, 5, limit);
			sqlite3_bind_int64(st, 6, offset);
			while (sqlite3_step(st) == SQLITE_ROW)
				cJSON_AddItemToArray(a, dash_summary_row(st));
		} else if (sqlite3_step(st) == SQLITE_ROW) {
			cJSON_AddNumberToObject(out, "total", (double)sqlite3_column_int64(st, 0));
		}
		sqlite3_finalize(st);
	}
	dash_reply_json(r, 200, out);
}
