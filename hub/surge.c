/* Escalation by pattern (研判预警), the surge rule: when the open reports of
 * one service item in one town within the policy's window reach its count
 * (or its red count), an area alert is raised, once per level. A flood of
 * reports must not cost a count each: a town's service item past the
 * highest level is remembered as full until the oldest counted leaves the
 * window, leaves its handlers' hands or is rolled back. Over the base
 * layer (hub/item.h) only. */
#include <stdio.h>
#include <string.h>

#include "hub/store.h"
#include "hub/surge.h"
#include "protocol/db.h"
#include "protocol/log.h"
#include "protocol/str.h"

/* Binds the surge query's town, service item, window and limit. */
static void bind_surge(hub_workflow *l, sqlite3_stmt *st, const char *town,
	const workflow_item *it, int64_t now, int limit)
{
	sqlite3_bind_text(st, 1, town, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, proto_category_name(it->category), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now - l->pol.surge.window_ms);
	sqlite3_bind_int(st, 4, limit);
}

/* The slot of town's service item c in the surge rule's memory. */
static workflow_surge_full *surge_slot(hub_workflow *l, const char *town, proto_category c)
{
	return &l->surge_full[(proto_str_hash(town) ^ ((uint32_t)c * 2654435761u)) %
			      WORKFLOW_SURGE_SLOTS];
}

/* Whether town's service item c was full, and still is at now. */
static bool surge_full(hub_workflow *l, const char *town, proto_category c, int64_t now)
{
	const workflow_surge_full *f = surge_slot(l, town, c);

	return f->town[0] && f->category == c && strcmp(f->town, town) == 0 &&
	       now < f->until && f->undone == hub_store_undone(l->store);
}

void workflow_surge_reset(hub_workflow *l)
{
	memset(l->surge_full, 0, sizeof l->surge_full);
}

void workflow_surge_forget(hub_workflow *l, const workflow_item *it)
{
	char town[PROTO_CODE_MAX + 1];
	workflow_surge_full *f;

	if (!proto_code_ancestor(it->origin, PROTO_TIER_TOWN, town))
		return;
	f = surge_slot(l, town, it->category);
	if (f->category == it->category && strcmp(f->town, town) == 0)
		f->town[0] = '\0';
}

proto_err workflow_surge(hub_workflow *l, const workflow_item *it, int64_t now)
{
	sqlite3_stmt *st = l->st[LS_SURGE_COUNT];
	char town[PROTO_CODE_MAX + 1], items[1024] = "[";
	size_t used = 1;
	int count = 0;
	int64_t oldest = 0;
	proto_colour colour;
	/* Only "exactly N" and "exactly red N" matter: one more tells both. */
	int limit = (l->pol.surge.red_count > l->pol.surge.count ?
		l->pol.surge.red_count : l->pol.surge.count) + 1;

	/* Reports of the county's own station belong to no town. */
	if (proto_code_tier(it->origin) < PROTO_TIER_TOWN ||
	    !proto_code_ancestor(it->origin, PROTO_TIER_TOWN, town))
		return PROTO_OK;
	/* A flood of one kind in one town counts once, not at every report. */
	if (surge_full(l, town, it->category, now))
		return PROTO_OK;
	bind_surge(l, st, town, it, now, limit);
	if (sqlite3_step(st) == SQLITE_ROW) {
		count = sqlite3_column_int(st, 0);
		oldest = sqlite3_column_int64(st, 1);
	}
	proto_db_reset(st);
	if (count >= limit) {
		/* Full until the oldest counted leaves the window: new
		 * reports only add to the count. */
		workflow_surge_full *f = surge_slot(l, town, it->category);
		proto_copy(f->town, sizeof f->town, town);
		f->category = it->category;
		f->until = oldest + l->pol.surge.window_ms;
		f->undone = hub_store_undone(l->store);
		return PROTO_OK;
	}
	/* Fires on the N-th report exactly, once per level, not on every one
	 * after it. */
	if (count == l->pol.surge.count)
		colour = l->pol.surge.colour;
	else if (l->pol.surge.red_count && count == l->pol.surge.red_count)
		colour = PROTO_COLOUR_RED;
	else
		return PROTO_OK;
	st = l->st[LS_SURGE];
	bind_surge(l, st, town, it, now, count);
	count = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		int w = snprintf(items + used, sizeof items - used, "%s\"%s\"",
			count ? "," : "", id ? id : "");
		if (w > 0 && (size_t)w < sizeof items - used - 1)
			used += (size_t)w;
		count++;
	}
	proto_db_reset(st);
	snprintf(items + used, sizeof items - used, "]");
	st = l->st[LS_ALERT];
	sqlite3_bind_text(st, 1, town, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, proto_category_name(it->category), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, proto_colour_name(colour), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int(st, 5, count);
	sqlite3_bind_text(st, 6, items, -1, SQLITE_STATIC);
	log_warn("surge alert (%s) for town %s: %d open %s reports within the window",
		proto_colour_name(colour), town, count, proto_category_name(it->category));
	proto_err err = proto_db_step(st);
	if (!err)
		hub_workflow_notify(l, HUB_CHANGE_ALERT, town, NULL, sqlite3_last_insert_rowid(l->db));
	return err;
}
