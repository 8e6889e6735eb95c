/* The tally: one row per reporting station holding what the dashboard's
 * headline figures and area counts, and the areas' weather, are made of.
 * The workflow moves an item's counts as it writes the item, in the same
 * transaction. (Older hubs kept it with SQLite triggers: with their
 * statement journals they cost a fifth of the hub's work per report.) */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/figures.h"
#include "hub/schema.h"
#include "hub/tally.h"
#include "protocol/db.h"
#include "protocol/log.h"

/* The columns after origin and collected, in the order of the parts. */
static const char *const names[HUB_TALLY__COUNT] = {
	"open_blue", "open_orange", "open_red", "signed_for", "signed_on_time",
	"resolved", "resolved_on_time", "solved", "mediated", "visit_due",
	"visited", "rated", "satisfied", "escalated",
	"hand_blue", "hand_orange", "hand_red", "late_orange",
};

struct hub_tally {
	sqlite3 *db;
	sqlite3_stmt *update, *insert;
};

hub_tally_parts hub_tally_of(const hub_tally_item *it)
{
	hub_tally_parts p = {{0}};
	hub_figures f = {0};
	bool hand = it->state == PROTO_STATE_REPORTED || it->state == PROTO_STATE_SIGNED ||
		    it->state == PROTO_STATE_ASSIGNED;

	/* The figures as hub/figures.c defines them, with no deadline past:
	 * the parts that depend on the hour are counted when read. */
	hub_figures_add(&f, &(hub_figures_item){.state = it->state, .colour = it->colour,
		.category = it->category, .escalations = it->escalations,
		.sign_by = it->sign_by, .resolve_by = it->resolve_by,
		.signed_at = it->signed_at, .resolved_at = it->resolved_at,
		.rating = it->rating}, HUB_FIGURES_TIMELESS);
	p.v[HUB_TALLY_OPEN_BLUE] = (signed char)f.open[PROTO_COLOUR_BLUE];
	p.v[HUB_TALLY_OPEN_ORANGE] = (signed char)f.open[PROTO_COLOUR_ORANGE];
	p.v[HUB_TALLY_OPEN_RED] = (signed char)f.open[PROTO_COLOUR_RED];
	p.v[HUB_TALLY_SIGNED] = (signed char)f.sign_due;
	p.v[HUB_TALLY_SIGNED_ON_TIME] = (signed char)f.signed_on_time;
	p.v[HUB_TALLY_RESOLVED] = (signed char)f.resolve_due;
	p.v[HUB_TALLY_RESOLVED_ON_TIME] = (signed char)f.resolved_on_time;
	p.v[HUB_TALLY_SOLVED] = (signed char)f.solved;
	p.v[HUB_TALLY_MEDIATED] = (signed char)f.mediated;
	p.v[HUB_TALLY_VISIT_DUE] = (signed char)f.visit_due;
	p.v[HUB_TALLY_VISITED] = (signed char)f.visited;
	p.v[HUB_TALLY_RATED] = (signed char)f.rated;
	p.v[HUB_TALLY_SATISFIED] = (signed char)f.satisfied;
	p.v[HUB_TALLY_ESCALATED] = (signed char)f.escalated;
	/* The weather's: waiting on a handler; orange already reminded. */
	p.v[HUB_TALLY_HAND_BLUE] = hand && it->colour == PROTO_COLOUR_BLUE;
	p.v[HUB_TALLY_HAND_ORANGE] = hand && it->colour == PROTO_COLOUR_ORANGE;
	p.v[HUB_TALLY_HAND_RED] = hand && it->colour == PROTO_COLOUR_RED;
	p.v[HUB_TALLY_LATE_ORANGE] = hand && it->colour == PROTO_COLOUR_ORANGE &&
				     it->reminders > 0;
	return p;
}

bool hub_tally_in_hand(const hub_tally_parts *p)
{
	return p->v[HUB_TALLY_HAND_BLUE] || p->v[HUB_TALLY_HAND_ORANGE] ||
	       p->v[HUB_TALLY_HAND_RED];
}

/* Adds collected and the parts d to origin's row, making it if new. */
static proto_err add(hub_tally *t, const char *origin, int collected, const int *d)
{
	sqlite3_stmt *st = t->update;

	for (int pass = 0; pass < 2; pass++) {
		sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, collected);
		for (int i = 0; i < HUB_TALLY__COUNT; i++)
			sqlite3_bind_int(st, 3 + i, d[i]);
		if (proto_db_step(st))
			return PROTO_ERR_IO;
		if (st == t->insert || sqlite3_changes(t->db) > 0)
			break;
		st = t->insert;
	}
	return PROTO_OK;
}

proto_err hub_tally_move(hub_tally *t, const char *origin, const hub_tally_parts *was,
	const hub_tally_parts *now)
{
	int d[HUB_TALLY__COUNT];
	bool same = was != NULL;

	for (int i = 0; i < HUB_TALLY__COUNT; i++) {
		d[i] = now->v[i] - (was ? was->v[i] : 0);
		same = same && d[i] == 0;
	}
	return same ? PROTO_OK : add(t, origin, was ? 0 : 1, d);
}

/* Counts every stored item into an empty table, origin by origin. */
static proto_err fill(hub_tally *t)
{
	sqlite3_stmt *st = proto_db_prepare(t->db, "SELECT origin, state, colour, "
		"category, escalations, reminders, resolve_by, resolved_at, rating, "
		"sign_by, signed_at FROM items ORDER BY origin");
	char origin[PROTO_CODE_MAX + 1] = "";
	int sum[HUB_TALLY__COUNT] = {0}, n = 0, rc;
	proto_err err = PROTO_OK;

	if (!st)
		return PROTO_ERR_IO;
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *o = (const char *)sqlite3_column_text(st, 0);
		const char *s = (const char *)sqlite3_column_text(st, 1);
		const char *c = (const char *)sqlite3_column_text(st, 2);
		const char *k = (const char *)sqlite3_column_text(st, 3);
		hub_tally_item it = {
			.state = (proto_state)proto_state_parse(s ? s : ""),
			.colour = (proto_colour)proto_colour_parse(c ? c : ""),
			.category = (proto_category)proto_category_parse(k ? k : ""),
			.escalations = sqlite3_column_int(st, 4),
			.reminders = sqlite3_column_int(st, 5),
			.resolve_by = sqlite3_column_int64(st, 6),
			.resolved_at = sqlite3_column_int64(st, 7),
			.rating = (const char *)sqlite3_column_text(st, 8),
			.sign_by = sqlite3_column_int64(st, 9),
			.signed_at = sqlite3_column_int64(st, 10),
		};
		if (!o)
			continue;
		if (n && strcmp(o, origin) != 0) {
			err = add(t, origin, n, sum);
			memset(sum, 0, sizeof sum);
			n = 0;
		}
		snprintf(origin, sizeof origin, "%s", o);
		hub_tally_parts p = hub_tally_of(&it);
		for (int i = 0; i < HUB_TALLY__COUNT; i++)
			sum[i] += p.v[i];
		n++;
	}
	if (!err && rc != SQLITE_DONE) {
		log_error("sqlite: counting the tally: %s", sqlite3_errmsg(t->db));
		err = PROTO_ERR_IO;
	}
	if (!err && n)
		err = add(t, origin, n, sum);
	sqlite3_finalize(st);
	return err;
}

/* The rows must be counted afresh: no table, an older shape (of the
 * figures before hub/figures.c), an older hub's triggers, or counts that
 * do not add up to the items stored. */
static bool stale(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	bool bad = true;

	if (sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM sqlite_master WHERE "
		    "type = 'trigger' AND tbl_name = 'items' AND name LIKE 'tally%') = 0 "
		    "AND (SELECT count(*) FROM items) = "
		    "(SELECT coalesce(sum(collected), 0) FROM tally) "
		    "AND (SELECT escalated FROM tally LIMIT 0) IS NULL", -1, &st,
		    NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		bad = sqlite3_column_int(st, 0) == 0;
	sqlite3_finalize(st);
	return bad;
}

/* Prepares the statements from the names, over the table as hub/schema.c
 * makes it; false when they do not prepare (a table of an older shape). */
static bool prepare(hub_tally *t)
{
	char update[2048], insert[1024], values[256];
	size_t b, c, d;

	b = (size_t)snprintf(update, sizeof update, "UPDATE tally SET collected = "
		"collected + ?2");
	c = (size_t)snprintf(insert, sizeof insert, "INSERT INTO tally(origin, collected");
	d = (size_t)snprintf(values, sizeof values, "VALUES(?1, ?2");
	for (int i = 0; i < HUB_TALLY__COUNT; i++) {
		b += (size_t)snprintf(update + b, sizeof update - b, ", %s = %s + ?%d",
			names[i], names[i], i + 3);
		c += (size_t)snprintf(insert + c, sizeof insert - c, ", %s", names[i]);
		d += (size_t)snprintf(values + d, sizeof values - d, ", ?%d", i + 3);
	}
	snprintf(update + b, sizeof update - b, " WHERE origin = ?1");
	snprintf(insert + c, sizeof insert - c, ") %s)", values);
	sqlite3_finalize(t->update);
	sqlite3_finalize(t->insert);
	t->update = t->insert = NULL;
	/* Not logged: an older shape is counted afresh, not an error. */
	return sqlite3_prepare_v2(t->db, update, -1, &t->update, NULL) == SQLITE_OK &&
	       sqlite3_prepare_v2(t->db, insert, -1, &t->insert, NULL) == SQLITE_OK;
}

hub_tally *hub_tally_create(sqlite3 *db)
{
	hub_tally *t = calloc(1, sizeof *t);

	if (!t)
		return NULL;
	t->db = db;
	if (proto_db_exec(db, "BEGIN IMMEDIATE"))
		goto fail;
	/* A table whose columns are not all there (a hand-made or older
	 * shape) is counted afresh too. */
	bool recount = stale(db) || !prepare(t);

	if (recount) {
		/* Counted afresh in the transaction that drops the old
		 * triggers, so nothing slips between the two. */
		log_info("counting the stored items into the tally");
		if (proto_db_exec(db, "DROP TRIGGER IF EXISTS tally_insert;"
				      "DROP TRIGGER IF EXISTS tally_update;"
				      "DROP TRIGGER IF EXISTS tally_delete;"
				      "DROP TABLE IF EXISTS tally;" HUB_SCHEMA_TALLY))
			goto rollback;
		if (!prepare(t)) {
			log_error("sqlite: the tally's statements: %s", sqlite3_errmsg(db));
			goto rollback;
		}
	}
	/* Not stale, the table already adds up to the items (none when empty). */
	if ((recount && fill(t)) || proto_db_exec(db, "COMMIT"))
		goto rollback;
	return t;
rollback:
	proto_db_exec(db, "ROLLBACK");
fail:
	hub_tally_destroy(t);
	return NULL;
}

void hub_tally_destroy(hub_tally *t)
{
	if (!t)
		return;
	sqlite3_finalize(t->update);
	sqlite3_finalize(t->insert);
	free(t);
}
