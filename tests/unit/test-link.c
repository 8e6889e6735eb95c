/* Unit tests of protocol/link.c: the broker address parser, and the socket
 * options of a connection to a plain loopback listener, and the count of
 * unacknowledged publishes against a few hand-written broker packets (the
 * rest of the MQTT exchange needs a broker: tests/integration covers it). */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mosquitto.h>

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
	proto_link *l = proto_link_create(&(proto_link_opts){.host = "127.0.0.1",
		.port = ntohs(a.sin_port), .client_id = "test-link", .keepalive = 30},
		NULL, NULL);
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
	test_nodelay();
	test_pending();
	test_read_acks();
	return check_finish();
}
