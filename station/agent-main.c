/* minqing-station: the station agent daemon. Parses flags over the config
 * file, opens the store and runs the single-threaded poll loop over the MQTT
 * socket, the client's nudge socket and the signal pipe. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <mosquitto.h>

#include "protocol/clock.h"
#include "protocol/code.h"
#include "protocol/config.h"
#include "protocol/log.h"
#include "protocol/signals.h"
#include "station/agent.h"
#include "version.h"

typedef struct config {
	char *code, *broker, *data, *user, *password, *cafile, *log_level;
	int64_t window, resend, heartbeat, keepalive, rate, burst;
} config;

static const proto_conf_key keys[] = {
	{"code", PROTO_CONF_STRING, offsetof(config, code), 0, 0},
	{"broker", PROTO_CONF_STRING, offsetof(config, broker), 0, 0},
	{"data", PROTO_CONF_PATH, offsetof(config, data), 0, 0},
	{"user", PROTO_CONF_STRING, offsetof(config, user), 0, 0},
	{"password", PROTO_CONF_STRING, offsetof(config, password), 0, 0},
	{"cafile", PROTO_CONF_PATH, offsetof(config, cafile), 0, 0},
	{"log_level", PROTO_CONF_STRING, offsetof(config, log_level), 0, 0},
	{"window", PROTO_CONF_INT, offsetof(config, window), 1, 1000},
	{"resend", PROTO_CONF_INT, offsetof(config, resend), 1, 86400},
	{"heartbeat", PROTO_CONF_INT, offsetof(config, heartbeat), 1, 86400},
	{"keepalive", PROTO_CONF_INT, offsetof(config, keepalive), 5, 3600},
	{"rate", PROTO_CONF_INT, offsetof(config, rate), 0, 1000000},
	{"burst", PROTO_CONF_INT, offsetof(config, burst), 1, 1000000},
	{NULL, 0, 0, 0, 0},
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: minqing-station --code CODE --broker HOST:PORT --data DIR\n"
		"                       [--user U --password P] [--cafile FILE]\n"
		"                       [--config FILE]... [--log-level LEVEL]\n"
		"       minqing-station --check-config [--config FILE]... [flags]\n"
		"Keeps this station's reports in DIR until the county hub receipts them.\n"
		"--check-config reports every error of the config files and flags\n"
		"(FILE:LINE: key 'KEY': reason) and exits 1 if there is one.\n"
		"Flags override the config file. Config keys: code broker data user\n"
		"password cafile log_level window resend heartbeat keepalive rate burst.\n");
}

static void report(void *ud, const char *msg)
{
	fprintf(stderr, "%s\n", msg);
	++*(int *)ud;
}

/* --check-config: every file read to the end, then what start-up needs. */
static int check_config(int argc, char **argv)
{
	config cfg = {0};
	char err[400];
	int errors = 0;

	for (int i = 1; i < argc - 1; i++)
		if (strcmp(argv[i], "--config") == 0)
			proto_config_check(argv[i + 1], keys, &cfg, report, &errors);
	/* Flags over the files, as at start-up (their errors too). */
	for (int i = 1; i < argc - 1; i++) {
		static const char *const flags[][2] = {
			{"--code", "code"}, {"--broker", "broker"}, {"--data", "data"},
			{"--user", "user"}, {"--password", "password"},
			{"--cafile", "cafile"}, {"--log-level", "log_level"},
		};
		for (size_t f = 0; f < sizeof flags / sizeof flags[0]; f++) {
			if (strcmp(argv[i], flags[f][0]) == 0 &&
			    proto_config_set(keys, &cfg, flags[f][1], argv[i + 1], err,
				    sizeof err)) {
				fprintf(stderr, "%s: %s\n", argv[i], err);
				errors++;
			}
		}
	}
	if (!cfg.code || !proto_code_valid(cfg.code)) {
		fprintf(stderr, "key 'code': %s\n", cfg.code ? "not a station code" :
			"set in no config file and no flag");
		errors++;
	}
	if (!cfg.broker) {
		fprintf(stderr, "key 'broker': set in no config file and no flag\n");
		errors++;
	} else if (!proto_link_check_brokers(cfg.broker, err, sizeof err)) {
		fprintf(stderr, "key 'broker': %s\n", err);
		errors++;
	}
	if (!cfg.data || access(cfg.data, W_OK) != 0) {
		fprintf(stderr, "key 'data': %s%s\n", cfg.data ? cfg.data : "not set",
			cfg.data ? " is not a writable directory" : "");
		errors++;
	}
	if (cfg.cafile && access(cfg.cafile, R_OK) != 0) {
		fprintf(stderr, "key 'cafile': %s cannot be read\n", cfg.cafile);
		errors++;
	}
	if (cfg.log_level && proto_log_level_parse(cfg.log_level) < 0) {
		fprintf(stderr, "key 'log_level': '%s' is not error, warn, info or debug\n",
			cfg.log_level);
		errors++;
	}
	proto_config_free(keys, &cfg);
	if (errors) {
		fprintf(stderr, "minqing-station --check-config: %d error%s\n", errors,
			errors == 1 ? "" : "s");
		return 1;
	}
	printf("configuration ok\n");
	return 0;
}

/* Binds DIR/agent.sock, through which the clerk's client says "new rows". */
static int nudge_socket(const char *dir)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if ((size_t)snprintf(sa.sun_path, sizeof sa.sun_path, "%s/%s", dir,
		    STATION_SOCK_NAME) >= sizeof sa.sun_path) {
		log_warn("data path too long for a socket; new reports are noticed "
			 "within 5 s instead of at once");
		return -1;
	}
	unlink(sa.sun_path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		log_warn("cannot bind %s: %s", sa.sun_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* The config files first, so that flags override them wherever they are
 * (protocol/config.h). */
static int parse_args(int argc, char **argv, config *cfg)
{
	static const char *const options[] = {"code", "broker", "data", "user", "password",
		"cafile", "log-level", NULL};
	int rc = proto_config_args(argc, argv, "minqing-station", MINQING_VERSION, options,
		keys, cfg, usage);

	if (rc)
		return rc;
	if (!cfg->broker || !cfg->data) {
		usage(stderr);
		return 2;
	}
	return 0;
}

static int run(config *cfg)
{
	char client_id[64], err[400];
	int sigfd, nudge = -1, rc = 1;
	station_store *store = NULL;
	station_agent *agent = NULL;
	proto_link *link = NULL;
	bool running = true;

	if (!proto_link_check_brokers(cfg->broker, err, sizeof err)) {
		log_error("key 'broker': %s", err);
		return 2;
	}
	sigfd = proto_signals_init();
	store = station_store_open(cfg->data, cfg->code);
	if (!store)
		goto done;
	agent = station_agent_create(store, &(station_agent_opts){
		.window = (int)cfg->window,
		.resend_ms = (int)cfg->resend * 1000,
		.heartbeat_ms = (int)cfg->heartbeat * 1000,
		.rate = (double)cfg->rate, .burst = (double)cfg->burst,
	});
	if (!agent)
		goto done;
	snprintf(client_id, sizeof client_id, "st-%s", station_store_code(store));
	link = proto_link_create(&(proto_link_opts){
		.broker = cfg->broker, .client_id = client_id,
		.user = cfg->user, .password = cfg->password, .cafile = cfg->cafile,
		.clean_session = false, .keepalive = (int)cfg->keepalive,
		.max_inflight = (int)cfg->window,
	}, station_agent_link_cbs(), agent);
	if (!link)
		goto done;
	station_agent_attach(agent, link);
	nudge = nudge_socket(cfg->data);
	log_info("station %s started, broker %s", station_store_code(store), cfg->broker);

	while (running) {
		struct pollfd p[3] = {
			{.fd = sigfd, .events = POLLIN},
			{.fd = nudge, .events = POLLIN},
			{.fd = proto_link_fd(link), .events = proto_link_events(link)},
		};
		int64_t now = proto_mono_ms();
		int wait = proto_link_service(link, now);
		int tick = station_agent_tick(agent, now);

		p[2].fd = proto_link_fd(link);
		p[2].events = proto_link_events(link);
		if (tick < wait)
			wait = tick;
		if (poll(p, 3, wait) < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			break;
		}
		if (p[0].revents & POLLIN) {
			int sig = proto_signals_take();
			if (sig != SIGHUP)
				running = false;
		}
		if (p[1].revents & POLLIN) {
			char buf[64];
			while (recv(nudge, buf, sizeof buf, 0) > 0)
				;
		}
		if (p[2].revents)
			proto_link_io(link, p[2].revents);
	}
	log_info("stopping");
	station_agent_stop(agent);
	rc = 0;
done:
	proto_link_destroy(link);
	station_agent_destroy(agent);
	station_store_close(store);
	if (nudge >= 0) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", cfg->data, STATION_SOCK_NAME);
		unlink(path);
		close(nudge);
	}
	return rc;
}

int main(int argc, char **argv)
{
	/* Paced at half the hub's default limit (20/s, burst 200), so that a
	 * day's backlog drains without ever being refused. */
	config cfg = {.window = 32, .resend = 20, .heartbeat = 60, .keepalive = 30,
		      .rate = 10, .burst = 100};
	int rc, level;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--check-config") == 0)
			return check_config(argc, argv);
	rc = parse_args(argc, argv, &cfg);
	if (rc) {
		proto_config_free(keys, &cfg);
		return rc == 1 ? 0 : 2;
	}
	level = proto_log_level_parse(cfg.log_level ? cfg.log_level : "info");
	proto_log_init("minqing-station", level < 0 ? PROTO_LOG_INFO : level);
	mosquitto_lib_init();
	rc = run(&cfg);
	mosquitto_lib_cleanup();
	proto_config_free(keys, &cfg);
	return rc;
}
