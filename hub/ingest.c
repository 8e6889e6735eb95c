/* Inbound validation and receipts. Trust comes from the topic: the broker's
 * ACL lets a station write only under its own code, so the topic names the
 * sender, and a payload naming any other station is refused. Log lines carry
 * codes, ids and error names, never the text or the people in a report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "hub/ingest.h"
#include "hub/clock.h"
#include "hub/durable.h"
#include "hub/loop.h"
#include "hub/ratelimit.h"
#include "protocol/clock.h"
#include "protocol/db.h"
#include "protocol/log.h"
#include "protocol/str.h"
#include "protocol/topic.h"

typedef struct receipt_out {
	char topic[PROTO_TOPIC_MAX];
	char *json;
} receipt_out;

/* Stations that came online since the last flush: their undelivered item
 * messages go out again after it. */
#define REDELIVER_MAX 64
/* Messages whose staging failed on our side, remembered (the latest so
 * many) so that their resends are staged alone under a savepoint. */
#define SUSPECTS 16

typedef struct suspect {
	char station[PROTO_CODE_MAX + 1];
	int64_t id;
} suspect;

struct hub_ingest {
	hub_store *store;
	hub_loop *loop;
	char redeliver[REDELIVER_MAX][PROTO_CODE_MAX + 1];
	size_t n_redeliver;
	const proto_registry *reg;
	hub_ratelimit *limit;
	suspect suspects[SUSPECTS];
	size_t next_suspect;
	double rate, burst;
	char county[PROTO_CODE_MAX + 1];
	receipt_out *out;
	size_t n_out, cap_out;
	/* With durable: the receipts of the last commit, held until it is on
	 * disk, and the newest item message it holds. */
	hub_durable *durable;
	receipt_out *held;
	size_t n_held, cap_held;
	bool syncing;
	bool paused; /* no batch may begin until the sync ends (durable.h) */
	int64_t held_down_id;
	int64_t changes; /* the store's count of rows changed, at the last sync */
	/* A full disk (durable.c): no batch begins until a recovery finds
	 * room again; recoveries are asked with a backoff. */
	bool full, recovering;
	int64_t full_since, retry_at; /* wall ms; monotonic ms */
	int backoff_ms;
	int64_t wrote_at; /* monotonic ms of the last commit that wrote, 0: none since
	                   * the WAL was last emptied */
	hub_ingest_stats stats;
};

hub_ingest *hub_ingest_create(hub_store *store, hub_loop *loop,
	const proto_registry *reg, const char *county, double rate, double burst)
{
	hub_ingest *in = calloc(1, sizeof *in);

	if (!in)
		return NULL;
	in->store = store;
	in->loop = loop;
	in->reg = reg;
	in->rate = rate, in->burst = burst;
	in->limit = hub_ratelimit_create(proto_registry_count(reg), rate, burst);
	if (!in->limit) {
		free(in);
		return NULL;
	}
	proto_copy(in->county, sizeof in->county, county);
	return in;
}

proto_err hub_ingest_set_registry(hub_ingest *in, const proto_registry *reg)
{
	/* The buckets are indexed by registry position, which a new registry
	 * changes: a reload starts every station with a full bucket. */
	hub_ratelimit *limit = hub_ratelimit_create(proto_registry_count(reg), in->rate,
		in->burst);

	if (!limit)
		return PROTO_ERR_NOMEM;
	hub_ratelimit_destroy(in->limit);
	in->limit = limit;
	in->reg = reg;
	return PROTO_OK;
}

static void drop_pending(hub_ingest *in)
{
	for (size_t i = 0; i < in->n_out; i++)
		free(in->out[i].json);
	in->n_out = 0;
}

static void drop_held(hub_ingest *in)
{
	for (size_t i = 0; i < in->n_held; i++)
		free(in->held[i].json);
	in->n_held = 0;
}

void hub_ingest_set_durable(hub_ingest *in, hub_durable *d)
{
	in->durable = d;
}

void hub_ingest_destroy(hub_ingest *in)
{
	if (!in)
		return;
	drop_pending(in);
	drop_held(in);
	free(in->out);
	free(in->held);
	hub_ratelimit_destroy(in->limit);
	free(in);
}

/* Queues json (taken), a receipt to station. */
static void queue_out(hub_ingest *in, const char *station, char *json)
{
	receipt_out *o;

	if (in->n_out == in->cap_out) {
		size_t cap = in->cap_out ? in->cap_out * 2 : 64;
		receipt_out *p = realloc(in->out, cap * sizeof *p);
		if (!p) {
			log_error("out of memory queueing a receipt");
			free(json);
			return;
		}
		in->out = p, in->cap_out = cap;
	}
	o = &in->out[in->n_out];
	if (!json || !proto_topic_for(o->topic, sizeof o->topic, station,
			     PROTO_MSG_RECEIPT)) {
		free(json);
		return;
	}
	o->json = json;
	in->n_out++;
}

/* The receipt to station for message ref. */
static proto_msg receipt_msg(const char *station, int64_t ref,
	proto_receipt_status status, proto_err err, const char *field,
	const char *item)
{
	proto_msg m = {.v = PROTO_VERSION, .type = PROTO_MSG_RECEIPT};

	proto_copy(m.station, sizeof m.station, station);
	m.ts = proto_now_ms();
	m.u.receipt.ref = ref;
	m.u.receipt.status = status;
	m.u.receipt.error = err;
	proto_copy(m.u.receipt.field, sizeof m.u.receipt.field, field ? field : "");
	proto_copy(m.u.receipt.item, sizeof m.u.receipt.item, item ? item : "");
	return m;
}

/* Queues a receipt to station for message ref. */
static void receipt(hub_ingest *in, const char *station, int64_t ref,
	proto_receipt_status status, proto_err err, const char *field,
	const char *item)
{
	proto_msg m = receipt_msg(station, ref, status, err, field, item);

	queue_out(in, station, proto_msg_encode(&m));
}

static void reject(hub_ingest *in, const char *station, int64_t ref, proto_err err,
	const char *field)
{
	in->stats.rejected++;
	log_warn("rejected message %lld from %s: %s%s%s", (long long)ref, station,
		proto_err_name(err), field && *field ? " " : "", field ? field : "");
	receipt(in, station, ref, PROTO_RECEIPT_REJECTED, err, field, NULL);
}

/* A message id to quote in a rejection when the payload is not even JSON
 * (or too large to parse): a bounded scan of its head for "id": <digits>. */
static int64_t salvage_id(const void *payload, size_t len)
{
	const char *p = payload, *end = p + (len < 4096 ? len : 4096);

	for (; p + 4 < end; p++) {
		int64_t v = 0;
		int digits = 0;

		if (memcmp(p, "\"id\"", 4) != 0)
			continue;
		for (p += 4; p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'); p++)
			;
		if (p == end || *p++ != ':')
			return 0;
		for (; p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'); p++)
			;
		for (; p < end && *p >= '0' && *p <= '9' && digits < 16; p++, digits++)
			v = v * 10 + (*p - '0');
		if (p < end && (*p == '.' || *p == 'e' || *p == 'E' ||
				(*p >= '0' && *p <= '9')))
			return 0; /* not a whole id: quote none rather than a wrong one */
		return digits && *(p - digits) != '0' ? v : 0;
	}
	return 0;
}

static bool is_suspect(const hub_ingest *in, const proto_msg *m)
{
	for (size_t i = 0; i < SUSPECTS; i++)
		if (in->suspects[i].id == m->id && strcmp(in->suspects[i].station,
			m->station) == 0)
			return true;
	return false;
}

/* Backoff of the recoveries while the disk is full: the first at once,
 * then doubling to RETRY_MAX_MS, so that the hub is back within about a
 * second of space returning and costs nothing meanwhile. */
#define RETRY_FIRST_MS 50
#define RETRY_MAX_MS 1000
/* Quiet this long (no commit that wrote), the WAL is emptied. */
#define QUIET_MS 3000

/* The disk is full: said loudly, once, and the core pauses (paused). */
static void enter_full(hub_ingest *in)
{
	if (in->full)
		return;
	in->full = true;
	in->full_since = proto_now_ms();
	in->retry_at = 0;
	in->backoff_ms = RETRY_FIRST_MS;
	in->stats.disk_full++;
	log_error("磁盘已满 the disk is full: the hub stores and receipts nothing "
		  "until there is room; stations keep their reports and resend");
	if (in->durable)
		hub_durable_set_full(in->durable, true, in->full_since);
}

/* Rolls the open batch back whole and drops its receipts: every station
 * sends its messages again. */
static void rollback(hub_ingest *in)
{
	hub_store_rollback(in->store);
	if (hub_store_take_full(in->store))
		enter_full(in);
	drop_pending(in);
	in->changes = -1;
	if (in->loop)
		hub_loop_notify_commit(in->loop, false);
}

/* A failure of ours (the disk, memory, a damaged row) while staging m has
 * left the batch half-written: it goes whole. Messages have no savepoints
 * of their own (store.h), which cost a copy of every page each touched;
 * m's resends get one (begin_message), so that a message that fails every
 * time costs only itself from then on. */
static void batch_lost(hub_ingest *in, const proto_msg *m)
{
	suspect *s = &in->suspects[in->next_suspect++ % SUSPECTS];

	log_error("message %lld from %s could not be stored; the batch is rolled "
		  "back and %zu receipts withheld, stations will resend",
		(long long)m->id, m->station, in->n_out);
	proto_copy(s->station, sizeof s->station, m->station);
	s->id = m->id;
	rollback(in);
}

/* Opens the batch for m; *alone when m failed before and is staged under
 * a savepoint of its own. */
static proto_err begin_message(hub_ingest *in, const proto_msg *m, bool *alone)
{
	*alone = is_suspect(in, m);
	if (hub_store_begin(in->store))
		return PROTO_ERR_IO;
	return *alone ? hub_store_savepoint(in->store) : PROTO_OK;
}

/* Ends m's staging: err is ours (PROTO_ERR_IO, PROTO_ERR_NOMEM) or none.
 * True when m's effects stay in the batch and it may be receipted. */
static bool end_message(hub_ingest *in, const proto_msg *m, bool alone, proto_err err)
{
	if (alone) {
		err = hub_store_release(in->store, err);
		if (err && !sqlite3_get_autocommit(hub_store_db(in->store))) {
			log_error("message %lld from %s failed again; only it is undone",
				(long long)m->id, m->station);
			return false;
		}
	}
	if (err)
		batch_lost(in, m);
	return !err;
}

/* A report's receipt carries its item's snapshot (PROTOCOL.md §5.4), made
 * in the batch: when it cannot be made, the report is undone and gets no
 * receipt, so that the station sends it again. */
static void handle_report(hub_ingest *in, const proto_msg *m)
{
	char item[PROTO_ITEM_ID_MAX], *json = NULL;
	bool dup = false, alone;
	proto_msg rc;
	proto_err err;

	/* Refused before anything is written (a registered station always
	 * routes; a policy that strands one must not poison every batch). */
	if (in->loop && !hub_loop_routable(in->loop, m)) {
		reject(in, m->station, m->id, PROTO_ERR_BAD_VALUE, "station");
		return;
	}
	if (begin_message(in, m, &alone))
		return; /* no receipt: the station resends */
	err = hub_store_stage_report(in->store, m, proto_now_ms(), &dup);
	if (err == PROTO_ERR_REPLAY) {
		end_message(in, m, alone, PROTO_OK); /* nothing was written */
		reject(in, m->station, m->id, err, "id");
		return;
	}
	proto_item_id(item, m->station, m->id);
	rc = receipt_msg(m->station, m->id,
		dup ? PROTO_RECEIPT_DUPLICATE : PROTO_RECEIPT_ACCEPTED, PROTO_OK, NULL,
		item);
	if (!err && !dup && in->loop)
		err = hub_loop_route(in->loop, m, hub_clock_now(), &rc, &json);
	else if (!err && in->loop)
		err = hub_loop_receipt(in->loop, &rc, &json);
	/* A duplicate's receipt only reads: nothing to undo. */
	if (!end_message(in, m, alone, dup ? PROTO_OK : err) || err) {
		free(json);
		return;
	}
	if (dup)
		in->stats.duplicates++;
	else
		in->stats.accepted++;
	queue_out(in, m->station, json ? json : proto_msg_encode(&rc));
}

static void handle_action(hub_ingest *in, const proto_msg *m)
{
	char field[PROTO_FIELD_MAX] = "";
	bool dup = false, alone;
	proto_err err;

	if (!in->loop) {
		reject(in, m->station, m->id, PROTO_ERR_UNKNOWN_TYPE, "type");
		return;
	}
	if (begin_message(in, m, &alone))
		return;
	err = hub_store_inbound(in->store, m, proto_now_ms(), &dup);
	if (!err && !dup) {
		/* Refused steps write nothing (loop.h); the mark is taken back. */
		err = hub_loop_apply(in->loop, m, hub_clock_now(), field);
		if (err && err != PROTO_ERR_NOMEM && err != PROTO_ERR_IO &&
		    hub_store_unmark(in->store, m))
			err = PROTO_ERR_IO;
	}
	/* Ours, not the station's: no receipt, it resends. */
	if (!end_message(in, m, alone, err == PROTO_ERR_NOMEM || err == PROTO_ERR_IO ?
			err : PROTO_OK))
		return;
	if (err) {
		/* A replay is the message's id, as for a report. */
		if (err == PROTO_ERR_REPLAY)
			snprintf(field, PROTO_FIELD_MAX, "id");
		reject(in, m->station, m->id, err, field);
		return;
	}
	in->stats.accepted += !dup;
	in->stats.duplicates += dup;
	receipt(in, m->station, m->id, dup ? PROTO_RECEIPT_DUPLICATE : PROTO_RECEIPT_ACCEPTED,
		PROTO_OK, NULL, m->u.action.item);
}

static void handle_status(hub_ingest *in, const proto_msg *m)
{
	in->stats.statuses++;
	if (hub_store_begin(in->store) == PROTO_OK &&
	    hub_store_status(in->store, m, proto_now_ms()) == PROTO_OK && in->loop &&
	    sqlite3_changes(hub_store_db(in->store)) > 0)
		hub_loop_notify(in->loop, HUB_CHANGE_STATION, m->station, NULL,
			m->u.status.online);
	/* Online (birth or heartbeat): what it has not receipted goes again. */
	if (m->u.status.online && in->n_redeliver < REDELIVER_MAX) {
		for (size_t i = 0; i < in->n_redeliver; i++)
			if (strcmp(in->redeliver[i], m->station) == 0)
				return;
		snprintf(in->redeliver[in->n_redeliver++], PROTO_CODE_MAX + 1, "%s",
			m->station);
	}
}

void hub_ingest_message(hub_ingest *in, const char *topic, const void *payload,
	size_t len)
{
	char field[PROTO_FIELD_MAX] = "";
	proto_topic t;
	proto_msg m;
	proto_err err;

	if (proto_topic_parse(topic, &t) || !t.up || strcmp(t.county, in->county)) {
		log_warn("ignored message on foreign topic");
		return;
	}
	if (t.type == PROTO_MSG_STATUS && len == 0)
		return; /* a retained status being cleared */
	const proto_station *st = proto_registry_find(in->reg, t.station);
	if (!st) {
		if (t.type != PROTO_MSG_STATUS)
			reject(in, t.station, salvage_id(payload, len),
				PROTO_ERR_UNKNOWN_STATION, "station");
		return;
	}
	/* Before any parsing: a flood costs the hub a lookup per message. */
	size_t index = proto_registry_index(in->reg, st);
	int64_t now = proto_mono_ms();
	/* A receipt answers the hub's own item message: its own bucket, so
	 * that a village handling its items never runs its reports dry, and
	 * no rate_limited receipt (it names no message of the station's). */
	if (t.type == PROTO_MSG_RECEIPT) {
		if (!hub_ratelimit_take_receipt(in->limit, index, now)) {
			in->stats.limited++;
			return;
		}
	} else if (!hub_ratelimit_take(in->limit, index, now)) {
		in->stats.limited++;
		if (hub_ratelimit_tell(in->limit, index, now)) {
			log_warn("station %s is over its rate; dropping its messages",
				t.station);
			receipt(in, t.station, salvage_id(payload, len),
				PROTO_RECEIPT_REJECTED, PROTO_ERR_RATE_LIMITED, NULL, NULL);
		}
		return;
	}
	err = proto_msg_decode(payload, len, &m, field);
	if (err == PROTO_ERR_NOMEM) {
		/* Passing trouble of ours, not the sender's fault: no receipt, so
		 * the station sends it again instead of marking it rejected. */
		log_error("out of memory decoding a message from %s", t.station);
		return;
	}
	if (err) {
		if (t.type != PROTO_MSG_STATUS)
			reject(in, t.station, m.id ? m.id : salvage_id(payload, len), err,
				field);
		else
			log_warn("bad status from %s: %s", t.station, proto_err_name(err));
		return;
	}
	if (strcmp(m.station, t.station) != 0) {
		reject(in, t.station, m.id, PROTO_ERR_WRONG_STATION, "station");
	} else if (m.type != t.type) {
		reject(in, t.station, m.id, PROTO_ERR_BAD_VALUE, "type");
	} else if (m.type == PROTO_MSG_REPORT) {
		handle_report(in, &m);
	} else if (m.type == PROTO_MSG_STATUS) {
		handle_status(in, &m);
	} else if (m.type == PROTO_MSG_ACTION) {
		handle_action(in, &m);
	} else if (m.type == PROTO_MSG_RECEIPT) {
		/* A station has stored an item message: never answered, so that
		 * receipts cannot ping-pong. */
		if (in->loop && m.u.receipt.ref > 0 && hub_store_begin(in->store) == PROTO_OK)
			hub_loop_delivered(in->loop, t.station, m.u.receipt.ref);
	} else {
		reject(in, t.station, m.id, PROTO_ERR_UNKNOWN_TYPE, "type");
	}
	proto_msg_clear(&m);
}

size_t hub_ingest_pending(const hub_ingest *in)
{
	return in->n_out;
}

/* Publishes n receipts, then the item messages on disk. */
static void publish(hub_ingest *in, proto_link *link, receipt_out *out, size_t n,
	int64_t upto)
{
	if (n)
		proto_link_cork(link, true);
	for (size_t i = 0; i < n; i++)
		proto_link_publish(link, out[i].topic, out[i].json, strlen(out[i].json), 1,
			false, NULL);
	if (in->loop) {
		for (size_t i = 0; i < in->n_redeliver; i++)
			hub_loop_deliver(in->loop, link, in->redeliver[i], upto);
		in->n_redeliver = 0;
		hub_loop_deliver(in->loop, link, NULL, upto);
	}
	if (n)
		proto_link_cork(link, false);
}

proto_err hub_ingest_flush(hub_ingest *in, proto_link *link)
{
	proto_err err = PROTO_OK;
	bool committed = false;

	/* One sync at a time: what is staged meanwhile is the next commit. */
	if (in->syncing)
		return PROTO_OK;
	if (hub_store_in_batch(in->store)) {
		/* Weather is derived: its failure must not hold back receipts. */
		if (in->loop && hub_loop_weather_flush(in->loop, hub_clock_now(), false))
			log_error("weather not updated; it will be at the next change");
		if (in->loop && hub_loop_before_commit(in->loop)) {
			err = PROTO_ERR_IO;
		} else {
			err = hub_store_commit(in->store);
			in->stats.batches++;
		}
		/* A batch that changed nothing (a quiet tick, duplicates only)
		 * has nothing to sync: what it answers from is on disk. After a
		 * failure the count is no guide (SQLite may have dropped the
		 * batch and committed what came after on its own): rollback
		 * forgets it, and the next commit syncs whatever it holds. */
		int64_t changes = sqlite3_total_changes64(hub_store_db(in->store));
		committed = !err && changes != in->changes;
		in->changes = changes;
		if (committed)
			in->wrote_at = proto_mono_ms();
	}
	if (err) {
		log_error("commit failed; %zu receipts withheld, stations will resend",
			in->n_out);
		rollback(in);
		return err;
	}
	if (in->loop)
		hub_loop_notify_commit(in->loop, true);
	if (!in->durable || !committed) {
		/* Synced by the commit itself, or nothing new to sync. */
		if (in->loop)
			hub_loop_notify_durable(in->loop, true);
		publish(in, link, in->out, in->n_out, INT64_MAX);
		drop_pending(in);
		return PROTO_OK;
	}
	/* Held until the disk has it; the next batch fills the other array. */
	receipt_out *t = in->held;
	size_t cap = in->cap_held;
	in->held = in->out, in->cap_held = in->cap_out, in->n_held = in->n_out;
	in->out = t, in->cap_out = cap, in->n_out = 0;
	in->held_down_id = in->loop ? hub_loop_last_down_id(in->loop) : 0;
	in->syncing = true;
	in->paused = hub_durable_request(in->durable);
	return PROTO_OK;
}

bool hub_ingest_syncing(const hub_ingest *in)
{
	return in->syncing;
}

bool hub_ingest_paused(const hub_ingest *in)
{
	return in->paused || in->full;
}

bool hub_ingest_full(const hub_ingest *in)
{
	return in->full;
}

int hub_ingest_tend(hub_ingest *in, int64_t mono)
{
	if (!in->durable || in->syncing || hub_store_in_batch(in->store))
		return -1;
	if (in->full) {
		if (mono < in->retry_at)
			return (int)(in->retry_at - mono);
		in->syncing = in->paused = in->recovering = true;
		hub_durable_ask(in->durable, HUB_DURABLE_RECOVER);
		return -1;
	}
	if (!in->wrote_at)
		return -1;
	if (mono - in->wrote_at < QUIET_MS)
		return (int)(in->wrote_at + QUIET_MS - mono);
	in->wrote_at = 0;
	if (hub_durable_ask(in->durable, HUB_DURABLE_TRUNCATE))
		in->syncing = in->paused = true;
	return -1;
}

proto_err hub_ingest_synced(hub_ingest *in, proto_link *link, bool wait)
{
	bool synced;
	proto_err err;

	if (!in->syncing)
		return PROTO_OK;
	err = hub_durable_take(in->durable, wait, &synced);
	if (!synced)
		return PROTO_OK;
	in->syncing = false;
	in->paused = false;
	if (in->recovering && !err) {
		in->recovering = false;
		if (hub_durable_noroom(in->durable)) {
			/* Still full: nothing staged meanwhile, nothing to answer. */
			in->retry_at = proto_mono_ms() + in->backoff_ms;
			in->backoff_ms = in->backoff_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS :
				in->backoff_ms * 2;
			return PROTO_OK;
		}
		in->full = false;
		hub_durable_set_full(in->durable, false, 0);
		log_warn("磁盘空间已恢复 the disk has room again after %.1f s full; the hub "
			 "goes on", (double)(proto_now_ms() - in->full_since) / 1000.0);
	}
	in->recovering = false;
	if (in->loop)
		hub_loop_notify_durable(in->loop, err == PROTO_OK);
	if (err) {
		log_error("the disk failed to sync a commit; %zu receipts withheld",
			in->n_held);
		drop_held(in);
		return err;
	}
	publish(in, link, in->held, in->n_held, in->held_down_id);
	drop_held(in);
	return PROTO_OK;
}

const hub_ingest_stats *hub_ingest_get_stats(const hub_ingest *in)
{
	return &in->stats;
}
