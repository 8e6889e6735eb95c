/* The hub's inbound path: every message from the county's stations is
 * checked (topic, payload, registry, sender), staged in the store, and given
 * a receipt that hub/group-commit.h publishes only once the batch is on
 * disk. */
#ifndef HUB_INGEST_H
#define HUB_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hub/group-commit.h"
#include "hub/workflow.h"
#include "hub/store.h"
#include "protocol/link.h"
#include "protocol/registry.h"

typedef struct hub_ingest hub_ingest;

typedef struct hub_ingest_stats {
	int64_t accepted, duplicates, rejected, limited, statuses;
} hub_ingest_stats;

/* Neither store, workflow (NULL: reports only, actions refused), commit (where
 * receipts wait for the disk) nor registry is owned. rate and burst bound
 * each station's messages (per second, at once; rate 0: no limit). NULL
 * when out of memory. */
hub_ingest *hub_ingest_create(hub_store *store, hub_workflow *workflow,
	hub_group_commit *commit, const proto_registry *reg, const char *county,
	double rate, double burst);

void hub_ingest_destroy(hub_ingest *in);

/* Takes a new registry (not owned) in place of the old one, with fresh
 * rate limits. On error (out of memory) the old one stays. */
proto_err hub_ingest_set_registry(hub_ingest *in, const proto_registry *reg);

/* Handles one MQTT message; its effects wait in the open batch. One
 * retained (and not empty, nor a status) is first removed from the broker
 * with an empty retained publish on link: only statuses stay retained. */
void hub_ingest_message(hub_ingest *in, proto_link *link, const char *topic,
	const void *payload, size_t len, bool retained);

const hub_ingest_stats *hub_ingest_get_stats(const hub_ingest *in);

#endif
