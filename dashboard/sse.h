/* The live feed: the core's committed changes as numbered events in a ring
 * of the last few thousand, and the Server-Sent Events streams reading it.
 * A stream with nothing to send is suspended (no thread, no timer) and
 * resumed when the ring grows or a keep-alive is due. A stream sends at most
 * every DASH_STREAM_GAP_MS, and a burst of events becomes one reset (the
 * page fetches afresh): what the streams cost stays bounded however fast
 * reports arrive. */
#ifndef DASH_SSE_H
#define DASH_SSE_H

#include <stdbool.h>
#include <stdint.h>

#include "hub/notify.h"

#define DASH_RING 4096         /* events kept for resuming streams */
#define DASH_KEEPALIVE_MS 15000
#define DASH_STREAM_GAP_MS 250 /* a stream sends at most this often */
#define DASH_BURST 256         /* more new events than this: one reset */
#define DASH_RETRY_MS 5        /* the core's next try when the lock was busy */

typedef struct dash dash;
typedef struct dash_req dash_req;
typedef struct dash_sse dash_sse;
typedef struct dash_stream dash_stream;

dash_sse *dash_sse_create(dash *d);
void dash_sse_destroy(dash_sse *e);

/* Core thread: a change staged (hub_notify.change), and the fate of the
 * batch (hub_notify.commit) which also sends keep-alives when due. */
void dash_sse_note(dash_sse *e, hub_change kind, const char *key,
	const char *text, int64_t n);
void dash_sse_commit(dash_sse *e, bool ok);

/* Core thread: ms until the commit hook has work again (a stream held back
 * by DASH_STREAM_GAP_MS, events the busy lock put off); -1: none. */
int dash_sse_wait(dash_sse *e, int64_t mono);

/* Answers r with a stream from after event last_id (-1: from now on). An id
 * the ring cannot resume from (from the future, before this run, or more
 * than DASH_RING behind) gets a `reset` first; the work is bounded by
 * DASH_RING whatever the id. */
void dash_sse_stream(dash_sse *e, dash_req *r, int64_t last_id);

/* The watcher's thread: the socket of the suspended stream arg hung up
 * (dash_watch_hangup_fn); it is resumed, to end at once. */
void dash_sse_hungup(void *ud, void *arg);

/* Ends every stream (before the HTTP server stops). */
void dash_sse_close(dash_sse *e);

/* The newest event id (0 when none yet). */
int64_t dash_sse_last(dash_sse *e);

#endif
