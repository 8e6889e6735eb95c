/* State shared by the dashboard's files: the server, its read connections,
 * the queue to the core, and one request as the handlers see it. Not for
 * use outside dashboard/. */
#ifndef DASH_INT_H
#define DASH_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <sqlite3.h>

#include "dashboard/dashboard.h"
#include "dashboard/events.h"
#include "dashboard/session.h"
#include "dashboard/throttle.h"
#include "dashboard/watch.h"
#include "hub/secret.h"
#include "hub/store.h"
#include "protocol/code.h"
#include "protocol/message.h"

#define DASH_BODY_MAX (16 * 1024) /* bytes of a POST body */
#define DASH_READERS_MAX 16       /* read connections kept open */

/* SQL for a station's readable name (回龙镇云沟村三组): HUB_STATION_LABEL,
 * the one the hub also sends down to stations. */
#define DASH_STATION_LABEL(code, name) HUB_STATION_LABEL(code, name)

typedef struct dash_action dash_action;

struct dash {
	char *db_path;
	char county[PROTO_CODE_MAX + 1];
	int64_t session_idle_ms;
	const hub_secret *secret; /* immutable after open: safe on every thread */
	struct MHD_Daemon *mhd;
	dash_sessions *sessions;
	dash_throttle *throttle;
	dash_events *events;
	dash_watch *watch;        /* request deadlines, streams' hang-ups */
	bool tls;                 /* HTTPS: Secure cookies, HSTS, https:// origins */
	char *tls_cert, *tls_key; /* their PEM text, kept while the server runs */
	size_t tls_key_len;

	/* Read connections, one per request at a time (WAL: never block the
	 * writer, never see half a batch). */
	pthread_mutex_t readers_lock;
	sqlite3 *readers[DASH_READERS_MAX];
	size_t n_readers;

	/* Changes for the core: queued by HTTP threads, staged by the core,
	 * answered once their commit is on disk (core.c). */
	pthread_mutex_t queue_lock;
	pthread_cond_t queue_done;
	dash_action *queued;      /* waiting for the core */
	dash_action *staged;      /* in the core's open batch (core thread only) */
	dash_action *syncing;     /* committed, not yet on disk (core thread only) */
	int wake_fd;              /* eventfd the core polls */
	bool closing;

	hub_store *store;         /* core thread only */
	hub_loop *loop;
};

typedef struct dash_req {
	dash *d;
	struct MHD_Connection *conn;
	const char *method;
	const char *path;       /* URL path */
	char *body;             /* POST body, NUL-terminated */
	size_t len;
	bool too_large;
	bool authed;
	dash_user user;
	char token[65];         /* session cookie value, "" if none */
	char ip[64];
	dash_stream *stream;    /* a live stream this request became */
	/* The answer. */
	unsigned status;
	struct MHD_Response *resp;
} dash_req;

/* ---- http.c: answers (each sets req->status and req->resp) */
void dash_reply_json(dash_req *r, unsigned status, cJSON *body); /* takes body */
void dash_reply_error(dash_req *r, unsigned status, const char *code,
	const char *message);
void dash_reply_bytes(dash_req *r, unsigned status, const char *type, void *bytes,
	size_t len, bool take);
/* 400 bad_request naming the field at fault (may be NULL). */
void dash_reply_field(dash_req *r, const char *message, const char *field);
/* A query parameter, or NULL. */
const char *dash_arg(dash_req *r, const char *name);

/* ---- dashboard.c: read connections */
sqlite3 *dash_reader_get(dash *d);
void dash_reader_put(dash *d, sqlite3 *db);

/* ---- auth.c */
void dash_api_login(dash_req *r);
void dash_api_logout(dash_req *r);
void dash_api_me(dash_req *r);

/* ---- system.c: GET /api/system, the hub's storage (hub/health.h): disk,
 * the WAL's size now and at the last checkpoint, that checkpoint's result
 * and counts; {"storage": {"known": false}} before any health file. */
void dash_api_system(dash_req *r);
/* Resolves the session; false (and a 401 reply) when there is none. Touches
 * the session. For POST also checks the CSRF token (403). */
bool dash_auth(dash_req *r);

/* False, ending the session of token, when u's account was deleted or her
 * password changed since she signed in. */
bool dash_user_still(dash *d, const char *token, const dash_user *u);

/* ---- views.c: reads, all scoped to r->user */
void dash_api_overview(dash_req *r, sqlite3 *db);
void dash_api_tree(dash_req *r, sqlite3 *db);
void dash_api_items(dash_req *r, sqlite3 *db);
void dash_api_item(dash_req *r, sqlite3 *db, const char *id);
void dash_api_stats(dash_req *r, sqlite3 *db);
/* The item's detail as GET /api/items/ID gives it, or NULL when it is not
 * there or not within the user's scope. */
cJSON *dash_item_json(dash *d, sqlite3 *db, const dash_user *u, const char *id);
/* The ITEM_SUMMARY of an item (no scope check), or NULL. */
cJSON *dash_item_summary(sqlite3 *db, const char *id);
/* An alert row (area, area name, category, colour, at, count) as JSON. */
cJSON *dash_alert_row(sqlite3_stmt *st);

/* Adds the figures f to out by their API names (hub_figures_names: counts,
 * and rates as numbers 0..1 or null). */
struct hub_figures;
void dash_figures_json(cJSON *out, const struct hub_figures *f);
/* Resolves ?scope= against the user's: writes the scope to use into out;
 * false with a 404 reply when it is outside hers or unknown. */
bool dash_scope_arg(dash_req *r, sqlite3 *db, char out[PROTO_CODE_MAX + 1]);

/* ---- core.c: changes through the core */
void dash_api_action(dash_req *r, const char *id);
/* Core thread: the batch holding the staged steps committed (or not), and
 * the last commit reached the disk (or not). */
void dash_core_committed(dash *d, bool ok);
void dash_core_durable(dash *d, bool ok);
/* Fails every waiting step and refuses new ones (the hub is stopping). */
void dash_core_fail_all(dash *d);

/* ---- export.c */
void dash_api_export(dash_req *r, sqlite3 *db, bool xlsx);

/* ---- privacy.c */
/* Unseals a personal field (NULL stays NULL); masked unless full. */
char *dash_personal(dash *d, const void *blob, int len, bool full, bool phone);
/* True when the user's scope station handles or reported the item. */
bool dash_personal_full(const dash_user *u, const char *handler, const char *origin);

/* ---- assets (generated by embed.py) */
typedef struct dash_asset {
	const char *path;   /* "/index.html" */
	const char *type;   /* MIME type */
	const unsigned char *data;
	size_t len;
	const char *etag;
} dash_asset;
const dash_asset *dash_asset_find(const char *path);

#endif
