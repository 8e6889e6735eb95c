/* minqing-hub: the county hub's main(). It reads the options and config
 * files, hands the operator's sub-commands to hub/admin/, opens what the
 * daemon serves from (the key, the store, the rules, the group commit and
 * its sync thread, the dashboard), runs the event loop (hub/event-loop.c,
 * where every thread is listed) and closes it all again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mosquitto.h>
#include <sqlite3.h>

#include "hub/admin/admin.h"
#include "dashboard/dashboard.h"
#include "hub/clock.h"
#include "hub/event-loop.h"
#include "hub/group-commit.h"
#include "hub/ingest.h"
#include "hub/workflow.h"
#include "hub/pki.h"
#include "hub/policy.h"
#include "hub/admin/provision.h"
#include "hub/admin/query.h"
#include "hub/reload.h"
#include "hub/store.h"
#include "protocol/config.h"
#include "protocol/log.h"
#include "protocol/signals.h"
#include "version.h"

typedef struct config {
	char *broker, *mqtt, *county, *db, *registry, *user, *password, *cafile, *log_level;
	char *keyfile, *policy, *members;
	char *http; /* dashboard ADDR:PORT */
	char *http_cert, *http_key; /* its HTTPS certificate and key (PEM) */
	int64_t keepalive, rate_limit, rate_burst, time_scale, production;
	int64_t session_idle, http_insecure;
} config;

static const proto_conf_key keys[] = {
	{"broker", PROTO_CONF_STRING, offsetof(config, broker), 0, 0},
	{"mqtt", PROTO_CONF_STRING, offsetof(config, mqtt), 0, 0},
	{"county", PROTO_CONF_STRING, offsetof(config, county), 0, 0},
	{"db", PROTO_CONF_PATH, offsetof(config, db), 0, 0},
	{"registry", PROTO_CONF_PATH, offsetof(config, registry), 0, 0},
	{"user", PROTO_CONF_STRING, offsetof(config, user), 0, 0},
	{"password", PROTO_CONF_STRING, offsetof(config, password), 0, 0},
	{"cafile", PROTO_CONF_PATH, offsetof(config, cafile), 0, 0},
	{"log_level", PROTO_CONF_STRING, offsetof(config, log_level), 0, 0},
	{"keyfile", PROTO_CONF_PATH, offsetof(config, keyfile), 0, 0},
	{"keepalive", PROTO_CONF_INT, offsetof(config, keepalive), 5, 3600},
	{"rate_limit", PROTO_CONF_INT, offsetof(config, rate_limit), 0, 1000000},
	{"rate_burst", PROTO_CONF_INT, offsetof(config, rate_burst), 1, 1000000},
	{"policy", PROTO_CONF_PATH, offsetof(config, policy), 0, 0},
	{"members", PROTO_CONF_PATH, offsetof(config, members), 0, 0},
	{"time_scale", PROTO_CONF_INT, offsetof(config, time_scale), 1, 100000},
	{"production", PROTO_CONF_INT, offsetof(config, production), 0, 1},
	{"http", PROTO_CONF_STRING, offsetof(config, http), 0, 0},
	{"session_idle", PROTO_CONF_INT, offsetof(config, session_idle), 1, 30 * 86400},
	{"http_cert", PROTO_CONF_PATH, offsetof(config, http_cert), 0, 0},
	{"http_key", PROTO_CONF_PATH, offsetof(config, http_key), 0, 0},
	{"http_insecure", PROTO_CONF_INT, offsetof(config, http_insecure), 0, 1},
	{NULL, 0, 0, 0, 0},
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: minqing-hub --broker HOST:PORT[,HOST:PORT...] --county CODE --db FILE\n"
		"                   --registry FILE [--user U --password P]\n"
		"                   [--cafile FILE] [--keyfile FILE] [--config FILE]\n"
		"                   [--log-level L] [--policy FILE] [--members FILE]\n"
		"                   [--time-scale N] [--http ADDR:PORT] [--mqtt 5|3.1.1]\n"
		"       minqing-hub query --db FILE [--json] [--stations] [--events ITEM]\n"
		"       minqing-hub provision --registry FILE --out DIR [--port P] [--tls]\n"
		"                             [--http-host NAME]...\n"
		"       minqing-hub check-config [--config FILE]...\n"
		"       minqing-hub backup --to FILE [--key-to FILE] [--config FILE]...\n"
		"       minqing-hub stats [--db FILE] [--config FILE]...\n"
		"       minqing-hub user add|passwd|del|list [NAME] --db FILE ...\n"
		"Receives the county's reports, stores them and receipts them.\n"
		"SIGHUP reloads the policy, registry and service team. Each\n"
		"sub-command takes --help; see minqing-hub(8).\n");
}

/* The dashboard's address and TLS files, before anything starts: plain
 * HTTP off loopback only when the operator insists (http_insecure = 1). An
 * empty http_cert or http_key (a later file's "http_cert =") unsets it. */
static int check_http(config *cfg)
{
	char err[640];
	int days = HUB_PKI_WARN_DAYS;

	if (cfg->http_cert && !*cfg->http_cert)
		free(cfg->http_cert), cfg->http_cert = NULL;
	if (cfg->http_key && !*cfg->http_key)
		free(cfg->http_key), cfg->http_key = NULL;
	if (!dash_listen_check(cfg->http, cfg->http_cert, cfg->http_key,
		    cfg->http_insecure == 1, err, sizeof err) ||
	    (cfg->http_cert &&
		    hub_pki_check_pair(cfg->http_cert, cfg->http_key, &days, err, sizeof err))) {
		fprintf(stderr, "minqing-hub: %s\n", err);
		return 2;
	}
	/* Said at every start, into the journal: a month to renew it. */
	if (days < HUB_PKI_WARN_DAYS)
		fprintf(stderr, "minqing-hub: warning: the dashboard's certificate %s expires "
				"in %d day%s; renew it, then restart the hub\n", cfg->http_cert,
			days, days == 1 ? "" : "s");
	return 0;
}

static int parse_args(int argc, char **argv, config *cfg)
{
	static const char *const options[] = {"broker", "county", "db", "registry", "user",
		"password", "cafile", "log-level", "keyfile", "policy", "members",
		"time-scale", "http", "mqtt", NULL};
	int rc = proto_config_args(argc, argv, "minqing-hub", MINQING_VERSION, options,
		keys, cfg, usage);

	if (rc)
		return rc;
	if (!cfg->broker || !cfg->county || !cfg->db || !cfg->registry) {
		usage(stderr);
		return 2;
	}
	if (!cfg->keyfile) {
		/* Beside the database by default; backups must keep them apart. */
		size_t n = strlen(cfg->db) + 5;
		cfg->keyfile = malloc(n);
		if (!cfg->keyfile)
			return 2;
		snprintf(cfg->keyfile, n, "%s.key", cfg->db);
	}
	/* A county's real deadlines must never run fast by a stray flag. */
	if (cfg->production && cfg->time_scale > 1) {
		fprintf(stderr, "minqing-hub: time_scale is for tests and the demo; "
				"this config says production = 1\n");
		return 2;
	}
	char err[400];
	if (!proto_link_check_brokers(cfg->broker, err, sizeof err)) {
		fprintf(stderr, "minqing-hub: key 'broker': %s\n", err);
		return 2;
	}
	/* RabbitMQ's MQTT plugin (3.10) speaks 3.1.1 only. */
	if (cfg->mqtt && strcmp(cfg->mqtt, "5") && strcmp(cfg->mqtt, "3.1.1")) {
		fprintf(stderr, "minqing-hub: key 'mqtt': '%s' is neither 5 nor 3.1.1\n",
			cfg->mqtt);
		return 2;
	}
	if (proto_code_tier(cfg->county) != PROTO_TIER_COUNTY) {
		fprintf(stderr, "minqing-hub: '%s' is not a 6-digit county code\n",
			cfg->county);
		return 2;
	}
	return cfg->http ? check_http(cfg) : 0;
}

/* Opens what the hub serves from, each after what it needs, runs the event
 * loop and closes everything in reverse. The exit code: 2 for a bad
 * address or registry, 1 when the hub could not start or stopped on a
 * failed sync. */
static int run(config *cfg)
{
	proto_registry *reg = NULL;
	hub_secret *secret = NULL;
	hub_store *store = NULL;
	hub_workflow *workflow = NULL;
	hub_group_commit *commit = NULL;
	hub_ingest *ingest = NULL;
	dash *d = NULL;
	char err[512];
	int sigfd, rc = 1;

	reg = proto_registry_load(cfg->registry, err, sizeof err);
	if (!reg) {
		log_error("registry: %s", err);
		return 2;
	}
	sigfd = proto_signals_init();
	/* A new key only beside a new database: for an existing one a missing
	 * key means a lost or misplaced file, and a fresh key would leave the
	 * database sealed under two keys, half of it unreadable. */
	bool fresh = access(cfg->db, F_OK) != 0;
	secret = hub_secret_open(cfg->keyfile, fresh);
	if (!secret) {
		if (!fresh)
			log_error("cannot open the key file %s of the existing database %s; "
				  "restore it from its backup", cfg->keyfile, cfg->db);
		goto done;
	}
	store = hub_store_open(cfg->db, secret);
	if (!store || hub_store_sync_registry(store, reg))
		goto done;
	hub_policy policy;
	hub_policy_defaults(&policy);
	if (cfg->policy && hub_policy_load(&policy, cfg->policy, err, sizeof err)) {
		log_error("policy: %s", err);
		goto done;
	}
	if (cfg->time_scale > 1) {
		log_warn("hub time runs %lld times faster than wall time (tests, demo)",
			(long long)cfg->time_scale);
		hub_clock_set_scale((int)cfg->time_scale);
	}
	workflow = hub_workflow_create(store, &policy);
	if (!workflow)
		goto done;
	/* Where offline tools read the hub's hour (`stats`, hub/clock.h). Not
	 * a reason to stay down (a full disk): they fall back on the wall. */
	if (hub_clock_save(hub_store_db(store)))
		log_warn("the hub's clock is not saved: `stats` may read another hour");
	if (cfg->members && hub_workflow_load_members(workflow, cfg->members, err, sizeof err)) {
		log_error("service team: %s", err);
		goto done;
	}
	commit = hub_group_commit_create(store, workflow, cfg->db);
	if (!commit)
		goto done;
	ingest = hub_ingest_create(store, workflow, commit, reg, cfg->county,
		(double)cfg->rate_limit, (double)cfg->rate_burst);
	if (!ingest)
		goto done;
	if (cfg->http) {
		d = dash_create(&(dash_opts){.listen = cfg->http, .db = cfg->db,
			.county = cfg->county, .store = store, .workflow = workflow,
			.session_idle = cfg->session_idle, .tls_cert = cfg->http_cert,
			.tls_key = cfg->http_key});
		if (!d)
			goto done;
	}
	rc = hub_event_loop_run(&(hub_event_loop_opts){
		.county = cfg->county, .broker = cfg->broker,
		.mqtt311 = cfg->mqtt && !strcmp(cfg->mqtt, "3.1.1"), .user = cfg->user,
		.password = cfg->password, .cafile = cfg->cafile,
		.keepalive = (int)cfg->keepalive, .sigfd = sigfd, .store = store,
		.workflow = workflow, .ingest = ingest, .commit = commit, .dash = d,
		.files = {cfg->policy, cfg->registry, cfg->members}, .reg = &reg});
done:
	dash_destroy(d);
	hub_group_commit_destroy(commit);
	hub_ingest_destroy(ingest);
	hub_workflow_destroy(workflow);
	hub_store_close(store);
	hub_secret_destroy(secret);
	proto_registry_destroy(reg);
	return rc;
}

int main(int argc, char **argv)
{
	/* 20 messages a second per station is far above what a village files,
	 * and a backlog of a day still drains in minutes. */
	config cfg = {.keepalive = 30, .rate_limit = 20, .rate_burst = 200};
	int rc, level;

	if (argc > 1 && strcmp(argv[1], "query") == 0)
		return hub_query_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "provision") == 0) {
		proto_log_init("minqing-hub", PROTO_LOG_INFO);
		return hub_provision_main(argc - 1, argv + 1);
	}
	if (argc > 1 && strcmp(argv[1], "check-config") == 0)
		return hub_check_main(argc - 1, argv + 1, keys, sizeof(config));
	if (argc > 1 && strcmp(argv[1], "backup") == 0)
		return hub_backup_main(argc - 1, argv + 1, keys, sizeof(config));
	if (argc > 1 && strcmp(argv[1], "stats") == 0)
		return hub_stats_main(argc - 1, argv + 1, keys, sizeof(config));
	if (argc > 1 && strcmp(argv[1], "user") == 0)
		return dash_user_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "run") == 0)
		argc--, argv++;
	rc = parse_args(argc, argv, &cfg);
	if (rc) {
		proto_config_free(keys, &cfg);
		return rc == 1 ? 0 : 2;
	}
	level = proto_log_level_parse(cfg.log_level ? cfg.log_level : "info");
	proto_log_init("minqing-hub", level < 0 ? PROTO_LOG_INFO : level);
	/* The database and its key hold complaints and sealed personal data:
	 * nobody but the hub's own user reads them. */
	umask(077);
	/* No initial bulk allocation of page cache per pager: each statement
	 * that keeps a partial index of items evaluates its IN list in a
	 * throwaway table, whose ~90 KiB bulk, freed at the top of the heap,
	 * made malloc hand memory back to the kernel and fault it in again on
	 * every report (a TLB flush on both cores each time). */
	sqlite3_config(SQLITE_CONFIG_PAGECACHE, (void *)NULL, 0, 0);
	/* Nothing reads SQLite's memory statistics, and keeping them takes a
	 * global mutex on every one of its allocations: over a hundred a
	 * report, 7 % of the hub's instructions. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	mosquitto_lib_init();
	rc = run(&cfg);
	mosquitto_lib_cleanup();
	proto_config_free(keys, &cfg);
	return rc;
}
