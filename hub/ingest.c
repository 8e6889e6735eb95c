/* Inbound validation and the rules each message meets before it is staged:
 * a retained one cleared, the sender's rate, its registration, its
 * payload. Trust comes from the topic: the broker's ACL lets a station
 * write only under its own code, so the topic names the sender, and a
 * payload naming any other station is refused. What is accepted is staged
 * in the store's open batch and its receipt queued with hub/group-commit.c,
 * which publishes it only once the batch is on disk. Log lines carry codes,
 * ids and error names, never the text or the people in a report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "hub/ingest.h"
#include "hub/clock.h"
#include "hub/group-commit.h"
#include "hub/workflow.h"
#include "hub/ratelimit.h"
#include "protocol/clock.h"
#include "protocol/db.h"
#include "protocol/log.h"
#include "protocol/str.h"
#include "protocol/topic.h"

/* Messages whose staging failed on our side, remembered (the latest so
 * many) so that their resends are staged alone under a savepoint. */
#define SUSPECTS 16

typedef struct suspect {
	char station[PROTO_CODE_MAX + 1];
	int64_t id;
} suspect;

struct hub_ingest {
	hub_store *store;
	hub_workflow *workflow;
	hub_group_commit *commit;
	const proto_registry *reg;
	hub_ratelimit *limit;
	suspect suspects[SUSPECTS];
	size_t next_suspect;
	double rate, burst;
	char county[PROTO_CODE_MAX + 1];
	int64_t cleared_said;  /* monotonic ms of the last "cleared" warning */
	int64_t cleared_quiet; /* clearings since then, not logged one by one */
	hub_ingest_stats stats;
};

hub_ingest *hub_ingest_create(hub_store *store, hub_workflow *workflow,
	hub_group_commit *commit, const proto_registry *reg, const char *county,
	double rate, double burst)
{
	hub_ingest *in = calloc(1, sizeof *in);

	if (!in)
		return NULL;
	in->store = store;
	in->workflow = workflow;
	in->commit = commit;
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

void hub_ingest_destroy(hub_ingest *in)
{
	if (!in)
		return;
	hub_ratelimit_destroy(in->limit);
	free(in);
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

	hub_group_commit_receipt(in->commit, station, proto_msg_encode(&m));
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
		(long long)m->id, m->station, hub_group_commit_pending(in->commit));
	proto_copy(s->station, sizeof s->station, m->station);
	s->id = m->id;
	hub_group_commit_rollback(in->commit);
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
	if (in->workflow && !hub_workflow_routable(in->workflow, m)) {
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
	if (!err && !dup && in->workflow)
		err = hub_workflow_route(in->workflow, m, hub_clock_now(), &rc, &json);
	else if (!err && in->workflow)
		err = hub_workflow_receipt(in->workflow, &rc, &json);
	/* A duplicate's receipt only reads: nothing to undo. */
	if (!end_message(in, m, alone, dup ? PROTO_OK : err) || err) {
		free(json);
		return;
	}
	if (dup)
		in->stats.duplicates++;
	else
		in->stats.accepted++;
	hub_group_commit_receipt(in->commit, m->station, json ? json : proto_msg_encode(&rc));
}

static void handle_action(hub_ingest *in, const proto_msg *m)
{
	char field[PROTO_FIELD_MAX] = "";
	bool dup = false, alone;
	proto_err err;

	if (!in->workflow) {
		reject(in, m->station, m->id, PROTO_ERR_UNKNOWN_TYPE, "type");
		return;
	}
	if (begin_message(in, m, &alone))
		return;
	err = hub_store_inbound(in->store, m, proto_now_ms(), &dup);
	if (!err && !dup) {
		/* Refused steps write nothing (workflow.h); the mark is taken back. */
		err = hub_workflow_apply(in->workflow, m, hub_clock_now(), field);
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
	    hub_store_status(in->store, m, proto_now_ms()) == PROTO_OK && in->workflow &&
	    sqlite3_changes(hub_store_db(in->store)) > 0)
		hub_workflow_notify(in->workflow, HUB_CHANGE_STATION, m->station, NULL,
			m->u.status.online);
	/* Online (birth or heartbeat): what it has not receipted goes again. */
	if (m->u.status.online)
		hub_group_commit_redeliver(in->commit, m->station);
}

/* Only statuses stay retained (PROTOCOL.md §2). mosquitto's ACL cannot
 * refuse a retained publish alone, so a station may park up to
 * max_packet_size on its report, action or receipt topic, delivered again
 * to every new subscriber: the hub, whose link keeps the retain flag as
 * published (MQTT 5), removes it with an empty retained publish, then
 * handles the message as any other. An empty one is itself a removal.
 * Before the rate limit: what is dropped over it would stay parked. */
static void clear_retained(hub_ingest *in, proto_link *link, const char *topic,
	const proto_topic *t, size_t len)
{
	if (len == 0 || t->type == PROTO_MSG_STATUS)
		return;
	int rc = proto_link_publish(link, topic, NULL, 0, 1, true, NULL);
	/* Its warning has its own limit, then: one a second. */
	int64_t now = proto_mono_ms();
	if (in->cleared_said && now - in->cleared_said < 1000) {
		in->cleared_quiet++;
		return;
	}
	log_warn("station %s left a retained %s (%zu bytes) at the broker; %s "
		"(%lld more cleared since the last such warning)", t->station,
		proto_msg_type_name(t->type), len, rc ? "cannot clear it" : "cleared",
		(long long)in->cleared_quiet);
	in->cleared_said = now;
	in->cleared_quiet = 0;
}

void hub_ingest_message(hub_ingest *in, proto_link *link, const char *topic,
	const void *payload, size_t len, bool retained)
{
	char field[PROTO_FIELD_MAX] = "";
	proto_topic t;
	proto_msg m;
	proto_err err;

	if (proto_topic_parse(topic, &t) || !t.up || strcmp(t.county, in->county)) {
		log_warn("ignored message on foreign topic");
		return;
	}
	if (retained)
		clear_retained(in, link, topic, &t, len);
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
		if (in->workflow && m.u.receipt.ref > 0 && hub_store_begin(in->store) == PROTO_OK)
			hub_workflow_delivered(in->workflow, t.station, m.u.receipt.ref);
	} else {
		reject(in, t.station, m.id, PROTO_ERR_UNKNOWN_TYPE, "type");
	}
	proto_msg_clear(&m);
}

const hub_ingest_stats *hub_ingest_get_stats(const hub_ingest *in)
{
	return &in->stats;
}
