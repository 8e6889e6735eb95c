/* The hub's database: stations with their liveness, every inbound message id
 * (the idempotence key), and the reports. Writes are grouped: the caller
 * opens a batch, stages many messages and commits once; receipts go out
 * only after that commit returns. */
#ifndef HUB_STORE_H
#define HUB_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "hub/secret.h"
#include "protocol/message.h"
#include "protocol/registry.h"

typedef struct hub_store hub_store;

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

/* True while a batch is open. */
bool hub_store_in_batch(const hub_store *s);

/* Stages a validated report. *dup is set when (station, id) was stored
 * before: nothing is written then. PROTO_ERR_REPLAY when the id is new but
 * not above the highest accepted from the station; nothing is written. */
proto_err hub_store_report(hub_store *s, const proto_msg *m, int64_t now, bool *dup);

/* Stages a station status; a status of an older session than the one known
 * is ignored, so a late will never marks a live station offline. */
proto_err hub_store_status(hub_store *s, const proto_msg *m, int64_t now);

#endif
