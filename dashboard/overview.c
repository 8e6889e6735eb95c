/* The overview (GET /api/overview), the first page and the wall's data: the
 * scope with its children, the figures for all time, the urgent items
 * (open red and orange, by deadline), offline stations and the last
 * alerts. All cut to the scope the request names. */
#include <string.h>

#include "dashboard/dash-int.h"
#include "hub/clock.h"
#include "hub/figures.h"
#include "hub/workflow.h"
#include "protocol/db.h"

/* The scope's figures for all time (hub/figures.c): the tally's rows of the
 * scope, one per reporting station, and the open items' deadlines from an
 * index. */
static void figures(sqlite3 *db, const char *scope, int64_t now, cJSON *out)
{
	hub_figures f;

	if (hub_figures_all(db, scope, now, &f))
		memset(&f, 0, sizeof f);
	dash_figures_json(out, &f);
}

static cJSON *urgent(sqlite3 *db, const char *scope)
{
	/* The 50 are picked from the partial index items_urgent_by alone; only
	 * they are then read in full (the scope may hold thousands). */
	sqlite3_stmt *st = proto_db_prepare(db, "SELECT " DASH_SUMMARY_COLS " " DASH_SUMMARY_FROM
		"WHERE i.item IN (SELECT item FROM items WHERE " DASH_WITHIN("origin")
		" AND " HUB_URGENT_WHERE " "
		"ORDER BY CASE state WHEN 'reported' THEN sign_by ELSE resolve_by END, "
		"item LIMIT 50) "
		"ORDER BY CASE i.state WHEN 'reported' THEN i.sign_by ELSE i.resolve_by END, "
		"i.item");
	cJSON *a = cJSON_CreateArray();

	if (!st)
		return a;
	sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		cJSON_AddItemToArray(a, dash_summary_row(st));
	sqlite3_finalize(st);
	return a;
}

static cJSON *offline(sqlite3 *db, const char *scope)
{
	cJSON *o = cJSON_CreateObject(), *a;
	sqlite3_stmt *st = proto_db_prepare(db, "SELECT count(*) FROM stations "
		"WHERE " DASH_WITHIN("code") " AND online = 0");

	if (st) {
		sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			cJSON_AddNumberToObject(o, "count", (double)sqlite3_column_int64(st, 0));
		sqlite3_finalize(st);
	}
	a = cJSON_AddArrayToObject(o, "stations");
	/* Those seen most recently first: a station that just dropped out is
	 * news, one never connected is not. */
	st = proto_db_prepare(db, "SELECT s.code, " DASH_STATION_LABEL("s.code", "s.name")
		", s.last_seen FROM stations s WHERE " DASH_WITHIN("s.code") " AND s.online = 0 "
		"ORDER BY s.last_seen IS NULL, s.last_seen DESC, s.code LIMIT 50");
	if (!st)
		return o;
	sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		cJSON *s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "code", proto_db_text(st, 0));
		cJSON_AddStringToObject(s, "name", proto_db_text(st, 1));
		if (sqlite3_column_type(st, 2) == SQLITE_NULL)
			cJSON_AddNullToObject(s, "last_seen");
		else
			cJSON_AddNumberToObject(s, "last_seen", (double)sqlite3_column_int64(st, 2));
		cJSON_AddItemToArray(a, s);
	}
	sqlite3_finalize(st);
	return o;
}

static cJSON *alerts(sqlite3 *db, const char *scope)
{
	sqlite3_stmt *st = proto_db_prepare(db, "SELECT a.area, s.name, a.category, "
		"a.colour, a.at, a.count FROM alerts a LEFT JOIN stations s ON s.code = a.area "
		"WHERE " DASH_WITHIN("a.area") " ORDER BY a.id DESC LIMIT 20");
	cJSON *a = cJSON_CreateArray();

	if (!st)
		return a;
	sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		cJSON_AddItemToArray(a, dash_alert_row(st));
	sqlite3_finalize(st);
	return a;
}

void dash_api_overview(dash_req *r, sqlite3 *db)
{
	char scope[PROTO_CODE_MAX + 1];
	cJSON *o;

	if (!dash_scope_arg(r, db, scope))
		return;
	o = cJSON_CreateObject();
	int64_t now = hub_clock_now();
	cJSON_AddNumberToObject(o, "now", (double)now);
	cJSON_AddItemToObject(o, "scope", dash_scope_json(db, scope));
	figures(db, scope, now, cJSON_AddObjectToObject(o, "figures"));
	cJSON_AddItemToObject(o, "children", dash_children_json(db, scope));
	cJSON_AddItemToObject(o, "urgent", urgent(db, scope));
	cJSON_AddItemToObject(o, "offline", offline(db, scope));
	cJSON_AddItemToObject(o, "alerts", alerts(db, scope));
	dash_reply_json(r, 200, o);
}
