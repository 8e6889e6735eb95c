/* 民情气象: an area's weather from the items in hand reported within it.
 * storm 雷暴: any red; rain 雨: an orange overdue (reminded: at its limit
 * it turns red); overcast 阴: any orange, or many blue at one station of
 * blue's tier; cloudy 多云: blue only; clear 晴: nothing in hand. The
 * counts are the tally's (tally.c), moved by the workflow as items change.
 * Over the base layer (hub/item.h) only.
 *
 * Every rule asks whether some item, or some station of blue's tier, is so:
 * above blue's tier an area's weather is the worst of its own station's
 * items and its children's weather. So a town or the county is computed
 * from a few stored rows, never from every open item under it (which, per
 * commit under load, stalled receipts); children go before their parents. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/weather.h"
#include "protocol/db.h"
#include "protocol/clock.h"
#include "protocol/log.h"
#include "protocol/str.h"

static const char *const weathers[] = {"clear", "cloudy", "overcast", "rain", "storm"};

static int rank(const char *w)
{
	for (int i = 0; i < (int)(sizeof weathers / sizeof *weathers); i++)
		if (strcmp(w, weathers[i]) == 0)
			return i;
	return 0;
}

/* The weather of the items of the stations under code, or (own) of the
 * station code itself only, from their rows in the tally. "Overdue" is an
 * orange item already reminded: at its limit the timer raises it to red. */
static const char *compute_items(hub_workflow *l, const char *code, bool own)
{
	sqlite3_stmt *st = l->st[own ? LS_AREA_OWN : LS_AREA];
	int blue_width = (int)proto_tier_digits(l->pol.colour[PROTO_COLOUR_BLUE].tier);
	int64_t blue = 0, orange = 0, red = 0, late = 0, most_blue = 0;

	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		blue = sqlite3_column_int64(st, 0);
		orange = sqlite3_column_int64(st, 1);
		red = sqlite3_column_int64(st, 2);
		late = sqlite3_column_int64(st, 3);
	}
	proto_db_reset(st);
	if (red)
		return "storm";
	if (late)
		return "rain";
	if (own) {
		most_blue = blue; /* one station */
	} else if (blue >= l->pol.weather.many_blue && blue_width > 0) {
		/* Counted per station of blue's tier, else a county of 200
		 * villages would never be clear of cloud. */
		st = l->st[LS_BLUE_MAX];
		sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, blue_width);
		if (sqlite3_step(st) == SQLITE_ROW)
			most_blue = sqlite3_column_int64(st, 0);
		proto_db_reset(st);
	}
	if (orange || most_blue >= l->pol.weather.many_blue)
		return "overcast";
	if (blue)
		return "cloudy";
	return "clear";
}

static const char *compute(hub_workflow *l, const char *code)
{
	int blue_width = (int)proto_tier_digits(l->pol.colour[PROTO_COLOUR_BLUE].tier);
	int width = (int)strlen(code);
	proto_tier tier = proto_code_tier(code);
	sqlite3_stmt *st = l->st[LS_CHILD_WEATHER];
	const char *w;

	if (blue_width <= 0 || width >= blue_width || tier >= PROTO_TIER_GROUP)
		return compute_items(l, code, false);
	w = compute_items(l, code, true);
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (int)proto_tier_digits((proto_tier)(tier + 1)));
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *c = (const char *)sqlite3_column_text(st, 0);
		if (c && rank(c) > rank(w))
			w = weathers[rank(c)];
	}
	proto_db_reset(st);
	return w;
}

/* Weather of one area now, stored when it changed. */
static proto_err store_weather(hub_workflow *l, const char *area, int64_t now)
{
	sqlite3_stmt *st = l->st[LS_WEATHER_GET];
	const char *w = compute(l, area);
	char was[16] = "";

	sqlite3_bind_text(st, 1, area, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		proto_db_copy_text(was, sizeof was, st, 0);
	proto_db_reset(st);
	if (strcmp(was, w) == 0)
		return PROTO_OK;
	st = l->st[LS_WEATHER_SET];
	sqlite3_bind_text(st, 1, area, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, w, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	log_debug("weather of %s: %s -> %s", area, was[0] ? was : "-", w);
	proto_err err = proto_db_step(st);
	if (!err)
		hub_workflow_notify(l, HUB_CHANGE_WEATHER, area, w, 0);
	return err;
}

static int deeper_first(const void *a, const void *b)
{
	size_t x = strlen(a), y = strlen(b);
	return (x < y) - (x > y);
}

proto_err hub_workflow_weather_flush(hub_workflow *l, int64_t now, bool force)
{
	int64_t mono = proto_mono_ms();
	proto_err err = PROTO_OK;

	if (!l->n_dirty || (!force && mono - l->weather_at < 250))
		return PROTO_OK;
	/* Children before parents: a parent reads their stored weather. */
	qsort(l->dirty, l->n_dirty, sizeof l->dirty[0], deeper_first);
	for (size_t i = 0; !err && i < l->n_dirty; i++)
		err = store_weather(l, l->dirty[i], now);
	l->n_dirty = 0;
	memset(l->dirty_at, 0, sizeof l->dirty_at);
	l->weather_at = mono;
	return err;
}

/* The slot of area in the dirty index: where it is, or the empty slot
 * where it would go. The index has four slots per entry, never full. */
static size_t slot_of(const hub_workflow *l, const char *area)
{
	const size_t n = sizeof l->dirty_at / sizeof l->dirty_at[0];

	for (size_t h = proto_str_hash(area) % n;; h = (h + 1) % n)
		if (!l->dirty_at[h] || strcmp(l->dirty[l->dirty_at[h] - 1], area) == 0)
			return h;
}

proto_err workflow_weather_update(hub_workflow *l, const char *code, int64_t now)
{
	char area[PROTO_CODE_MAX + 1];

	proto_copy(area, sizeof area, code);
	for (;;) {
		size_t h = slot_of(l, area);
		/* An area's ancestors were marked with it. */
		if (l->dirty_at[h])
			break;
		if (l->n_dirty == WORKFLOW_DIRTY_MAX) {
			proto_err err = hub_workflow_weather_flush(l, now, true);
			if (err)
				return err;
			h = slot_of(l, area);
		}
		proto_copy(l->dirty[l->n_dirty++], PROTO_CODE_MAX + 1, area);
		l->dirty_at[h] = (uint16_t)l->n_dirty;
		char parent[PROTO_CODE_MAX + 1];
		if (!proto_code_parent(area, parent))
			break;
		proto_copy(area, sizeof area, parent);
	}
	return PROTO_OK;
}
