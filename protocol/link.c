/* The MQTT link: libmosquitto's external-loop API (mosquitto_socket, loop_read,
 * loop_write, loop_misc) plus the reconnection that only loop_forever would
 * otherwise provide. State is "no socket" (waiting for retry_at), "socket but
 * no CONNACK yet", or "connected". A link given several brokers moves to the
 * next one after each failed attempt or lost connection: the nodes of a
 * cluster are tried in turn, quickly while some are untried, and with the
 * growing backoff once every one has failed in a row. */
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include "protocol/clock.h"
#include "protocol/link.h"
#include "protocol/log.h"

typedef struct broker {
	char *addr; /* as given, for logs */
	char *host;
	int port;
} broker;

struct proto_link {
	struct mosquitto *mosq;
	broker *brokers;
	int n_brokers;
	int cur;                               /* the broker of the next attempt */
	int aimed;                             /* the one libmosquitto holds, -1: none */
	int failed;                            /* failures in a row since a CONNACK */
	int keepalive;
	int backoff_min, backoff_max, backoff; /* ms */
	int64_t retry_at;                      /* monotonic ms of the next attempt */
	bool connected;
	bool stopped;                          /* proto_link_disconnect was called */
	bool mqtt5;                            /* MQTT 5 (opts.mqtt5) */
	bool clean_session;
	int64_t connects;
	int64_t pending;                       /* QoS 1 publishes not yet acknowledged */
	uint32_t rng;
	proto_link_cbs cbs;
	void *ud;
};

static uint32_t next_random(proto_link *l)
{
	/* xorshift32: jitter needs spread, not cryptographic quality. */
	uint32_t x = l->rng;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return l->rng = x;
}

/* Full jitter in [backoff/2, backoff], then double the backoff up to its cap,
 * so that a thousand stations losing one broker do not return in lockstep. */
static void schedule_retry(proto_link *l)
{
	int64_t now = proto_mono_ms();
	int half = l->backoff / 2;

	l->retry_at = now + half + (int64_t)(next_random(l) % (uint32_t)(half + 1));
	l->backoff = l->backoff * 2 > l->backoff_max ? l->backoff_max : l->backoff * 2;
}

/* After a failure: the next broker of the list. While some broker of the
 * round is untried the retry comes after the shortest delay (jittered too),
 * so that a dead node costs a fraction of a second; a whole round failed
 * backs off as a single broker does. */
static void fail_over(proto_link *l)
{
	if (++l->failed < l->n_brokers) {
		int keep = l->backoff;

		l->cur = (l->cur + 1) % l->n_brokers;
		l->backoff = l->backoff_min;
		schedule_retry(l);
		l->backoff = keep;
		return;
	}
	l->failed = 0;
	l->cur = (l->cur + 1) % l->n_brokers;
	schedule_retry(l);
}

static void on_connect(struct mosquitto *m, void *ud, int rc)
{
	proto_link *l = ud;

	if (rc != 0) {
		/* MQTT 5 answers with a reason code, 3.1.1 with a CONNACK code. */
		log_warn("broker refused connection: %s", l->mqtt5 ?
			mosquitto_reason_string(rc) : mosquitto_connack_string(rc));
		return; /* the broker closes the socket; the loop notices */
	}
	l->connected = true;
	l->connects++;
	l->backoff = l->backoff_min;
	l->failed = 0;
	if (l->n_brokers > 1)
		log_debug("connected to broker %s", l->brokers[l->cur].addr);
	if (l->cbs.connected)
		l->cbs.connected(l->ud, l);
}

static void on_disconnect(struct mosquitto *m, void *ud, int rc)
{
	proto_link *l = ud;
	bool was = l->connected;

	l->connected = false;
	if (was && l->cbs.disconnected)
		l->cbs.disconnected(l->ud, l);
}

static void on_message(struct mosquitto *m, void *ud, const struct mosquitto_message *msg)
{
	proto_link *l = ud;
	if (l->cbs.message)
		l->cbs.message(l->ud, l, msg);
}

static void on_publish(struct mosquitto *m, void *ud, int mid)
{
	proto_link *l = ud;

	/* Also called for QoS 0 once written, which were never counted: the
	 * count errs low, never high. */
	if (l->pending > 0)
		l->pending--;
	if (l->cbs.published)
		l->cbs.published(l->ud, l, mid);
}

/* Walks a broker list: each address, trimmed, into addr (n bytes) and
 * parsed; calls each(ud, addr, host, port) when given. Returns the count,
 * or 0 with the reason in err. */
static int walk_brokers(const char *list, char *err, size_t n,
	int (*each)(void *ud, const char *addr, const char *host, int port), void *ud)
{
	const char *p = list ? list : "";
	int count = 0;

	for (;;) {
		const char *end = strchr(p, ','), *stop = end ? end : p + strlen(p);
		char addr[300], host[256];
		int port;

		while (p < stop && isspace((unsigned char)*p))
			p++;
		while (stop > p && isspace((unsigned char)stop[-1]))
			stop--;
		if ((size_t)(stop - p) >= sizeof addr) {
			snprintf(err, n, "a broker address is longer than %zu bytes",
				sizeof addr - 1);
			return 0;
		}
		memcpy(addr, p, (size_t)(stop - p));
		addr[stop - p] = '\0';
		if (!proto_link_parse_address(addr, host, sizeof host, &port)) {
			snprintf(err, n, "broker address '%s' is not HOST:PORT", addr);
			return 0;
		}
		if (++count > PROTO_LINK_BROKERS_MAX) {
			snprintf(err, n, "more than %d broker addresses", PROTO_LINK_BROKERS_MAX);
			return 0;
		}
		if (each && each(ud, addr, host, port)) {
			snprintf(err, n, "out of memory");
			return 0;
		}
		if (!end)
			return count;
		p = end + 1;
	}
}

int proto_link_check_brokers(const char *list, char *err, size_t n)
{
	return walk_brokers(list, err, n, NULL, NULL);
}

static int add_broker(void *ud, const char *addr, const char *host, int port)
{
	proto_link *l = ud;
	broker *b = &l->brokers[l->n_brokers];

	b->addr = strdup(addr);
	b->host = strdup(host);
	b->port = port;
	l->n_brokers++; /* freed by destroy even when half made */
	return b->addr && b->host ? 0 : -1;
}

proto_link *proto_link_create(const proto_link_opts *o, const proto_link_cbs *cbs,
	void *ud)
{
	proto_link *l = calloc(1, sizeof *l);
	char err[400];

	if (!l)
		return NULL;
	l->brokers = calloc(PROTO_LINK_BROKERS_MAX, sizeof *l->brokers);
	if (!l->brokers)
		goto fail;
	if (!walk_brokers(o->broker, err, sizeof err, add_broker, l)) {
		log_error("%s", err);
		goto fail;
	}
	l->aimed = -1;
	l->keepalive = o->keepalive > 0 ? o->keepalive : 30;
	l->backoff_min = o->backoff_min_ms > 0 ? o->backoff_min_ms : 250;
	l->backoff_max = o->backoff_max_ms > 0 ? o->backoff_max_ms : 30000;
	l->backoff = l->backoff_min;
	l->retry_at = 0;
	l->rng = (uint32_t)proto_now_ms() ^ ((uint32_t)getpid() << 16) ^
		 (uint32_t)(uintptr_t)l;
	if (l->rng == 0)
		l->rng = 1;
	if (cbs)
		l->cbs = *cbs;
	l->ud = ud;
	l->mqtt5 = o->mqtt5;
	l->clean_session = o->clean_session;
	l->mosq = mosquitto_new(o->client_id, o->clean_session, l);
	if (!l->mosq) {
		log_error("mosquitto_new failed: %s", strerror(errno));
		goto fail;
	}
	mosquitto_int_option(l->mosq, MOSQ_OPT_PROTOCOL_VERSION,
		o->mqtt5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
	/* Nagle's algorithm holds a small PUBLISH until the peer's delayed ACK
	 * (40 ms on Linux): every receipt would wait for it. */
	mosquitto_int_option(l->mosq, MOSQ_OPT_TCP_NODELAY, 1);
	mosquitto_max_inflight_messages_set(l->mosq,
		(unsigned)(o->max_inflight > 0 ? o->max_inflight : 20));
	if (o->user && mosquitto_username_pw_set(l->mosq, o->user, o->password)) {
		log_error("cannot set broker credentials");
		goto fail;
	}
	if (o->cafile) {
		int rc = mosquitto_tls_set(l->mosq, o->cafile, NULL, NULL, NULL, NULL);
		if (rc) {
			log_error("TLS setup failed: %s", mosquitto_strerror(rc));
			goto fail;
		}
	}
	mosquitto_connect_callback_set(l->mosq, on_connect);
	mosquitto_disconnect_callback_set(l->mosq, on_disconnect);
	mosquitto_message_callback_set(l->mosq, on_message);
	mosquitto_publish_callback_set(l->mosq, on_publish);
	return l;
fail:
	proto_link_destroy(l);
	return NULL;
}

void proto_link_destroy(proto_link *l)
{
	if (!l)
		return;
	if (l->mosq) {
		if (l->connected)
			mosquitto_disconnect(l->mosq);
		mosquitto_destroy(l->mosq);
	}
	for (int i = 0; i < l->n_brokers; i++) {
		free(l->brokers[i].addr);
		free(l->brokers[i].host);
	}
	free(l->brokers);
	free(l);
}

int proto_link_set_will(proto_link *l, const char *topic, const char *payload,
	bool retain)
{
	int rc = mosquitto_will_set(l->mosq, topic, (int)strlen(payload), payload, 1,
		retain);
	if (rc)
		log_error("cannot set will: %s", mosquitto_strerror(rc));
	return rc ? -1 : 0;
}

int proto_link_fd(const proto_link *l)
{
	return mosquitto_socket(l->mosq);
}

short proto_link_events(const proto_link *l)
{
	if (mosquitto_socket(l->mosq) < 0)
		return 0;
	return (short)(POLLIN | (mosquitto_want_write(l->mosq) ? POLLOUT : 0));
}

/* A loop call failed: the library has closed the socket (or we do). */
static void lost(proto_link *l, int rc)
{
	if (mosquitto_socket(l->mosq) >= 0)
		mosquitto_disconnect(l->mosq);
	if (l->connected) {
		l->connected = false;
		if (l->cbs.disconnected)
			l->cbs.disconnected(l->ud, l);
	}
	log_debug("link to %s lost: %s", l->brokers[l->cur].addr, mosquitto_strerror(rc));
	fail_over(l);
}

void proto_link_io(proto_link *l, short revents)
{
	int rc;

	if (mosquitto_socket(l->mosq) < 0)
		return;
	if (revents & (POLLIN | POLLHUP | POLLERR)) {
		/* libmosquitto writes the PUBACK of each message it reads on
		 * its own, and on loopback each write pays for the broker's
		 * wake-up: corked, they leave together when the read is done
		 * (a hub under load: -14 % CPU per report). */
		proto_link_cork(l, true);
		rc = mosquitto_loop_read(l->mosq, 64);
		proto_link_cork(l, false);
		if (rc) {
			lost(l, rc);
			return;
		}
	}
	if ((revents & POLLOUT) || mosquitto_want_write(l->mosq)) {
		rc = mosquitto_loop_write(l->mosq, 64);
		if (rc && rc != MOSQ_ERR_NO_CONN)
			lost(l, rc);
	}
}

/* The first MQTT 5 attempt. A 5.0 session without an expiry interval ends
 * with its connection, unlike a 3.1.1 one: a kept session asks never to
 * expire (the broker's persistent_client_expiration still applies). Only
 * mosquitto_connect_bind_v5 takes CONNECT properties, and it connects
 * blocking; libmosquitto keeps them for every reconnect_async after it,
 * whether this attempt succeeds or not. */
static int connect_v5(proto_link *l)
{
	mosquitto_property *props = NULL;
	int rc = MOSQ_ERR_SUCCESS;

	if (!l->clean_session)
		rc = mosquitto_property_add_int32(&props,
			MQTT_PROP_SESSION_EXPIRY_INTERVAL, UINT32_MAX);
	if (rc == MOSQ_ERR_SUCCESS)
		rc = mosquitto_connect_bind_v5(l->mosq, l->brokers[l->cur].host,
			l->brokers[l->cur].port, l->keepalive, NULL, props);
	mosquitto_property_free_all(&props);
	return rc;
}

static void try_connect(proto_link *l)
{
	int rc;

	const broker *b = &l->brokers[l->cur];

	if (l->cbs.connecting)
		l->cbs.connecting(l->ud, l);
	/* Only the first attempt of an MQTT 5 link sets the CONNECT
	 * properties (connect_v5); libmosquitto keeps them for every
	 * connection after it, also to another broker of the list. */
	if (l->aimed < 0 && l->mqtt5)
		rc = connect_v5(l);
	else if (l->aimed != l->cur)
		rc = mosquitto_connect_async(l->mosq, b->host, b->port, l->keepalive);
	else
		rc = mosquitto_reconnect_async(l->mosq);
	l->aimed = l->cur;
	if (rc) {
		log_debug("connect to %s failed: %s", b->addr,
			rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
		lost(l, rc);
	}
}

int proto_link_service(proto_link *l, int64_t now)
{
	int misc_every = l->keepalive * 1000 / 4;

	if (l->stopped)
		return 60000;
	if (mosquitto_socket(l->mosq) < 0) {
		if (now >= l->retry_at) {
			try_connect(l);
			if (mosquitto_socket(l->mosq) >= 0)
				return misc_every;
		}
		return (int)(l->retry_at > now ? l->retry_at - now : 0);
	}
	int rc = mosquitto_loop_misc(l->mosq);
	if (rc && rc != MOSQ_ERR_NO_CONN) {
		lost(l, rc);
		return (int)(l->retry_at - now);
	}
	return misc_every;
}

bool proto_link_connected(const proto_link *l)
{
	return l->connected;
}

const char *proto_link_broker(const proto_link *l)
{
	return l->brokers[l->cur].addr;
}

int64_t proto_link_connects(const proto_link *l)
{
	return l->connects;
}

void proto_link_cork(proto_link *l, bool on)
{
#ifdef TCP_CORK
	int fd = mosquitto_socket(l->mosq), v = on;

	/* Best effort: a socket that refuses only costs the segments. */
	if (fd >= 0)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_CORK, &v, sizeof v);
#else
	(void)l, (void)on;
#endif
}

int64_t proto_link_pending(const proto_link *l)
{
	return l->pending;
}

int proto_link_publish(proto_link *l, const char *topic, const void *payload,
	size_t len, int qos, bool retain, int *mid)
{
	int rc;

	if (!l->connected)
		return -1;
	rc = mosquitto_publish(l->mosq, mid, topic, (int)len, payload, qos, retain);
	if (rc == MOSQ_ERR_SUCCESS) {
		l->pending += qos > 0;
		return 0;
	}
	/* NO_CONN here may still have queued the message; callers keep their own
	 * copy (outbox) and resend, so report failure either way. */
	log_debug("publish failed: %s", mosquitto_strerror(rc));
	return -1;
}

int proto_link_subscribe(proto_link *l, const char *filter)
{
	/* Retain as published: a subscriber that must act on a retained
	 * message (the hub clearing what a station should not have parked)
	 * sees the flag live too. No local: the link's own publishes on the
	 * filter (such a clearing) do not come back to it. */
	int rc = l->mqtt5 ? mosquitto_subscribe_v5(l->mosq, NULL, filter, 1,
		MQTT_SUB_OPT_RETAIN_AS_PUBLISHED | MQTT_SUB_OPT_NO_LOCAL, NULL) :
		mosquitto_subscribe(l->mosq, NULL, filter, 1);
	if (rc)
		log_warn("subscribe failed: %s", mosquitto_strerror(rc));
	return rc ? -1 : 0;
}

void proto_link_disconnect(proto_link *l)
{
	l->stopped = true;
	if (mosquitto_socket(l->mosq) >= 0) {
		mosquitto_disconnect(l->mosq);
		mosquitto_loop_write(l->mosq, 1);
	}
	l->connected = false;
}

bool proto_link_parse_address(const char *addr, char *host, size_t n, int *port)
{
	const char *colon = strrchr(addr, ':'), *start = addr, *end = colon;
	char *stop;
	long p;

	if (!colon || colon == addr)
		return false;
	if (addr[0] == '[') {
		if (colon[-1] != ']')
			return false;
		start = addr + 1;
		end = colon - 1;
	} else if (memchr(addr, ':', (size_t)(colon - addr))) {
		return false; /* a bare IPv6 address needs brackets */
	}
	if (end <= start || (size_t)(end - start) >= n)
		return false;
	if (!isdigit((unsigned char)colon[1]))
		return false; /* strtol would skip blanks and take a sign */
	p = strtol(colon + 1, &stop, 10);
	if (stop == colon + 1 || *stop || p < 1 || p > 65535)
		return false;
	memcpy(host, start, (size_t)(end - start));
	host[end - start] = '\0';
	*port = (int)p;
	return true;
}
