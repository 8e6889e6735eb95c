/* The hub's database: stations with their liveness, the reports, and every
 * other inbound message's id (with a report's item id, the idempotence
 * key). Writes are grouped: the caller opens a batch, stages many messages
 * and commits once; receipts go out only after that commit returns. */
#ifndef HUB_STORE_H
#define HUB_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "hub/secret.h"
#include "protocol/message.h"
#include "protocol/registry.h"

typedef struct hub_store hub_store;

/* SQL for the name of the station whose code is in column `code` and whose
 * own name is `name` (of a join on stations), as a person reads it: with
 * its town and village before it (回龙镇云沟村三组), since "三组" alone is
 * one of hundreds. Codes are the hierarchy: the town is the first 9 digits,
 * the village the first 12. A station not in the registry reads as "".
 * `code` must name its table (s.code): a bare one would mean the lookup's. */
#define HUB_STATION_LABEL(code, name) \
	"(coalesce((SELECT l.name FROM stations l WHERE l.code = substr(" code ", 1, 9) " \
	"AND length(" code ") > 9), '') || coalesce((SELECT l.name FROM stations l " \
	"WHERE l.code = substr(" code ", 1, 12) AND length(" code ") > 12), '') || " \
	"coalesce(" name ", ''))"

/* Opens (creating) the database at path; personal fields are sealed with
 * secret, which the store does not own. NULL on error, logged. */
hub_store *hub_store_open(const char *path, const hub_secret *secret);

void hub_store_close(hub_store *s);

/* Adds or renames the registry's stations. */
proto_err hub_store_sync_registry(hub_store *s, const proto_registry *reg);

/* Opens a batch if none is open; stage calls below must be inside one. */
proto_err hub_store_begin(hub_store *s);

/* Commits the batch (durably); on failure rolls it back and returns an error. */
proto_err hub_store_commit(hub_store *s);

/* Rolls the open batch back, if SQLite has not already. Messages are
 * staged without savepoints of their own (each cost a copy of every page
 * it touched): a stage call that fails with PROTO_ERR_IO or PROTO_ERR_NOMEM
 * may leave the batch half-written, and the caller must roll it all back. */
void hub_store_rollback(hub_store *s);

/* How many times staged rows were rolled back, whole batch or to a
 * savepoint: what memory derived from the rows compares to trust itself. */
uint64_t hub_store_undone(const hub_store *s);

/* True when a rollback since the last call undid a batch because the disk
 * was full (SQLITE_FULL); clears it. */
bool hub_store_take_full(hub_store *s);

/* The database and the seal, for the workflow's tables (hub/item.c). */
sqlite3 *hub_store_db(hub_store *s);
const hub_secret *hub_store_secret(const hub_store *s);

/* Stages a validated report. *dup is set when (station, id) was stored
 * before: nothing is written then. PROTO_ERR_REPLAY when the id is new but
 * below the settled mark of the station's last status; nothing is written. */
proto_err hub_store_stage_report(hub_store *s, const proto_msg *m, int64_t now,
	bool *dup);

/* Begins and ends a savepoint inside the batch, for one change among many
 * that may fail on its own (the timer's, a dashboard user's, a message that
 * failed before: hub/ingest.c): release with
 * err != OK rolls back to it. */
proto_err hub_store_savepoint(hub_store *s);
proto_err hub_store_release(hub_store *s, proto_err err);

/* Stages an action's idempotence mark; *dup when seen before. Like a
 * report's, PROTO_ERR_REPLAY leaves nothing written. */
proto_err hub_store_inbound(hub_store *s, const proto_msg *m, int64_t now, bool *dup);

/* Takes back the mark of a message refused after it was staged. */
proto_err hub_store_unmark(hub_store *s, const proto_msg *m);

/* True while a batch is open. */
bool hub_store_in_batch(const hub_store *s);

/* Stages a station status; a status of an older session than the one known
 * is ignored, so a late will never marks a live station offline. */
proto_err hub_store_status(hub_store *s, const proto_msg *m, int64_t now);

/* Resets a station's marks in the database at path, beside a running hub
 * or not (it reads them again at its next batch): no replay mark, session
 * 0, offline until its next status. *found is false when the stations
 * table has no row for code. PROTO_ERR_IO, logged, when the database
 * cannot be opened or written. */
proto_err hub_store_reset_marks(const char *path, const char *code, bool *found);

/* Whether the station's last status applied said it is online. */
bool hub_store_online(hub_store *s, const char *code);

#endif
