/* The drain of an outbox to a receiver that answers each message with a
 * receipt (PROTOCOL.md §7): the engine owns the window of messages published
 * but not yet receipted and its timing, and asks a queue for the messages.
 * It keeps the rules that make a kept outbox safe over QoS 1:
 *
 *   - at most `window` messages in flight, published oldest first, paced by
 *     a token bucket (rate, burst);
 *   - when the oldest in flight is `resend_ms` old, it and everything
 *     published after it are sent again, in order;
 *   - a rate-limited reply holds every publish for `pause_ms`, then the
 *     flight is sent again from the oldest;
 *   - a live birth of the receiver with a new session, or the link's
 *     (re)connect or loss, sends the flight again from the oldest.
 *
 * The receiver's idempotent store turns the repeats into "duplicate"
 * receipts. The engine has no clock (the caller passes `now`, monotonic ms),
 * no link and no storage: the queue's callbacks say what is queued and
 * publish it, so that one engine serves a station's SQLite outbox, a
 * simulated fleet's memory and a hub's uplink alike. Single-threaded; the
 * queue's callbacks must not call back into the engine but through offer. */
#ifndef PROTO_DRAIN_H
#define PROTO_DRAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "protocol/bucket.h"

/* The pause after a rate-limited reply when the options give none: the hub
 * refuses a limited station for a second (PROTOCOL.md §6). */
#define PROTO_DRAIN_PAUSE_MS 2000

typedef struct proto_drain proto_drain;

/* Hands one queued message to the engine during proto_drain_queue.each:
 * id is its message id, msg the queue's own handle of it (the engine never
 * reads it; it comes back unchanged to send). Returns non-zero when the
 * engine wants no more now (window full, pace spent, a send failed). */
typedef int (*proto_drain_offer_fn)(proto_drain *d, int64_t id, const void *msg);

typedef struct proto_drain_queue {
	/* Offers the queued (unreceipted) messages with an id above `after`,
	 * oldest first, at most `limit` of them, calling offer(d, ...) for
	 * each until it returns non-zero. A message may be left out (one the
	 * queue cannot send); it is asked for again at the next fill. 0, or
	 * -1 on an error of the queue (nothing more is sent until the next
	 * fill). */
	int (*each)(void *ud, int64_t after, int limit, proto_drain_offer_fn offer,
		proto_drain *d);
	/* Publishes the message offered as (id, msg) at time now, and counts
	 * the attempt where the queue keeps one. 0 when handed to the link, -1
	 * when not (link gone): the fill stops there. */
	int (*send)(void *ud, int64_t id, const void *msg, int64_t now);
	void *ud;
} proto_drain_queue;

typedef struct proto_drain_opts {
	int window;    /* messages in flight at most; below 1 counts as 1 */
	int resend_ms; /* receipt timeout */
	int pause_ms;  /* hold after a rate-limited reply; 0: PROTO_DRAIN_PAUSE_MS */
	int stall_ms;  /* after a failed send, run again this soon; 0: not before
	                  another timer or event */
	double rate;   /* publishes a second, sustained; 0 unpaced */
	double burst;  /* publishes at once before the pace applies */
} proto_drain_opts;

/* Creates an engine with an empty flight; opts and queue are copied (not
 * queue->ud, which the caller owns). NULL when out of memory. */
proto_drain *proto_drain_create(const proto_drain_opts *opts,
	const proto_drain_queue *queue);

/* Frees the engine; accepts NULL. */
void proto_drain_destroy(proto_drain *d);

/* Applies the receipt timeout at now: when an in-flight message's receipt
 * is `resend_ms` late, it and every message published after it leave the
 * flight, for the next fill to send again in order. Returns how many left,
 * 0 when none is late. Call before proto_drain_fill. */
int proto_drain_timeout(proto_drain *d, int64_t now);

/* Publishes queued messages after the flight's newest, oldest first, up to
 * the window, within the pace; nothing while paused. Call only while the
 * link is up. Returns how many were published, or -1 when the queue's
 * `each` failed (those published before it stay in flight). */
int proto_drain_fill(proto_drain *d, int64_t now);

/* The receiver receipted message id (accepted, duplicate or rejected for
 * good): its slot in the window is free. A no-op for an id not in flight. */
void proto_drain_receipt(proto_drain *d, int64_t id);

/* The receiver said "rate limited" at now: the whole flight is sent again,
 * from the oldest, once the pause is over. */
void proto_drain_limited(proto_drain *d, int64_t now);

/* The receiver says it is online in this session, live (retained false) or
 * as a retained copy delivered on subscribe. A session other than the last
 * seen is a birth: when live, the receiver may have lost or missed what is
 * in flight, so the flight is sent again from the oldest; a retained copy
 * only records the session (the link's own connect already resent). Returns
 * true on a live birth. */
bool proto_drain_birth(proto_drain *d, int64_t session, bool retained);

/* The link connected or was lost: the flight is sent again from the oldest
 * at the next fill after a connect. */
void proto_drain_restart(proto_drain *d);

/* Messages published and not yet receipted. */
int proto_drain_inflight(const proto_drain *d);

/* True while a rate-limited reply holds publishes. */
bool proto_drain_paused(const proto_drain *d, int64_t now);

/* Monotonic ms when the engine wants to run again, INT64_MAX when only an
 * event (a receipt, a new message, a connect) can give it work: the oldest
 * in-flight message's receipt timeout; the end of a pause; when the last
 * fill stopped short of the window with messages left, the next token of
 * the pace (or stall_ms after a failed send). */
int64_t proto_drain_due(proto_drain *d, int64_t now);

/* The engine's pace, for the caller's own publishes that must share it
 * (a test's replays). Owned by the engine. */
proto_bucket *proto_drain_pace(proto_drain *d);

#endif
