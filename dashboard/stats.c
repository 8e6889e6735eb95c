/* The statistics (GET /api/stats): over a period (the last N days, or
 * from..to by day, week or month), the items reported by category and by
 * colour, escalations and closures per bucket, the scope's figures, and
 * the rankings of its children (or of every village) by satisfaction and
 * on-time rate, both by where items were reported and by who handles them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dashboard/dash-int.h"
#include "hub/clock.h"
#include "hub/figures.h"
#include "protocol/db.h"

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
		dash_area *c = dash_children(db, scope, n);
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
		DASH_BELOW("s.code") " AND length(s.code) = ?2 ORDER BY s.code");
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
	int64_t days = dash_arg_int(r, "days", 0, 1, 92, &bad);

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
	int64_t to = days ? now : dash_arg_int(r, "to", now, 0, INT64_C(1) << 50, &bad);
	int64_t from = days ? midnight_before(now, (int)days - 1) :
		dash_arg_int(r, "from", to - span, 0, INT64_C(1) << 50, &bad);
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
		DASH_WITHIN("i.origin") " AND i.received >= ?2 AND i.received < ?3");
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
