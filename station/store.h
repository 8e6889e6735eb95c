/* The station's local store (SQLite in the station's data directory): the
 * outbox of messages kept until the hub's receipt arrives, and the inbox of
 * items the hub delivers with their timeline. Both the agent and the clerk's
 * client open it; the client's write is durable when its call returns,
 * whether or not the agent or the broker is running.
 *
 * Tables (PRAGMA user_version 2; made and migrated by store-schema.c: a
 * version-0 store gains inbox and timeline, a version-1 store the team,
 * when opened; a newer store is refused):
 *
 *   meta     key TEXT PK, value TEXT       code, last_id, last_session,
 *                                          link, link_changed, contact (the
 *                                          agent's link, for the client)
 *   outbox   id INTEGER PK                 message id (reports and actions)
 *            type, payload, created, state (queued|accepted|duplicate|
 *            rejected), attempts, receipt_at, error, field, item
 *   inbox    item TEXT PK                  one row per item, its latest seq
 *            seq, msg_id, origin, handler, colour, category, title, state,
 *            deadline (ms, NULL if none), updated (hub ms of the change),
 *            received (local ms), snapshot (the item message's JSON)
 *   timeline (item, seq) PK                one row per event seen
 *            event, by_whom, at (hub ms), note
 *   team     member TEXT PK                 the service team this station may
 *            name, unit (the member's       assign (user_version 2; an older
 *            station), gone (0|1), msg_id,  store gains it when opened)
 *            received (local ms) */
#ifndef STATION_STORE_H
#define STATION_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "protocol/message.h"

#define STATION_DB_NAME "station.db"
#define STATION_SOCK_NAME "agent.sock"

typedef struct station_store station_store;

/* One outbox row as the agent and the client see it. */
typedef struct station_entry {
	int64_t id;               /* message id */
	const char *type;         /* "report", "action" */
	const char *payload;      /* JSON as sent */
	int64_t created;          /* Unix ms */
	const char *state;        /* queued | accepted | duplicate | rejected */
	int64_t attempts;         /* times published */
	const char *error;        /* rejection code, or NULL */
	const char *field;        /* rejected field, or NULL */
	int64_t receipt_at;       /* Unix ms the receipt was applied; 0 if none */
	const char *item;         /* item named by the receipt, or NULL */
} station_entry;

typedef int (*station_entry_fn)(void *ud, const station_entry *e);

/* Opens DIR/station.db, creating it. code may be NULL when the store already
 * knows its station; a store never changes station. NULL on error (logged). */
station_store *station_store_open(const char *dir, const char *code);

void station_store_close(station_store *s);

/* The station code this store belongs to. */
const char *station_store_code(const station_store *s);

/* Validates and queues a new report. Writes its id into *id. Returns the
 * validation error (with field) without queueing anything when invalid. */
proto_err station_store_add_report(station_store *s, const proto_report *r,
	int64_t *id, char field[PROTO_FIELD_MAX]);

/* Validates and queues a workflow step; as station_store_add_report. */
proto_err station_store_add_action(station_store *s, const proto_action *act,
	int64_t *id, char field[PROTO_FIELD_MAX]);

/* Calls fn for up to limit queued messages with id > after, oldest first. */
proto_err station_store_queued(station_store *s, int64_t after, int limit,
	station_entry_fn fn, void *ud);

/* Calls fn for every message of a type (NULL for all), oldest first. */
proto_err station_store_each(station_store *s, const char *type,
	station_entry_fn fn, void *ud);

/* Applies a receipt to a queued message; a no-op when already receipted. */
proto_err station_store_receipt(station_store *s, const proto_receipt *rc);

/* Counts a publish of message id. */
proto_err station_store_attempted(station_store *s, int64_t id);

/* Messages still waiting for a receipt; -1 on error. */
int64_t station_store_depth(station_store *s);

/* The id below which every message has its receipt (the oldest queued id,
 * or the next id when none is queued); 0 on error. */
int64_t station_store_settled(station_store *s);

/* Next connection session: max(last + 1, now in ms), persisted, so that a
 * clock stepping back never makes a new session look older than an old one.
 * Returns 0 on error. */
int64_t station_store_next_session(station_store *s);

/* One inbox row; strings are valid only during the callback. */
typedef struct station_item {
	const char *item;     /* public item id */
	int64_t seq;          /* events of the item so far, as last seen */
	int64_t msg_id;       /* id of the item message that brought it */
	const char *origin;   /* reporting station */
	const char *handler;  /* handling station */
	const char *colour;   /* wire names */
	const char *category;
	const char *title;
	const char *state;    /* workflow state, wire name */
	int64_t deadline;     /* Unix ms; 0 if none */
	int64_t updated;      /* hub time of the latest change, Unix ms */
	int64_t received;     /* local time it arrived, Unix ms */
	const char *snapshot; /* the item message as received (JSON) */
	const char *origin_name;  /* readable names the hub sent; "" if none */
	const char *handler_name;
} station_item;

/* One event of an item's timeline. */
typedef struct station_event {
	int64_t seq;
	const char *event;    /* step name, "route", "escalate", ...; may be NULL */
	const char *by;       /* station code, user or "hub"; may be NULL */
	int64_t at;           /* hub time, Unix ms */
	const char *note;     /* may be NULL */
} station_event;

typedef int (*station_item_fn)(void *ud, const station_item *it);
typedef int (*station_event_fn)(void *ud, const station_event *ev);

/* Stores a decoded item message m whose raw payload is json[0..len): its
 * event joins the timeline if its seq is new, and its snapshot replaces the
 * inbox row if the item is new or its seq higher than the row's. *newer
 * says whether the snapshot was taken. An item without seq counts as seq 1.
 * All or nothing; inside the caller's transaction when one is open. */
proto_err station_store_item(station_store *s, const proto_msg *m,
	const char *json, size_t len, bool *newer);

/* Calls fn for every inbox row, most recently changed first. */
proto_err station_store_items(station_store *s, station_item_fn fn, void *ud);

/* Calls fn once for the item's row; PROTO_ERR_NOT_FOUND when unknown. */
proto_err station_store_find_item(station_store *s, const char *item,
	station_item_fn fn, void *ud);

/* The readable name of station code (回龙镇云沟村三组) the hub sent last in
 * an item it reported or handles, into out; false when no item named it
 * (an older hub). */
bool station_store_station_name(station_store *s, const char *code, char *out,
	size_t n);

/* Calls fn for each event of the item, in seq order. */
proto_err station_store_timeline(station_store *s, const char *item,
	station_event_fn fn, void *ud);

/* Calls fn for this station's actions on the item, oldest first. */
proto_err station_store_actions(station_store *s, const char *item,
	station_entry_fn fn, void *ud);

/* One member of the station's service team; strings valid only during the
 * callback. */
typedef struct station_member {
	const char *member; /* the id an assign names */
	const char *name;
	const char *unit;   /* the member's station: this one or one below it */
} station_member;

typedef int (*station_member_fn)(void *ud, const station_member *mb);

/* What the team says of a member id. */
typedef enum station_team_answer {
	STATION_TEAM_NONE,       /* no member message ever came (an older hub) */
	STATION_TEAM_LISTED,     /* a current member */
	STATION_TEAM_NOT_LISTED, /* unknown, or gone */
} station_team_answer;

/* Stores a decoded member message m for this station: taken when its id is
 * higher than the one the member has (*newer), else nothing changes. A
 * message for another station is PROTO_ERR_WRONG_STATION. Inside the
 * caller's transaction when one is open. */
proto_err station_store_member(station_store *s, const proto_msg *m, bool *newer);

/* Calls fn for every current (not gone) member, by station, then name. */
proto_err station_store_team(station_store *s, station_member_fn fn, void *ud);

/* Whether member is in the team (*out); STATION_TEAM_NONE when the store
 * has never had a team. */
proto_err station_store_team_check(station_store *s, const char *member,
	station_team_answer *out);

/* The agent's link to the hub, as the agent last recorded it. */
typedef enum station_link_state {
	STATION_LINK_UNKNOWN,     /* never recorded (no agent has run yet) */
	STATION_LINK_DOWN,        /* no connection to the broker */
	STATION_LINK_UP,          /* connected, the hub online (or not yet heard) */
	STATION_LINK_HUB_OFFLINE, /* connected, but the hub says it is offline */
} station_link_state;

typedef struct station_link {
	station_link_state state;
	int64_t changed;  /* Unix ms of the last change of state; 0 if never */
	int64_t contact;  /* Unix ms the link to the hub was last known up; 0 if never */
} station_link;

/* Records the link state (and its time when it changed) and, when contact
 * is non-zero, the time of the last contact; inside the caller's
 * transaction when one is open. */
proto_err station_store_set_link(station_store *s, station_link_state state,
	int64_t contact);

/* Reads what the agent recorded; UNKNOWN and zeros when nothing is. */
proto_err station_store_link(station_store *s, station_link *out);

/* Abandons the open transaction, if any. */
void station_store_rollback(station_store *s);

/* Groups the following writes into one transaction (one fsync). */
proto_err station_store_begin(station_store *s);
proto_err station_store_commit(station_store *s);

#endif
