/* The live feed: the core's committed changes as numbered events in a ring
 * of the last few thousand, and the Server-Sent Events streams reading it.
 * A stream with nothing to send is suspended (no thread, no timer) and
 * resumed when the ring grows or a keep-alive is due. */
#ifndef DASH_EVENTS_H
#define DASH_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "hub/notify.h"

#define DASH_RING 4096         /* events kept for resuming streams */
#define DASH_KEEPALIVE_MS 15000

typedef struct dash dash;
typedef struct dash_req dash_req;
typedef struct dash_events dash_events;
typedef struct dash_stream dash_stream;

dash_events *dash_events_create(dash *d);
void dash_events_destroy(dash_events *e);

/* Core thread: a change staged (hub_notify.change), and the fate of the
 * batch (hub_notify.commit) which also sends keep-alives when due. */
void dash_events_note(dash_events *e, hub_change kind, const char *key,
	const char *text, int64_t n);
void dash_events_commit(dash_events *e, bool ok);

/* Answers r with a stream from after event last_id (-1: from now on). */
void dash_events_stream(dash_events *e, dash_req *r, int64_t last_id);

/* Ends every stream (before the HTTP server stops). */
void dash_events_close(dash_events *e);

/* The newest event id (0 when none yet). */
int64_t dash_events_last(dash_events *e);

#endif
