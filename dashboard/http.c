/* The HTTP server: libmicrohttpd's own threads (a small pool, epoll,
 * suspend/resume for the live streams). This is the hub's only second
 * thread of control, there because the library demands it; the hand-off to
 * the core is in core.c and sse.c. Here: reading requests (bodies
 * capped), routing them to the handlers, and the headers every answer
 * carries; the answers themselves are made in reply.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dashboard/dash-int.h"
#include "protocol/link.h"
#include "protocol/log.h"

#define POOL_THREADS 4
#define POOL_NICE 10 /* the pool's nice value over the core's */
/* Connections: in all, and from one address. An office behind one address
 * (a town's NAT) has room for a dozen browsers, and one address holding its
 * whole share leaves the rest of the county 480; each slot a client does
 * not use is taken back by the request deadline (watch.h). */
#define CONN_MAX 512
#define CONN_PER_ADDRESS 32
/* Idle seconds on a connection whose answer is under way: a page that
 * stops reading its stream, a download that makes no progress at all. */
#define IDLE_TIMEOUT 30

/* Every answer: nothing framed, sniffed, or sent elsewhere; over TLS, the
 * browser told to come back only over TLS (a year; RFC 6797 has browsers
 * ignore it for an address typed as an IP). */
static void security_headers(struct MHD_Response *resp, bool tls)
{
	if (tls)
		MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
	MHD_add_response_header(resp, "Content-Security-Policy",
		"default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
		"base-uri 'none'; form-action 'self'");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
}

/* ------------------------------------------------------------ assets */

static void serve_asset(dash_req *r)
{
	const dash_asset *a = dash_asset_find(r->path);
	const char *inm;

	/* Client-side routes (/#/item/..., /items/...) get the page. */
	if (!a)
		a = dash_asset_find("/index.html");
	if (!a) {
		dash_reply_error(r, 404, "not_found", "no such page");
		return;
	}
	inm = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "If-None-Match");
	if (inm && strcmp(inm, a->etag) == 0) {
		dash_reply_bytes(r, 304, NULL, NULL, 0, false);
	} else {
		dash_reply_bytes(r, 200, a->type, (void *)a->data, a->len, false);
	}
	if (r->resp) {
		MHD_add_response_header(r->resp, "ETag", a->etag);
		/* Revalidated each time: cheap (304), and a new hub's pages are
		 * seen at once. */
		MHD_add_response_header(r->resp, "Cache-Control", "no-cache");
	}
}

/* ------------------------------------------------------------ routing */

static bool is(const char *path, const char *want)
{
	return strcmp(path, want) == 0;
}

/* The id a stream resumes after, from Last-Event-ID or ?last_id=: only
 * plain decimal digits that fit count; anything else (empty, signed,
 * garbage, too large) is 0, an id no run of the hub has, so the stream
 * starts with a reset rather than with a guess. */
static int64_t stream_id(const char *text)
{
	char *end;
	long long v;

	if (*text < '0' || *text > '9')
		return 0;
	errno = 0;
	v = strtoll(text, &end, 10);
	return errno || *end ? 0 : (int64_t)v;
}

/* Whether a change may come from where the browser says it comes from. A
 * browser names the page's origin on every cross-site POST (and on a
 * same-site one); it must be this very server, as the Host header names it.
 * Over TLS only as https:// (a plain-HTTP page of the same host and port is
 * one an attacker on the path can write); over plain HTTP also as https://,
 * as a TLS reverse proxy in front of the hub passes it on.
 * Without Origin the request is not a browser's page (curl, a script) and
 * the other locks hold: the login's JSON body, the CSRF token. "null" (a
 * sandboxed frame, a file) is refused. */
static bool same_origin(dash_req *r)
{
	const char *origin = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Origin");
	const char *host = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Host");
	size_t n = 0;

	if (!origin)
		return true;
	if (strncasecmp(origin, "https://", strlen("https://")) == 0)
		n = strlen("https://");
	else if (!r->d->tls && strncasecmp(origin, "http://", strlen("http://")) == 0)
		n = strlen("http://");
	return n && host && *host && strcasecmp(origin + n, host) == 0;
}

static void route_api(dash_req *r)
{
	dash *d = r->d;
	const char *p = r->path + 4; /* after "/api" */
	bool get = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
	bool post = strcmp(r->method, "POST") == 0;
	sqlite3 *db;

	/* Before the login too: a page of another site must not sign a
	 * browser in as someone else (login CSRF), nor change anything. */
	if (post && !same_origin(r)) {
		log_warn("refused a POST %s from origin of another site (from %s)", r->path,
			r->ip);
		dash_reply_error(r, 403, "forbidden", "the request comes from another site");
		return;
	}
	if (is(p, "/login")) {
		if (!post)
			dash_reply_error(r, 405, "method_not_allowed", "use POST");
		else
			dash_api_login(r);
		return;
	}
	if (!get && !post) {
		dash_reply_error(r, 405, "method_not_allowed", "use GET or POST");
		return;
	}
	if (!dash_auth(r))
		return;
	if (post) {
		const char *id = p + 7, *slash;
		if (is(p, "/logout"))
			dash_api_logout(r);
		else if (strncmp(p, "/items/", 7) == 0 && (slash = strchr(id, '/')) &&
			 is(slash, "/actions")) {
			char item[PROTO_ITEM_ID_MAX];
			/* Too long for an id: cut short it could name another item. */
			if ((size_t)(slash - id) >= sizeof item) {
				dash_reply_error(r, 404, "not_found", "no such item within your scope");
				return;
			}
			snprintf(item, sizeof item, "%.*s", (int)(slash - id), id);
			dash_api_action(r, item);
		} else if (is(p, "/me") || is(p, "/overview") || is(p, "/items") ||
			   strncmp(p, "/items/", 7) == 0 || is(p, "/tree") || is(p, "/stats") ||
			   is(p, "/system") || is(p, "/stream") || is(p, "/export.csv") || is(p, "/export.xlsx"))
			dash_reply_error(r, 405, "method_not_allowed", "use GET");
		else
			dash_reply_error(r, 404, "not_found", "no such call");
		return;
	}
	if (is(p, "/me")) {
		dash_api_me(r);
		return;
	}
	if (is(p, "/system")) {
		dash_api_system(r);
		return;
	}
	if (is(p, "/stream")) {
		const char *last = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
			"Last-Event-ID");
		if (!last)
			last = dash_arg(r, "last_id");
		dash_sse_stream(d->events, r, last ? stream_id(last) : -1);
		return;
	}
	if (is(p, "/logout") || (strncmp(p, "/items/", 7) == 0 && strstr(p + 7, "/actions"))) {
		dash_reply_error(r, 405, "method_not_allowed", "use POST");
		return;
	}
	db = dash_reader_get(d);
	if (!db) {
		dash_reply_error(r, 500, "internal", "cannot open the database");
		return;
	}
	if (is(p, "/overview"))
		dash_api_overview(r, db);
	else if (is(p, "/tree"))
		dash_api_tree(r, db);
	else if (is(p, "/items"))
		dash_api_items(r, db);
	else if (strncmp(p, "/items/", 7) == 0 && !strchr(p + 7, '/'))
		dash_api_item(r, db, p + 7);
	else if (is(p, "/stats"))
		dash_api_stats(r, db);
	else if (is(p, "/export.csv"))
		dash_api_export(r, db, false);
	else if (is(p, "/export.xlsx"))
		dash_api_export(r, db, true);
	else
		dash_reply_error(r, 404, "not_found", "no such call");
	dash_reader_put(d, db);
}

static void route(dash_req *r)
{
	if (r->too_large) {
		dash_reply_error(r, 413, "too_large", "the body is larger than 16 KiB");
		return;
	}
	if (strncmp(r->path, "/api/", 5) == 0 || is(r->path, "/api")) {
		route_api(r);
		return;
	}
	if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD")) {
		dash_reply_error(r, 405, "method_not_allowed", "pages are read with GET");
		return;
	}
	serve_asset(r);
}

static void client_ip(struct MHD_Connection *c, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(out, n, "?");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)n);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
			(socklen_t)n);
}

/* The watcher's record of a connection, made when it opens. */
static dash_watched *watched(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
	enum MHD_ConnectionNotificationCode toe)
{
	dash *d = cls;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		*socket_context = ci ? dash_watch_open(d->watch, ci->connect_fd) : NULL;
	} else {
		dash_watch_close(d->watch, *socket_context);
		*socket_context = NULL;
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
	const char *url, const char *method, const char *version,
	const char *upload, size_t *upload_size, void **con_cls)
{
	dash_req *r = *con_cls;

	if (!r) {
		const char *cl;
		r = calloc(1, sizeof *r);
		if (!r)
			return MHD_NO;
		r->d = cls;
		r->conn = conn;
		r->method = method;
		r->path = url;
		client_ip(conn, r->ip, sizeof r->ip);
		*con_cls = r;
		/* A body announced too large is refused before it is read. */
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		if (cl && strtoull(cl, NULL, 10) > DASH_BODY_MAX)
			r->too_large = true;
		else
			return MHD_YES;
	} else if (*upload_size) {
		/* Past the cap the rest is read and dropped, then refused. */
		if (r->len + *upload_size > DASH_BODY_MAX) {
			r->too_large = true;
		} else if (!r->too_large) {
			char *p = realloc(r->body, r->len + *upload_size + 1);
			if (!p)
				return MHD_NO;
			memcpy(p + r->len, upload, *upload_size);
			r->body = p;
			r->len += *upload_size;
			p[r->len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	/* The request is whole: no deadline while it is answered. */
	dash_watch_arm(r->d->watch, watched(conn), false);
	route(r);
	if (!r->resp)
		return MHD_NO;
	security_headers(r->resp, r->d->tls);
	enum MHD_Result ok = MHD_queue_response(conn, r->status, r->resp);
	MHD_destroy_response(r->resp);
	r->resp = NULL;
	return ok;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
	enum MHD_RequestTerminationCode toe)
{
	dash *d = cls;
	dash_req *r = *con_cls;

	/* Kept alive, the connection's next request has as long as its first. */
	dash_watch_arm(d->watch, watched(conn), true);
	if (!r)
		return;
	free(r->body);
	free(r);
	*con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[256];

	vsnprintf(line, sizeof line, fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_warn("http: %s", line);
}

typedef struct starter {
	dash *d;
	struct sockaddr_in sa;
	struct MHD_Daemon *mhd;
} starter;

/* TLS 1.2 and 1.3 only, as the broker's listener (tls_version tlsv1.2);
 * GnuTLS's NORMAL set of ciphers within them. */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"


/* Runs on a thread of its own: the pool's threads (and the connection
 * watcher's) inherit the nice value of the thread that creates them (on
 * Linux it is per thread), so this one lowers its own first. Under a full
 * CPU the core's ingest then goes before dashboard reads; idle, the pool
 * runs as fast as ever. */
static void *start_pool(void *arg)
{
	starter *s = arg;

	errno = 0;
	if (setpriority(PRIO_PROCESS, 0, getpriority(PRIO_PROCESS, 0) + POOL_NICE) != 0)
		log_warn("http: cannot lower the pool's priority: %s", strerror(errno));
	/* The watcher too runs at the pool's priority: made here. */
	s->d->watch = dash_watch_create(dash_sse_hungup, s->d->events);
	if (!s->d->watch)
		return NULL;
	/* Without TLS the array is its last item alone. */
	bool tls = s->d->tls;
	struct MHD_OptionItem tls_opts[] = {
		{MHD_OPTION_HTTPS_MEM_KEY, 0, s->d->tls_key},
		{MHD_OPTION_HTTPS_MEM_CERT, 0, s->d->tls_cert},
		{MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)TLS_PRIORITIES},
		{MHD_OPTION_END, 0, NULL},
	};
	s->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
		MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG | (tls ? MHD_USE_TLS : 0), 0,
		NULL, NULL, on_request, s->d,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s->d,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&s->sa,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)POOL_THREADS,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_MAX,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)CONN_PER_ADDRESS,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, s->d,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s->d,
		MHD_OPTION_ARRAY, tls ? tls_opts : tls_opts + 3,
		MHD_OPTION_END);
	return NULL;
}

struct MHD_Daemon *dash_http_start(dash *d, const char *listen)
{
	char host[256];
	int port, rc;
	starter s = {.d = d, .sa = {.sin_family = AF_INET}};
	pthread_t t;

	if (!proto_link_parse_address(listen, host, sizeof host, &port) ||
	    inet_pton(AF_INET, host, &s.sa.sin_addr) != 1) {
		log_error("--http '%s' is not IPv4-ADDRESS:PORT", listen);
		return NULL;
	}
	if (d->tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		log_error("this libmicrohttpd was built without TLS: cannot serve HTTPS");
		return NULL;
	}
	s.sa.sin_port = htons((uint16_t)port);
	rc = pthread_create(&t, NULL, start_pool, &s);
	if (rc != 0) {
		log_error("http: cannot start a thread: %s", strerror(rc));
		return NULL;
	}
	pthread_join(t, NULL);
	if (!s.mhd)
		log_error("cannot serve %s on %s (address in use%s?)", d->tls ? "HTTPS" : "HTTP",
			listen, d->tls ? ", or a certificate GnuTLS cannot read" : "");
	else
		log_info("dashboard at %s://%s:%d/", d->tls ? "https" : "http", host, port);
	return s.mhd;
}

/* Loopback: 127.0.0.0/8, where only this machine's programs connect. */
static bool loopback(const struct in_addr *a)
{
	return (ntohl(a->s_addr) >> 24) == 127;
}

bool dash_listen_check(const char *listen, const char *cert, const char *key,
	bool insecure, char *err, size_t n)
{
	char host[256];
	int port;
	struct in_addr a;
	bool has_cert = cert && *cert, has_key = key && *key;

	if (!proto_link_parse_address(listen, host, sizeof host, &port) ||
	    inet_pton(AF_INET, host, &a) != 1) {
		snprintf(err, n, "key 'http': '%s' is not IPv4-ADDRESS:PORT", listen);
		return false;
	}
	if (has_cert != has_key) {
		snprintf(err, n, "key '%s' is set without '%s': HTTPS needs both, plain "
			"HTTP neither", has_cert ? "http_cert" : "http_key",
			has_cert ? "http_key" : "http_cert");
		return false;
	}
	if (!has_cert && !loopback(&a) && !insecure) {
		snprintf(err, n, "key 'http': refusing plain HTTP on %s, off loopback: "
			"passwords and sessions would cross the county network in clear. "
			"Set http_cert and http_key (minqing-hub provision --http-host NAME "
			"makes them from the county CA), or http_insecure = 1 if a TLS proxy "
			"or a network you trust stands between the browsers and the hub",
			listen);
		return false;
	}
	return true;
}
