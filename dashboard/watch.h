/* The connection watcher: two things libmicrohttpd does not do, done on one
 * thread of its own (the library offers no hook that runs on time):
 *
 * - A deadline for a whole request. The library's timeout counts idle time
 *   only, so a client that sends half a request, or a byte now and then,
 *   keeps its slot for as long as it likes; a few hundred of them lock
 *   every visitor out. Each connection gets DASH_REQUEST_MS from its start,
 *   or from the end of its previous answer, to deliver its headers and
 *   body; past that its socket is shut down and the library closes it.
 * - Hang-ups of suspended streams. The library does not look at the socket
 *   of a suspended connection, so a page closed while its stream waited
 *   kept the slot until the next keep-alive. The watcher sees the hang-up
 *   and hands the stream back (dash_watch_hangup_fn), which resumes it to
 *   be closed at once. */
#ifndef DASH_WATCH_H
#define DASH_WATCH_H

#include <stdbool.h>

#define DASH_REQUEST_MS 5000 /* to send a request's headers and body */

typedef struct dash_watch dash_watch;
typedef struct dash_watched dash_watched; /* one connection */

/* Called on the watcher's thread when the socket of a stream added by
 * dash_watch_stream_add hangs up; arg as given there. */
typedef void dash_watch_hangup_fn(void *ud, void *arg);

/* Starts the thread. NULL (logged) when it cannot. */
dash_watch *dash_watch_create(dash_watch_hangup_fn *hangup, void *ud);
/* Stops the thread and frees what is left; NULL is fine. After the HTTP
 * server has stopped. */
void dash_watch_destroy(dash_watch *w);

/* A new connection on socket fd, its deadline running. NULL when out of
 * memory: the connection then has only the library's idle timeout. */
dash_watched *dash_watch_open(dash_watch *w, int fd);
/* Starts its deadline again (on) or stops it (off: the request is whole). */
void dash_watch_arm(dash_watch *w, dash_watched *c, bool on);
/* The connection is closing (before its socket is closed); NULL is fine. */
void dash_watch_close(dash_watch *w, dash_watched *c);

/* Watches a suspended stream's socket for a hang-up, until removed. False
 * when it cannot (the stream then waits for its next wake-up as before). */
bool dash_watch_stream_add(dash_watch *w, int fd, void *arg);
void dash_watch_stream_del(dash_watch *w, int fd);

#endif
