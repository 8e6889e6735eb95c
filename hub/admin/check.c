/* `minqing-hub check-config`: reads everything the hub would read at
 * start-up (its config files, the policy, the registry, the service team)
 * and names the file, line and key of every error it finds, so that an
 * operator fixes them all before a restart instead of one per restart. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dashboard/dashboard.h"
#include "hub/admin/admin.h"
#include "hub/workflow.h"
#include "hub/pki.h"
#include "hub/policy.h"
#include "protocol/code.h"
#include "protocol/link.h"
#include "protocol/registry.h"

typedef struct check {
	int errors;
	bool quiet;
} check;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: minqing-hub check-config [--config FILE]... [--quiet]\n"
		"Checks the hub's config files (without --config, those the service\n"
		"reads: " HUB_ADMIN_COUNTY_CONF " and\n"
		HUB_ADMIN_CONF "), then the policy, registry and service team\n"
		"they name. Prints FILE:LINE: key 'KEY': reason for each error and\n"
		"exits 1 if there is one, 0 if all is well.\n");
}

static void report(void *ud, const char *msg)
{
	check *c = ud;

	fprintf(stderr, "%s\n", msg);
	c->errors++;
}

static void fail(check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(check *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	c->errors++;
}

static void check_readable(check *c, const char *what, const char *path)
{
	if (path && access(path, R_OK) != 0)
		fail(c, "%s %s cannot be read", what, path);
}

/* The hub creates its database and key on first start, and systemd its
 * directory (StateDirectory=): before the first start only the directory
 * above must exist. An existing database without its key is fatal. */
static void check_db(check *c, const char *db, const char *keyfile)
{
	char dir[PATH_MAX], parent[PATH_MAX], key[PATH_MAX];

	proto_path_dir(db, dir, sizeof dir);
	proto_path_dir(dir, parent, sizeof parent);
	if (access(dir, F_OK) != 0) {
		if (access(parent, F_OK) != 0)
			fail(c, "db: the directory %s of %s does not exist", dir, db);
		else if (!c->quiet)
			printf("note: %s does not exist yet; the service makes it at its "
			       "first start\n", dir);
	}
	hub_admin_keyfile(keyfile, db, key, sizeof key);
	if (access(db, F_OK) == 0 && access(key, F_OK) != 0)
		fail(c, "keyfile: %s is missing but the database %s exists; restore it "
			"from its backup", key, db);
}

/* An INT key's value in cfg (0 when unknown: every INT key starts at 0). */
static int64_t int_key(const proto_conf_key *keys, const void *cfg, const char *name)
{
	for (const proto_conf_key *k = keys; k->name; k++)
		if (k->type == PROTO_CONF_INT && strcmp(k->name, name) == 0)
			return *(const int64_t *)((const char *)cfg + k->offset);
	return 0;
}

/* The dashboard as the hub would start it: its address, plain HTTP only on
 * loopback (or by http_insecure = 1), and a certificate that fits its key
 * and is valid now. */
static void check_http(check *c, const proto_conf_key *keys, const void *cfg)
{
	const char *listen = proto_config_get(keys, cfg, "http");
	const char *cert = proto_config_get(keys, cfg, "http_cert");
	const char *key = proto_config_get(keys, cfg, "http_key");
	char err[640];
	int days = HUB_PKI_WARN_DAYS;

	if (!listen)
		return;
	if (!dash_listen_check(listen, cert, key, int_key(keys, cfg, "http_insecure") == 1,
		    err, sizeof err))
		report(c, err);
	else if (cert && *cert && hub_pki_check_pair(cert, key, &days, err, sizeof err))
		fail(c, "key 'http_cert': %s", err);
	else if (days < HUB_PKI_WARN_DAYS)
		/* Not an error: the hub starts, and says the same at each start. */
		fprintf(stderr, "warning: key 'http_cert': %s expires in %d day%s\n", cert,
			days, days == 1 ? "" : "s");
}

static void check_rules(check *c, const char *policy_path, const char *registry,
	const char *members)
{
	char err[PATH_MAX + 256];

	if (policy_path) {
		hub_policy p;
		hub_policy_defaults(&p);
		if (hub_policy_load(&p, policy_path, err, sizeof err))
			report(c, err);
	}
	if (registry) {
		proto_registry *reg = proto_registry_load(registry, err, sizeof err);
		if (!reg)
			report(c, err);
		proto_registry_destroy(reg);
	}
	if (members)
		hub_members_check(members, report, c);
}

int hub_check_main(int argc, char **argv, const proto_conf_key *keys, size_t size)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'f'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static const char *const installed[] = {HUB_ADMIN_COUNTY_CONF, HUB_ADMIN_CONF};
	static const char *const required[] = {"broker", "county", "db", "registry"};
	check c = {0};
	void *cfg = calloc(1, size);
	const char *files[16];
	int n = 0, opt;

	if (!cfg)
		return 1;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (n < (int)(sizeof files / sizeof files[0]))
				files[n++] = optarg;
			break;
		case 'q': c.quiet = true; break;
		case 'h': usage(stdout); free(cfg); return 0;
		default: usage(stderr); free(cfg); return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		free(cfg);
		return 2;
	}
	for (size_t i = 0; n == 0 && i < 2; i++)
		if (access(installed[i], F_OK) == 0 || i == 1)
			files[n++] = installed[i];
	/* Every file, every line: the loader goes on past an error here. */
	for (int i = 0; i < n; i++)
		proto_config_check(files[i], keys, cfg, report, &c);

	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
		if (!proto_config_get(keys, cfg, required[i]))
			fail(&c, "key '%s' is set in none of the config files", required[i]);
	const char *broker = proto_config_get(keys, cfg, "broker");
	const char *county = proto_config_get(keys, cfg, "county");
	const char *db = proto_config_get(keys, cfg, "db");
	char err[400];
	if (broker && !proto_link_check_brokers(broker, err, sizeof err))
		fail(&c, "key 'broker': %s", err);
	if (county && proto_code_tier(county) != PROTO_TIER_COUNTY)
		fail(&c, "key 'county': '%s' is not a 6-digit county code", county);
	if (db)
		check_db(&c, db, proto_config_get(keys, cfg, "keyfile"));
	check_readable(&c, "cafile", proto_config_get(keys, cfg, "cafile"));
	check_http(&c, keys, cfg);
	check_rules(&c, proto_config_get(keys, cfg, "policy"),
		proto_config_get(keys, cfg, "registry"),
		proto_config_get(keys, cfg, "members"));

	if (c.errors)
		fprintf(stderr, "minqing-hub check-config: %d error%s\n", c.errors,
			c.errors == 1 ? "" : "s");
	else if (!c.quiet)
		printf("configuration ok (%d file%s, policy %s, registry %s, team %s)\n", n,
			n == 1 ? "" : "s",
			proto_config_get(keys, cfg, "policy") ? "checked" : "built-in",
			proto_config_get(keys, cfg, "registry") ? "checked" : "-",
			proto_config_get(keys, cfg, "members") ? "checked" : "none");
	proto_config_free(keys, cfg);
	free(cfg);
	return c.errors ? 1 : 0;
}
