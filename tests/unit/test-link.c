/* Unit tests of protocol/link.c: the broker address parser, and the socket
 * options of a connection to a plain loopback listener, and the count of
 * unacknowledged publishes against a few hand-written broker packets (the
 * rest of the MQTT exchange needs a broker: tests/integration covers it). */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mosquitto.h>

#include "protocol/clock.h"
#include "protocol/link.h"

#include "check.h"

static void test_good(void)
{
	static const struct {
		const char *addr, *host;
		int port;
	} cases[] = {
		{"127.0.0.1:1883", "127.0.0.1", 1883},
		{"localhost:8883", "localhost", 8883},
		{"mqtt.zhenan.example:1883", "mqtt.zhenan.example", 1883},
		{"h:1", "h", 1},
		{"h:65535", "h", 65535},
		{"[::1]:1883", "::1", 1883},
		{"[2001:db8::10]:8883", "2001:db8::10", 8883},
		{"[fe80::1%eth0]:1883", "fe80::1%eth0", 1883},
	};
	char host[64];
	int port;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		check_case = cases[i].addr;
		port = -1;
		CHECK(proto_link_parse_address(cases[i].addr, host, sizeof host, &port));
		CHECK_STR(host, cases[i].host);
		CHECK_EQ_INT(port, cases[i].port);
	}
	check_case = NULL;
}

static void test_bad(void)
{
	static const char *cases[] = {
		/* no port */
		"localhost",
		"localhost:",
		"[::1]",
		"[::1]:",
		"",
		/* no host */
		":1883",
		"[]:1883",
		/* ports out of range or not numbers */
		"host:0",
		"host:65536",
		"host:-1",
		"host:99999999999999999999",
		"host:http",
		"host:1883x",
		"host:1883 ",
		"host: 1883",
		"host:+1883",
		"host:18.83",
		/* IPv6 without brackets, or brackets gone wrong */
		"::1",
		"::1:1883",
		"2001:db8::10:1883",
		"[::1:1883",
		"::1]:1883",
		"[::1]1883",
		"a[::1]:1883",
	};
	char host[64];
	int port;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		check_case = cases[i];
		CHECK(!proto_link_parse_address(cases[i], host, sizeof host, &port));
	}
	check_case = NULL;
}

/* The host must fit with its NUL. */
static void test_host_size(void)
{
	char host[16];
	int port;

	CHECK(proto_link_parse_address("abcd:1883", host, 5, &port));
	CHECK_STR(host, "abcd");
	CHECK(!proto_link_parse_address("abcd:1883", host, 4, &port));
	CHECK(proto_link_parse_address("[::1]:1883", host, 4, &port));
	CHECK_STR(host, "::1");
	CHECK(!proto_link_parse_address("[::1]:1883", host, 3, &port));
}

/* Broker lists: addresses counted, blanks around them ignored; a bad
 * address, an empty entry or too many are refused, naming the address. */
static void test_broker_lists(void)
{
	static const struct {
		const char *list;
		int count;
	} good[] = {
		{"127.0.0.1:1883", 1},
		{"127.0.0.1:1883,127.0.0.1:1884", 2},
		{" 10.0.0.1:1883 , 10.0.0.2:1883,\t10.0.0.3:1883 ", 3},
		{"[::1]:1883, mqtt.zhenan.example:8883", 2},
		{"a:1,b:2,c:3,d:4,e:5,f:6,g:7,h:8", PROTO_LINK_BROKERS_MAX},
	};
	static const struct {
		const char *list, *says;
	} bad[] = {
		{"", "''"},
		{"127.0.0.1:1883,", "''"},
		{",127.0.0.1:1883", "''"},
		{"127.0.0.1:1883,,127.0.0.1:1884", "''"},
		{"127.0.0.1:1883, 127.0.0.1", "'127.0.0.1'"},
		{"127.0.0.1:1883 127.0.0.1:1884", "'127.0.0.1:1883 127.0.0.1:1884'"},
		{"a:1,b:2,c:3,d:4,e:5,f:6,g:7,h:8,i:9", "more than 8"},
	};
	char err[400];

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		check_case = good[i].list;
		CHECK_EQ_INT(proto_link_check_brokers(good[i].list, err, sizeof err),
			good[i].count);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		check_case = bad[i].list;
		err[0] = '\0';
		CHECK_EQ_INT(proto_link_check_brokers(bad[i].list, err, sizeof err), 0);
		CHECK(strstr(err, bad[i].says) != NULL);
	}
	check_case = NULL;
	/* A link is not made of a bad list. */
	CHECK(proto_link_create(&(proto_link_opts){.broker = "127.0.0.1:1883,x",
		.client_id = "test-link"}, NULL, NULL) == NULL);
}

/* A loopback port nothing listens on (bound, then closed). */
static int dead_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof a;
	int s = socket(AF_INET, SOCK_STREAM, 0), port = 0;

	if (s >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) == 0 &&
	    getsockname(s, (struct sockaddr *)&a, &alen) == 0)
		port = ntohs(a.sin_port);
	if (s >= 0)
		close(s);
	return port;
}

/* Runs the link's timers and I/O for up to ms or until the listener ls has
 * a connection to accept; returns it, or -1. */
static int accept_within(proto_link *l, int ls, int ms)
{
	int64_t until = proto_mono_ms() + ms;

	while (proto_mono_ms() < until) {
		int wait = proto_link_service(l, proto_mono_ms());
		struct pollfd p[2] = {{.fd = ls, .events = POLLIN},
				      {.fd = proto_link_fd(l), .events = proto_link_events(l)}};
		if (poll(p, p[1].fd >= 0 ? 2 : 1, wait < 10 ? wait : 10) < 0)
			return -1;
		if (p[0].revents & POLLIN)
			return accept(ls, NULL, NULL);
		if (p[1].fd >= 0 && p[1].revents)
			proto_link_io(l, p[1].revents);
	}
	return -1;
}

/* A list whose first broker is down: the link tries the next one within
 * the shortest backoff (not after a doubled one), and after losing that
 * one comes round to the first again. */
static void test_failover(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof a;
	int ls = socket(AF_INET, SOCK_STREAM, 0), s = -1, dead = dead_port();
	char list[64], live[32];
	proto_link *l = NULL;

	if (!CHECK(ls >= 0) || !CHECK(dead > 0) ||
	    !CHECK(bind(ls, (struct sockaddr *)&a, sizeof a) == 0) ||
	    !CHECK(listen(ls, 4) == 0) ||
	    !CHECK(getsockname(ls, (struct sockaddr *)&a, &alen) == 0))
		goto done;
	snprintf(live, sizeof live, "127.0.0.1:%d", ntohs(a.sin_port));
	snprintf(list, sizeof list, "127.0.0.1:%d, %s", dead, live);
	mosquitto_lib_init();
	l = proto_link_create(&(proto_link_opts){.broker = list, .client_id = "test-link",
		.keepalive = 30, .backoff_min_ms = 100, .backoff_max_ms = 20000}, NULL, NULL);
	if (!CHECK(l != NULL))
		goto done;
	int64_t t0 = proto_mono_ms();
	s = accept_within(l, ls, 3000);
	CHECK(s >= 0);
	/* The shortest delay is 50..100 ms; a doubled one would be more. */
	CHECK(proto_mono_ms() - t0 < 1000);
	CHECK_STR(proto_link_broker(l), live);
	/* The live broker hangs up before its CONNACK: back to the dead one,
	 * then, the round failed, to the live one after a longer backoff. */
	close(s);
	s = accept_within(l, ls, 5000);
	CHECK(s >= 0);
	CHECK_STR(proto_link_broker(l), live);
done:
	proto_link_destroy(l);
	mosquitto_lib_cleanup();
	if (s >= 0)
		close(s);
	if (ls >= 0)
		close(ls);
}

/* A listening loopback socket (*ls) and a link created towards it, not yet
 * connected; NULL (checked) on failure. */
static proto_link *link_to_listener(int *ls)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof a;

	*ls = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(*ls >= 0);
	CHECK(bind(*ls, (struct sockaddr *)&a, sizeof a) == 0);
	CHECK(listen(*ls, 1) == 0);
	CHECK(getsockname(*ls, (struct sockaddr *)&a, &alen) == 0);
	mosquitto_lib_init();
	char broker[32];
	snprintf(broker, sizeof broker, "127.0.0.1:%d", ntohs(a.sin_port));
	proto_link *l = proto_link_create(&(proto_link_opts){.broker = broker,
		.client_id = "test-link", .keepalive = 30}, NULL, NULL);
	CHECK(l != NULL);
	return l;
}

/* Ends what link_to_listener (s < 0) or connected_link made. */
static void hang_up(proto_link *l, int s, int ls)
{
	proto_link_destroy(l);
	mosquitto_lib_cleanup();
	if (s >= 0)
		close(s);
	close(ls);
}

/* Nagle's algorithm on the link's socket held every small receipt for the
 * peer's delayed ACK (40 ms on Linux): the socket must have TCP_NODELAY. */
static void test_nodelay(void)
{
	int ls, on = 0;
	socklen_t olen = sizeof on;
	proto_link *l = link_to_listener(&ls);

	if (l) {
		proto_link_service(l, 0);
		CHECK(proto_link_fd(l) >= 0);
		CHECK(getsockopt(proto_link_fd(l), IPPROTO_TCP, TCP_NODELAY, &on, &olen) == 0);
		CHECK_EQ_INT(on != 0, 1);
#ifdef TCP_CORK
		/* A burst corked, then let go: the flag follows. */
		proto_link_cork(l, true);
		CHECK(getsockopt(proto_link_fd(l), IPPROTO_TCP, TCP_CORK, &on, &olen) == 0);
		CHECK_EQ_INT(on != 0, 1);
		proto_link_cork(l, false);
		CHECK(getsockopt(proto_link_fd(l), IPPROTO_TCP, TCP_CORK, &on, &olen) == 0);
		CHECK_EQ_INT(on, 0);
#endif
	}
	hang_up(l, -1, ls);
}

/* Runs the link's I/O for up to ms, draining what it sends to the peer s,
 * until done(l) holds. */
static bool pump(proto_link *l, int s, int ms, bool (*done)(proto_link *))
{
	char buf[4096];

	for (int i = 0; i < ms / 10; i++) {
		struct pollfd p = {.fd = proto_link_fd(l), .events = proto_link_events(l)};
		if (poll(&p, 1, 10) > 0)
			proto_link_io(l, p.revents);
		while (recv(s, buf, sizeof buf, MSG_DONTWAIT) > 0)
			;
		if (done(l))
			return true;
	}
	return false;
}

static bool connected(proto_link *l) { return proto_link_connected(l); }
static bool one_left(proto_link *l) { return proto_link_pending(l) == 1; }

/* A link connected to a hand-played broker: *ls listens, *s is its side
 * of the connection after the CONNACK. NULL (checked) on failure. */
static proto_link *connected_link(int *ls, int *s)
{
	static const unsigned char connack[] = {0x20, 0x02, 0x00, 0x00};
	proto_link *l = link_to_listener(ls);

	*s = -1;
	if (!l)
		return NULL;
	proto_link_service(l, 0);
	*s = accept(*ls, NULL, NULL);
	if (!CHECK(*s >= 0) ||
	    !CHECK(send(*s, connack, sizeof connack, 0) == (ssize_t)sizeof connack) ||
	    !CHECK(pump(l, *s, 2000, connected))) {
		proto_link_destroy(l);
		return NULL;
	}
	return l;
}

/* The hub bounds what it queues in libmosquitto by this count: up with each
 * QoS 1 publish, down with each PUBACK. */
static void test_pending(void)
{
	int ls, s, mid[3];
	proto_link *l = connected_link(&ls, &s);

	if (!l)
		goto done;
	CHECK_EQ_INT((int)proto_link_pending(l), 0);
	for (int i = 0; i < 3; i++)
		CHECK(proto_link_publish(l, "t/x", "m", 1, 1, false, &mid[i]) == 0);
	CHECK_EQ_INT((int)proto_link_pending(l), 3);
	for (int i = 0; i < 2; i++) {
		unsigned char puback[] = {0x40, 0x02, (unsigned char)(mid[i] >> 8),
			(unsigned char)(mid[i] & 0xff)};
		CHECK(send(s, puback, sizeof puback, 0) == (ssize_t)sizeof puback);
	}
	CHECK(pump(l, s, 2000, one_left));
	CHECK_EQ_INT((int)proto_link_pending(l), 1);
done:
	hang_up(l, s, ls);
}

/* The PUBACKs libmosquitto writes while it reads are corked for the read
 * and must all leave when it is done: none held back by a cork left on. */
static void test_read_acks(void)
{
	int ls, s, on = 1;
	socklen_t olen = sizeof on;
	unsigned char burst[3 * 10], got[64];
	size_t n = 0;
	proto_link *l = connected_link(&ls, &s);

	if (!l)
		goto done;
	/* Three QoS 1 PUBLISHes on "t/x", ids 1 to 3, in one segment. */
	for (int i = 0; i < 3; i++) {
		const unsigned char pub[10] = {0x32, 0x08, 0x00, 0x03, 't', '/', 'x', 0x00,
			(unsigned char)(i + 1), 'm'};
		memcpy(burst + 10 * i, pub, sizeof pub);
	}
	CHECK(send(s, burst, sizeof burst, 0) == (ssize_t)sizeof burst);
	/* A cork left on would hold these 12 bytes for 200 ms. */
	for (int i = 0; i < 10 && n < 12; i++) {
		struct pollfd p[2] = {{.fd = proto_link_fd(l), .events = POLLIN},
				      {.fd = s, .events = POLLIN}};
		CHECK(poll(p, 2, 10) >= 0);
		if (p[0].revents) {
			proto_link_io(l, p[0].revents);
#ifdef TCP_CORK
			CHECK(getsockopt(proto_link_fd(l), IPPROTO_TCP, TCP_CORK, &on,
				&olen) == 0);
			CHECK_EQ_INT(on, 0);
#endif
		}
		if (p[1].revents) {
			ssize_t r = recv(s, got + n, sizeof got - n, MSG_DONTWAIT);
			n += r > 0 ? (size_t)r : 0;
		}
	}
	CHECK_EQ_INT((int)n, 12);
	for (size_t i = 0; i + 4 <= n; i += 4)
		CHECK(got[i] == 0x40 && got[i + 1] == 0x02 && got[i + 3] == i / 4 + 1);
done:
	hang_up(l, s, ls);
}

int main(void)
{
	test_good();
	test_bad();
	test_host_size();
	test_broker_lists();
	test_failover();
	test_nodelay();
	test_pending();
	test_read_acks();
	return check_finish();
}
