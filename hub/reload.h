/* Reloading the county's rules while the hub runs (SIGHUP): the policy,
 * the station registry and the service team are read again and take effect
 * between two batches, so no message is half-handled and none is lost. */
#ifndef HUB_RELOAD_H
#define HUB_RELOAD_H

#include "hub/ingest.h"
#include "hub/workflow.h"
#include "hub/store.h"
#include "protocol/registry.h"

typedef struct hub_reload_files {
	const char *policy;   /* NULL: the built-in defaults */
	const char *registry;
	const char *members;  /* NULL: the team is left as it is */
} hub_reload_files;

/* Reads every file first; only when all are good are they put in force,
 * together. On any error the running rules stay whole and the error is
 * logged. *reg is replaced (the old one destroyed) on success. Call with
 * no batch open (after hub_group_commit_settle). Returns 0 when reloaded. */
int hub_reload(const hub_reload_files *files, hub_store *store, hub_workflow *workflow,
	hub_ingest *ingest, proto_registry **reg);

#endif
