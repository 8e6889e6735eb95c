/* Shutdown and reload signals for single-threaded poll loops: the handler
 * writes the signal number into a pipe that the loop polls (self-pipe), so
 * a signal arriving just before poll() is never missed. */
#ifndef PROTO_SIGNALS_H
#define PROTO_SIGNALS_H

/* Installs handlers for SIGINT, SIGTERM and SIGHUP and ignores SIGPIPE.
 * Returns the fd to poll for POLLIN, or -1 on error. */
int proto_signals_init(void);

/* Reads pending signals; returns SIGINT or SIGTERM if one is among them,
 * else the last one (0 when none). */
int proto_signals_take(void);

#endif
