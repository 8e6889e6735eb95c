/* The hub's event loop: one core thread polls the MQTT socket, the signal
 * pipe, the dashboard's queue and the end of a sync; each wake-up reads
 * what the socket has and stages it in one SQLite batch, which
 * hub/group-commit.c commits and receipts once it is on disk. The core
 * alone writes the database and publishes; no lock is held in it but at
 * the hand-offs below.
 *
 * Every thread the hub runs, and what each hands to whom:
 *
 *  - the core (this loop, main's thread): reads MQTT, stages messages,
 *    ticks reminders and escalations, commits, publishes receipts, item
 *    messages and statuses. It hands a commit to the sync thread and
 *    takes the sync's end; it takes the dashboard's queued steps and hands
 *    back their outcome once on disk; it appends live events to the
 *    dashboard's ring.
 *  - minqing-sync (hub/durable.c): one, for the hub's life. Woken on a
 *    condition variable by hub_durable_request or _ask, it fdatasyncs the
 *    WAL, checkpoints it on a connection of its own, recovers from a full
 *    disk, writes the health file, then writes an eventfd the core polls
 *    (hub_group_commit_fd): no receipt goes out before that.
 *  - the pool starter (dashboard/http.c, start_pool): short-lived, at
 *    start-up only, when --http is given. It raises its own nice value by
 *    POOL_NICE so that the threads it creates inherit it, creates the
 *    connection watcher and libmicrohttpd's pool, and ends (joined by
 *    dash_create on the core).
 *  - libmicrohttpd's workers (POOL_THREADS, 4, at the lower priority):
 *    answer HTTP requests on read connections of their own
 *    (dashboard/dashboard.c's readers, under readers_lock); a user's step
 *    is queued under queue_lock and the eventfd dash_fd written, and the
 *    worker waits on queue_done until the core has staged, committed and
 *    synced it (dashboard/core.c); live streams read the ring the core
 *    appends to, under its mutex (dashboard/sse.c).
 *  - the connection watcher (dashboard/watch.c), at the pool's priority:
 *    request deadlines and hang-ups of suspended streams, under its own
 *    mutex; it tells the ring of a hang-up.
 *
 * The loop pauses (reads no message, runs no tick, takes no dashboard
 * step) while a sync that no batch may begin before is under way, and
 * while the disk is full (hub/group-commit.h). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mosquitto.h>

#include "hub/clock.h"
#include "hub/event-loop.h"
#include "protocol/clock.h"
#include "protocol/link.h"
#include "protocol/log.h"
#include "protocol/signals.h"
#include "protocol/topic.h"
#include "version.h"

typedef struct core {
	const hub_event_loop_opts *o;
	proto_link *link;
	int64_t session;
	bool said_full;  /* the last online status said the disk is full */
	char topic_status[PROTO_TOPIC_MAX];
	char filter[PROTO_TOPIC_MAX];
} core;

static char *status_json(core *c, bool online)
{
	proto_msg m = {.v = PROTO_VERSION, .type = PROTO_MSG_HUB};

	snprintf(m.station, sizeof m.station, "%s", c->o->county);
	m.ts = proto_now_ms();
	m.u.status.online = online;
	m.u.status.session = c->session;
	m.u.status.outbox = -1;
	m.u.status.agent = "minqing-hub/" MINQING_VERSION;
	/* Said to every station and operator watching the status: a hub
	 * that stores nothing is up but not serving (PROTOCOL.md §5.3). */
	c->said_full = online && hub_group_commit_full(c->o->commit);
	m.u.status.storage = c->said_full ? "full" : NULL;
	return proto_msg_encode(&m);
}

/* The retained status, online or not. */
static void publish_status(core *c, bool online)
{
	char *json = status_json(c, online);

	if (json)
		proto_link_publish(c->link, c->topic_status, json, strlen(json), 1, true,
			NULL);
	free(json);
}

static void on_connecting(void *ud, proto_link *link)
{
	core *c = ud;
	int64_t now = proto_now_ms();
	char *will;

	c->session = now > c->session ? now : c->session + 1;
	will = status_json(c, false);
	if (will)
		proto_link_set_will(link, c->topic_status, will, true);
	free(will);
}

static void on_connected(void *ud, proto_link *link)
{
	core *c = ud;
	char *json = status_json(c, true);

	log_info("connected to broker (session %lld)", (long long)c->session);
	proto_link_subscribe(link, c->filter);
	/* The birth comes after the subscription: a station that sees it and
	 * resends at once finds the hub listening. */
	if (json)
		proto_link_publish(link, c->topic_status, json, strlen(json), 1, true, NULL);
	free(json);
}

static void on_message(void *ud, proto_link *link, const struct mosquitto_message *msg)
{
	core *c = ud;

	hub_ingest_message(c->o->ingest, link, msg->topic, msg->payload,
		(size_t)msg->payloadlen, msg->retain);
}

/* The loop proper, until a signal to stop (0) or a failed sync (1). */
static int serve(core *c)
{
	const hub_event_loop_opts *o = c->o;
	hub_group_commit *gc = o->commit;
	int64_t next_tick = proto_mono_ms();

	for (;;) {
		struct pollfd p[4] = {{.fd = o->sigfd, .events = POLLIN},
			{.fd = -1}, {.fd = dash_fd(o->dash), .events = POLLIN},
			{.fd = hub_group_commit_fd(gc), .events = POLLIN}};
		int64_t mono = proto_mono_ms();
		int wait = proto_link_service(c->link, mono);
		/* A full disk's recoveries, and the WAL emptied when quiet:
		 * asked before `paused` is read, since both pause the core. */
		int tw = hub_group_commit_tend(gc, mono);
		if (tw >= 0 && (wait < 0 || tw < wait))
			wait = tw;
		/* The disk found full or back: the retained status says so. */
		if (hub_group_commit_full(gc) != c->said_full && proto_link_connected(c->link))
			publish_status(c, true);
		/* While the WAL starts again no batch may begin (durable.c):
		 * no messages are read, no timer or dashboard change is made. */
		bool paused = hub_group_commit_paused(gc);

		/* Reminders and escalations: a look once a second (of wall
		 * time) at what has fallen due. */
		if (mono >= next_tick && !paused) {
			if (hub_store_begin(o->store) == PROTO_OK) {
				hub_workflow_tick(o->workflow, hub_clock_now());
				hub_workflow_weather_flush(o->workflow, hub_clock_now(), true);
			}
			next_tick = mono + 1000;
		}
		/* Paused, the tick waits (next_tick stays behind): a negative
		 * wait would be poll's "forever". */
		if (!paused && next_tick - mono < wait)
			wait = (int)(next_tick - mono);
		int dw = dash_wait_ms(o->dash, mono);
		if (dw >= 0 && dw < wait)
			wait = dw;
		wait = hub_group_commit_wait(gc, mono, wait);

		p[1].fd = proto_link_fd(c->link);
		p[1].events = proto_link_events(c->link) & (paused ? ~POLLIN : ~0);
		if (paused)
			p[2].fd = -1;
		if (poll(p, 4, wait) < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			return 0;
		}
		if (p[0].revents & POLLIN) {
			if (proto_signals_take() != SIGHUP)
				return 0;
			/* Reload between batches: what is staged is committed and
			 * receipted under the old rules first. */
			if (hub_group_commit_settle(gc, c->link)) {
				log_error("stopping: the disk failed to sync a commit");
				return 1;
			}
			hub_reload(&o->files, o->store, o->workflow, o->ingest, o->reg);
		}
		if (p[1].revents)
			proto_link_io(c->link, p[1].revents);
		if (p[2].revents & POLLIN)
			dash_core_run(o->dash);
		if ((p[3].revents & POLLIN) && hub_group_commit_synced(gc, c->link, false)) {
			log_error("stopping: what the disk may not hold must not be receipted");
			return 1;
		}
		hub_group_commit_woke(gc, c->link, proto_mono_ms(), p[1].revents & POLLIN);
	}
}

int hub_event_loop_run(const hub_event_loop_opts *o)
{
	static const proto_link_cbs cbs = {
		.connecting = on_connecting,
		.connected = on_connected,
		.message = on_message,
	};
	core c = {.o = o};
	char client_id[64];
	int rc;

	proto_topic_for(c.topic_status, sizeof c.topic_status, o->county, PROTO_MSG_HUB);
	proto_topic_hub_filter(c.filter, sizeof c.filter, o->county);
	snprintf(client_id, sizeof client_id, "hub-%s", o->county);
	c.link = proto_link_create(&(proto_link_opts){
		.broker = o->broker, .client_id = client_id,
		.user = o->user, .password = o->password, .cafile = o->cafile,
		.clean_session = false, .keepalive = o->keepalive,
		.backoff_max_ms = 5000, .max_inflight = 1000,
		/* MQTT 5 to see which station messages were retained; on 3.1.1
		 * only those the broker holds at the subscription are seen and
		 * cleared (docs/SCALE.md). */
		.mqtt5 = !o->mqtt311,
	}, &cbs, &c);
	if (!c.link)
		return 1;
	log_info("hub for county %s started: %zu stations registered", o->county,
		proto_registry_count(*o->reg));
	rc = serve(&c);
	if (rc == 0) {
		/* The last commit's receipts, once synced; what is staged is
		 * rolled back and resent by its stations. */
		hub_group_commit_synced(o->commit, c.link, true);
		const hub_ingest_stats *s = hub_ingest_get_stats(o->ingest);
		const hub_group_commit_stats *g = hub_group_commit_get_stats(o->commit);
		log_info("stopping: %lld accepted, %lld duplicates, %lld rejected, %lld over "
			 "rate in %lld batches; %lld statuses; the disk found full %lld times",
			(long long)s->accepted, (long long)s->duplicates, (long long)s->rejected,
			(long long)s->limited, (long long)g->batches, (long long)s->statuses,
			(long long)g->disk_full);
		if (proto_link_connected(c.link))
			publish_status(&c, false);
		proto_link_disconnect(c.link);
	}
	proto_link_destroy(c.link);
	return rc;
}
