/* Receipt only after the commit is on disk. The hub's messages are staged
 * in one open batch of the store; this module decides when the batch is
 * committed (group commit: one fsync for what arrives within a few ms),
 * holds its receipts and item messages while durable.c's thread syncs it,
 * and publishes them only once the sync has succeeded. A failed commit or
 * sync drops them: the stations resend. The disk found full pauses the hub
 * until a recovery finds room. */
#ifndef HUB_GROUP_COMMIT_H
#define HUB_GROUP_COMMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hub/workflow.h"
#include "hub/store.h"
#include "protocol/error.h"
#include "protocol/link.h"

typedef struct hub_group_commit hub_group_commit;

typedef struct hub_group_commit_stats {
	int64_t batches;   /* commits */
	int64_t disk_full; /* times the disk was found full */
} hub_group_commit_stats;

/* Commits store's batches (store and workflow not owned; workflow NULL: no item
 * messages). With path (the database's file) each commit is synced by a
 * thread of durable.c started here and its receipts wait for the sync;
 * NULL: the commit syncs itself and they go out at once. NULL on failure. */
hub_group_commit *hub_group_commit_create(hub_store *store, hub_workflow *workflow,
	const char *path);

/* Ends the sync thread (after the sync under way); before the store is
 * closed. Accepts NULL. */
void hub_group_commit_destroy(hub_group_commit *gc);

/* Queues json (taken; NULL: none), a receipt to station, for the open
 * batch: published once the batch is on disk, dropped if it is not. */
void hub_group_commit_receipt(hub_group_commit *gc, const char *station, char *json);

/* Station came online: its undelivered item messages go again after the
 * next commit. */
void hub_group_commit_redeliver(hub_group_commit *gc, const char *station);

/* Number of receipts waiting for the batch to commit. */
size_t hub_group_commit_pending(const hub_group_commit *gc);

/* Rolls the open batch back whole and drops its receipts: every station
 * sends its messages again. */
void hub_group_commit_rollback(hub_group_commit *gc);

/* Commits the batch, then publishes its receipts on link, or, with a sync
 * thread, asks for the sync and holds them (hub_group_commit_synced
 * publishes them); while a sync is under way it does nothing: the batch
 * grows. If the commit fails the receipts are dropped. */
proto_err hub_group_commit_flush(hub_group_commit *gc, proto_link *link);

/* Readable when a sync asked for has ended (-1: no sync thread). */
int hub_group_commit_fd(const hub_group_commit *gc);

/* Publishes the held receipts and item messages if their sync has ended
 * (wait: blocking until it has). PROTO_ERR_IO when the disk failed: they
 * are dropped, and the hub must stop rather than answer from a store the
 * disk may not hold. */
proto_err hub_group_commit_synced(hub_group_commit *gc, proto_link *link, bool wait);

/* A commit's sync is under way: the next commit waits for its end. */
bool hub_group_commit_syncing(const hub_group_commit *gc);

/* A sync is under way that no new batch may begin before (durable.h), or
 * the disk is full: the caller reads no messages and starts no other
 * change meanwhile. */
bool hub_group_commit_paused(const hub_group_commit *gc);

/* True while the disk is full: no batch may begin until a recovery finds
 * room. */
bool hub_group_commit_full(const hub_group_commit *gc);

/* Between batches: asks the sync thread for a recovery while the disk is
 * full (with a backoff), or to empty the WAL once the hub has been quiet a
 * few seconds. The ms until it wants to be called again, -1: no deadline of
 * its own. */
int hub_group_commit_tend(hub_group_commit *gc, int64_t mono);

/* The event loop's timing (monotonic ms). Before it sleeps: wait (ms, its
 * other deadlines) shortened to when the open batch is due. After it woke:
 * commits the batch if it is due: the socket has gone quiet (reading
 * false: the wake-up read nothing from it), the batch is old or big enough. */
int hub_group_commit_wait(hub_group_commit *gc, int64_t mono, int wait);
void hub_group_commit_woke(hub_group_commit *gc, proto_link *link, int64_t mono,
	bool reading);

/* Commits what is staged and waits until it is on disk and receipted (a
 * reload, between batches). An error only when the disk failed a sync. */
proto_err hub_group_commit_settle(hub_group_commit *gc, proto_link *link);

const hub_group_commit_stats *hub_group_commit_get_stats(const hub_group_commit *gc);

#endif
