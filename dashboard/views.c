/* The dashboard's reads: overview, drill-down tree, item lists, an item
 * with its history, statistics. Each runs on the request's own read
 * connection; every one is cut to the user's scope, a code prefix, which
 * the indexes serve as the range [code, code || ';'). An item is within a
 * scope when the station that reported it is. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dashboard/dash-int.h"
#include "hub/clock.h"
#include "hub/figures.h"
#include "hub/loop.h"
#include "protocol/db.h"
#include "protocol/loop.h"

/* Codes within the scope ?1: from ?1 up to, not including, ?1 || ';'. */
#define WITHIN(col) col " >= ?1 AND " col " < ?1 || ';'"
#define BELOW(col) col " > ?1 AND " col " < ?1 || ';'"
/* 在办 as docs/FIGURES.md defines it (hub/figures.c): waiting on the
 * handler. A resolved item awaits its return visit: neither open nor
 * closed, listed by its own state. */
#define OPEN_STATES "('reported', 'signed', 'assigned')"
#define CLOSED_STATES "('verified', 'rated', 'withdrawn', 'merged')"

static void add_text_or_null(cJSON *o, const char *key, sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddStringToObject(o, key, proto_db_text(st, i));
}

static void add_rate(cJSON *o, const char *key, int64_t num, int64_t den)
{
	if (den > 0)
		cJSON_AddNumberToObject(o, key, (double)num / (double)den);
	else
		cJSON_AddNullToObject(o, key);
}

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

/* The name of a registered station; false when there is none. */
static bool station_name(sqlite3 *db, const char *code, char *out, size_t n)
{
	sqlite3_stmt *st = proto_db_prepare(db, "SELECT name FROM stations WHERE code = ?");

	if (st)
		sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	return proto_db_first_text(st, out, n);
}

static int64_t arg_int(dash_req *r, const char *name, int64_t def, int64_t min,
	int64_t max, bool *bad)
{
	const char *s = dash_arg(r, name);
	char *end;
	long long v;

	if (!s || !*s)
		return def;
	v = strtoll(s, &end, 10);
	if (*end || v < min || v > max) {
		*bad = true;
		return def;
	}
	return v;
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
	    !station_name(db, s, name, sizeof name)) {
		dash_reply_error(r, 404, "not_found", "no such area within your scope");
		return false;
	}
	snprintf(out, PROTO_CODE_MAX + 1, "%s", s);
	return true;
}

/* ------------------------------------------------------------ items */

#define SUMMARY_COLS "i.item, r.title, i.category, i.colour, i.state, i.origin, " \
	DASH_STATION_LABEL("i.origin", "so.name") ", i.handler, " \
	DASH_STATION_LABEL("i.handler", "sh.name") ", i.received, i.sign_by, i.resolve_by, " \
	"i.escalations, " \
	"i.resolved_at, i.supervised"
#define SUMMARY_N 15
#define SUMMARY_FROM "FROM items i JOIN reports r ON r.item = i.item " \
	"LEFT JOIN stations so ON so.code = i.origin " \
	"LEFT JOIN stations sh ON sh.code = i.handler "

static cJSON *summary_row(sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject();
	const char *state = proto_db_text(st, 4);

	cJSON_AddStringToObject(o, "id", proto_db_text(st, 0));
	cJSON_AddStringToObject(o, "title", proto_db_text(st, 1));
	cJSON_AddStringToObject(o, "category", proto_db_text(st, 2));
	cJSON_AddStringToObject(o, "colour", proto_db_text(st, 3));
	cJSON_AddStringToObject(o, "state", state);
	cJSON_AddStringToObject(o, "origin", proto_db_text(st, 5));
	cJSON_AddStringToObject(o, "origin_name", proto_db_text(st, 6));
	cJSON_AddStringToObject(o, "handler", proto_db_text(st, 7));
	cJSON_AddStringToObject(o, "handler_name", proto_db_text(st, 8));
	cJSON_AddNumberToObject(o, "received", (double)sqlite3_column_int64(st, 9));
	/* The limit someone is being held to now: signing while reported,
	 * resolving while signed or assigned; none once resolved. */
	if (strcmp(state, "reported") == 0) {
		cJSON_AddNumberToObject(o, "deadline", (double)sqlite3_column_int64(st, 10));
		cJSON_AddStringToObject(o, "deadline_kind", "sign");
	} else if (strcmp(state, "signed") == 0 || strcmp(state, "assigned") == 0) {
		cJSON_AddNumberToObject(o, "deadline", (double)sqlite3_column_int64(st, 11));
		cJSON_AddStringToObject(o, "deadline_kind", "resolve");
	} else {
		cJSON_AddNullToObject(o, "deadline");
		cJSON_AddNullToObject(o, "deadline_kind");
	}
	cJSON_AddNumberToObject(o, "escalations", sqlite3_column_int(st, 12));
	/* Past the deadline it is held to now, or resolved after its
	 * resolve deadline: late for good, whatever happens next. Deadlines
	 * move only by an extension or a new tier, so this cannot un-happen
	 * by itself. */
	cJSON *deadline = cJSON_GetObjectItem(o, "deadline");
	int64_t resolved_at = sqlite3_column_int64(st, 13);
	cJSON_AddBoolToObject(o, "overdue", (cJSON_IsNumber(deadline) &&
		deadline->valuedouble < (double)hub_clock_now()) ||
		(resolved_at > 0 && resolved_at > sqlite3_column_int64(st, 11)));
	/* 督办 so far (a red item past its deadline), for the wall's ticker. */
	cJSON_AddNumberToObject(o, "supervised", sqlite3_column_int(st, 14));
	return o;
}

cJSON *dash_item_summary(sqlite3 *db, const char *id)
{
	sqlite3_stmt *st = proto_db_prepare(db, "SELECT " SUMMARY_COLS " " SUMMARY_FROM
		"WHERE i.item = ?");
	cJSON *o = NULL;

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		o = summary_row(st);
	sqlite3_finalize(st);
	return o;
}

static void add_events(sqlite3 *db, cJSON *out, const char *id)
{
	sqlite3_stmt *st = proto_db_prepare(db, "SELECT seq, at, actor, kind, note, state, "
		"colour, handler FROM events WHERE item = ? ORDER BY seq");
	cJSON *a = cJSON_AddArrayToObject(out, "events");

	if (!st)
		return;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddNumberToObject(e, "seq", (double)sqlite3_column_int64(st, 0));
		cJSON_AddNumberToObject(e, "at", (double)sqlite3_column_int64(st, 1));
		cJSON_AddStringToObject(e, "actor", proto_db_text(st, 2));
		cJSON_AddStringToObject(e, "kind", proto_db_text(st, 3));
		add_text_or_null(e, "note", st, 4);
		cJSON_AddStringToObject(e, "state", proto_db_text(st, 5));
		cJSON_AddStringToObject(e, "colour", proto_db_text(st, 6));
		cJSON_AddStringToObject(e, "handler", proto_db_text(st, 7));
		cJSON_AddItemToArray(a, e);
	}
	sqlite3_finalize(st);
}

static void add_members(sqlite3 *db, cJSON *out, const char *handler, bool may)
{
	sqlite3_stmt *st;
	cJSON *a = cJSON_AddArrayToObject(out, "members");

	if (!may)
		return;
	st = proto_db_prepare(db, "SELECT id, name FROM members WHERE " WITHIN("station")
		" ORDER BY id");
	if (!st)
		return;
	sqlite3_bind_text(st, 1, handler, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		cJSON *m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "id", proto_db_text(st, 0));
		cJSON_AddStringToObject(m, "name", proto_db_text(st, 1));
		cJSON_AddItemToArray(a, m);
	}
	sqlite3_finalize(st);
}

cJSON *dash_item_json(dash *d, sqlite3 *db, const dash_user *u, const char *id)
{
	sqlite3_stmt *st;
	cJSON *out = NULL, *item;
	char handler[PROTO_CODE_MAX + 1], origin[PROTO_CODE_MAX + 1];
	bool may_assign = false;

	if (!proto_item_id_valid(id))
		return NULL;
	st = proto_db_prepare(db, "SELECT " SUMMARY_COLS ", r.text, r.people, r.reporter, "
		"r.phone, i.member, m.name, i.rating, i.created " SUMMARY_FROM
		"LEFT JOIN members m ON m.id = i.member WHERE i.item = ?");
	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW || !proto_code_within(proto_db_text(st, 5), u->scope))
		goto done;
	proto_db_copy_text(origin, sizeof origin, st, 5);
	proto_db_copy_text(handler, sizeof handler, st, 7);
	out = cJSON_CreateObject();
	item = summary_row(st);
	cJSON_AddItemToObject(out, "item", item);
	int c = SUMMARY_N;
	cJSON_AddStringToObject(item, "text", proto_db_text(st, c));
	cJSON_AddNumberToObject(item, "people", sqlite3_column_int(st, c + 1));
	bool full = dash_personal_full(u, handler, origin);
	char *reporter = dash_personal(d, sqlite3_column_blob(st, c + 2),
		sqlite3_column_bytes(st, c + 2), full, false);
	char *phone = dash_personal(d, sqlite3_column_blob(st, c + 3),
		sqlite3_column_bytes(st, c + 3), full, true);
	if (reporter)
		cJSON_AddStringToObject(item, "reporter", reporter);
	else
		cJSON_AddNullToObject(item, "reporter");
	if (phone)
		cJSON_AddStringToObject(item, "phone", phone);
	else
		cJSON_AddNullToObject(item, "phone");
	free(reporter);
	free(phone);
	if (sqlite3_column_type(st, c + 4) == SQLITE_NULL) {
		cJSON_AddNullToObject(item, "member");
	} else {
		cJSON *m = cJSON_AddObjectToObject(item, "member");
		cJSON_AddStringToObject(m, "id", proto_db_text(st, c + 4));
		cJSON_AddStringToObject(m, "name", proto_db_text(st, c + 5));
	}
	add_text_or_null(item, "rating", st, c + 6);
	cJSON_AddNumberToObject(item, "created", (double)sqlite3_column_int64(st, c + 7));
	cJSON_AddBoolToObject(item, "personal_full", full);

	/* What this user may do now: what her station may (protocol/loop.h). */
	int state = proto_state_parse(proto_db_text(st, 4));
	int roles = proto_loop_roles(u->scope, handler, origin);
	char parent[PROTO_CODE_MAX + 1];
	cJSON *actions = cJSON_AddArrayToObject(out, "actions");
	for (int s = 0; state >= 0 && s < PROTO_STEP__COUNT; s++) {
		proto_state next;
		if (proto_loop_next((proto_state)state, (proto_step)s, roles,
			    PROTO_RATING_SATISFIED, &next) != PROTO_OK)
			continue;
		if (s == PROTO_STEP_RETURN && !proto_code_parent(handler, parent))
			continue; /* the county has no one to return it to */
		if (s == PROTO_STEP_ASSIGN)
			may_assign = true;
		cJSON_AddItemToArray(actions, cJSON_CreateString(proto_step_name((proto_step)s)));
	}
	sqlite3_finalize(st);
	st = NULL;
	add_events(db, out, id);
	add_members(db, out, handler, may_assign);
done:
	sqlite3_finalize(st);
	return out;
}

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
	int64_t limit = arg_int(r, "limit", 50, 1, 500, &bad);
	int64_t offset = arg_int(r, "offset", 0, 0, 10000000, &bad);
	sqlite3_stmt *st;
	cJSON *out, *a;

	if (bad) {
		dash_reply_error(r, 400, "bad_request", "limit is 1..500, offset 0 or more");
		return;
	}
	if (!dash_scope_arg(r, db, scope))
		return;
	/* Fixed fragments only; every value is bound. */
	snprintf(where, sizeof where, "WHERE " WITHIN("i.origin"));
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
	snprintf(sql, sizeof sql, "SELECT " SUMMARY_COLS " " SUMMARY_FROM "%s "
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
				cJSON_AddItemToArray(a, summary_row(st));
		} else if (sqlite3_step(st) == SQLITE_ROW) {
			cJSON_AddNumberToObject(out, "total", (double)sqlite3_column_int64(st, 0));
		}
		sqlite3_finalize(st);
	}
	dash_reply_json(r, 200, out);
}

/* ------------------------------------------------------------ areas */

typedef struct child {
	char code[PROTO_CODE_MAX + 1];
	char name[128];
	const char *weather;
	int64_t open[PROTO_COLOUR__COUNT];
	int64_t stations, offline;
} child;

/* The children of scope (one tier down) with their open items by colour,
 * stations and offline stations. *n of them in a malloc'd array. */
static child *children_of(sqlite3 *db, const char *scope, size_t *n)
{
	proto_tier tier = proto_code_tier(scope);
	int width = tier >= PROTO_TIER_COUNTY && tier < PROTO_TIER_GROUP ?
		(int)proto_tier_digits((proto_tier)(tier + 1)) : 0;
	child *c = NULL;
	size_t cap = 0;
	sqlite3_stmt *st;

	*n = 0;
	if (!width)
		return NULL;
	st = proto_db_prepare(db, "SELECT s.code, s.name, w.weather FROM stations s "
		"LEFT JOIN weather w ON w.code = s.code "
		"WHERE " BELOW("s.code") " AND length(s.code) = ?2 ORDER BY s.code");
	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, width);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 32;
			child *p = realloc(c, cap * sizeof *p);
			if (!p)
				break;
			c = p;
		}
		child *x = &c[(*n)++];
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
		"sum(open_orange), sum(open_red) FROM tally WHERE " WITHIN("origin")
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
		"FROM stations WHERE " BELOW("code") " AND length(code) >= ?2 GROUP BY 1");
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

static cJSON *children_json(sqlite3 *db, const char *scope)
{
	size_t n;
	child *c = children_of(db, scope, &n);
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

static cJSON *scope_json(sqlite3 *db, const char *scope)
{
	char name[128] = "", parent[PROTO_CODE_MAX + 1];
	cJSON *o;

	station_name(db, scope, name, sizeof name);
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
	o = scope_json(db, scope);
	cJSON_AddItemToObject(o, "children", children_json(db, scope));
	dash_reply_json(r, 200, o);
}

void dash_figures_json(cJSON *out, const hub_figures *f)
{
	hub_figure_name n[HUB_FIGURES_NAMES];
	size_t k = hub_figures_names(f, n);

	for (size_t i = 0; i < k; i++)
		if (n[i].rate)
			add_rate(out, n[i].name, n[i].part, n[i].whole);
		else
			cJSON_AddNumberToObject(out, n[i].name, (double)n[i].value);
}

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
	sqlite3_stmt *st = proto_db_prepare(db, "SELECT " SUMMARY_COLS " " SUMMARY_FROM
		"WHERE i.item IN (SELECT item FROM items WHERE " WITHIN("origin")
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
		cJSON_AddItemToArray(a, summary_row(st));
	sqlite3_finalize(st);
	return a;
}

static cJSON *offline(sqlite3 *db, const char *scope)
{
	cJSON *o = cJSON_CreateObject(), *a;
	sqlite3_stmt *st = proto_db_prepare(db, "SELECT count(*) FROM stations "
		"WHERE " WITHIN("code") " AND online = 0");

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
		", s.last_seen FROM stations s WHERE " WITHIN("s.code") " AND s.online = 0 "
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

cJSON *dash_alert_row(sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "area", proto_db_text(st, 0));
	cJSON_AddStringToObject(o, "area_name", proto_db_text(st, 1));
	cJSON_AddStringToObject(o, "category", proto_db_text(st, 2));
	cJSON_AddStringToObject(o, "colour", proto_db_text(st, 3));
	cJSON_AddNumberToObject(o, "at", (double)sqlite3_column_int64(st, 4));
	cJSON_AddNumberToObject(o, "count", sqlite3_column_int(st, 5));
	return o;
}

static cJSON *alerts(sqlite3 *db, const char *scope)
{
	sqlite3_stmt *st = proto_db_prepare(db, "SELECT a.area, s.name, a.category, "
		"a.colour, a.at, a.count FROM alerts a LEFT JOIN stations s ON s.code = a.area "
		"WHERE " WITHIN("a.area") " ORDER BY a.id DESC LIMIT 20");
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
	cJSON_AddItemToObject(o, "scope", scope_json(db, scope));
	figures(db, scope, now, cJSON_AddObjectToObject(o, "figures"));
	cJSON_AddItemToObject(o, "children", children_json(db, scope));
	cJSON_AddItemToObject(o, "urgent", urgent(db, scope));
	cJSON_AddItemToObject(o, "offline", offline(db, scope));
	cJSON_AddItemToObject(o, "alerts", alerts(db, scope));
	dash_reply_json(r, 200, o);
}

/* ------------------------------------------------------------ stats */

#define BUCKETS_MAX 400

static void bucket_key(int64_t ms, const char *period, char out[16])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(out, 16, period[0] == 'd' ? "%Y-%m-%d" : period[0] == 'w' ? "%G-W%V" :
		"%Y-%m", &tm);
}

static int bucket_find(char (*keys)[16], int n, const char *key)
{
	int lo = 0, hi = n - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2, c = strcmp(keys[mid], key);
		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

typedef struct rank {
	char code[PROTO_CODE_MAX + 1];
	char name[128];
	hub_figures f;
} rank;

static double rate_of(int64_t part, int64_t whole)
{
	return whole > 0 ? (double)part / (double)whole : -1;
}

static int rank_code_cmp(const void *a, const void *b)
{
	return strcmp(((const rank *)a)->code, ((const rank *)b)->code);
}

typedef struct rank_set {
	rank *r;
	size_t n;
} rank_set;

/* The row of the area `code` (the rows sorted by code), for
 * hub_figures_count_areas. */
static hub_figures *rank_find(const char *code, void *arg)
{
	rank_set *s = arg;
	rank key;

	snprintf(key.code, sizeof key.code, "%s", code);
	rank *x = bsearch(&key, s->r, s->n, sizeof *s->r, rank_code_cmp);
	return x ? &x->f : NULL;
}

/* The rows to rank: the scope's children, or (rank=village) every village
 * within it, named with their town (two villages of a county may share a
 * name). *width: their codes' length. NULL with *n 0 when there are none. */
static rank *rank_rows(sqlite3 *db, const char *scope, bool villages, size_t *n,
	size_t *width)
{
	rank *rk = NULL;

	*n = 0;
	*width = 0;
	if (!villages) {
		child *c = children_of(db, scope, n);
		rk = *n ? calloc(*n, sizeof *rk) : NULL;
		for (size_t i = 0; rk && i < *n; i++) {
			snprintf(rk[i].code, sizeof rk[i].code, "%s", c[i].code);
			snprintf(rk[i].name, sizeof rk[i].name, "%s", c[i].name);
			*width = strlen(c[i].code);
		}
		free(c);
		if (!rk)
			*n = 0;
		return rk;
	}
	size_t cap = 0;
	sqlite3_stmt *st = proto_db_prepare(db, "SELECT s.code, "
		DASH_STATION_LABEL("s.code", "s.name") " FROM stations s WHERE "
		BELOW("s.code") " AND length(s.code) = ?2 ORDER BY s.code");
	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (int)proto_tier_digits(PROTO_TIER_VILLAGE));
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			rank *p = realloc(rk, cap * sizeof *p);
			if (!p)
				break;
			rk = p;
		}
		rank *x = &rk[(*n)++];
		memset(x, 0, sizeof *x);
		proto_db_copy_text(x->code, sizeof x->code, st, 0);
		proto_db_copy_text(x->name, sizeof x->name, st, 1);
	}
	sqlite3_finalize(st);
	*width = proto_tier_digits(PROTO_TIER_VILLAGE);
	return rk;
}

/* Resolved (closed) items into their bucket: hub_figures_closures' each. */
typedef struct closures {
	char (*keys)[16];
	int n;
	const char *period;
	int64_t *count;
} closures;

static void closure_at(int64_t at, void *arg)
{
	closures *c = arg;
	char k[16];

	bucket_key(at, c->period, k);
	int b = bucket_find(c->keys, c->n, k);
	if (b >= 0)
		c->count[b]++;
}

/* Satisfaction, then the on-time rate, then the more items resolved. */
static int rank_cmp(const void *a, const void *b)
{
	const rank *x = a, *y = b;
	double sx = rate_of(x->f.satisfied, x->f.rated), sy = rate_of(y->f.satisfied, y->f.rated);
	double ox = rate_of(x->f.resolved_on_time, x->f.resolve_due);
	double oy = rate_of(y->f.resolved_on_time, y->f.resolve_due);

	if (sx != sy)
		return sx > sy ? -1 : 1;
	if (ox != oy)
		return ox > oy ? -1 : 1;
	if (x->f.visit_due != y->f.visit_due)
		return x->f.visit_due > y->f.visit_due ? -1 : 1;
	return strcmp(x->code, y->code);
}

/* Hub ms of local midnight `back` days before the day of `ms`. */
static int64_t midnight_before(int64_t ms, int back)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mday -= back;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm) * 1000;
}

void dash_api_stats(dash_req *r, sqlite3 *db)
{
	const char *period = dash_arg(r, "period"), *rank_by = dash_arg(r, "rank");
	char scope[PROTO_CODE_MAX + 1], (*keys)[16] = NULL;
	bool bad = false;
	int64_t now = hub_clock_now(), day = 86400000;
	int n = 0;
	/* days=N: the last N days of the hub's local time, today's so far
	 * included (the wall's trend and its 今日 figures). */
	int64_t days = arg_int(r, "days", 0, 1, 92, &bad);

	if (bad) {
		dash_reply_error(r, 400, "bad_request", "days is 1..92");
		return;
	}
	if (!period || !*period || days)
		period = "day";
	if (strcmp(period, "day") && strcmp(period, "week") && strcmp(period, "month")) {
		dash_reply_error(r, 400, "bad_request", "period is day, week or month");
		return;
	}
	if (rank_by && *rank_by && strcmp(rank_by, "children") && strcmp(rank_by, "village") &&
	    strcmp(rank_by, "none")) {
		dash_reply_error(r, 400, "bad_request", "rank is children, village or none");
		return;
	}
	if (!rank_by || !*rank_by)
		rank_by = "children";
	int64_t span = period[0] == 'd' ? 30 * day : period[0] == 'w' ? 12 * 7 * day :
		365 * day;
	int64_t to = days ? now : arg_int(r, "to", now, 0, INT64_C(1) << 50, &bad);
	int64_t from = days ? midnight_before(now, (int)days - 1) :
		arg_int(r, "from", to - span, 0, INT64_C(1) << 50, &bad);
	if (bad || from >= to || (to - from) / day > 5 * 366) {
		dash_reply_error(r, 400, "bad_request",
			"from and to are ms with from < to, at most five years apart");
		return;
	}
	if (!dash_scope_arg(r, db, scope))
		return;
	keys = calloc(BUCKETS_MAX, sizeof *keys);
	if (!keys) {
		dash_reply_error(r, 500, "internal", "out of memory");
		return;
	}
	/* Bucket labels in order: every day of the span gives its key once. */
	for (int64_t t = from; ; t += day) {
		char k[16];
		bucket_key(t < to ? t : to - 1, period, k);
		if (!n || strcmp(keys[n - 1], k) != 0) {
			if (n == BUCKETS_MAX) {
				bad = true;
				break;
			}
			memcpy(keys[n++], k, 16);
		}
		if (t >= to - 1)
			break;
	}
	if (bad) {
		free(keys);
		dash_reply_error(r, 400, "bad_request", "more than 400 buckets");
		return;
	}
	int64_t (*cat)[BUCKETS_MAX] = calloc(PROTO_CAT__COUNT + PROTO_COLOUR__COUNT + 3,
		sizeof *cat);
	if (!cat) {
		free(keys);
		dash_reply_error(r, 500, "internal", "out of memory");
		return;
	}
	int64_t (*colour)[BUCKETS_MAX] = cat + PROTO_CAT__COUNT;
	int64_t *esc = cat[PROTO_CAT__COUNT + PROTO_COLOUR__COUNT];
	int64_t *received = cat[PROTO_CAT__COUNT + PROTO_COLOUR__COUNT + 1];
	int64_t *resolved = cat[PROTO_CAT__COUNT + PROTO_COLOUR__COUNT + 2];
	/* By the colour it was reported in (the report's), not the colour it
	 * has now: an escalation is a series of its own. */
	sqlite3_stmt *st = proto_db_prepare(db, "SELECT i.received, i.category, r.colour, "
		"i.escalations FROM items i JOIN reports r ON r.item = i.item WHERE "
		WITHIN("i.origin") " AND i.received >= ?2 AND i.received < ?3");
	if (st) {
		sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, from);
		sqlite3_bind_int64(st, 3, to);
		while (sqlite3_step(st) == SQLITE_ROW) {
			char k[16];
			bucket_key(sqlite3_column_int64(st, 0), period, k);
			int b = bucket_find(keys, n, k);
			int c = proto_category_parse(proto_db_text(st, 1));
			int l = proto_colour_parse(proto_db_text(st, 2));
			if (b < 0)
				continue;
			received[b]++;
			if (c >= 0)
				cat[c][b]++;
			if (l >= 0)
				colour[l][b]++;
			esc[b] += sqlite3_column_int64(st, 3);
		}
		sqlite3_finalize(st);
	}
	/* Closures (办结) by the day of their last resolve, whenever reported. */
	closures cl = {keys, n, period, resolved};
	hub_figures_closures(db, scope, from, to, closure_at, &cl);
	cJSON *o = cJSON_CreateObject(), *a;
	cJSON_AddStringToObject(o, "period", period);
	cJSON_AddNumberToObject(o, "from", (double)from);
	cJSON_AddNumberToObject(o, "to", (double)to);
	a = cJSON_AddArrayToObject(o, "buckets");
	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(keys[i]));
	cJSON *bc = cJSON_AddObjectToObject(o, "by_category");
	for (int c = 0; c < PROTO_CAT__COUNT; c++) {
		a = cJSON_AddArrayToObject(bc, proto_category_name((proto_category)c));
		for (int i = 0; i < n; i++)
			cJSON_AddItemToArray(a, cJSON_CreateNumber((double)cat[c][i]));
	}
	cJSON *bl = cJSON_AddObjectToObject(o, "by_colour");
	for (int c = 0; c < PROTO_COLOUR__COUNT; c++) {
		a = cJSON_AddArrayToObject(bl, proto_colour_name((proto_colour)c));
		for (int i = 0; i < n; i++)
			cJSON_AddItemToArray(a, cJSON_CreateNumber((double)colour[c][i]));
	}
	a = cJSON_AddArrayToObject(o, "escalations");
	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber((double)esc[i]));
	a = cJSON_AddArrayToObject(o, "received");
	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber((double)received[i]));
	a = cJSON_AddArrayToObject(o, "resolved");
	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber((double)resolved[i]));
	free(cat);
	free(keys);

	/* The scope's figures over the period, as the overview's for all time. */
	hub_figures f;
	if (hub_figures_count(db, scope, from, to, now, &f))
		memset(&f, 0, sizeof f);
	dash_figures_json(cJSON_AddObjectToObject(o, "figures"), &f);

	/* Rankings over the same period (of the scope's children, or of every
	 * village within it): by the items reported within each, and by the
	 * items each handles now (whoever did the work). The scope's items
	 * read once for each. */
	size_t nr = 0, width = 0;
	rank *rk = strcmp(rank_by, "none") ? rank_rows(db, scope, rank_by[0] == 'v', &nr,
		&width) : NULL;
	cJSON_AddStringToObject(o, "rank", rank_by);
	for (int by = 0; by < 2 && strcmp(rank_by, "none"); by++) {
		rank_set set = {rk, nr};
		if (rk) {
			qsort(rk, nr, sizeof *rk, rank_code_cmp);
			for (size_t i = 0; i < nr; i++)
				memset(&rk[i].f, 0, sizeof rk[i].f);
			if (hub_figures_count_areas(db, by, scope, width, from, to, now,
				    rank_find, &set))
				for (size_t i = 0; i < nr; i++)
					memset(&rk[i].f, 0, sizeof rk[i].f);
			qsort(rk, nr, sizeof *rk, rank_cmp);
		}
		a = cJSON_AddArrayToObject(o, by ? "ranking_handled" : "ranking");
		for (size_t i = 0; rk && i < nr; i++) {
			cJSON *x = cJSON_CreateObject();
			cJSON_AddStringToObject(x, "code", rk[i].code);
			cJSON_AddStringToObject(x, "name", rk[i].name);
			cJSON_AddStringToObject(x, "tier",
				proto_tier_name(proto_code_tier(rk[i].code)));
			/* Resolved (and so due for its return visit). */
			cJSON_AddNumberToObject(x, "closed", (double)rk[i].f.visit_due);
			dash_figures_json(x, &rk[i].f);
			cJSON_AddItemToArray(a, x);
		}
	}
	free(rk);
	dash_reply_json(r, 200, o);
}
