/* An MQTT connection driven by the caller's own poll() loop (libmosquitto's
 * external-loop API), which reconnects by itself with jittered exponential
 * backoff. One program may drive one link (station, hub) or thousands (fleet)
 * from a single thread; callbacks run inside proto_link_io/_service and must
 * not block or call back into the loop. */
#ifndef PROTO_LINK_H
#define PROTO_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mosquitto_message;

typedef struct proto_link proto_link;

/* Most addresses a broker list holds. */
#define PROTO_LINK_BROKERS_MAX 8

typedef struct proto_link_opts {
	/* The broker: "HOST:PORT", or a list "HOST:PORT, HOST:PORT, ..." of
	 * the nodes of one cluster (or of brokers bridged to one another),
	 * tried in turn. The client id and session are the same on each: a
	 * clustered broker keeps the session across a failover, and where it
	 * cannot, the callers' receipts and outboxes resend what was lost. */
	const char *broker;
	const char *client_id; /* stable id: persistent sessions need one */
	const char *user;      /* NULL for none */
	const char *password;  /* NULL for none */
	const char *cafile;    /* CA certificate: enables TLS; NULL for plain TCP */
	bool clean_session;    /* false keeps the broker-side session */
	int keepalive;         /* seconds, 0 for the default (30) */
	int backoff_min_ms;    /* first reconnect delay, 0 for the default (250) */
	int backoff_max_ms;    /* cap of the delay, 0 for the default (30000) */
	int max_inflight;      /* QoS>0 messages in flight, 0 for the default (20) */
	/* MQTT 5 instead of 3.1.1: subscriptions keep a message's retain flag
	 * as published (3.1.1 brokers clear it on live delivery, so a
	 * subscriber cannot tell a retained publish) and skip the link's own
	 * publishes; a kept session (clean_session false) outlives the
	 * connection as in 3.1.1. libmosquitto 2.0 has no asynchronous
	 * connect that takes CONNECT properties: the first attempt connects
	 * blocking, so use it for a broker on this machine or the LAN. */
	bool mqtt5;
} proto_link_opts;

typedef struct proto_link_cbs {
	/* Before each connection attempt: the place to set a fresh will. */
	void (*connecting)(void *ud, proto_link *link);
	/* The broker accepted the connection: subscribe, publish a birth. */
	void (*connected)(void *ud, proto_link *link);
	/* The connection ended (or an attempt failed); a retry is scheduled. */
	void (*disconnected)(void *ud, proto_link *link);
	/* A message arrived; the message is valid only during the call. */
	void (*message)(void *ud, proto_link *link, const struct mosquitto_message *msg);
	/* The broker acknowledged a QoS 1 publish with this MQTT mid. */
	void (*published)(void *ud, proto_link *link, int mid);
} proto_link_cbs;

/* Creates a link; nothing happens on the network until proto_link_service.
 * Strings in opts are copied. Returns NULL on failure (logged). */
proto_link *proto_link_create(const proto_link_opts *opts,
	const proto_link_cbs *cbs, void *ud);

/* Disconnects cleanly if connected and frees the link; accepts NULL. */
void proto_link_destroy(proto_link *link);

/* Sets the last will for the next connection attempts. 0 on success. */
int proto_link_set_will(proto_link *link, const char *topic, const char *payload,
	bool retain);

/* Socket to poll, or -1 when there is none (waiting to reconnect). */
int proto_link_fd(const proto_link *link);

/* poll() events wanted on the socket: POLLIN, plus POLLOUT with data queued. */
short proto_link_events(const proto_link *link);

/* Handles poll() results for the socket (reads, writes, detects loss). */
void proto_link_io(proto_link *link, short revents);

/* Keepalive, reconnects when due. Returns ms until it wants to run again. */
int proto_link_service(proto_link *link, int64_t now_ms);

/* True between the broker's CONNACK and the loss of the connection. */
bool proto_link_connected(const proto_link *link);

/* Number of successful connections so far (the first one included). */
int64_t proto_link_connects(const proto_link *link);

/* QoS 1 messages handed to the library and not yet acknowledged by the
 * broker (in flight or queued): for callers that must bound the queue. */
int64_t proto_link_pending(const proto_link *link);

/* Holds what is published until uncorked, then sends it in as few segments
 * as it fills (TCP_CORK where there is one): libmosquitto writes each packet
 * on its own, and each segment wakes the broker. For bursts, such as a
 * batch's receipts. */
void proto_link_cork(proto_link *link, bool on);

/* Publishes at QoS 1 (or 0 for qos 0). mid receives the MQTT message id when
 * not NULL. Returns 0 on success, -1 when not connected or on error. */
int proto_link_publish(proto_link *link, const char *topic, const void *payload,
	size_t len, int qos, bool retain, int *mid);

/* Subscribes at QoS 1; 0 on success. On an mqtt5 link the subscription
 * keeps the retain flag as published and delivers none of the link's own
 * publishes. */
int proto_link_subscribe(proto_link *link, const char *filter);

/* Closes the connection on purpose (clean DISCONNECT, no will). */
void proto_link_disconnect(proto_link *link);

/* The broker address the link is connected to or trying next, as given. */
const char *proto_link_broker(const proto_link *link);

/* Splits "HOST:PORT" or "[V6ADDR]:PORT" into host and port; false when
 * malformed or the host does not fit in n bytes. */
bool proto_link_parse_address(const char *addr, char *host, size_t n, int *port);

/* Checks a broker list (see proto_link_opts.broker): each address
 * HOST:PORT, separated by commas, blanks around them ignored, at most
 * PROTO_LINK_BROKERS_MAX. Returns the number of addresses, or 0 with the
 * reason in err (n bytes) naming the bad address. */
int proto_link_check_brokers(const char *list, char *err, size_t n);

#endif
