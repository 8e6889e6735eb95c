/* The per-station tally of items: the all-time figures that do not depend
 * on the hour (hub/figures.c defines them), and the areas' weather's
 * counts, read instead of counting a county's items on every request. The
 * workflow (item.c), the only writer of items, moves each item's counts
 * in the same transaction as the item. */
#ifndef HUB_TALLY_H
#define HUB_TALLY_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "protocol/error.h"
#include "protocol/workflow.h"
#include "protocol/message.h"

/* What one item adds to its origin's row besides `collected`, each 0 or 1,
 * in the order of the table's columns: the timeless figures of
 * hub_figures in its order (overdue, which always depends on the hour,
 * left out), then the weather's. */
enum {
	HUB_TALLY_OPEN_BLUE, HUB_TALLY_OPEN_ORANGE, HUB_TALLY_OPEN_RED,
	HUB_TALLY_SIGNED, HUB_TALLY_SIGNED_ON_TIME, HUB_TALLY_RESOLVED,
	HUB_TALLY_RESOLVED_ON_TIME, HUB_TALLY_SOLVED, HUB_TALLY_MEDIATED,
	HUB_TALLY_VISIT_DUE, HUB_TALLY_VISITED, HUB_TALLY_RATED, HUB_TALLY_SATISFIED,
	HUB_TALLY_ESCALATED,
	HUB_TALLY_HAND_BLUE, HUB_TALLY_HAND_ORANGE, HUB_TALLY_HAND_RED,
	HUB_TALLY_LATE_ORANGE,
	HUB_TALLY__COUNT
};

/* The sums of a scope's rows as the fields of hub_figures, in its order
 * (hub_figures_all reads them so). */
#define HUB_TALLY_FIGURES_SUM "sum(collected), sum(open_blue), sum(open_orange), " \
	"sum(open_red), 0, sum(signed_for), sum(signed_on_time), sum(resolved), " \
	"sum(resolved_on_time), sum(solved), sum(mediated), sum(visit_due), " \
	"sum(visited), sum(rated), sum(satisfied), sum(escalated)"

typedef struct hub_tally_parts {
	signed char v[HUB_TALLY__COUNT];
} hub_tally_parts;

/* The fields of an item the counts depend on. */
typedef struct hub_tally_item {
	proto_state state;
	proto_colour colour;
	proto_category category;
	int escalations, reminders;
	int64_t sign_by, resolve_by;
	int64_t signed_at, resolved_at;  /* 0: not signed at this tier, never resolved */
	const char *rating;              /* NULL or "": not rated */
} hub_tally_item;

typedef struct hub_tally hub_tally;

/* Over the table hub/schema.c makes: counts the stored items into it afresh
 * (the table made anew) when it is new, of an older shape, or does not add
 * up to the items (rows written behind the hub's back). Removes the triggers that older hubs
 * kept it with. NULL on error. */
hub_tally *hub_tally_create(sqlite3 *db);

/* Accepts NULL. */
void hub_tally_destroy(hub_tally *t);

/* The counts of one item: its timeless figures (hub/figures.c) and the
 * weather's. */
hub_tally_parts hub_tally_of(const hub_tally_item *it);

/* Whether parts are of an item waiting on its handler (reported, signed
 * or assigned): what the weather and the surge rule count. */
bool hub_tally_in_hand(const hub_tally_parts *p);

/* Moves origin's row from an item counted as was to the same item counted as
 * now; was NULL for a new item. Nothing is written when they are equal. */
proto_err hub_tally_move(hub_tally *t, const char *origin, const hub_tally_parts *was,
	const hub_tally_parts *now);

#endif
