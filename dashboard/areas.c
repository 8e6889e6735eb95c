/* The areas of a scope: the drill-down tree (GET /api/tree) and its
 * parts the overview and the rankings share: the children of an area one
 * tier down, with their weather, open items by colour, stations and
 * offline stations, and the scope's own entry with its parent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashboard/dash-int.h"
#include "protocol/db.h"

static const char *weather_of(sqlite3 *db, const char *code)
{
	static const char *const names[] = {"clear", "cloudy", "overcast", "rain", "storm"};
	sqlite3_stmt *st = proto_db_prepare(db, "SELECT weather FROM weather WHERE code = ?");
	const char *w = "clear";

	if (!st)
		return w;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		for (size_t i = 0; i < sizeof names / sizeof *names; i++)
			if (strcmp(proto_db_text(st, 0), names[i]) == 0)
				w = names[i];
	sqlite3_finalize(st);
	return w;
}

/* The children of scope (one tier down) with their open items by colour,
 * stations and offline stations. *n of them in a malloc'd array. */
dash_area *dash_children(sqlite3 *db, const char *scope, size_t *n)
{
	proto_tier tier = proto_code_tier(scope);
	int width = tier >= PROTO_TIER_COUNTY && tier < PROTO_TIER_GROUP ?
		(int)proto_tier_digits((proto_tier)(tier + 1)) : 0;
	dash_area *c = NULL;
	size_t cap = 0;
	sqlite3_stmt *st;

	*n = 0;
	if (!width)
		return NULL;
	st = proto_db_prepare(db, "SELECT s.code, s.name, w.weather FROM stations s "
		"LEFT JOIN weather w ON w.code = s.code "
		"WHERE " DASH_BELOW("s.code") " AND length(s.code) = ?2 ORDER BY s.code");
	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, width);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 32;
			dash_area *p = realloc(c, cap * sizeof *p);
			if (!p)
				break;
			c = p;
		}
		dash_area *x = &c[(*n)++];
		memset(x, 0, sizeof *x);
		proto_db_copy_text(x->code, sizeof x->code, st, 0);
		proto_db_copy_text(x->name, sizeof x->name, st, 1);
		x->weather = "clear";
		static const char *const w[] = {"cloudy", "overcast", "rain", "storm"};
		for (size_t i = 0; i < 4; i++)
			if (strcmp(proto_db_text(st, 2), w[i]) == 0)
				x->weather = w[i];
	}
	sqlite3_finalize(st);
	if (!*n)
		return c;
	st = proto_db_prepare(db, "SELECT substr(origin, 1, ?2), sum(open_blue), "
		"sum(open_orange), sum(open_red) FROM tally WHERE " DASH_WITHIN("origin")
		" GROUP BY 1");
	if (st) {
		sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, width);
		while (sqlite3_step(st) == SQLITE_ROW)
			for (size_t i = 0; i < *n; i++)
				if (strcmp(c[i].code, proto_db_text(st, 0)) == 0)
					for (int k = 0; k < PROTO_COLOUR__COUNT; k++)
						c[i].open[k] = sqlite3_column_int64(st, 1 + k);
		sqlite3_finalize(st);
	}
	st = proto_db_prepare(db, "SELECT substr(code, 1, ?2), count(*), sum(online = 0) "
		"FROM stations WHERE " DASH_BELOW("code") " AND length(code) >= ?2 GROUP BY 1");
	if (st) {
		sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, width);
		while (sqlite3_step(st) == SQLITE_ROW)
			for (size_t i = 0; i < *n; i++)
				if (strcmp(c[i].code, proto_db_text(st, 0)) == 0) {
					c[i].stations = sqlite3_column_int64(st, 1);
					c[i].offline = sqlite3_column_int64(st, 2);
				}
		sqlite3_finalize(st);
	}
	return c;
}

static cJSON *area_json(const char *code, const char *name, const char *weather)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "code", code);
	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddStringToObject(o, "tier", proto_tier_name(proto_code_tier(code)));
	cJSON_AddStringToObject(o, "weather", weather);
	return o;
}

cJSON *dash_children_json(sqlite3 *db, const char *scope)
{
	size_t n;
	dash_area *c = dash_children(db, scope, &n);
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; i < n; i++) {
		cJSON *o = area_json(c[i].code, c[i].name, c[i].weather);
		cJSON *open = cJSON_AddObjectToObject(o, "open");
		for (int k = 0; k < PROTO_COLOUR__COUNT; k++)
			cJSON_AddNumberToObject(open, proto_colour_name((proto_colour)k),
				(double)c[i].open[k]);
		cJSON_AddNumberToObject(o, "stations", (double)c[i].stations);
		cJSON_AddNumberToObject(o, "offline", (double)c[i].offline);
		cJSON_AddItemToArray(a, o);
	}
	free(c);
	return a;
}

cJSON *dash_scope_json(sqlite3 *db, const char *scope)
{
	char name[128] = "", parent[PROTO_CODE_MAX + 1];
	cJSON *o;

	dash_station_name(db, scope, name, sizeof name);
	o = area_json(scope, name, weather_of(db, scope));
	if (proto_code_parent(scope, parent))
		cJSON_AddStringToObject(o, "parent", parent);
	else
		cJSON_AddNullToObject(o, "parent");
	return o;
}

void dash_api_tree(dash_req *r, sqlite3 *db)
{
	char scope[PROTO_CODE_MAX + 1];
	cJSON *o;

	if (!dash_scope_arg(r, db, scope))
		return;
	o = dash_scope_json(db, scope);
	cJSON_AddItemToObject(o, "children", dash_children_json(db, scope));
	dash_reply_json(r, 200, o);
}
