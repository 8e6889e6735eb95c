/* The county dashboard: an HTTP server (JSON API, live event stream, the
 * embedded web pages) beside the hub's core. The core stays the only writer
 * of the database; the dashboard reads on its own connections and hands
 * its few changes to the core through a queue the core's poll loop watches. */
#ifndef DASH_DASHBOARD_H
#define DASH_DASHBOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hub/workflow.h"
#include "hub/store.h"

typedef struct dash dash;

typedef struct dash_opts {
	const char *listen;        /* "ADDR:PORT" */
	const char *db;            /* the hub's database file, read on own connections */
	const char *county;        /* the county's code */
	hub_store *store;          /* the core's store and workflow (used on its thread) */
	hub_workflow *workflow;
	int64_t session_idle;      /* seconds a session lives unused; 0: 8 h */
	const char *tls_cert;      /* PEM files: HTTPS when both are set, else HTTP */
	const char *tls_key;
} dash_opts;

/* Whether the dashboard may listen at listen ("IPv4-ADDRESS:PORT") with
 * these settings, before anything starts: HTTPS needs both cert and key
 * (paths; NULL or "" for none); without them only a loopback address,
 * unless insecure (the operator's http_insecure = 1). False with a
 * sentence for the operator in err. Reads no file. */
bool dash_listen_check(const char *listen, const char *cert, const char *key,
	bool insecure, char *err, size_t n);

/* Creates the users table if needed and starts serving. Call on the core's
 * thread before its event loop. NULL on error, logged. */
dash *dash_create(const dash_opts *opts);

/* Stops serving (open streams end) and frees; accepts NULL. Core's thread. */
void dash_destroy(dash *d);

/* The fd the core polls for POLLIN (-1 for NULL): work queued for it. */
int dash_fd(const dash *d);

/* Core thread: the longest the core may sleep before the dashboard needs
 * it again (a held-back live stream); -1: no limit. Accepts NULL. */
int dash_wait_ms(dash *d, int64_t mono);

/* Runs on the core's thread when dash_fd is readable: stages the queued
 * changes in the store's batch; they are answered once it commits. */
void dash_core_run(dash *d);

/* `minqing-hub user ...`: the dashboard's accounts. Returns an exit code. */
int dash_user_main(int argc, char **argv);

#endif
