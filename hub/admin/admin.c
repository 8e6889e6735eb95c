/* What the operator's sub-commands share: reading the hub's config files as
 * the service does, and finding the database's key file. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hub/admin/admin.h"
#include "version.h"

void *hub_admin_config(int argc, char **argv, const proto_conf_key *keys, size_t size)
{
	static const char *const installed[] = {HUB_ADMIN_COUNTY_CONF, HUB_ADMIN_CONF};
	void *cfg = calloc(1, size);
	char err[1024];
	bool given = false;

	if (!cfg)
		return NULL;
	for (int i = 1; i < argc - 1; i++) {
		if (strcmp(argv[i], "--config") != 0)
			continue;
		given = true;
		if (proto_config_load(argv[i + 1], keys, cfg, err, sizeof err))
			goto fail;
	}
	for (size_t i = 0; !given && i < sizeof installed / sizeof installed[0]; i++) {
		if (access(installed[i], F_OK) != 0)
			continue;
		if (proto_config_load(installed[i], keys, cfg, err, sizeof err))
			goto fail;
	}
	return cfg;
fail:
	fprintf(stderr, "minqing-hub: %s\n", err);
	hub_admin_config_free(keys, cfg);
	return NULL;
}

void hub_admin_config_free(const proto_conf_key *keys, void *cfg)
{
	if (!cfg)
		return;
	proto_config_free(keys, cfg);
	free(cfg);
}

void hub_admin_keyfile(const char *keyfile, const char *db, char *out, size_t n)
{
	if (keyfile)
		snprintf(out, n, "%s", keyfile);
	else
		snprintf(out, n, "%s.key", db);
}
