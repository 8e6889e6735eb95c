/* minqing-echo: the benchmark's baseline. It stands where the hub stands
 * (same broker, same subscription, same receipts) but stores nothing, so the
 * fleet's rate against it is the limit the broker and the wire allow. */
#include <errno.h>
#include <getopt.h>
#include <mosquitto.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/echo.h"
#include "protocol/clock.h"
#include "protocol/log.h"
#include "protocol/link.h"
#include "protocol/message.h"
#include "protocol/signals.h"
#include "protocol/topic.h"

typedef struct echo {
	const char *county;
	int64_t session, receipted;
	char topic_status[PROTO_TOPIC_MAX];
	char filter[PROTO_TOPIC_MAX];
} echo;

static char *status_json(echo *e, bool online)
{
	proto_msg m = {.v = PROTO_VERSION, .type = PROTO_MSG_HUB};

	snprintf(m.station, sizeof m.station, "%s", e->county);
	m.ts = proto_now_ms();
	m.u.status.online = online;
	m.u.status.session = e->session;
	m.u.status.outbox = -1;
	m.u.status.agent = "minqing-echo";
	return proto_msg_encode(&m);
}

static void on_connecting(void *ud, proto_link *link)
{
	echo *e = ud;
	char *will;

	e->session = proto_now_ms();
	will = status_json(e, false);
	if (will)
		proto_link_set_will(link, e->topic_status, will, true);
	free(will);
}

static void on_connected(void *ud, proto_link *link)
{
	echo *e = ud;
	char *json = status_json(e, true);

	proto_link_subscribe(link, e->filter);
	if (json)
		proto_link_publish(link, e->topic_status, json, strlen(json), 1, true, NULL);
	free(json);
}

/* Answers "accepted" at once (echo-receipt.c), with nothing written
 * anywhere. */
static void on_message(void *ud, proto_link *link, const struct mosquitto_message *msg)
{
	echo *e = ud;
	proto_topic t;
	char topic[PROTO_TOPIC_MAX], *json;

	if (proto_topic_parse(msg->topic, &t) || !t.up || t.type != PROTO_MSG_REPORT)
		return;
	json = echo_receipt(t.station, msg->payload, (size_t)msg->payloadlen);
	if (json && proto_topic_for(topic, sizeof topic, t.station, PROTO_MSG_RECEIPT) &&
	    proto_link_publish(link, topic, json, strlen(json), 1, false, NULL) == 0)
		e->receipted++;
	free(json);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"broker", required_argument, NULL, 'b'},
		{"county", required_argument, NULL, 'c'},
		{"user", required_argument, NULL, 'u'},
		{"password", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	echo e = {.county = "611025"};
	const char *broker = NULL, *user = NULL, *password = NULL;
	char err[400];
	int c, sigfd, rc = 1;
	proto_link *link = NULL;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'b': broker = optarg; break;
		case 'c': e.county = optarg; break;
		case 'u': user = optarg; break;
		case 'p': password = optarg; break;
		case 'h':
			printf("usage: minqing-echo --broker HOST:PORT [--county CODE] "
			       "[--user U --password P]\n"
			       "Receipts every report as accepted and stores nothing: the "
			       "benchmark's baseline.\n");
			return 0;
		default:
			return 2;
		}
	}
	proto_log_init("minqing-echo", PROTO_LOG_INFO);
	if (!broker || !proto_link_check_brokers(broker, err, sizeof err) ||
	    !proto_topic_for(e.topic_status, sizeof e.topic_status, e.county, PROTO_MSG_HUB) ||
	    !proto_topic_hub_filter(e.filter, sizeof e.filter, e.county)) {
		log_error("need --broker HOST:PORT and a county code");
		return 2;
	}
	mosquitto_lib_init();
	sigfd = proto_signals_init();
	link = proto_link_create(&(proto_link_opts){
		.broker = broker, .client_id = "echo",
		.user = user, .password = password, .clean_session = true,
		.max_inflight = 1000,
	}, &(proto_link_cbs){
		.connecting = on_connecting, .connected = on_connected,
		.message = on_message,
	}, &e);
	if (!link)
		goto done;
	for (;;) {
		struct pollfd p[2] = {{.fd = sigfd, .events = POLLIN}};
		int wait = proto_link_service(link, proto_mono_ms());

		p[1].fd = proto_link_fd(link);
		p[1].events = proto_link_events(link);
		if (poll(p, 2, wait) < 0 && errno != EINTR)
			break;
		if (p[0].revents & POLLIN) {
			proto_signals_take();
			break;
		}
		if (p[1].revents)
			proto_link_io(link, p[1].revents);
	}
	log_info("stopping: %lld receipts sent", (long long)e.receipted);
	rc = 0;
done:
	proto_link_destroy(link);
	mosquitto_lib_cleanup();
	return rc;
}
