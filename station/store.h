/* The station's local store (SQLite in the station's data directory): the
 * outbox of messages kept until the hub's receipt arrives. Both the agent
 * and the clerk's client open it; the client's write is durable when its
 * call returns, whether or not the agent or the broker is running. */
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

/* Groups the following writes into one transaction (one fsync). */
proto_err station_store_begin(station_store *s);
proto_err station_store_commit(station_store *s);

#endif
