/* The hub's commits made durable off its core thread: the core commits
 * without waiting for the disk and publishes a batch's receipts only once
 * this module reports the batch synced. */
#ifndef HUB_DURABLE_H
#define HUB_DURABLE_H

#include <stdbool.h>

#include <sqlite3.h>

#include "protocol/error.h"

typedef struct hub_durable hub_durable;

/* Switches db (the hub's own connection to path) for good to commits
 * without fsync and no checkpoints of its own, and starts the thread that
 * syncs and checkpoints for it. NULL on failure. */
hub_durable *hub_durable_create(sqlite3 *db, const char *path);

/* Ends the thread after the sync under way, if any; close db after this,
 * never before. Accepts NULL. */
void hub_durable_destroy(hub_durable *d);

/* Readable when a sync asked for has ended. */
int hub_durable_fd(const hub_durable *d);

/* Asks for everything committed so far to be made durable; one at a time.
 * True when the WAL has grown long enough that the core must begin no
 * batch until this sync ends: it comes with a full checkpoint, and the
 * next batch writes the WAL from its start. */
bool hub_durable_request(hub_durable *d);

/* Takes the end of the sync asked for (wait: blocking until it ends).
 * *synced tells whether it has ended; PROTO_ERR_IO when the disk failed,
 * and what the sync covered must not be receipted. */
proto_err hub_durable_take(hub_durable *d, bool wait, bool *synced);

#endif
