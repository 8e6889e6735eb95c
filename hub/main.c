/* minqing-hub: the county hub. One thread: a poll loop over the MQTT socket
 * and the signal pipe. Each wake-up reads what the socket has, stages it in
 * one SQLite batch, commits, and only then publishes the receipts (group
 * commit: under load one fsync serves many reports). */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mosquitto.h>

#include "hub/ingest.h"
#include "hub/provision.h"
#include "hub/query.h"
#include "hub/store.h"
#include "protocol/clock.h"
#include "protocol/config.h"
#include "protocol/log.h"
#include "protocol/signals.h"
#include "protocol/topic.h"
#include "version.h"

typedef struct config {
	char *broker, *county, *db, *registry, *user, *password, *cafile, *log_level;
	char *keyfile;
	int64_t keepalive, rate_limit, rate_burst;
} config;

static const proto_conf_key keys[] = {
	{"broker", PROTO_CONF_STRING, offsetof(config, broker), 0, 0},
	{"county", PROTO_CONF_STRING, offsetof(config, county), 0, 0},
	{"db", PROTO_CONF_STRING, offsetof(config, db), 0, 0},
	{"registry", PROTO_CONF_STRING, offsetof(config, registry), 0, 0},
	{"user", PROTO_CONF_STRING, offsetof(config, user), 0, 0},
	{"password", PROTO_CONF_STRING, offsetof(config, password), 0, 0},
	{"cafile", PROTO_CONF_STRING, offsetof(config, cafile), 0, 0},
	{"log_level", PROTO_CONF_STRING, offsetof(config, log_level), 0, 0},
	{"keyfile", PROTO_CONF_STRING, offsetof(config, keyfile), 0, 0},
	{"keepalive", PROTO_CONF_INT, offsetof(config, keepalive), 5, 3600},
	{"rate_limit", PROTO_CONF_INT, offsetof(config, rate_limit), 0, 1000000},
	{"rate_burst", PROTO_CONF_INT, offsetof(config, rate_burst), 1, 1000000},
	{NULL, 0, 0, 0, 0},
};

typedef struct hub {
	config cfg;
	hub_store *store;
	hub_secret *secret;
	hub_ingest *ingest;
	proto_link *link;
	int64_t session;
	char topic_status[PROTO_TOPIC_MAX];
	char filter[PROTO_TOPIC_MAX];
} hub;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: minqing-hub --broker HOST:PORT --county CODE --db FILE\n"
		"                   --registry FILE [--user U --password P]\n"
		"                   [--cafile FILE] [--keyfile FILE] [--config FILE]\n"
		"                   [--log-level L]\n"
		"       minqing-hub query --db FILE [--json] [--stations]\n"
		"       minqing-hub provision --registry FILE --out DIR [--port P] [--tls]\n"
		"Receives the county's reports, stores them and receipts them.\n");
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

static void on_message(void *ud, proto_link *link, const struct mosquitto_message *msg)
{
	hub *h = ud;
	hub_ingest_message(h->ingest, msg->topic, msg->payload, (size_t)msg->payloadlen);
}

static int parse_args(int argc, char **argv, config *cfg)
{
	static const struct option opts[] = {
		{"broker", required_argument, NULL, 'b'},
		{"county", required_argument, NULL, 'c'},
		{"db", required_argument, NULL, 'd'},
		{"registry", required_argument, NULL, 'r'},
		{"user", required_argument, NULL, 'u'},
		{"password", required_argument, NULL, 'p'},
		{"cafile", required_argument, NULL, 'C'},
		{"config", required_argument, NULL, 'f'},
		{"log-level", required_argument, NULL, 'l'},
		{"keyfile", required_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	char err[256];
	int c;

	for (int i = 1; i < argc - 1; i++) {
		if (strcmp(argv[i], "--config") == 0 &&
		    proto_config_load(argv[i + 1], keys, cfg, err, sizeof err)) {
			fprintf(stderr, "minqing-hub: %s\n", err);
			return 2;
		}
	}
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		const char *key = NULL;
		switch (c) {
		case 'b': key = "broker"; break;
		case 'c': key = "county"; break;
		case 'd': key = "db"; break;
		case 'r': key = "registry"; break;
		case 'u': key = "user"; break;
		case 'p': key = "password"; break;
		case 'C': key = "cafile"; break;
		case 'l': key = "log_level"; break;
		case 'k': key = "keyfile"; break;
		case 'f': break;
		case 'h': usage(stdout); return 1;
		case 'V': printf("minqing-hub %s\n", MINQING_VERSION); return 1;
		default: usage(stderr); return 2;
		}
		if (key && proto_config_set(keys, cfg, key, optarg, err, sizeof err)) {
			fprintf(stderr, "minqing-hub: %s\n", err);
			return 2;
		}
	}
	if (optind < argc || !cfg->broker || !cfg->county || !cfg->db || !cfg->registry) {
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
	if (proto_code_tier(cfg->county) != PROTO_TIER_COUNTY) {
		fprintf(stderr, "minqing-hub: '%s' is not a 6-digit county code\n",
			cfg->county);
		return 2;
	}
	return 0;
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
	h->secret = hub_secret_open(h->cfg.keyfile, 1);
	if (!h->secret)
		goto done;
	h->store = hub_store_open(h->cfg.db, h->secret);
	if (!h->store || hub_store_sync_registry(h->store, reg))
		goto done;
	h->ingest = hub_ingest_create(h->store, reg, h->cfg.county,
		(double)h->cfg.rate_limit, (double)h->cfg.rate_burst);
	if (!h->ingest)
		goto done;
	snprintf(client_id, sizeof client_id, "hub-%s", h->cfg.county);
	h->link = proto_link_create(&(proto_link_opts){
		.host = host, .port = port, .client_id = client_id,
		.user = h->cfg.user, .password = h->cfg.password, .cafile = h->cfg.cafile,
		.clean_session = false, .keepalive = (int)h->cfg.keepalive,
		.backoff_max_ms = 5000, .max_inflight = 1000,
	}, &cbs, h);
	if (!h->link)
		goto done;
	log_info("hub for county %s started: %zu stations registered", h->cfg.county,
		proto_registry_count(reg));

	for (;;) {
		struct pollfd p[2] = {{.fd = sigfd, .events = POLLIN}};
		int wait = proto_link_service(h->link, proto_mono_ms());

		p[1].fd = proto_link_fd(h->link);
		p[1].events = proto_link_events(h->link);
		if (poll(p, 2, wait) < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			break;
		}
		if ((p[0].revents & POLLIN) && proto_signals_take() != SIGHUP)
			break;
		if (p[1].revents)
			proto_link_io(h->link, p[1].revents);
		hub_ingest_flush(h->ingest, h->link);
	}
	const hub_ingest_stats *s = hub_ingest_get_stats(h->ingest);
	log_info("stopping: %lld accepted, %lld duplicates, %lld rejected, %lld over rate "
		 "in %lld batches", (long long)s->accepted, (long long)s->duplicates,
		(long long)s->rejected, (long long)s->limited, (long long)s->batches);
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
	proto_link_destroy(h->link);
	hub_ingest_destroy(h->ingest);
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
	if (argc > 1 && strcmp(argv[1], "run") == 0)
		argc--, argv++;
	rc = parse_args(argc, argv, &h.cfg);
	if (rc) {
		proto_config_free(keys, &h.cfg);
		return rc == 1 ? 0 : 2;
	}
	level = proto_log_level_parse(h.cfg.log_level ? h.cfg.log_level : "info");
	proto_log_init("minqing-hub", level < 0 ? PROTO_LOG_INFO : level);
	mosquitto_lib_init();
	rc = run(&h);
	mosquitto_lib_cleanup();
	proto_config_free(keys, &h.cfg);
	return rc;
}
