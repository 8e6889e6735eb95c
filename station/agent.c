/* The agent: the station's outbox drained by protocol/drain.c, and what a
 * station says and answers. Invariants: a message leaves the outbox only
 * when a receipt for it is committed to the store; at most `window` messages
 * are in libmosquitto's hands at once (its queue is in memory and unbounded,
 * its message ids 16-bit); after any reconnect, or when the hub comes back
 * with a new session, everything not receipted is sent again from the
 * oldest, and the hub's idempotent store turns the repeats into "duplicate"
 * receipts (the drain engine's rules; here is only its queue, the outbox).
 * The other way round, the station receipts every item the hub delivers,
 * but only once the item is committed to its inbox: receipts wait in
 * `answers` for the commit that ends the batch they were stored in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mosquitto.h>

#include "protocol/clock.h"
#include "protocol/log.h"
#include "protocol/topic.h"
#include "protocol/drain.h"
#include "station/agent.h"
#include "version.h"

/* The clerk's client shows the time of the last contact with the hub to the
 * minute: writing it more often than this would only cost fsyncs. */
#define CONTACT_EVERY_MS 30000

/* A receipt for an item message, held until its item is committed. */
typedef struct answer {
	int64_t ref;                  /* the item message's id */
	bool newer;                   /* accepted; else duplicate */
	char item[PROTO_ITEM_ID_MAX];
} answer;

struct station_agent {
	station_store *store;
	proto_link *link;
	station_agent_opts opts;
	proto_drain *drain;    /* the window in flight, its timing and pace */
	int64_t session;       /* of the current or next connection */
	int64_t next_heartbeat;
	bool dirty;            /* a batch (receipts, items) is open */
	answer *answers;       /* item receipts waiting for that commit */
	int n_answers, cap_answers;
	char topic_status[PROTO_TOPIC_MAX];
	char topic_hub[PROTO_TOPIC_MAX];
	char filter_down[PROTO_TOPIC_MAX];
	char topic_up[PROTO_MSG__COUNT][PROTO_TOPIC_MAX];
	char topic_receipt[PROTO_TOPIC_MAX]; /* our receipts for items (up) */
	bool connected;        /* to the broker, as the link callbacks said */
	bool hub_down;         /* the hub's last status said offline */
	station_link_state link_state; /* as last recorded in the store */
	int64_t contact_at;    /* monotonic ms the contact time was last recorded */
};

static char *status_json(station_agent *a, bool online)
{
	proto_msg m = {.v = PROTO_VERSION, .type = PROTO_MSG_STATUS};

	snprintf(m.station, sizeof m.station, "%s", station_store_code(a->store));
	m.ts = proto_now_ms();
	m.u.status.online = online;
	m.u.status.session = a->session;
	m.u.status.outbox = online ? station_store_depth(a->store) : -1;
	m.u.status.settled = online ? station_store_settled(a->store) : 0;
	m.u.status.agent = "minqing-station/" MINQING_VERSION;
	return proto_msg_encode(&m);
}

static void publish_status(station_agent *a, bool online)
{
	char *json = status_json(a, online);

	if (json)
		proto_link_publish(a->link, a->topic_status, json, strlen(json), 1, true,
			NULL);
	free(json);
}

/* Publishes the receipts of the items stored in the batch just committed.
 * QoS 1 but not kept: if they are lost, the hub sends the items again and
 * they are answered again, as duplicates. */
static void send_answers(station_agent *a)
{
	const char *code = station_store_code(a->store);

	for (int i = 0; i < a->n_answers; i++) {
		proto_msg m = {.v = PROTO_VERSION, .type = PROTO_MSG_RECEIPT};
		char *json;

		snprintf(m.station, sizeof m.station, "%s", code);
		m.ts = proto_now_ms();
		m.u.receipt.ref = a->answers[i].ref;
		m.u.receipt.status = a->answers[i].newer ? PROTO_RECEIPT_ACCEPTED
							 : PROTO_RECEIPT_DUPLICATE;
		snprintf(m.u.receipt.item, sizeof m.u.receipt.item, "%s",
			a->answers[i].item);
		json = proto_msg_encode(&m);
		if (!json || !a->link ||
		    proto_link_publish(a->link, a->topic_receipt, json, strlen(json), 1,
			    false, NULL))
			log_debug("receipt for item %s not sent; the hub will resend it",
				a->answers[i].item);
		free(json);
	}
	a->n_answers = 0;
}

/* Ends the open batch. Receipts for items go out only after their commit;
 * when it fails they are dropped, and the hub's resend brings the items
 * back to be stored again. */
static void commit(station_agent *a)
{
	if (!a->dirty)
		return;
	a->dirty = false;
	if (station_store_commit(a->store)) {
		log_error("cannot commit; receipts will be applied again and items "
			  "stored when the hub resends them");
		a->n_answers = 0;
		return;
	}
	send_answers(a);
}

/* Opens the batch that the next commit() ends. */
static bool batch(station_agent *a)
{
	if (a->dirty)
		return true;
	if (station_store_begin(a->store))
		return false;
	a->dirty = true;
	return true;
}

/* ------------------------------------------------------------ link events */

/* Records the link's state for the clerk's client when it changed, and the
 * time of contact with the hub when it is up: at once with force, else at
 * most every CONTACT_EVERY_MS. A failed write is retried at the next call. */
static void note_link(station_agent *a, bool force)
{
	station_link_state state = !a->connected ? STATION_LINK_DOWN
				 : a->hub_down   ? STATION_LINK_HUB_OFFLINE
						 : STATION_LINK_UP;
	int64_t mono = proto_mono_ms();
	bool contact = state == STATION_LINK_UP &&
		       (force || !a->contact_at || mono - a->contact_at >= CONTACT_EVERY_MS);

	if (state == a->link_state && !contact)
		return;
	if (station_store_set_link(a->store, state, contact ? proto_now_ms() : 0))
		return;
	a->link_state = state;
	if (contact)
		a->contact_at = mono;
}

static void on_connecting(void *ud, proto_link *link)
{
	station_agent *a = ud;
	int64_t now = proto_now_ms();
	char *will;

	/* A new session per attempt: a late will of an old connection carries
	 * an older session and cannot mark the live station offline. */
	int64_t next = station_store_next_session(a->store);
	a->session = next ? next : (now > a->session ? now : a->session + 1);
	will = status_json(a, false);
	if (will)
		proto_link_set_will(link, a->topic_status, will, true);
	free(will);
}

static void on_connected(void *ud, proto_link *link)
{
	station_agent *a = ud;

	log_info("connected to broker (session %lld)", (long long)a->session);
	a->connected = true;
	note_link(a, true);
	proto_link_subscribe(link, a->filter_down);
	proto_link_subscribe(link, a->topic_hub);
	publish_status(a, true);
	a->next_heartbeat = proto_mono_ms() + a->opts.heartbeat_ms;
	proto_drain_restart(a->drain); /* resend everything not yet receipted */
}

static void on_disconnected(void *ud, proto_link *link)
{
	station_agent *a = ud;
	log_info("disconnected from broker; %d messages awaiting receipt",
		proto_drain_inflight(a->drain));
	proto_drain_restart(a->drain);
	a->connected = false;
	note_link(a, false);
}

/* A report's receipt with its item's snapshot (PROTOCOL.md §5.4): stored as
 * an item message with that body would be, in the same batch as the
 * receipt; the highest seq wins whichever came first. Not answered: the hub
 * keeps no copy of it to deliver. */
static void take_snapshot(station_agent *a, const proto_msg *m)
{
	/* The report's id stands for the item message that never came. */
	proto_msg im = {.v = PROTO_VERSION, .type = PROTO_MSG_ITEM,
			.id = m->u.receipt.ref, .ts = m->ts, .u.item = *m->u.receipt.snapshot};
	const proto_item *it = &im.u.item;
	bool newer = false;
	char *json;

	snprintf(im.station, sizeof im.station, "%s", station_store_code(a->store));
	json = proto_msg_encode(&im);
	if (!json || station_store_item(a->store, &im, json, strlen(json), &newer))
		log_error("item %s of a receipt not stored; its next change will be",
			it->item);
	else
		log_info("item %s seq %lld (%s, in a receipt)%s", it->item,
			(long long)it->seq, it->event ? it->event : "-",
			newer ? "" : ": already known");
	free(json);
}

static void handle_receipt(station_agent *a, const proto_msg *m)
{
	const proto_receipt *rc = &m->u.receipt;

	/* Before the ref check: a limited status message has no ref. */
	if (rc->status == PROTO_RECEIPT_REJECTED && rc->error == PROTO_ERR_RATE_LIMITED) {
		/* Transient: keep everything queued, send again after a pause. */
		log_warn("hub says we send too fast; pausing");
		proto_drain_limited(a->drain, proto_mono_ms());
		return;
	}
	if (rc->ref <= 0) {
		log_warn("hub rejected a message it could not read: %s",
			proto_err_name(rc->error));
		return;
	}
	if (rc->status == PROTO_RECEIPT_REJECTED)
		log_warn("hub rejected message %lld: %s (%s)", (long long)rc->ref,
			proto_err_name(rc->error), rc->field);
	if (!batch(a))
		return; /* not forgotten: the receipt will come again */
	note_link(a, false);
	if (station_store_receipt(a->store, rc) == PROTO_OK) {
		proto_drain_receipt(a->drain, rc->ref);
		if (rc->snapshot && rc->status != PROTO_RECEIPT_REJECTED)
			take_snapshot(a, m);
	}
}

/* A hub status delivered live (not the retained copy sent on subscribe)
 * with a new session is a hub birth: the hub may have missed what we sent
 * before it subscribed, or lost what it had not committed, so the window is
 * sent again. A retained copy is old news; our own connect already resends. */
static void handle_hub(station_agent *a, const proto_msg *m, bool retained)
{
	int inflight = proto_drain_inflight(a->drain);

	a->hub_down = !m->u.status.online;
	note_link(a, true);
	if (!m->u.status.online) {
		log_info("hub is offline");
		return;
	}
	if (proto_drain_birth(a->drain, m->u.status.session, retained) && inflight)
		log_info("hub (re)started; resending %d unreceipted messages", inflight);
}

static bool remember(station_agent *a, const proto_msg *m, bool newer)
{
	if (a->n_answers == a->cap_answers) {
		int cap = a->cap_answers ? 2 * a->cap_answers : 16;
		answer *grown = realloc(a->answers, (size_t)cap * sizeof *grown);
		if (!grown)
			return false;
		a->answers = grown;
		a->cap_answers = cap;
	}
	a->answers[a->n_answers++] = (answer){.ref = m->id, .newer = newer};
	/* A member message's receipt names no item (PROTOCOL.md §5.7). */
	snprintf(a->answers[a->n_answers - 1].item, PROTO_ITEM_ID_MAX, "%s",
		m->type == PROTO_MSG_ITEM ? m->u.item.item : "");
	return true;
}

/* An item snapshot for our inbox. Only its id, seq and event are logged:
 * title, text, notes and the resident's data stay out of logs. */
static void handle_item(station_agent *a, const proto_msg *m,
	const struct mosquitto_message *msg)
{
	const proto_item *it = &m->u.item;
	bool newer = false;

	if (strcmp(m->station, station_store_code(a->store)) != 0) {
		log_warn("ignoring item %s addressed to station %s", it->item, m->station);
		return;
	}
	/* Without a batch or without room for the receipt the item is not
	 * answered, and the hub sends it again. */
	if (!batch(a) || station_store_item(a->store, m,
				 (const char *)msg->payload, (size_t)msg->payloadlen, &newer))
		return;
	note_link(a, false);
	if (!remember(a, m, newer)) {
		log_error("out of memory; item %s will be answered when resent", it->item);
		return;
	}
	log_info("item %s seq %lld (%s)%s", it->item, (long long)it->seq,
		it->event ? it->event : "-", newer ? "" : ": already known");
}

/* A member of our service team, or one who left it; answered as an item
 * message is, once committed. The name stays out of the log. */
static void handle_member(station_agent *a, const proto_msg *m)
{
	const proto_member *mb = &m->u.member;
	bool newer = false;

	if (strcmp(m->station, station_store_code(a->store)) != 0) {
		log_warn("ignoring a team member addressed to station %s", m->station);
		return;
	}
	if (!batch(a) || station_store_member(a->store, m, &newer))
		return;
	note_link(a, false);
	if (!remember(a, m, newer)) {
		log_error("out of memory; member %s will be answered when resent", mb->member);
		return;
	}
	log_info("team member %s at %s%s%s", mb->member, mb->unit, mb->gone ? " (gone)" : "",
		newer ? "" : ": already known");
}

static void on_message(void *ud, proto_link *link, const struct mosquitto_message *msg)
{
	station_agent *a = ud;
	char field[PROTO_FIELD_MAX];
	proto_topic t;
	proto_msg m;
	proto_err err;

	if (proto_topic_parse(msg->topic, &t) != PROTO_OK)
		return;
	err = proto_msg_decode(msg->payload, (size_t)msg->payloadlen, &m, field);
	if (err) {
		log_warn("unreadable message on %s: %s %s", msg->topic,
			proto_err_name(err), field);
		return;
	}
	if (m.type == PROTO_MSG_HUB && t.type == PROTO_MSG_HUB)
		handle_hub(a, &m, msg->retain);
	else if (m.type == PROTO_MSG_RECEIPT && t.type == PROTO_MSG_RECEIPT &&
		 strcmp(m.station, station_store_code(a->store)) == 0)
		handle_receipt(a, &m);
	else if (m.type == PROTO_MSG_ITEM && t.type == PROTO_MSG_ITEM && !t.up)
		handle_item(a, &m, msg);
	else if (m.type == PROTO_MSG_MEMBER && t.type == PROTO_MSG_MEMBER && !t.up)
		handle_member(a, &m);
	proto_msg_clear(&m);
}

static const proto_link_cbs link_cbs = {
	.connecting = on_connecting,
	.connected = on_connected,
	.disconnected = on_disconnected,
	.message = on_message,
};

const proto_link_cbs *station_agent_link_cbs(void)
{
	return &link_cbs;
}

/* ------------------------------------------------------------ draining */

/* The outbox as the drain engine's queue. */
typedef struct offer_ctx {
	station_agent *a;
	proto_drain_offer_fn offer;
	proto_drain *d;
} offer_ctx;

static int offer_entry(void *ud, const station_entry *e)
{
	offer_ctx *c = ud;
	int type = proto_msg_type_parse(e->type);

	if (type < 0 || !c->a->topic_up[type][0])
		return 0; /* a type this agent cannot send: left out */
	return c->offer(c->d, e->id, e);
}

/* Reads the queued rows in the open batch, where the publishes' attempts
 * are counted. */
static int outbox_each(void *ud, int64_t after, int limit, proto_drain_offer_fn offer,
	proto_drain *d)
{
	station_agent *a = ud;
	offer_ctx c = {.a = a, .offer = offer, .d = d};

	if (!batch(a))
		return -1;
	station_store_queued(a->store, after, limit, offer_entry, &c);
	return 0;
}

static int outbox_send(void *ud, int64_t id, const void *msg, int64_t now)
{
	station_agent *a = ud;
	const station_entry *e = msg;
	int type = proto_msg_type_parse(e->type);

	(void)now;
	if (proto_link_publish(a->link, a->topic_up[type], e->payload,
		    strlen(e->payload), 1, false, NULL))
		return -1; /* link gone: stop, the reconnect will resend */
	station_store_attempted(a->store, id);
	return 0;
}

/* Sends again what is late, then the outbox's head up to the window. */
static void fill(station_agent *a, int64_t now)
{
	int late = proto_drain_timeout(a->drain, now);
	int sent;

	if (late)
		log_info("no receipt for %d messages; resending", late);
	sent = proto_drain_fill(a->drain, now);
	if (sent > 0)
		log_debug("published %d messages", sent);
}

int station_agent_tick(station_agent *a, int64_t now)
{
	int wait = 5000;

	if (proto_link_connected(a->link)) {
		int64_t due;

		fill(a, now);
		if (now >= a->next_heartbeat) {
			note_link(a, false);
			commit(a);
			publish_status(a, true);
			a->next_heartbeat = now + a->opts.heartbeat_ms;
		}
		/* With messages in flight, their receipt timeout (or a sooner
		 * token or the pause's end) sets the wait, else at most 5 s. */
		due = proto_drain_due(a->drain, now);
		if (proto_drain_inflight(a->drain) || due - now < wait)
			wait = (int)(due - now);
		if (a->next_heartbeat - now < wait)
			wait = (int)(a->next_heartbeat - now);
	}
	commit(a);
	return wait < 0 ? 0 : wait;
}

/* ------------------------------------------------------------ lifecycle */

station_agent *station_agent_create(station_store *store,
	const station_agent_opts *opts)
{
	station_agent *a = calloc(1, sizeof *a);
	const char *code = station_store_code(store);

	if (!a)
		return NULL;
	a->store = store;
	a->opts = *opts;
	a->drain = proto_drain_create(&(proto_drain_opts){
		.window = opts->window, .resend_ms = opts->resend_ms,
		.rate = opts->rate, .burst = opts->burst,
	}, &(proto_drain_queue){.each = outbox_each, .send = outbox_send, .ud = a});
	if (!a->drain)
		goto fail;
	for (int t = 0; t < PROTO_MSG__COUNT; t++)
		if (t == PROTO_MSG_REPORT || t == PROTO_MSG_ACTION)
			proto_topic_for(a->topic_up[t], PROTO_TOPIC_MAX, code,
				(proto_msg_type)t);
	if (!proto_topic_for(a->topic_status, sizeof a->topic_status, code,
		    PROTO_MSG_STATUS) ||
	    !proto_topic_for(a->topic_hub, sizeof a->topic_hub, code, PROTO_MSG_HUB) ||
	    !proto_topic_station_filter(a->filter_down, sizeof a->filter_down, code) ||
	    !proto_topic_up_for(a->topic_receipt, sizeof a->topic_receipt, code,
		    PROTO_MSG_RECEIPT))
		goto fail;
	return a;
fail:
	station_agent_destroy(a);
	return NULL;
}

void station_agent_attach(station_agent *a, proto_link *link)
{
	a->link = link;
	note_link(a, false); /* down until connected, whatever a crash left */
}

void station_agent_stop(station_agent *a)
{
	commit(a);
	a->connected = false;
	note_link(a, false);
	if (a->link && proto_link_connected(a->link))
		publish_status(a, false);
	if (a->link)
		proto_link_disconnect(a->link);
}

void station_agent_destroy(station_agent *a)
{
	if (!a)
		return;
	proto_drain_destroy(a->drain);
	free(a->answers);
	free(a);
}
