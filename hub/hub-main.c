/* minqing-hub: the county hub. One core thread: a poll loop over the MQTT
 * socket and the signal pipe. Each wake-up reads what the socket has and
 * stages it in one SQLite batch; the batch is committed, synced by
 * durable.c's thread while the core reads on, and only then are its
 * receipts published (group commit: under load one fsync serves many
 * reports, and the next batch gathers during it). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
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
#include "hub/durable.h"
#include "hub/ingest.h"
#include "hub/loop.h"
#include "hub/pki.h"
#include "hub/policy.h"
#include "hub/admin/provision.h"
#include "hub/admin/query.h"
#include "hub/reload.h"
#include "hub/store.h"
#include "protocol/clock.h"
#include "protocol/config.h"
#include "protocol/log.h"
#include "protocol/signals.h"
#include "protocol/topic.h"
#include "version.h"

#define GROUP_MS 5     /* longest a receipt waits for others to share a commit */
#define GROUP_MAX 1000 /* receipts in one commit at most */

typedef struct config {
	char *broker, *county, *db, *registry, *user, *password, *cafile, *log_level;
	char *keyfile, *policy, *members;
	char *http; /* dashboard ADDR:PORT */
	char *http_cert, *http_key; /* its HTTPS certificate and key (PEM) */
	int64_t keepalive, rate_limit, rate_burst, time_scale, production;
	int64_t session_idle, http_insecure;
} config;

static const proto_conf_key keys[] = {
	{"broker", PROTO_CONF_STRING, offsetof(config, broker), 0, 0},
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

typedef struct hub {
	config cfg;
	hub_store *store;
	hub_secret *secret;
	hub_ingest *ingest;
	hub_durable *durable;
	hub_loop *loop;
	dash *dash;
	proto_link *link;
	int64_t session;
	bool said_full;  /* the last online status said the disk is full */
	int64_t cleared_said;  /* monotonic ms of the last "cleared" warning */
	int64_t cleared_quiet; /* clearings since then, not logged one by one */
	char topic_status[PROTO_TOPIC_MAX];
	char filter[PROTO_TOPIC_MAX];
} hub;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: minqing-hub --broker HOST:PORT --county CODE --db FILE\n"
		"                   --registry FILE [--user U --password P]\n"
		"                   [--cafile FILE] [--keyfile FILE] [--config FILE]\n"
		"                   [--log-level L] [--policy FILE] [--members FILE]\n"
		"                   [--time-scale N] [--http ADDR:PORT]\n"
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

static char *hub_status_json(hub *h, bool online)
{
	proto_msg m = {.v = PROTO_VERSION, .type = PROTO_MSG_HUB};

	snprintf(m.station, sizeof m.station, "%s", h->cfg.county);
	m.ts = proto_now_ms();
	m.u.status.online = online;
	m.u.status.session = h->session;
	m.u.status.outbox = -1;
	m.u.status.agent = "minqing-hub/" MINQING_VERSION;
	/* Said to every station and operator watching the status: a hub
	 * that stores nothing is up but not serving (PROTOCOL.md §5.3). */
	h->said_full = online && hub_ingest_full(h->ingest);
	m.u.status.storage = h->said_full ? "full" : NULL;
	return proto_msg_encode(&m);
}

static void on_connecting(void *ud, proto_link *link)
{
	hub *h = ud;
	int64_t now = proto_now_ms();
	char *will;

	h->session = now > h->session ? now : h->session + 1;
	will = hub_status_json(h, false);
	if (will)
		proto_link_set_will(link, h->topic_status, will, true);
	free(will);
}

static void on_connected(void *ud, proto_link *link)
{
	hub *h = ud;
	char *json = hub_status_json(h, true);

	log_info("connected to broker (session %lld)", (long long)h->session);
	proto_link_subscribe(link, h->filter);
	/* The birth comes after the subscription: a station that sees it and
	 * resends at once finds the hub listening. */
	if (json)
		proto_link_publish(link, h->topic_status, json, strlen(json), 1, true, NULL);
	free(json);
}

/* Only statuses stay retained (PROTOCOL.md §2). mosquitto's ACL cannot
 * refuse a retained publish alone, so a station may park up to
 * max_packet_size on its report, action or receipt topic, delivered again
 * to every new subscriber: the hub, whose link keeps the retain flag as
 * published (MQTT 5), removes it with an empty retained publish, then
 * handles the message as any other. An empty one is itself a removal. */
static void clear_retained(hub *h, proto_link *link, const struct mosquitto_message *msg)
{
	proto_topic t;

	if (!msg->retain || msg->payloadlen == 0 ||
	    proto_topic_parse(msg->topic, &t) != PROTO_OK || !t.up ||
	    strcmp(t.county, h->cfg.county) || t.type == PROTO_MSG_STATUS)
		return;
	int rc = proto_link_publish(link, msg->topic, NULL, 0, 1, true, NULL);
	/* Before the rate limit (what is dropped over it stays parked
	 * otherwise), so its warning has its own: one a second. */
	int64_t now = proto_mono_ms();
	if (h->cleared_said && now - h->cleared_said < 1000) {
		h->cleared_quiet++;
		return;
	}
	log_warn("station %s left a retained %s (%d bytes) at the broker; %s "
		"(%lld more cleared since the last such warning)", t.station,
		proto_msg_type_name(t.type), msg->payloadlen,
		rc ? "cannot clear it" : "cleared", (long long)h->cleared_quiet);
	h->cleared_said = now;
	h->cleared_quiet = 0;
}

static void on_message(void *ud, proto_link *link, const struct mosquitto_message *msg)
{
	hub *h = ud;
	clear_retained(h, link, msg);
	hub_ingest_message(h->ingest, msg->topic, msg->payload, (size_t)msg->payloadlen);
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
		"time-scale", "http", NULL};
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
	if (proto_code_tier(cfg->county) != PROTO_TIER_COUNTY) {
		fprintf(stderr, "minqing-hub: '%s' is not a 6-digit county code\n",
			cfg->county);
		return 2;
	}
	return cfg->http ? check_http(cfg) : 0;
}

/* Commits what is staged and waits until it is on disk and receipted. An
 * error only when the disk failed a sync (a failed commit drops its
 * receipts, as at any flush: the stations resend). */
static proto_err settle(hub *h)
{
	proto_err err = hub_ingest_synced(h->ingest, h->link, true);

	if (!err) {
		hub_ingest_flush(h->ingest, h->link);
		err = hub_ingest_synced(h->ingest, h->link, true);
	}
	return err;
}

static int run(hub *h)
{
	static const proto_link_cbs cbs = {
		.connecting = on_connecting,
		.connected = on_connected,
		.message = on_message,
	};
	proto_registry *reg = NULL;
	char host[256], client_id[64], err[512];
	int port, sigfd, rc = 1;

	if (!proto_link_parse_address(h->cfg.broker, host, sizeof host, &port)) {
		log_error("broker address '%s' is not HOST:PORT", h->cfg.broker);
		return 2;
	}
	reg = proto_registry_load(h->cfg.registry, err, sizeof err);
	if (!reg) {
		log_error("registry: %s", err);
		return 2;
	}
	sigfd = proto_signals_init();
	proto_topic_for(h->topic_status, sizeof h->topic_status, h->cfg.county,
		PROTO_MSG_HUB);
	proto_topic_hub_filter(h->filter, sizeof h->filter, h->cfg.county);
	/* A new key only beside a new database: for an existing one a missing
	 * key means a lost or misplaced file, and a fresh key would leave the
	 * database sealed under two keys, half of it unreadable. */
	bool fresh = access(h->cfg.db, F_OK) != 0;
	h->secret = hub_secret_open(h->cfg.keyfile, fresh);
	if (!h->secret) {
		if (!fresh)
			log_error("cannot open the key file %s of the existing database %s; "
				  "restore it from its backup", h->cfg.keyfile, h->cfg.db);
		goto done;
	}
	h->store = hub_store_open(h->cfg.db, h->secret);
	if (!h->store || hub_store_sync_registry(h->store, reg))
		goto done;
	hub_policy policy;
	char perr[512];
	hub_policy_defaults(&policy);
	if (h->cfg.policy && hub_policy_load(&policy, h->cfg.policy, perr, sizeof perr)) {
		log_error("policy: %s", perr);
		goto done;
	}
	if (h->cfg.time_scale > 1) {
		log_warn("hub time runs %lld times faster than wall time (tests, demo)",
			(long long)h->cfg.time_scale);
		hub_clock_set_scale((int)h->cfg.time_scale);
	}
	h->loop = hub_loop_create(h->store, &policy);
	if (!h->loop)
		goto done;
	/* Where offline tools read the hub's hour (`stats`, hub/clock.h). Not
	 * a reason to stay down (a full disk): they fall back on the wall. */
	if (hub_clock_save(hub_store_db(h->store)))
		log_warn("the hub's clock is not saved: `stats` may read another hour");
	if (h->cfg.members && hub_loop_load_members(h->loop, h->cfg.members, perr,
		    sizeof perr)) {
		log_error("service team: %s", perr);
		goto done;
	}
	h->ingest = hub_ingest_create(h->store, h->loop, reg, h->cfg.county,
		(double)h->cfg.rate_limit, (double)h->cfg.rate_burst);
	if (!h->ingest)
		goto done;
	h->durable = hub_durable_create(hub_store_db(h->store), h->cfg.db);
	if (!h->durable)
		goto done;
	hub_ingest_set_durable(h->ingest, h->durable);
	if (h->cfg.http) {
		h->dash = dash_create(&(dash_opts){.listen = h->cfg.http, .db = h->cfg.db,
			.county = h->cfg.county, .store = h->store, .loop = h->loop,
			.session_idle = h->cfg.session_idle, .tls_cert = h->cfg.http_cert,
			.tls_key = h->cfg.http_key});
		if (!h->dash)
			goto done;
	}
	snprintf(client_id, sizeof client_id, "hub-%s", h->cfg.county);
	h->link = proto_link_create(&(proto_link_opts){
		.host = host, .port = port, .client_id = client_id,
		.user = h->cfg.user, .password = h->cfg.password, .cafile = h->cfg.cafile,
		.clean_session = false, .keepalive = (int)h->cfg.keepalive,
		.backoff_max_ms = 5000, .max_inflight = 1000,
		.mqtt5 = true, /* to see which station messages were retained */
	}, &cbs, h);
	if (!h->link)
		goto done;
	log_info("hub for county %s started: %zu stations registered", h->cfg.county,
		proto_registry_count(reg));

	int64_t next_tick = proto_mono_ms(), batch_at = 0;
	for (;;) {
		struct pollfd p[4] = {{.fd = sigfd, .events = POLLIN},
			{.fd = -1}, {.fd = dash_fd(h->dash), .events = POLLIN},
			{.fd = hub_durable_fd(h->durable), .events = POLLIN}};
		int64_t mono = proto_mono_ms();
		int wait = proto_link_service(h->link, mono);
		/* A full disk's recoveries, and the WAL emptied when quiet:
		 * asked before `paused` is read, since both pause the core. */
		int tw = hub_ingest_tend(h->ingest, mono);
		if (tw >= 0 && (wait < 0 || tw < wait))
			wait = tw;
		/* The disk found full or back: the retained status says so. */
		if (hub_ingest_full(h->ingest) != h->said_full &&
		    proto_link_connected(h->link)) {
			char *json = hub_status_json(h, true);
			if (json)
				proto_link_publish(h->link, h->topic_status, json, strlen(json),
					1, true, NULL);
			free(json);
		}
		/* While the WAL starts again no batch may begin (durable.c):
		 * no messages are read, no timer or dashboard change is made. */
		bool paused = hub_ingest_paused(h->ingest);

		/* Reminders and escalations: a look once a second (of wall
		 * time) at what has fallen due. */
		if (mono >= next_tick && !paused) {
			if (hub_store_begin(h->store) == PROTO_OK) {
				hub_loop_tick(h->loop, hub_clock_now());
				hub_loop_weather_flush(h->loop, hub_clock_now(), true);
			}
			next_tick = mono + 1000;
		}
		/* Whatever batch is open when the loop goes to sleep (the
		 * tick's, above) holds the database's write lock: it is
		 * committed within GROUP_MS like any other, never left open
		 * across an idle second, where `minqing-hub user` and other
		 * writers beside the hub would find the lock taken again and
		 * again and wait until some message woke the hub. */
		if (hub_store_in_batch(h->store) && !batch_at)
			batch_at = mono;
		/* Paused, the tick waits (next_tick stays behind): a negative
		 * wait would be poll's "forever". */
		if (!paused && next_tick - mono < wait)
			wait = (int)(next_tick - mono);
		int dw = dash_wait_ms(h->dash, mono);
		if (dw >= 0 && dw < wait)
			wait = dw;
		/* Group commit: one fsync for what arrives within GROUP_MS. While a
		 * sync is under way its end wakes the loop instead. */
		if (batch_at && !hub_ingest_syncing(h->ingest) && batch_at + GROUP_MS - mono < wait)
			wait = batch_at + GROUP_MS > mono ? (int)(batch_at + GROUP_MS - mono) : 0;

		p[1].fd = proto_link_fd(h->link);
		p[1].events = proto_link_events(h->link) & (paused ? ~POLLIN : ~0);
		if (paused)
			p[2].fd = -1;
		if (poll(p, 4, wait) < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			break;
		}
		if (p[0].revents & POLLIN) {
			if (proto_signals_take() != SIGHUP)
				break;
			/* Reload between batches: what is staged is committed and
			 * receipted under the old rules first. */
			if (settle(h)) {
				log_error("stopping: the disk failed to sync a commit");
				goto done;
			}
			batch_at = 0;
			hub_reload(&(hub_reload_files){h->cfg.policy, h->cfg.registry,
				h->cfg.members}, h->store, h->loop, h->ingest, &reg);
		}
		if (p[1].revents)
			proto_link_io(h->link, p[1].revents);
		if (p[2].revents & POLLIN)
			dash_core_run(h->dash);
		if ((p[3].revents & POLLIN) && hub_ingest_synced(h->ingest, h->link, false)) {
			log_error("stopping: what the disk may not hold must not be receipted");
			goto done;
		}
		mono = proto_mono_ms();
		if (hub_store_in_batch(h->store) && !batch_at)
			batch_at = mono;
		/* Commit when the socket has gone quiet, the batch is old enough or
		 * big enough: under load many messages share one fsync, idle a
		 * report is receipted at once. */
		if (!hub_ingest_syncing(h->ingest) && (!(p[1].revents & POLLIN) ||
		    mono - batch_at >= GROUP_MS || hub_ingest_pending(h->ingest) >= GROUP_MAX)) {
			hub_ingest_flush(h->ingest, h->link);
			batch_at = 0;
		}
	}
	/* The last commit's receipts, once synced; what is staged is rolled
	 * back and resent by its stations. */
	hub_ingest_synced(h->ingest, h->link, true);
	const hub_ingest_stats *s = hub_ingest_get_stats(h->ingest);
	log_info("stopping: %lld accepted, %lld duplicates, %lld rejected, %lld over rate "
		 "in %lld batches; %lld statuses; the disk found full %lld times",
		(long long)s->accepted, (long long)s->duplicates, (long long)s->rejected,
		(long long)s->limited, (long long)s->batches, (long long)s->statuses,
		(long long)s->disk_full);
	if (proto_link_connected(h->link)) {
		char *json = hub_status_json(h, false);
		if (json)
			proto_link_publish(h->link, h->topic_status, json, strlen(json), 1,
				true, NULL);
		free(json);
	}
	proto_link_disconnect(h->link);
	rc = 0;
done:
	dash_destroy(h->dash);
	proto_link_destroy(h->link);
	hub_durable_destroy(h->durable);
	hub_ingest_destroy(h->ingest);
	hub_loop_destroy(h->loop);
	hub_store_close(h->store);
	hub_secret_destroy(h->secret);
	proto_registry_destroy(reg);
	return rc;
}

int main(int argc, char **argv)
{
	/* 20 messages a second per station is far above what a village files,
	 * and a backlog of a day still drains in minutes. */
	hub h = {.cfg = {.keepalive = 30, .rate_limit = 20, .rate_burst = 200}};
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
	rc = parse_args(argc, argv, &h.cfg);
	if (rc) {
		proto_config_free(keys, &h.cfg);
		return rc == 1 ? 0 : 2;
	}
	level = proto_log_level_parse(h.cfg.log_level ? h.cfg.log_level : "info");
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
	rc = run(&h);
	mosquitto_lib_cleanup();
	proto_config_free(keys, &h.cfg);
	return rc;
}
