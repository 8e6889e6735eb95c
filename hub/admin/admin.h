/* The operator's sub-commands of minqing-hub (check-config, backup, stats):
 * each reads the hub's config the way the hub does, through the hub's own
 * key table, so that a key added to the hub is known to them at once. */
#ifndef HUB_ADMIN_H
#define HUB_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "protocol/config.h"
#include "version.h"

/* The config files the installed service reads, in its order (the later
 * wins): the provisioned county file, then the operator's. */
#define HUB_ADMIN_COUNTY_CONF MINQING_SYSCONFDIR "/minqing/county/hub.conf"
#define HUB_ADMIN_CONF MINQING_SYSCONFDIR "/minqing/hub.conf"

/* Each takes argv[0] = its own name; keys and size describe the hub's
 * config struct. Return the process exit code. */
int hub_check_main(int argc, char **argv, const proto_conf_key *keys, size_t size);
int hub_backup_main(int argc, char **argv, const proto_conf_key *keys, size_t size);
int hub_stats_main(int argc, char **argv, const proto_conf_key *keys, size_t size);

/* A zeroed config of size bytes loaded from every "--config FILE" in argv,
 * or, with none, from the installed files that exist. NULL on error, with
 * the reason printed to stderr. Free with hub_admin_config_free. */
void *hub_admin_config(int argc, char **argv, const proto_conf_key *keys, size_t size);
void hub_admin_config_free(const proto_conf_key *keys, void *cfg);

/* The key file of the database db as the hub finds it: the config's keyfile,
 * else db + ".key". Writes into out. */
void hub_admin_keyfile(const char *keyfile, const char *db, char *out, size_t n);

#endif
