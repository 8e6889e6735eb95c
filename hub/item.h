/* The workflow's base layer, which every other file of it builds on
 * (downbox.c, surge.c, weather.c, rules.c, escalate.c, members.c)
 * and which calls none of them: the workflow's state, its prepared statements,
 * an item in memory and its rows (items, events), the ids of the downbox's
 * messages and the observer's hook. Not for use outside the workflow's files.
 *
 * The state's parts are each owned by the file named beside them: the base
 * holds them; rules.c makes and frees the whole. */
#ifndef HUB_ITEM_H
#define HUB_ITEM_H

#include <sqlite3.h>

#include "hub/workflow.h"
#include "hub/secret.h"
#include "hub/tally.h"
#include "protocol/workflow.h"

enum {
	LS_ITEM_INSERT, LS_ITEM_GET, LS_ITEM_PUT, LS_EVENT, LS_DOWN_INSERT,
	LS_DOWN_DELETE, LS_DOWN_NEXT, LS_DOWN_STATION, LS_DUE,
	LS_REPORT, LS_MEMBER, LS_MERGED, LS_META_GET, LS_META_SET, LS_SURGE,
	LS_ALERT, LS_AREA, LS_BLUE_MAX, LS_WEATHER_GET, LS_WEATHER_SET,
	LS_MEMBER_CLEAR, LS_MEMBER_ADD, LS_DUE_LATER, LS_AREA_OWN, LS_CHILD_WEATHER,
	LS_EVENT_GET, LS_SURGE_COUNT, LS_PLACE,
	LS__COUNT
};

/* Areas marked between two weather flushes (every 250 ms) before one is
 * forced: a county's every station and area (Zhen'an has 1,892), so that
 * a fleet reporting from hundreds of stations does not force a flush every
 * few hundred reports. */
#define WORKFLOW_DIRTY_MAX 4096

/* Slots of the surge rule's memory of full service items (surge.c): a
 * county's towns times its service items, with room; a slot taken by
 * another town only costs that town a count. */
#define WORKFLOW_SURGE_SLOTS 1024

/* A town's service item with more reports in hand within the window than
 * the surge rule's highest count: no report can fire until one of them
 * leaves the window (until, hub time), leaves the hands of its handlers
 * (workflow_surge_forget) or is rolled back (the store's undone moves). */
typedef struct workflow_surge_full {
	char town[PROTO_CODE_MAX + 1]; /* "": an empty slot */
	proto_category category;
	int64_t until;
	uint64_t undone;
} workflow_surge_full;

/* Readable station names (downbox.c's place), by hash of the code: a county
 * has ~2,000 stations, so nearly all of them stay. */
#define WORKFLOW_PLACES 4096
typedef struct workflow_place {
	char code[PROTO_CODE_MAX + 1]; /* "" when the slot is empty */
	char *name;                    /* malloc'd; "" for a code not registered */
} workflow_place;

/* An item's body as of one of its events, encoded (proto_item_encode). */
typedef struct workflow_body {
	char item[PROTO_ITEM_ID_MAX];
	int64_t seq;     /* the event's number */
	uint64_t undone; /* the store's rollbacks when it was made */
	bool named;      /* it names the resident */
	char *json;
} workflow_body;

struct hub_workflow {
	hub_store *store;
	sqlite3 *db;
	const hub_secret *secret;
	hub_policy pol;
	sqlite3_stmt *st[LS__COUNT];
	hub_tally *tally;
	int64_t last_sent; /* highest downbox id published since start */
	int64_t last_down_id; /* highest downbox id given out */
	bool down_id_dirty;   /* last_down_id not yet in hub_meta's batch */
	/* weather.c's: areas whose weather may have changed since it was last computed,
	 * and an index of them by hash (1 + their place; 0: empty), looked
	 * up for every report. */
	char dirty[WORKFLOW_DIRTY_MAX][PROTO_CODE_MAX + 1];
	size_t n_dirty;
	uint16_t dirty_at[WORKFLOW_DIRTY_MAX * 4];
	int64_t weather_at; /* monotonic ms of the last recompute */
	workflow_surge_full surge_full[WORKFLOW_SURGE_SLOTS]; /* surge.c's */
	/* The item body last encoded for the stations that may see the
	 * resident's name [1] and for the others [0] (downbox.c's snapshot): an
	 * event's item messages and a report's receipt carry the same one. */
	workflow_body body[2];
	workflow_place places[WORKFLOW_PLACES]; /* downbox.c's */
	hub_notify notify;  /* the dashboard's observer; change NULL: none */
};

typedef struct workflow_item {
	char id[PROTO_ITEM_ID_MAX];
	char origin[PROTO_CODE_MAX + 1];
	char handler[PROTO_CODE_MAX + 1];
	char member[65];
	char rating[33];
	char into[PROTO_ITEM_ID_MAX];
	proto_colour colour;
	proto_category category;
	proto_state state;
	int64_t created, received, tier_since, sign_by, resolve_by, seq;
	int64_t resolved_at; /* hub time of the last resolve; 0: never */
	int64_t signed_at;   /* of the last sign-for at this tier; 0: none */
	int reminders, escalations;
	int supervised;      /* 督办 since its deadline passed (red only) */
	hub_tally_parts counted; /* what the tally holds for it */
} workflow_item;

/* Prepares the statements, opens the tally and reads the last downbox id,
 * over l->db (its schema made: hub/schema.h). 0 on success; on error what
 * was made is left for workflow_base_close. */
int workflow_base_open(hub_workflow *l);

/* Finalizes the statements and closes the tally; accepts a half-open l. */
void workflow_base_close(hub_workflow *l);

/* Loads an item; PROTO_ERR_UNKNOWN_ITEM when there is none. */
proto_err workflow_item_get(hub_workflow *l, const char *id, workflow_item *it);

/* Inserts a new item, as it is after its first event (it->seq 1), and
 * counts it into the tally. */
proto_err workflow_item_insert(hub_workflow *l, workflow_item *it, int64_t now);

/* Saves the item as it is now, moving its counts in the tally (it->counted
 * then says what the tally holds for it). */
proto_err workflow_item_put(hub_workflow *l, workflow_item *it, int64_t now);

/* The deadline of the step the item waits for (sign or resolve). */
int64_t workflow_deadline(const workflow_item *it);

/* Starts the colour's limits from now at the item's current tier. */
void workflow_restart_limits(hub_workflow *l, workflow_item *it, int64_t now);

/* Appends the event row it->seq (kind, by, note at now) of an item saved
 * as it is after it, and tells the observer of the item's change. */
proto_err workflow_event_row(hub_workflow *l, const workflow_item *it, const char *kind,
	const char *by, const char *note, int64_t now);

/* The words of the item's latest event (it->seq), malloc'd (NULL where the
 * row has none), and its hub time (0 when no row). PROTO_ERR_NOMEM when a
 * copy fails (all freed). */
proto_err workflow_event_words(hub_workflow *l, const workflow_item *it, int64_t *at, char **by,
	char **kind, char **note);

/* The next id of a message for the downbox (item and member messages
 * share the sequence); kept in hub_meta at the batch's commit
 * (hub_workflow_before_commit). */
int64_t workflow_next_down_id(hub_workflow *l);

/* Binds text s at col, or leaves it NULL when s is NULL or "". */
void workflow_bind_opt(sqlite3_stmt *st, int col, const char *s);

#endif
