/* The station agent's logic: drains the outbox to the hub a window at a
 * time, applies receipts, resends what the hub has not receipted, and keeps
 * the station's retained status (birth, heartbeat, will) with one session
 * number per connection. Driven by the poll loop in agent-main.c. */
#ifndef STATION_AGENT_H
#define STATION_AGENT_H

#include <stdint.h>

#include "protocol/link.h"
#include "station/store.h"

typedef struct station_agent station_agent;

typedef struct station_agent_opts {
	int window;         /* messages published but not yet receipted, at most */
	int resend_ms;      /* resend a message whose receipt is this late */
	int heartbeat_ms;   /* period of the retained status heartbeat */
	double rate;        /* messages a second, sustained; 0 unpaced */
	double burst;       /* messages at once before the pace applies */
} station_agent_opts;

/* Creates the agent over an open store; the agent does not own the store. */
station_agent *station_agent_create(station_store *store,
	const station_agent_opts *opts);

void station_agent_destroy(station_agent *a);

/* Callbacks to hand to proto_link_create, with the agent as user data. */
const proto_link_cbs *station_agent_link_cbs(void);

/* Attaches the link created with those callbacks. */
void station_agent_attach(station_agent *a, proto_link *link);

/* Publishes queued messages up to the window, resends late ones, sends the
 * heartbeat when due and commits pending store updates. Returns ms until it
 * wants to run again. */
int station_agent_tick(station_agent *a, int64_t now_ms);

/* Publishes the offline status and disconnects, for a clean shutdown. */
void station_agent_stop(station_agent *a);

#endif
