/* The hub's reload on SIGHUP; see reload.h. All-or-nothing: a typo in one
 * file must not leave the county half on old rules and half on new. */
#include <limits.h>
#include <stdio.h>

#include "hub/reload.h"
#include "protocol/log.h"

static void log_member_error(void *ud, const char *msg)
{
	(void)ud;
	log_error("reload: service team: %s", msg);
}

int hub_reload(const hub_reload_files *files, hub_store *store, hub_workflow *workflow,
	hub_ingest *ingest, proto_registry **reg)
{
	hub_policy policy;
	proto_registry *next = NULL;
	char err[PATH_MAX + 256];

	hub_policy_defaults(&policy);
	if (files->policy && hub_policy_load(&policy, files->policy, err, sizeof err)) {
		log_error("reload: policy: %s; the running rules stay in force", err);
		return -1;
	}
	next = proto_registry_load(files->registry, err, sizeof err);
	if (!next) {
		log_error("reload: registry: %s; the running rules stay in force", err);
		return -1;
	}
	if (files->members && hub_members_check(files->members, log_member_error, NULL)) {
		log_error("reload: service team %s has errors; the running rules stay "
			  "in force", files->members);
		proto_registry_destroy(next);
		return -1;
	}
	/* The database first: a station new in the registry must exist there
	 * before ingest accepts its first report. */
	if (hub_store_sync_registry(store, next) ||
	    hub_ingest_set_registry(ingest, next)) {
		log_error("reload: cannot take the new registry; the old one stays");
		proto_registry_destroy(next);
		return -1;
	}
	proto_registry_destroy(*reg);
	*reg = next;
	hub_workflow_set_policy(workflow, &policy);
	if (files->members && hub_workflow_load_members(workflow, files->members, err, sizeof err))
		log_error("reload: service team: %s; the old team stays", err);
	log_info("reloaded: policy %s, %zu stations registered%s%s",
		files->policy ? files->policy : "(defaults)", proto_registry_count(next),
		files->members ? ", service team " : "", files->members ? files->members : "");
	return 0;
}
