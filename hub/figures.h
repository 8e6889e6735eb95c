/* The county's figures (收集民情, 在办, 超期, 按期签收率, 按期办结率, 化解困难,
 * 调处纠纷, 回访率, 满意率, 升级): the one place each is defined, item by
 * item. Every reader counts through here: the tally (all time, kept as the
 * workflow writes), the dashboard's overview, areas and statistics, the
 * ledgers and `minqing-hub stats`. docs/FIGURES.md says each definition in
 * words; a change here is a change there. */
#ifndef HUB_FIGURES_H
#define HUB_FIGURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "protocol/error.h"
#include "protocol/workflow.h"
#include "protocol/message.h"

typedef struct hub_figures {
	int64_t collected;                      /* 收集民情: items reported in [from,to) within scope */
	int64_t open[PROTO_COLOUR__COUNT];      /* 在办 by current colour */
	int64_t overdue;                        /* 超期 */
	int64_t sign_due, signed_on_time;       /* 按期签收率 = signed_on_time / sign_due */
	int64_t resolve_due, resolved_on_time;  /* 按期办结率 = resolved_on_time / resolve_due */
	int64_t solved;                         /* 化解困难 */
	int64_t mediated;                       /* 调处纠纷 */
	int64_t visit_due, visited;             /* 回访率 */
	int64_t rated, satisfied;               /* 满意率 */
	int64_t escalated;                      /* 升级 */
} hub_figures;

/* The fields of one item (a row of `items`) the figures depend on. */
typedef struct hub_figures_item {
	proto_state state;
	proto_colour colour;       /* current */
	proto_category category;
	int escalations;
	int64_t sign_by, resolve_by; /* the deadlines in force (hub time, ms) */
	int64_t signed_at;           /* last sign-for at its current tier; 0: none */
	int64_t resolved_at;         /* last resolve; 0: never */
	const char *rating;          /* NULL or "": not rated */
} hub_figures_item;

/* "now" for the parts of the figures that do not depend on time: nothing is
 * past a deadline yet. What the tally keeps. */
#define HUB_FIGURES_TIMELESS INT64_MIN

/* Adds one item to f as counted at hub time now (ms). With
 * HUB_FIGURES_TIMELESS only the parts that never change with time. */
void hub_figures_add(hub_figures *f, const hub_figures_item *it, int64_t now);

/* Adds to f the parts of one open item that depend on time: overdue, and
 * the sign-for or resolve it has already missed (sign_due, resolve_due).
 * hub_figures_add(it, now) = hub_figures_add(it, TIMELESS) + this. */
void hub_figures_add_late(hub_figures *f, proto_state state, int64_t sign_by,
	int64_t resolve_by, int64_t now);

/* f += g, field by field. */
void hub_figures_sum(hub_figures *f, const hub_figures *g);

/* Counts the figures of the items reported at or below `scope` (a station code
 * prefix as the dashboard uses) with received in [from, to), at hub time `now`
 * (ms). PROTO_OK or an error; *out zeroed first. Reads every item of the
 * period once. */
proto_err hub_figures_count(sqlite3 *db, const char *scope, int64_t from, int64_t to,
	int64_t now, hub_figures *out);

/* The same figures of the items whose current handler is at or below
 * scope (whoever did the work, not whoever reported it): the ranking's
 * "by items handled". An escalated or returned item counts for the
 * station that holds it now. */
proto_err hub_figures_count_handled(sqlite3 *db, const char *scope, int64_t from,
	int64_t to, int64_t now, hub_figures *out);

/* The same figures of many areas in one read: each item within scope (by
 * its reporting station, or with `handled` by its handler now) is added
 * to area(the first `width` characters of that station's code, arg), or
 * skipped when that returns NULL. With a county scope and width 12, the
 * county's villages, each item read once. area() must not keep `code`.
 * The caller zeroes the figures it hands out. PROTO_OK or an error. */
proto_err hub_figures_count_areas(sqlite3 *db, bool handled, const char *scope,
	size_t width, int64_t from, int64_t to, int64_t now,
	hub_figures *(*area)(const char *code, void *arg), void *arg);

/* 办结 (closed, as in 今日办结): an item counts as closed when it was last
 * resolved, if it is still resolved, verified or rated; an item reopened
 * (rated unsatisfied) is not, until it is resolved again, and then on that
 * day. True when an item in `state` with that last resolve counts. */
bool hub_figures_closed(proto_state state, int64_t resolved_at);

/* Calls each(at) for every item reported within scope that counts as
 * closed (hub_figures_closed) with its last resolve at in [from, to), hub
 * ms. PROTO_OK or an error (each may have been called for some). */
proto_err hub_figures_closures(sqlite3 *db, const char *scope, int64_t from, int64_t to,
	void (*each)(int64_t at, void *arg), void *arg);

/* The same figures for all time (from 0 to no end), cheaply: the tally's
 * rows of the scope (hub/tally.c, one per reporting station) plus the time
 * parts of the scope's open items, read from the covering index items_area
 * alone. Equal to hub_figures_count(db, scope, 0, INT64_MAX, now, out). */
proto_err hub_figures_all(sqlite3 *db, const char *scope, int64_t now, hub_figures *out);

/* The figures by name, as the API, `stats --json` and the ledger give
 * them: counts, and rates (part / whole; whole 0: no rate). */
typedef struct hub_figure_name {
	const char *name;       /* JSON key */
	const char *zh, *en;    /* as a county office reads it */
	int64_t value;          /* counts */
	int64_t part, whole;    /* rates: whole 0 means none */
	bool rate;
} hub_figure_name;

#define HUB_FIGURES_NAMES 22

/* Fills out[HUB_FIGURES_NAMES] from f; returns the count filled. */
size_t hub_figures_names(const hub_figures *f, hub_figure_name out[HUB_FIGURES_NAMES]);

#endif
