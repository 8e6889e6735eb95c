/* One simulated station: minqing-station's drain (protocol/drain.c, the
 * engine station/agent.c runs too) on an in-memory outbox, its status, birth
 * and will, its receipts (and answers to items), and its faults: cutting its
 * own link, replaying all it sent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <mosquitto.h>

#include "bench/fleet.h"
#include "protocol/clock.h"
#include "protocol/log.h"
#include "protocol/topic.h"
#include "version.h"

#define STALL_RETRY_MS 100 /* a publish failed while connected */

/* A report stays queued until its receipt; the drain engine keeps the head
 * of the queue, at most `window`, in flight; after a reconnect, a live hub
 * birth, a late receipt or "rate_limited" the flight is sent again from the
 * oldest, and the hub's idempotent store answers the repeats with
 * "duplicate". */

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static bool grow(uint32_t **v, uint32_t n, uint32_t *cap)
{
	if (n < *cap)
		return true;
	uint32_t c = *cap ? *cap * 2 : 8;
	uint32_t *p = realloc(*v, c * sizeof *p);
	if (!p)
		return false;
	*v = p, *cap = c;
	return true;
}

/* Every id below it has a receipt, as the agent's store reports it. */
static int64_t settled(const fleet_station *s)
{
	if (s->n_queue)
		return s->f->msgs[s->queue[0]].id;
	return s->last_id ? s->last_id + 1 : 0;
}

static char *status_json(const fleet_station *s, bool online)
{
	proto_msg m = {.v = PROTO_VERSION, .type = PROTO_MSG_STATUS};

	snprintf(m.station, sizeof m.station, "%s", s->reg->code);
	m.ts = proto_now_ms();
	m.u.status.online = online;
	m.u.status.session = s->session;
	m.u.status.outbox = online ? (int64_t)s->n_queue : -1;
	m.u.status.settled = online ? settled(s) : 0;
	m.u.status.agent = "minqing-fleet/" MINQING_VERSION;
	return proto_msg_encode(&m);
}

static void publish_status(fleet_station *s, bool online)
{
	char topic[PROTO_TOPIC_MAX], *json = status_json(s, online);

	if (json && proto_topic_for(topic, sizeof topic, s->reg->code, PROTO_MSG_STATUS))
		proto_link_publish(s->link, topic, json, strlen(json), 1, true, NULL);
	free(json);
}

/* ------------------------------------------------------------ link events */

static void on_connecting(void *ud, proto_link *link)
{
	fleet_station *s = ud;
	int64_t now = proto_now_ms();
	char topic[PROTO_TOPIC_MAX], *will;

	/* A new session per attempt, so that a late will of an old connection
	 * cannot mark the live station offline at the hub. */
	s->session = now > s->session ? now : s->session + 1;
	will = status_json(s, false);
	if (will && proto_topic_for(topic, sizeof topic, s->reg->code, PROTO_MSG_STATUS))
		proto_link_set_will(link, topic, will, true);
	free(will);
}

static void on_connected(void *ud, proto_link *link)
{
	fleet_station *s = ud;
	fleet *f = s->f;
	char down[PROTO_TOPIC_MAX], hub[PROTO_TOPIC_MAX];
	int64_t now = proto_mono_ms();

	if (proto_topic_station_filter(down, sizeof down, s->reg->code))
		proto_link_subscribe(link, down);
	if (proto_topic_for(hub, sizeof hub, s->reg->code, PROTO_MSG_HUB))
		proto_link_subscribe(link, hub);
	s->connected = true;
	publish_status(s, true);
	s->next_heartbeat = now + f->o.heartbeat_ms;
	proto_drain_restart(s->drain); /* resend everything not yet receipted */
	s->replay = 0;
	if (++f->n_connected == f->n_st && !f->all_connected)
		f->all_connected = now;
}

static void on_disconnected(void *ud, proto_link *link)
{
	fleet_station *s = ud;

	s->connected = false;
	proto_drain_restart(s->drain);
	s->f->n_connected--;
}

/* The report of this station with this id, by bisection of `all`. */
static fleet_msg *find(const fleet_station *s, int64_t id)
{
	uint32_t lo = 0, hi = s->n_all;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		fleet_msg *m = &s->f->msgs[s->all[mid]];
		if (m->id == id)
			return m;
		if (m->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* A receipt for a report no longer queued: the answer to a later copy (a
 * resend, a replay), or a copy of a receipt already applied, which QoS 1
 * redelivers after a reconnect. Only a second "accepted" issued at another
 * time means that the hub stored the report twice. Refs of an earlier run on
 * the same persistent session match nothing. */
static void late_receipt(fleet_station *s, const proto_receipt *rc, int64_t ts)
{
	fleet *f = s->f;
	fleet_msg *m = find(s, rc->ref);

	if (!m || rc->status == PROTO_RECEIPT_REJECTED) {
		f->c.unmatched++;
		if (m)
			log_warn("station %s: receipted report %lld later rejected: %s",
				s->reg->code, (long long)rc->ref, proto_err_name(rc->error));
		return;
	}
	/* The status first: a duplicate's receipt that carries the item's
	 * snapshot has the time of the item's last event, which may be that of
	 * the first receipt (PROTOCOL.md §5.4). */
	if (rc->status == PROTO_RECEIPT_DUPLICATE) {
		f->c.duplicates++;
	} else if (ts == m->receipt) {
		f->c.repeats++;
	} else {
		f->c.reaccepted++;
		log_error("station %s: report %lld accepted again", s->reg->code,
			(long long)rc->ref);
	}
}

static int queue_action(fleet_station *s, const proto_item *it);

static void handle_receipt(fleet_station *s, const proto_receipt *rc, int64_t ts)
{
	fleet *f = s->f;
	int64_t now = proto_mono_ms();
	uint32_t i;

	/* Before the ref check: a limited status message has no ref. */
	if (rc->status == PROTO_RECEIPT_REJECTED && rc->error == PROTO_ERR_RATE_LIMITED) {
		/* Transient: keep everything queued, send again after a pause. */
		f->c.rate_limited++;
		log_debug("station %s: hub says we send too fast", s->reg->code);
		proto_drain_limited(s->drain, now);
		return;
	}
	if (rc->ref <= 0) {
		f->c.unmatched++;
		log_warn("station %s: hub rejected a message it could not read: %s",
			s->reg->code, proto_err_name(rc->error));
		return;
	}
	for (i = 0; i < s->n_queue && f->msgs[s->queue[i]].id != rc->ref; i++)
		;
	if (i == s->n_queue) {
		late_receipt(s, rc, ts);
		return;
	}
	fleet_msg *m = &f->msgs[s->queue[i]];
	memmove(&s->queue[i], &s->queue[i + 1], (s->n_queue - i - 1) * sizeof *s->queue);
	s->n_queue--;
	proto_drain_receipt(s->drain, rc->ref);
	m->receipt = ts;
	if (m->action) {
		/* A step the item outran (escalated, acted on by another) is
		 * refused for good, as at a real station: not a lost report. */
		m->state = rc->status == PROTO_RECEIPT_REJECTED ? FLEET_REJECTED
								: FLEET_RECEIPTED;
		if (rc->status == PROTO_RECEIPT_REJECTED)
			f->c.acts_refused++;
		else
			f->c.acts_done++;
	} else if (rc->status == PROTO_RECEIPT_REJECTED) {
		m->state = FLEET_REJECTED;
		f->c.rejected++;
		log_warn("station %s: hub rejected report %lld: %s (%s)", s->reg->code,
			(long long)rc->ref, proto_err_name(rc->error), rc->field);
	} else {
		/* Its snapshot, if any (the route's, PROTOCOL.md §5.4), asks
		 * nothing of a reporter (fleet_content_action) unless it also
		 * handles the item (a village's own blue report): then this is
		 * the only news of it, as at a real station. Later steps come
		 * as item messages. */
		m->state = FLEET_RECEIPTED;
		f->c.receipted++;
		if (rc->status == PROTO_RECEIPT_DUPLICATE)
			f->c.duplicates++;
		else if (rc->snapshot && s->actor && f->phase != FLEET_DONE &&
			 strcmp(rc->snapshot->handler, s->reg->code) == 0) {
			if (f->o.human)
				fleet_human_plan(s, rc->snapshot, ts);
			else if (queue_action(s, rc->snapshot))
				log_error("out of memory queueing a step");
		}
		if (m->first_pub > 0)
			fleet_stats_latency(f, now - m->first_pub);
		if (s->replayer)
			return; /* keeps its payload to send it again */
	}
	free(m->payload);
	m->payload = NULL;
}

/* As the agent: only a live hub birth with a new session means that the hub
 * may have lost or missed what is in flight; a retained copy is old news. */
static void handle_hub(fleet_station *s, const proto_status *st, bool retained)
{
	if (st->online && proto_drain_birth(s->drain, st->session, retained))
		s->replay = 0;
}

/* ------------------------------------------------------------ the outbox */

/* Appends a message with this id and payload (taken) to the outbox. */
static int queue_msg(fleet_station *s, int64_t id, char *payload, bool action,
	int64_t now)
{
	fleet *f = s->f;

	if (f->n_msgs == f->cap_msgs) {
		size_t cap = f->cap_msgs ? f->cap_msgs * 2 : 1024;
		fleet_msg *p = realloc(f->msgs, cap * sizeof *p);
		if (!p)
			goto fail;
		f->msgs = p, f->cap_msgs = cap;
	}
	if (f->n_msgs >= UINT32_MAX || !grow(&s->queue, s->n_queue, &s->cap_queue) ||
	    (!action && !grow(&s->all, s->n_all, &s->cap_all)))
		goto fail;
	f->msgs[f->n_msgs] = (fleet_msg){
		.id = id, .payload = payload, .action = action,
		.station = (uint32_t)(s - f->st), .state = FLEET_QUEUED,
	};
	s->queue[s->n_queue++] = (uint32_t)f->n_msgs;
	/* Only reports are replayed and looked up by late receipts. */
	if (!action)
		s->all[s->n_all++] = (uint32_t)f->n_msgs;
	f->n_msgs++;
	if (!s->first_id)
		s->first_id = id;
	s->last_id = id;
	s->due = now;
	return 0;
fail:
	free(payload);
	return -1;
}

static int64_t next_id(const fleet_station *s)
{
	int64_t wall = proto_now_ms();
	return wall > s->last_id ? wall : s->last_id + 1;
}

/* An actor's step on the snapshot it was just sent; 0 also when none. */
static int queue_action(fleet_station *s, const proto_item *it)
{
	int64_t id = next_id(s);
	char *json = fleet_content_action(s->f, s->reg, id, it);

	if (!json)
		return 0;
	if (queue_msg(s, id, json, true, proto_mono_ms()))
		return -1;
	s->f->c.acts++;
	return 0;
}

/* fleet_human_due's queue: a planned step's JSON (taken) into the outbox. */
static int queue_step(fleet_station *s, char *json, int64_t id)
{
	if (queue_msg(s, id, json, true, proto_mono_ms()))
		return -1;
	s->f->c.acts++;
	return 0;
}

/* Receipts a down message `ref` (accepted, or duplicate when seen before),
 * naming `item` when it is an item message's; true when it was published. */
static bool send_receipt(fleet_station *s, int64_t ref, bool seen, const char *item)
{
	proto_msg m = {.v = PROTO_VERSION, .type = PROTO_MSG_RECEIPT};
	char topic[PROTO_TOPIC_MAX], *json;
	bool sent;

	snprintf(m.station, sizeof m.station, "%s", s->reg->code);
	m.ts = proto_now_ms();
	m.u.receipt.ref = ref;
	m.u.receipt.status = seen ? PROTO_RECEIPT_DUPLICATE : PROTO_RECEIPT_ACCEPTED;
	if (item)
		snprintf(m.u.receipt.item, sizeof m.u.receipt.item, "%s", item);
	json = proto_msg_encode(&m);
	sent = json &&
	       proto_topic_up_for(topic, sizeof topic, s->reg->code, PROTO_MSG_RECEIPT) &&
	       proto_link_publish(s->link, topic, json, strlen(json), 1, false, NULL) == 0;
	free(json);
	return sent;
}

/* The hub delivers item snapshots (routed, escalated, ...) to the stations
 * involved and sends them again until each is receipted on the station's up
 * receipt topic. The fleet keeps no items: it answers at once, "duplicate"
 * for a message id not above the highest answered (the hub's ids increase,
 * and a resend keeps its id), which is what a station with a store would say
 * in all but a reordering. */
static void answer_item(fleet_station *s, const proto_msg *item)
{
	bool seen = item->id <= s->item_seen;

	s->f->last_item = proto_mono_ms();
	if (!seen)
		s->item_seen = item->id;
	if (send_receipt(s, item->id, seen, item->u.item.item))
		s->f->c.items++;
	/* Acted on once, on the first copy: a resend keeps its id. */
	if (!seen && s->actor && s->f->phase != FLEET_DONE) {
		if (s->f->o.human)
			fleet_human_plan(s, &item->u.item, item->ts);
		else if (queue_action(s, &item->u.item))
			log_error("out of memory queueing a step");
	}
}

/* A member of the service team (PROTOCOL.md §5.7): answered like an item
 * message, so that the hub drops it from its downbox instead of sending it
 * again at each of our births. The fleet keeps no team of its own (actors
 * assign from --members), so there is nothing else to do with it. */
static void answer_member(fleet_station *s, const proto_msg *mb)
{
	bool seen = mb->id <= s->member_seen;

	if (!seen)
		s->member_seen = mb->id;
	if (send_receipt(s, mb->id, seen, NULL))
		s->f->c.members++;
}

static void on_message(void *ud, proto_link *link, const struct mosquitto_message *msg)
{
	fleet_station *s = ud;
	char field[PROTO_FIELD_MAX];
	proto_topic t;
	proto_msg m;

	if (proto_topic_parse(msg->topic, &t) != PROTO_OK)
		return;
	if (proto_msg_decode(msg->payload, (size_t)msg->payloadlen, &m, field)) {
		log_warn("station %s: unreadable message on %s", s->reg->code, msg->topic);
		return;
	}
	if (m.type == PROTO_MSG_HUB && t.type == PROTO_MSG_HUB)
		handle_hub(s, &m.u.status, msg->retain);
	else if (m.type == PROTO_MSG_RECEIPT && t.type == PROTO_MSG_RECEIPT &&
		 strcmp(m.station, s->reg->code) == 0)
		handle_receipt(s, &m.u.receipt, m.ts);
	else if (m.type == PROTO_MSG_ITEM && t.type == PROTO_MSG_ITEM && !t.up &&
		 strcmp(m.station, s->reg->code) == 0)
		answer_item(s, &m);
	else if (m.type == PROTO_MSG_MEMBER && t.type == PROTO_MSG_MEMBER && !t.up &&
		 strcmp(m.station, s->reg->code) == 0)
		answer_member(s, &m);
	proto_msg_clear(&m);
}

static const proto_link_cbs cbs = {
	.connecting = on_connecting,
	.connected = on_connected,
	.disconnected = on_disconnected,
	.message = on_message,
};

/* ------------------------------------------------------------ draining */

/* The queue as the drain engine's: the messages after id `after`, found by
 * bisection (the queue is in id order). */
static int queue_each(void *ud, int64_t after, int limit, proto_drain_offer_fn offer,
	proto_drain *d)
{
	fleet_station *s = ud;
	fleet_msg *msgs = s->f->msgs;
	uint32_t lo = 0, hi = s->n_queue;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (msgs[s->queue[mid]].id <= after)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (uint32_t i = lo; i < s->n_queue && limit > 0; i++, limit--) {
		fleet_msg *m = &msgs[s->queue[i]];
		if (offer(d, m->id, m))
			break;
	}
	return 0;
}

static bool link_publish(fleet_station *s, const char *topic, const char *payload)
{
	return proto_link_publish(s->link, topic, payload, strlen(payload), 1, false,
		NULL) == 0;
}

static int queue_send(void *ud, int64_t id, const void *msg, int64_t now)
{
	fleet_station *s = ud;
	fleet *f = s->f;
	fleet_msg *m = (fleet_msg *)msg; /* one of f->msgs, offered above */

	(void)id;
	if (!link_publish(s, m->action ? s->topic_action : s->topic_report, m->payload))
		return -1;
	if (!m->first_pub) {
		m->first_pub = now;
		if (!m->action)
			f->c.sent++;
	}
	if (!m->action)
		f->c.publishes++;
	return 0;
}

/* Whether a replayer has receipted reports to send again: once the whole
 * queue is in flight. */
static bool replay_due(const fleet_station *s)
{
	return s->replayer && proto_drain_inflight(s->drain) == (int)s->n_queue &&
	       s->replay < s->n_all;
}

/* Sends again what is late, then the queue's head up to the window; then a
 * replayer sends its receipted reports again, within the same pace. */
static void fill(fleet_station *s, int64_t now)
{
	fleet *f = s->f;
	int late = proto_drain_timeout(s->drain, now);

	if (late)
		log_debug("station %s: no receipt for %d reports; resending",
			s->reg->code, late);
	if (!s->connected || proto_drain_paused(s->drain, now))
		return;
	proto_drain_fill(s->drain, now);
	for (; replay_due(s); s->replay++) {
		fleet_msg *m = &f->msgs[s->all[s->replay]];
		if (m->state != FLEET_RECEIPTED)
			continue;
		if (!proto_bucket_take(proto_drain_pace(s->drain), now) ||
		    !link_publish(s, s->topic_report, m->payload))
			return;
		f->c.replays++;
	}
}

static int64_t drop_interval(fleet *f)
{
	return (int64_t)((0.5 + fleet_random(f)) * (double)f->o.drop_every_ms);
}

/* Cuts the socket under libmosquitto: no DISCONNECT, so the broker publishes
 * the will and the link notices the loss on its next read, as on a real
 * network failure, and reconnects with its backoff. */
static void drop(fleet_station *s)
{
	int fd = proto_link_fd(s->link);

	if (fd >= 0 && s->connected && shutdown(fd, SHUT_RDWR) == 0)
		s->f->c.drops++;
}

void fleet_station_run(fleet_station *s, int64_t now)
{
	fleet *f = s->f;
	int64_t due;

	if (!s->started) {
		s->started = true;
		if (s->dropper)
			s->next_drop = now + drop_interval(f);
		if (s->replayer)
			s->next_replay = now + f->o.resend_ms;
	}
	due = now + proto_link_service(s->link, now);
	if (s->dropper && f->phase == FLEET_RUNNING) {
		if (now >= s->next_drop) {
			drop(s);
			s->next_drop = now + drop_interval(f);
		}
		due = min64(due, s->next_drop);
	}
	if (!s->connected) {
		s->due = due;
		return;
	}
	if (s->n_steps && f->phase != FLEET_DONE)
		due = min64(due, fleet_human_due(s, now, queue_step, next_id));
	if (s->replayer && now >= s->next_replay) {
		s->replay = 0;
		s->next_replay = now + f->o.resend_ms;
	}
	fill(s, now);
	if (now >= s->next_heartbeat) {
		publish_status(s, true);
		s->next_heartbeat = now + f->o.heartbeat_ms;
	}
	due = min64(due, proto_drain_due(s->drain, now));
	if (!proto_drain_paused(s->drain, now) && replay_due(s)) {
		int64_t wait = proto_bucket_wait(proto_drain_pace(s->drain), now);
		due = min64(due, now + (wait > 0 ? wait : STALL_RETRY_MS));
	}
	due = min64(due, s->next_heartbeat);
	if (s->replayer)
		due = min64(due, s->next_replay);
	s->due = due;
}

/* ------------------------------------------------------------ lifecycle */

int fleet_station_create_report(fleet_station *s, int64_t now)
{
	int64_t id = next_id(s);
	char *payload = fleet_content_report(s->f, s->reg, id, proto_now_ms());

	if (!payload || queue_msg(s, id, payload, false, now))
		return -1;
	s->f->c.created++;
	return 0;
}

int fleet_station_init(fleet *f, fleet_station *s, const proto_station *reg,
	const char *password)
{
	char client_id[8 + PROTO_CODE_MAX];

	s->f = f;
	s->reg = reg;
	if (!proto_topic_for(s->topic_report, sizeof s->topic_report, reg->code,
		    PROTO_MSG_REPORT) ||
	    !proto_topic_for(s->topic_action, sizeof s->topic_action, reg->code,
		    PROTO_MSG_ACTION)) {
		log_error("station %s: no topic for its code", reg->code);
		return -1;
	}
	s->drain = proto_drain_create(&(proto_drain_opts){
		.window = f->o.window, .resend_ms = f->o.resend_ms,
		.stall_ms = STALL_RETRY_MS, .rate = f->o.pace, .burst = f->o.burst,
	}, &(proto_drain_queue){.each = queue_each, .send = queue_send, .ud = s});
	if (!s->drain) {
		log_error("station %s: out of memory", reg->code);
		return -1;
	}
	snprintf(client_id, sizeof client_id, "st-%s", reg->code);
	s->link = proto_link_create(&(proto_link_opts){
		.broker = f->o.broker, .client_id = client_id,
		.user = password ? reg->code : NULL, .password = password,
		.cafile = f->o.cafile, .clean_session = false,
		.keepalive = f->o.keepalive, .backoff_max_ms = f->o.backoff_max_ms,
		.max_inflight = f->o.window,
	}, &cbs, s);
	return s->link ? 0 : -1;
}

void fleet_station_stop(fleet_station *s)
{
	if (!s->link)
		return;
	if (s->connected)
		publish_status(s, false);
	proto_link_disconnect(s->link);
}

void fleet_station_clear(fleet_station *s)
{
	proto_link_destroy(s->link);
	proto_drain_destroy(s->drain);
	free(s->queue);
	free(s->all);
	free(s->steps);
	memset(s, 0, sizeof *s);
}
