/* The hub's inbound path: every message from the county's stations is
 * checked (topic, payload, registry, sender), staged in the store, and given
 * a receipt that is published only after the batch commits. */
#ifndef HUB_INGEST_H
#define HUB_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hub/durable.h"
#include "hub/loop.h"
#include "hub/store.h"
#include "protocol/link.h"
#include "protocol/registry.h"

typedef struct hub_ingest hub_ingest;

typedef struct hub_ingest_stats {
	int64_t accepted, duplicates, rejected, limited, statuses, batches;
	int64_t disk_full; /* times the disk was found full */
} hub_ingest_stats;

/* Neither store, loop (NULL: reports only, actions refused) nor registry
 * is owned. rate and burst bound each station's
 * messages (per second, at once; rate 0: no limit). NULL when out of memory. */
hub_ingest *hub_ingest_create(hub_store *store, hub_loop *loop,
	const proto_registry *reg, const char *county, double rate, double burst);

void hub_ingest_destroy(hub_ingest *in);

/* Takes a new registry (not owned) in place of the old one, with fresh
 * rate limits. On error (out of memory) the old one stays. */
proto_err hub_ingest_set_registry(hub_ingest *in, const proto_registry *reg);

/* Handles one MQTT message; its effects wait in the open batch. */
void hub_ingest_message(hub_ingest *in, const char *topic, const void *payload,
	size_t len);

/* Number of receipts waiting for the batch to commit. */
size_t hub_ingest_pending(const hub_ingest *in);

/* Syncs commits through d (not owned) from now on: receipts wait for it. */
void hub_ingest_set_durable(hub_ingest *in, hub_durable *d);

/* Commits the batch, then publishes its receipts on link, or, with a
 * durable, asks for the sync and holds them (hub_ingest_synced publishes
 * them); while a sync is under way it does nothing: the batch grows. If
 * the commit fails the receipts are dropped: the stations will resend. */
proto_err hub_ingest_flush(hub_ingest *in, proto_link *link);

/* A commit's sync is under way: the next commit waits for its end. */
bool hub_ingest_syncing(const hub_ingest *in);

/* A sync is under way that no new batch may begin before (durable.h): the
 * caller reads no messages and starts no other change meanwhile. */
bool hub_ingest_paused(const hub_ingest *in);

/* Publishes the held receipts and item messages if their sync has ended
 * (wait: blocking until it has). PROTO_ERR_IO when the disk failed: they
 * are dropped, and the hub must stop rather than answer from a store the
 * disk may not hold. */
proto_err hub_ingest_synced(hub_ingest *in, proto_link *link, bool wait);

/* True while the disk is full: no batch may begin (hub_ingest_paused
 * says so too) until a recovery finds room. */
bool hub_ingest_full(const hub_ingest *in);

/* Core, between batches: asks the durable thread for a recovery while the
 * disk is full (with a backoff), or to empty the WAL once the hub has been
 * quiet a few seconds. The ms until it wants to be called again, -1: no
 * deadline of its own. */
int hub_ingest_tend(hub_ingest *in, int64_t mono);

const hub_ingest_stats *hub_ingest_get_stats(const hub_ingest *in);

#endif
