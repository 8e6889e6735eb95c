/* The hub's commits made durable off its core thread: the core commits
 * without waiting for the disk and publishes a batch's receipts only once
 * this module reports the batch synced. */
#ifndef HUB_DURABLE_H
#define HUB_DURABLE_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "protocol/error.h"

typedef struct hub_durable hub_durable;

/* What a request asks of the thread besides the sync. */
typedef enum hub_durable_mode {
	HUB_DURABLE_SYNC,     /* the sync alone (a checkpoint may follow it) */
	HUB_DURABLE_RESTART,  /* and a checkpoint of all, the core paused */
	HUB_DURABLE_TRUNCATE, /* and a checkpoint that empties the WAL (quiet) */
	HUB_DURABLE_RECOVER,  /* disk full: reserve freed, WAL emptied, reserve again */
} hub_durable_mode;

/* The last checkpoint's result, and counts since the start. */
typedef struct hub_durable_health {
	bool last_ok;          /* it copied what it should have */
	int frames, copied;    /* as SQLite counted them (-1: it could not) */
	int64_t at_ms;         /* when it ended (wall clock), 0: none yet */
	int64_t checkpoints;   /* checkpoints run */
	int64_t failed;        /* of those, failed (logged each) */
} hub_durable_health;

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

/* Asks for mode (TRUNCATE or RECOVER) with the core paused until it ends,
 * as for a sync. False when there is nothing to do (TRUNCATE of an empty
 * WAL): nothing was asked. */
bool hub_durable_ask(hub_durable *d, hub_durable_mode mode);

/* After a RECOVER has been taken: true when it found no room for the
 * reserve, so that the disk is still full. */
bool hub_durable_noroom(const hub_durable *d);

/* The core tells whether the disk is full (since: wall ms), for the health
 * file written at the next checkpoint or recovery. */
void hub_durable_set_full(hub_durable *d, bool full, int64_t since_ms);

hub_durable_health hub_durable_get_health(hub_durable *d);

/* Takes the end of the sync asked for (wait: blocking until it ends).
 * *synced tells whether it has ended; PROTO_ERR_IO when the disk failed,
 * and what the sync covered must not be receipted. */
proto_err hub_durable_take(hub_durable *d, bool wait, bool *synced);

#endif
