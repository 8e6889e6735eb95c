/* The live feed (Server-Sent Events) of /api/events. Threads: the core
 * appends (after its commit), HTTP workers read; one mutex guards the ring
 * and the list of suspended streams. An item's or alert's JSON is built
 * lazily, once, by the first stream that sends it, on that worker's read
 * connection: the core only copies an id, so a hub with no one watching pays
 * next to nothing.
 *
 * Suspension follows libmicrohttpd's rule: the content reader suspends its
 * own connection and returns 0; whoever grows the ring resumes every
 * suspended one. Both happen under the ring's mutex, so an event can never
 * slip in between "nothing to send" and "suspended". */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dashboard/dash-int.h"
#include "protocol/clock.h"
#include "protocol/log.h"

typedef struct event {
	int64_t id;             /* 0: slot unused */
	hub_change kind;
	char key[PROTO_ITEM_ID_MAX];  /* item id or station/area code */
	char area[PROTO_CODE_MAX + 1]; /* for the scope filter */
	int64_t n;
	char *data;             /* JSON; NULL until built */
} event;

typedef struct pending {
	hub_change kind;
	char key[PROTO_ITEM_ID_MAX];
	char text[16];
	int64_t n;
} pending;

struct dash_stream {
	dash_sse *e;
	struct MHD_Connection *conn;
	int fd;                 /* its socket, watched while suspended */
	char scope[PROTO_CODE_MAX + 1];
	char token[65];         /* its session: the stream ends with it */
	int64_t last;           /* last event id passed on */
	unsigned keepalive;     /* the ring's keep-alive round seen */
	int64_t sent_at;        /* monotonic ms of its last events */
	char *out;              /* formatted, not yet handed to MHD */
	size_t len, off;
	bool suspended, ended;
	bool hungup;            /* the page went away while suspended */
	dash_stream *next;      /* in the suspended list */
};

/* Station online flags seen, to pass on changes only (a heartbeat is not
 * news). Core thread only. */
#define SEEN_SLOTS 8192

struct dash_sse {
	dash *d;
	pthread_mutex_t lock;
	event ring[DASH_RING];
	int64_t first_id;       /* the first id of this run */
	int64_t last_id;
	unsigned keepalive;
	bool closing;
	dash_stream *suspended;
	int streams;
	/* A stream waits out its gap, suspended: the core wakes them all once
	 * the gap has passed. Read by the core without the lock. */
	atomic_bool held;
	/* core thread only */
	pending *pend;
	size_t n_pend, cap_pend;
	size_t n_ready;         /* of pend, those of committed batches */
	int64_t keepalive_at;
	int64_t resumed_at;     /* monotonic ms of the last wake of all */
	struct { char code[PROTO_CODE_MAX + 1]; signed char online; } seen[SEEN_SLOTS];
};

dash_sse *dash_sse_create(dash *d)
{
	dash_sse *e = calloc(1, sizeof *e);

	if (!e)
		return NULL;
	e->d = d;
	pthread_mutex_init(&e->lock, NULL);
	e->keepalive_at = proto_mono_ms();
	/* Event ids continue across restarts of the hub only loosely: they
	 * start from the wall clock, so a page resuming after a restart asks
	 * for an id below the ring and is told to reset. */
	e->last_id = proto_now_ms() * 1000;
	e->first_id = e->last_id + 1;
	return e;
}

void dash_sse_destroy(dash_sse *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < DASH_RING; i++)
		free(e->ring[i].data);
	free(e->pend);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

int64_t dash_sse_last(dash_sse *e)
{
	pthread_mutex_lock(&e->lock);
	int64_t id = e->last_id;
	pthread_mutex_unlock(&e->lock);
	return id;
}

/* ------------------------------------------------------------ core side */

static bool station_changed(dash_sse *e, const char *code, int online)
{
	size_t h = 5381;

	for (const char *p = code; *p; p++)
		h = h * 33 + (unsigned char)*p;
	for (size_t i = 0; i < SEEN_SLOTS; i++) {
		size_t k = (h + i) % SEEN_SLOTS;
		if (!e->seen[k].code[0]) {
			snprintf(e->seen[k].code, sizeof e->seen[k].code, "%s", code);
			e->seen[k].online = (signed char)online;
			return true;
		}
		if (strcmp(e->seen[k].code, code) == 0) {
			bool changed = e->seen[k].online != online;
			e->seen[k].online = (signed char)online;
			return changed;
		}
	}
	return true;
}

void dash_sse_note(dash_sse *e, hub_change kind, const char *key,
	const char *text, int64_t n)
{
	pending *p;

	if (kind == HUB_CHANGE_STATION && !station_changed(e, key, (int)n))
		return;
	if (e->n_pend == e->cap_pend) {
		size_t cap = e->cap_pend ? e->cap_pend * 2 : 256;
		p = realloc(e->pend, cap * sizeof *p);
		if (!p)
			return; /* a page misses one change; its next reload has it */
		e->pend = p, e->cap_pend = cap;
	}
	p = &e->pend[e->n_pend++];
	p->kind = kind;
	snprintf(p->key, sizeof p->key, "%s", key);
	snprintf(p->text, sizeof p->text, "%s", text ? text : "");
	p->n = n;
}

static void resume_all(dash_sse *e)
{
	for (dash_stream *s = e->suspended, *next; s; s = next) {
		next = s->next;
		s->next = NULL;
		s->suspended = false;
		dash_watch_stream_del(e->d->watch, s->fd);
		MHD_resume_connection(s->conn);
	}
	e->suspended = NULL;
}

void dash_sse_hungup(void *ud, void *arg)
{
	dash_sse *e = ud;

	pthread_mutex_lock(&e->lock);
	/* Only a stream still suspended, and only when its socket really has
	 * hung up: the report may be late, for a stream resumed (or freed,
	 * its memory another stream's) since. */
	for (dash_stream **q = &e->suspended; *q; q = &(*q)->next) {
		dash_stream *s = *q;
		if (s != arg)
			continue;
		char c;
		ssize_t n = recv(s->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
			       errno != EINTR)) {
			*q = s->next;
			s->next = NULL;
			s->suspended = false;
			s->hungup = true;
			dash_watch_stream_del(e->d->watch, s->fd);
			MHD_resume_connection(s->conn);
		}
		break;
	}
	pthread_mutex_unlock(&e->lock);
}

void dash_sse_commit(dash_sse *e, bool ok)
{
	int64_t mono = proto_mono_ms();
	bool keepalive = mono - e->keepalive_at >= DASH_KEEPALIVE_MS;
	bool due = dash_sse_wait(e, mono) == 0;

	if (ok)
		e->n_ready = e->n_pend;
	else
		e->n_pend = e->n_ready;
	if (!e->n_pend && !keepalive && !due)
		return;
	/* The workers run at a lower priority (http.c): the core must never
	 * wait for one holding the lock. Busy, the events wait for the next
	 * pass, at most DASH_RETRY_MS away (dash_sse_wait). */
	if (pthread_mutex_trylock(&e->lock) != 0)
		return;
	for (size_t i = 0; i < e->n_pend; i++) {
		const pending *p = &e->pend[i];
		event *x = &e->ring[++e->last_id % DASH_RING];
		char buf[160];

		free(x->data);
		memset(x, 0, sizeof *x);
		x->id = e->last_id;
		x->kind = p->kind;
		x->n = p->n;
		snprintf(x->key, sizeof x->key, "%s", p->key);
		snprintf(x->area, sizeof x->area, "%.*s", (int)strcspn(p->key, "-"), p->key);
		/* The small ones are made here; items and alerts by a reader. */
		if (p->kind == HUB_CHANGE_STATION) {
			snprintf(buf, sizeof buf, "{\"code\":\"%s\",\"online\":%s,\"last_seen\":%lld}",
				p->key, p->n ? "true" : "false", (long long)proto_now_ms());
			x->data = strdup(buf);
		} else if (p->kind == HUB_CHANGE_WEATHER) {
			snprintf(buf, sizeof buf, "{\"code\":\"%s\",\"weather\":\"%s\"}", p->key,
				p->text);
			x->data = strdup(buf);
		}
	}
	e->n_pend = e->n_ready = 0;
	if (keepalive) {
		e->keepalive++;
		e->keepalive_at = mono;
	}
	atomic_store(&e->held, false);
	e->resumed_at = mono;
	resume_all(e);
	pthread_mutex_unlock(&e->lock);
}

int dash_sse_wait(dash_sse *e, int64_t mono)
{
	int64_t left;

	if (e->n_ready)
		return DASH_RETRY_MS;
	if (!atomic_load(&e->held))
		return -1;
	left = e->resumed_at + DASH_STREAM_GAP_MS - mono;
	return left > 0 ? (int)left : 0;
}

void dash_sse_close(dash_sse *e)
{
	pthread_mutex_lock(&e->lock);
	e->closing = true;
	resume_all(e);
	pthread_mutex_unlock(&e->lock);
}

/* ------------------------------------------------------------ streams */

static const char *kind_name(hub_change k)
{
	switch (k) {
	case HUB_CHANGE_ITEM: return "item";
	case HUB_CHANGE_STATION: return "station";
	case HUB_CHANGE_WEATHER: return "weather";
	case HUB_CHANGE_ALERT: return "alert";
	}
	return "?";
}

/* The JSON of an item or alert event, from the database now. */
static char *build(dash *d, hub_change kind, const char *key, int64_t n)
{
	sqlite3 *db = dash_reader_get(d);
	cJSON *o = NULL;
	char *json = NULL;

	if (!db)
		return NULL;
	if (kind == HUB_CHANGE_ITEM) {
		o = dash_item_summary(db, key);
	} else {
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(db, "SELECT a.area, s.name, a.category, a.colour, a.at, "
			    "a.count FROM alerts a LEFT JOIN stations s ON s.code = a.area "
			    "WHERE a.id = ?", -1, &st, NULL) == SQLITE_OK) {
			sqlite3_bind_int64(st, 1, n);
			if (sqlite3_step(st) == SQLITE_ROW)
				o = dash_alert_row(st);
		}
		sqlite3_finalize(st);
	}
	dash_reader_put(d, db);
	if (o)
		json = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return json;
}

static bool append(dash_stream *s, const char *text, size_t n)
{
	char *p = realloc(s->out, s->len + n + 1);

	if (!p)
		return false;
	memcpy(p + s->len, text, n);
	s->out = p;
	s->len += n;
	p[s->len] = '\0';
	return true;
}

static bool append_event(dash_stream *s, int64_t id, const char *kind, const char *data)
{
	char head[96];
	int n = snprintf(head, sizeof head, "id: %lld\nevent: %s\ndata: ", (long long)id, kind);

	return append(s, head, (size_t)n) && append(s, data, strlen(data)) &&
		append(s, "\n\n", 2);
}

/* Fills s->out with what is due; called with the lock held, which it may
 * drop and retake to build an event's JSON. */
static void fill(dash_stream *s)
{
	dash_sse *e = s->e;
	int sent = 0, fresh = 0;

	/* Where the ring cannot take the stream on (an id from the future, from
	 * before this run, or more than the ring behind), the page starts over.
	 * Decided here, before any walk, so that the walks below never span
	 * more than DASH_RING ids, whatever id the client sent: the id is only
	 * compared, never counted from. The order of the tests keeps s->last + 1
	 * from overflowing. */
	if (s->last > e->last_id || s->last + 1 < e->first_id ||
	    e->last_id - s->last > DASH_RING) {
		append_event(s, e->last_id, "reset", "{}");
		s->last = e->last_id;
		return;
	}
	/* A burst in the scope: the page is better served fetching afresh
	 * than by hundreds of events it would each act upon. */
	for (int64_t id = s->last + 1; id <= e->last_id && fresh <= DASH_BURST; id++) {
		const event *x = &e->ring[id % DASH_RING];
		fresh += x->id == id && proto_code_within(x->area, s->scope);
	}
	if (fresh > DASH_BURST && s->last + 1 >= e->first_id) {
		append_event(s, e->last_id, "reset", "{}");
		s->last = e->last_id;
		return;
	}
	while (s->last < e->last_id && sent < 64 && s->len < 60000) {
		event *x = &e->ring[(s->last + 1) % DASH_RING];
		if (s->last + 1 < e->first_id || x->id != s->last + 1) {
			/* Missed more than the ring holds (or asks about an earlier
			 * run of the hub): the page starts over. */
			append_event(s, e->last_id, "reset", "{}");
			s->last = e->last_id;
			return;
		}
		if (!proto_code_within(x->area, s->scope)) {
			s->last = x->id;
			continue;
		}
		if (!x->data) {
			event copy = *x;
			pthread_mutex_unlock(&e->lock);
			char *json = build(e->d, copy.kind, copy.key, copy.n);
			pthread_mutex_lock(&e->lock);
			if (!json) {
				s->last = copy.id; /* gone (or no memory): skip it */
				continue;
			}
			if (x->id == copy.id && !x->data)
				x->data = json;
			else
				free(json);
			continue;
		}
		append_event(s, x->id, kind_name(x->kind), x->data);
		s->last = x->id;
		sent++;
	}
}

/* Suspends the stream until the core's next wake; with the lock held. */
static void park(dash_stream *s)
{
	s->suspended = true;
	s->next = s->e->suspended;
	s->e->suspended = s;
	MHD_suspend_connection(s->conn);
	/* Unwatched (no memory), a closed page waits for the next wake-up. */
	dash_watch_stream_add(s->e->d->watch, s->fd, s);
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	dash_stream *s = cls;
	dash_sse *e = s->e;
	size_t n;

	if (s->off == s->len) {
		dash_user u;
		/* A page left open must not outlive a logout or an expiry: the
		 * session is looked at on each wake-up (events, keep-alives),
		 * which also counts as the user's activity. */
		if (!dash_session_get(e->d->sessions, s->token, &u, proto_now_ms()) ||
		    !dash_user_still(e->d, s->token, &u))
			return MHD_CONTENT_READER_END_OF_STREAM;
		s->off = s->len = 0;
		pthread_mutex_lock(&e->lock);
		if (e->closing || s->hungup) {
			pthread_mutex_unlock(&e->lock);
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
		int64_t mono = proto_mono_ms();
		if (s->last < e->last_id && mono - s->sent_at < DASH_STREAM_GAP_MS) {
			/* Sent moments ago: wait out the gap, suspended. */
			atomic_store(&e->held, true);
			park(s);
			pthread_mutex_unlock(&e->lock);
			return 0;
		}
		fill(s);
		if (s->len)
			s->sent_at = mono;
		if (s->len == 0 && s->keepalive != e->keepalive) {
			append(s, ": keep-alive\n\n", 14);
		}
		s->keepalive = e->keepalive;
		if (s->len == 0) {
			park(s);
			pthread_mutex_unlock(&e->lock);
			return 0;
		}
		pthread_mutex_unlock(&e->lock);
	}
	n = s->len - s->off < max ? s->len - s->off : max;
	memcpy(buf, s->out + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	dash_stream *s = cls;
	dash_sse *e = s->e;

	pthread_mutex_lock(&e->lock);
	/* Normally not suspended when MHD lets go of it; unlink anyway. */
	for (dash_stream **p = &e->suspended; *p; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			dash_watch_stream_del(e->d->watch, s->fd);
			break;
		}
	e->streams--;
	pthread_mutex_unlock(&e->lock);
	free(s->out);
	free(s);
}

void dash_sse_stream(dash_sse *e, dash_req *r, int64_t last_id)
{
	dash_stream *s = calloc(1, sizeof *s);
	struct MHD_Response *resp;

	if (!s) {
		dash_reply_error(r, 500, "internal", "out of memory");
		return;
	}
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);

	s->e = e;
	s->conn = r->conn;
	s->fd = ci ? ci->connect_fd : -1;
	snprintf(s->scope, sizeof s->scope, "%s", r->user.scope);
	snprintf(s->token, sizeof s->token, "%s", r->token);
	pthread_mutex_lock(&e->lock);
	/* Any other id is kept as given: fill() answers it with a reset
	 * when the ring cannot resume from it. */
	s->last = last_id < 0 ? e->last_id : last_id;
	s->keepalive = e->keepalive;
	e->streams++;
	pthread_mutex_unlock(&e->lock);
	/* The first bytes tell the browser how soon to reconnect. */
	append(s, "retry: 3000\n\n", 13);
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, reader, s,
		stream_free);
	if (!resp) {
		stream_free(s);
		dash_reply_error(r, 500, "internal", "out of memory");
		return;
	}
	MHD_add_response_header(resp, "Content-Type", "text/event-stream; charset=utf-8");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	r->status = 200;
	r->resp = resp;
	r->stream = s;
}
