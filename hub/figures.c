/* The figures, item by item (docs/FIGURES.md says the same in words).
 *
 * An item is counted once, by the station that reported it, whatever it
 * went through: escalated, returned, extended, reopened. Each figure looks
 * at the item as it stands: its state, its current colour, the deadlines
 * in force at the tier that holds it (set when it reached that tier, moved
 * only by an extension), and when it was last signed for and resolved
 * there. Only overdue and the deadlines already missed depend on the hour;
 * everything else changes only when the item does, which is what lets the
 * tally keep the all-time figures as the workflow writes. */
#include <stdio.h>
#include <string.h>

#include "hub/figures.h"
#include "hub/tally.h"
#include "protocol/db.h"
#include "protocol/log.h"

/* Resolved and waiting for, or past, its return visit. */
static bool done(proto_state s)
{
	return s == PROTO_STATE_RESOLVED || s == PROTO_STATE_VERIFIED ||
	       s == PROTO_STATE_RATED;
}

void hub_figures_add_late(hub_figures *f, proto_state state, int64_t sign_by,
	int64_t resolve_by, int64_t now)
{
	if (!proto_state_open(state))
		return;
	/* Past the deadline it waits on: signing while reported, resolving
	 * once signed. A red item keeps its deadline (it has nowhere higher
	 * to go), so it stays overdue until it is done. */
	int64_t deadline = state == PROTO_STATE_REPORTED ? sign_by : resolve_by;
	if (deadline < now)
		f->overdue++;
	/* A sign-for or a resolve missed is due, and not on time, already. */
	if (state == PROTO_STATE_REPORTED && sign_by < now)
		f->sign_due++;
	if (resolve_by < now)
		f->resolve_due++;
}

void hub_figures_add(hub_figures *f, const hub_figures_item *it, int64_t now)
{
	const char *r = it->rating ? it->rating : "";
	bool solved = it->state == PROTO_STATE_VERIFIED || it->state == PROTO_STATE_RATED;

	f->collected++;
	if (proto_state_open(it->state) && (unsigned)it->colour < PROTO_COLOUR__COUNT)
		f->open[it->colour]++;
	/* Signed for at the tier that holds it: judged against that tier's
	 * sign-for deadline (or its extension). */
	if (it->signed_at > 0) {
		f->sign_due++;
		f->signed_on_time += it->signed_at <= it->sign_by;
	}
	/* Resolved: judged on its last resolve, against the resolve deadline
	 * in force then (reopened, it is open again and judged anew). */
	if (done(it->state)) {
		f->resolve_due++;
		f->resolved_on_time += it->resolved_at > 0 && it->resolved_at <= it->resolve_by;
		/* The return visit is due from the resolve on. */
		f->visit_due++;
		f->visited += solved;
	}
	/* Solved: the return visit found it done (回访 or 评价). */
	f->solved += solved;
	f->mediated += solved && it->category == PROTO_CAT_DISPUTE;
	f->rated += r[0] != '\0';
	f->satisfied += strcmp(r, "satisfied") == 0 || strcmp(r, "basic") == 0;
	f->escalated += it->escalations > 0;
	if (now != HUB_FIGURES_TIMELESS)
		hub_figures_add_late(f, it->state, it->sign_by, it->resolve_by, now);
}

void hub_figures_sum(hub_figures *f, const hub_figures *g)
{
	int64_t *a = (int64_t *)f;
	const int64_t *b = (const int64_t *)g;

	for (size_t i = 0; i < sizeof *f / sizeof(int64_t); i++)
		a[i] += b[i];
}

/* Counts the items whose column `by` (origin or handler) is within scope,
 * each into the figures area() gives for the first `width` characters of
 * that column (NULL: not counted). */
static proto_err count_by(sqlite3 *db, const char *by, const char *scope, size_t width,
	int64_t from, int64_t to, int64_t now, hub_figures *(*area)(const char *code,
	void *arg), void *arg)
{
	sqlite3_stmt *st;
	int rc;

	/* A database of an older hub, not yet started by this one (`stats`
	 * reads it as it is), has no signed_at: nothing counts as signed. */
	for (int pass = 0; pass < 2; pass++) {
		char q[512];
		snprintf(q, sizeof q, "SELECT state, colour, category, escalations, sign_by, "
			"resolve_by, %s, resolved_at, rating, substr(%s, 1, ?4) FROM items "
			"WHERE %s >= ?1 AND %s < ?1 || ';' AND received >= ?2 "
			"AND received < ?3", pass ? "NULL" : "signed_at", by, by, by);
		st = NULL;
		if (sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK)
			break;
		sqlite3_finalize(st);
		st = NULL;
	}
	if (!st) {
		log_error("sqlite: counting the figures: %s", sqlite3_errmsg(db));
		return PROTO_ERR_IO;
	}
	sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)width);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		hub_figures *f = area(proto_db_text(st, 9), arg);
		if (!f)
			continue;
		hub_figures_item it = {
			.state = (proto_state)proto_state_parse(proto_db_text(st, 0)),
			.colour = (proto_colour)proto_colour_parse(proto_db_text(st, 1)),
			.category = (proto_category)proto_category_parse(proto_db_text(st, 2)),
			.escalations = sqlite3_column_int(st, 3),
			.sign_by = sqlite3_column_int64(st, 4),
			.resolve_by = sqlite3_column_int64(st, 5),
			.signed_at = sqlite3_column_int64(st, 6),
			.resolved_at = sqlite3_column_int64(st, 7),
			.rating = proto_db_text(st, 8),
		};
		hub_figures_add(f, &it, now);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		log_error("sqlite: counting the figures: %s", sqlite3_errmsg(db));
		return PROTO_ERR_IO;
	}
	return PROTO_OK;
}

static hub_figures *the_one(const char *code, void *arg)
{
	(void)code;
	return arg;
}

proto_err hub_figures_count(sqlite3 *db, const char *scope, int64_t from, int64_t to,
	int64_t now, hub_figures *out)
{
	memset(out, 0, sizeof *out);
	return count_by(db, "origin", scope, 0, from, to, now, the_one, out);
}

proto_err hub_figures_count_handled(sqlite3 *db, const char *scope, int64_t from,
	int64_t to, int64_t now, hub_figures *out)
{
	memset(out, 0, sizeof *out);
	return count_by(db, "handler", scope, 0, from, to, now, the_one, out);
}

proto_err hub_figures_count_areas(sqlite3 *db, bool handled, const char *scope,
	size_t width, int64_t from, int64_t to, int64_t now,
	hub_figures *(*area)(const char *code, void *arg), void *arg)
{
	return count_by(db, handled ? "handler" : "origin", scope, width, from, to, now,
		area, arg);
}

bool hub_figures_closed(proto_state state, int64_t resolved_at)
{
	return done(state) && resolved_at > 0;
}

proto_err hub_figures_closures(sqlite3 *db, const char *scope, int64_t from, int64_t to,
	void (*each)(int64_t at, void *arg), void *arg)
{
	sqlite3_stmt *st;
	int rc;

	/* The scope's range of items_area, then each row's resolved_at: no
	 * index on it (each costs every write), and a wall asks once in a
	 * while, not per report. items_area, not items_period (which SQLite
	 * would pick): its state skips the open items without their rows. */
	st = proto_db_prepare(db, "SELECT state, resolved_at FROM items "
		"INDEXED BY items_area WHERE origin >= ?1 AND origin < ?1 || ';' "
		"AND state IN ('resolved', 'verified', 'rated') "
		"AND resolved_at >= ?2 AND resolved_at < ?3");
	if (!st)
		return PROTO_ERR_IO;
	sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t at = sqlite3_column_int64(st, 1);
		if (hub_figures_closed((proto_state)proto_state_parse(proto_db_text(st, 0)), at))
			each(at, arg);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return PROTO_OK;
	log_error("sqlite: counting the closures: %s", sqlite3_errmsg(db));
	return PROTO_ERR_IO;
}

proto_err hub_figures_all(sqlite3 *db, const char *scope, int64_t now, hub_figures *out)
{
	sqlite3_stmt *st;
	int64_t *v = (int64_t *)out;
	int rc;

	memset(out, 0, sizeof *out);
	st = proto_db_prepare(db, "SELECT " HUB_TALLY_FIGURES_SUM " FROM tally "
		"WHERE origin >= ?1 AND origin < ?1 || ';'");
	if (!st)
		return PROTO_ERR_IO;
	sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	/* The tally's columns are the struct's fields, in order. */
	for (int i = 0; rc == SQLITE_ROW && i < sqlite3_column_count(st); i++)
		v[i] = sqlite3_column_int64(st, i);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		goto fail;
	/* The open items only, from the covering index: never the rows. */
	st = proto_db_prepare(db, "SELECT state, sign_by, resolve_by FROM items "
		"INDEXED BY items_area WHERE origin >= ?1 AND origin < ?1 || ';' "
		"AND state IN ('reported', 'signed', 'assigned')");
	if (!st)
		return PROTO_ERR_IO;
	sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		hub_figures_add_late(out, (proto_state)proto_state_parse(proto_db_text(st, 0)),
			sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2), now);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return PROTO_OK;
fail:
	log_error("sqlite: reading the figures: %s", sqlite3_errmsg(db));
	return PROTO_ERR_IO;
}

size_t hub_figures_names(const hub_figures *f, hub_figure_name out[HUB_FIGURES_NAMES])
{
	int64_t open = f->open[PROTO_COLOUR_BLUE] + f->open[PROTO_COLOUR_ORANGE] +
		       f->open[PROTO_COLOUR_RED];
	const hub_figure_name n[HUB_FIGURES_NAMES] = {
		{"collected", "收集民情", "collected", f->collected, 0, 0, false},
		{"open", "在办", "open", open, 0, 0, false},
		{"open_blue", "在办(蓝)", "open, blue", f->open[PROTO_COLOUR_BLUE], 0, 0, false},
		{"open_orange", "在办(橙)", "open, orange", f->open[PROTO_COLOUR_ORANGE], 0, 0, false},
		{"open_red", "在办(红)", "open, red", f->open[PROTO_COLOUR_RED], 0, 0, false},
		{"overdue", "超期", "overdue", f->overdue, 0, 0, false},
		{"sign_due", "应签收", "due to be signed for", f->sign_due, 0, 0, false},
		{"signed_on_time", "按期签收", "signed for on time", f->signed_on_time, 0, 0, false},
		{"sign_rate", "按期签收率", "signed for on time", 0, f->signed_on_time,
			f->sign_due, true},
		{"resolve_due", "应办结", "due to be resolved", f->resolve_due, 0, 0, false},
		{"resolved_on_time", "按期办结", "resolved on time", f->resolved_on_time, 0, 0, false},
		{"on_time_rate", "按期办结率", "resolved on time", 0, f->resolved_on_time,
			f->resolve_due, true},
		{"solved", "化解困难", "hardships solved", f->solved, 0, 0, false},
		{"mediated", "调处纠纷", "disputes mediated", f->mediated, 0, 0, false},
		{"visit_due", "应回访", "due for a return visit", f->visit_due, 0, 0, false},
		{"visited", "已回访", "visited", f->visited, 0, 0, false},
		{"visit_rate", "回访率", "return visits", 0, f->visited, f->visit_due, true},
		{"rated", "已评价", "rated", f->rated, 0, 0, false},
		{"satisfied", "满意", "satisfied", f->satisfied, 0, 0, false},
		{"satisfaction", "满意率", "satisfaction", 0, f->satisfied, f->rated, true},
		{"escalated", "升级", "escalated", f->escalated, 0, 0, false},
		{NULL, NULL, NULL, 0, 0, 0, false},
	};
	size_t i;

	for (i = 0; i < HUB_FIGURES_NAMES && n[i].name; i++)
		out[i] = n[i];
	return i;
}
