/* The hub's event loop: the core thread's poll over the MQTT socket, the
 * signal pipe, the dashboard's queue and the sync thread's end, until
 * SIGINT or SIGTERM. Its file lists every thread the hub runs. */
#ifndef HUB_EVENT_LOOP_H
#define HUB_EVENT_LOOP_H

#include "dashboard/dashboard.h"
#include "hub/group-commit.h"
#include "hub/ingest.h"
#include "hub/workflow.h"
#include "hub/reload.h"
#include "hub/store.h"
#include "protocol/registry.h"

/* What the hub has started, none of it owned by the event loop, and how to
 * reach the broker. */
typedef struct hub_event_loop_opts {
	const char *county;   /* its code: the status topic, the client id */
	const char *broker;   /* the broker, or a list of its nodes (proto_link_opts) */
	bool mqtt311;         /* MQTT 3.1.1 instead of 5 (a broker without 5) */
	const char *user, *password, *cafile; /* NULL: none */
	int keepalive;        /* seconds */
	int sigfd;            /* proto_signals_init's */
	hub_store *store;
	hub_workflow *workflow;
	hub_ingest *ingest;
	hub_group_commit *commit;
	dash *dash;           /* NULL: no dashboard */
	hub_reload_files files; /* read again at SIGHUP */
	proto_registry **reg; /* replaced at a reload that succeeds */
} hub_event_loop_opts;

/* Connects to the broker and serves until SIGINT or SIGTERM: 0 then, after
 * the last commit's receipts and the offline status; 1 when it could not
 * start or the disk failed a sync. Disconnects before it returns. */
int hub_event_loop_run(const hub_event_loop_opts *o);

#endif
