/* Unit tests of protocol/link.c: the broker address parser, and the socket
 * options of a connection to a plain loopback listener (the MQTT exchange
 * itself needs a broker: tests/integration covers it). */
#include <netinet/in.h>
#include <netinet/tcp.h>
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

/* Nagle's algorithm on the link's socket held every small receipt for the
 * peer's delayed ACK (40 ms on Linux): the socket must have TCP_NODELAY. */
static void test_nodelay(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof a;
	int ls = socket(AF_INET, SOCK_STREAM, 0), on = 0;
	socklen_t olen = sizeof on;
	proto_link *l = NULL;

	CHECK(ls >= 0);
	CHECK(bind(ls, (struct sockaddr *)&a, sizeof a) == 0);
	CHECK(listen(ls, 1) == 0);
	CHECK(getsockname(ls, (struct sockaddr *)&a, &alen) == 0);
	mosquitto_lib_init();
	l = proto_link_create(&(proto_link_opts){.host = "127.0.0.1",
		.port = ntohs(a.sin_port), .client_id = "test-link", .keepalive = 30},
		NULL, NULL);
	CHECK(l != NULL);
	if (l) {
		proto_link_service(l, 0);
		CHECK(proto_link_fd(l) >= 0);
		CHECK(getsockopt(proto_link_fd(l), IPPROTO_TCP, TCP_NODELAY, &on, &olen) == 0);
		CHECK_EQ_INT(on != 0, 1);
	}
	proto_link_destroy(l);
	mosquitto_lib_cleanup();
	close(ls);
}

int main(void)
{
	test_good();
	test_bad();
	test_host_size();
	test_nodelay();
	return check_finish();
}
