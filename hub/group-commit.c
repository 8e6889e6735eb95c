/* Receipt only after the commit is on disk: the hub's central promise. A
 * station deletes a report from its outbox when the receipt comes, so a
 * receipt published before its commit is durable could lose the report
 * for good in a crash. Everything that decides when a batch is committed
 * and when its receipts and item messages go out is in this file.
 *
 * Group commit: hub/ingest.c stages each message in the store's open batch
 * and queues its receipt here (`out`). The event loop asks, at every
 * wake-up, whether the batch is due: when the socket has gone quiet (idle,
 * a report is receipted at once), the batch is GROUP_MS old, or holds
 * GROUP_MAX receipts (under load one fsync serves many reports). The batch
 * is committed without waiting for the disk (synchronous=NORMAL); its
 * receipts move to `held`, and durable.c's thread is asked to sync the
 * WAL. The core reads on and stages the next batch meanwhile, but commits
 * it only after the sync has ended: one sync covers exactly one commit.
 * When the thread reports the sync (its eventfd, hub_group_commit_fd), the
 * held receipts are published, then the item messages the commit holds
 * (ids up to `held_down_id`). A commit that fails, or a sync the disk
 * fails, drops what it would have answered: the stations resend, and a
 * failed sync stops the hub.
 *
 * A batch that changed nothing (duplicates only, a quiet tick) has nothing
 * to sync: what it answers from is on disk already, and its receipts go
 * out at once.
 *
 * The disk found full (a commit, or a write while staging) pauses the hub:
 * the batch is rolled back, no batch begins, and a recovery (durable.c) is
 * asked with a backoff until it finds room. When the hub has been quiet a
 * few seconds the WAL is emptied. Both run on the sync thread with the
 * core paused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "hub/clock.h"
#include "hub/durable.h"
#include "hub/group-commit.h"
#include "protocol/clock.h"
#include "protocol/log.h"
#include "protocol/topic.h"

#define GROUP_MS 5     /* longest a receipt waits for others to share a commit */
#define GROUP_MAX 1000 /* receipts in one commit at most */
/* Stations that came online since the last flush: their undelivered item
 * messages go out again after it. */
#define REDELIVER_MAX 64
/* Backoff of the recoveries while the disk is full: the first at once,
 * then doubling to RETRY_MAX_MS, so that the hub is back within about a
 * second of space returning and costs nothing meanwhile. */
#define RETRY_FIRST_MS 50
#define RETRY_MAX_MS 1000
/* Quiet this long (no commit that wrote), the WAL is emptied. */
#define QUIET_MS 3000

typedef struct receipt_out {
	char topic[PROTO_TOPIC_MAX];
	char *json;
} receipt_out;

struct hub_group_commit {
	hub_store *store;
	hub_workflow *workflow;
	hub_durable *durable; /* NULL: each commit syncs itself */
	int64_t batch_at;  /* monotonic ms the open batch was first seen, 0: none */
	receipt_out *out;  /* the open batch's receipts */
	size_t n_out, cap_out;
	/* The receipts of the last commit, held until it is on disk, and the
	 * newest item message it holds. */
	receipt_out *held;
	size_t n_held, cap_held;
	int64_t held_down_id;
	char redeliver[REDELIVER_MAX][PROTO_CODE_MAX + 1];
	size_t n_redeliver;
	bool syncing;
	bool paused; /* no batch may begin until the sync ends (durable.h) */
	int64_t changes; /* the store's count of rows changed, at the last sync */
	/* A full disk (durable.c): no batch begins until a recovery finds
	 * room again; recoveries are asked with a backoff. */
	bool full, recovering;
	int64_t full_since, retry_at; /* wall ms; monotonic ms */
	int backoff_ms;
	int64_t wrote_at; /* monotonic ms of the last commit that wrote, 0: none since
	                   * the WAL was last emptied */
	hub_group_commit_stats stats;
};

hub_group_commit *hub_group_commit_create(hub_store *store, hub_workflow *workflow,
	const char *path)
{
	hub_group_commit *gc = calloc(1, sizeof *gc);

	if (!gc)
		return NULL;
	gc->store = store;
	gc->workflow = workflow;
	if (path) {
		gc->durable = hub_durable_create(hub_store_db(store), path);
		if (!gc->durable) {
			free(gc);
			return NULL;
		}
	}
	return gc;
}

static void drop_pending(hub_group_commit *gc)
{
	for (size_t i = 0; i < gc->n_out; i++)
		free(gc->out[i].json);
	gc->n_out = 0;
}

static void drop_held(hub_group_commit *gc)
{
	for (size_t i = 0; i < gc->n_held; i++)
		free(gc->held[i].json);
	gc->n_held = 0;
}

void hub_group_commit_destroy(hub_group_commit *gc)
{
	if (!gc)
		return;
	hub_durable_destroy(gc->durable);
	drop_pending(gc);
	drop_held(gc);
	free(gc->out);
	free(gc->held);
	free(gc);
}

void hub_group_commit_receipt(hub_group_commit *gc, const char *station, char *json)
{
	receipt_out *o;

	if (gc->n_out == gc->cap_out) {
		size_t cap = gc->cap_out ? gc->cap_out * 2 : 64;
		receipt_out *p = realloc(gc->out, cap * sizeof *p);
		if (!p) {
			log_error("out of memory queueing a receipt");
			free(json);
			return;
		}
		gc->out = p, gc->cap_out = cap;
	}
	o = &gc->out[gc->n_out];
	if (!json || !proto_topic_for(o->topic, sizeof o->topic, station,
			     PROTO_MSG_RECEIPT)) {
		free(json);
		return;
	}
	o->json = json;
	gc->n_out++;
}

void hub_group_commit_redeliver(hub_group_commit *gc, const char *station)
{
	if (gc->n_redeliver >= REDELIVER_MAX)
		return;
	for (size_t i = 0; i < gc->n_redeliver; i++)
		if (strcmp(gc->redeliver[i], station) == 0)
			return;
	snprintf(gc->redeliver[gc->n_redeliver++], PROTO_CODE_MAX + 1, "%s", station);
}

size_t hub_group_commit_pending(const hub_group_commit *gc)
{
	return gc->n_out;
}

/* The disk is full: said loudly, once, and the core pauses (paused). */
static void enter_full(hub_group_commit *gc)
{
	if (gc->full)
		return;
	gc->full = true;
	gc->full_since = proto_now_ms();
	gc->retry_at = 0;
	gc->backoff_ms = RETRY_FIRST_MS;
	gc->stats.disk_full++;
	log_error("磁盘已满 the disk is full: the hub stores and receipts nothing "
		  "until there is room; stations keep their reports and resend");
	if (gc->durable)
		hub_durable_set_full(gc->durable, true, gc->full_since);
}

void hub_group_commit_rollback(hub_group_commit *gc)
{
	hub_store_rollback(gc->store);
	if (hub_store_take_full(gc->store))
		enter_full(gc);
	drop_pending(gc);
	gc->changes = -1;
	if (gc->workflow)
		hub_workflow_notify_commit(gc->workflow, false);
}

/* Publishes n receipts, then the item messages on disk. */
static void publish(hub_group_commit *gc, proto_link *link, receipt_out *out, size_t n,
	int64_t upto)
{
	if (n)
		proto_link_cork(link, true);
	for (size_t i = 0; i < n; i++)
		proto_link_publish(link, out[i].topic, out[i].json, strlen(out[i].json), 1,
			false, NULL);
	if (gc->workflow) {
		for (size_t i = 0; i < gc->n_redeliver; i++)
			hub_workflow_deliver(gc->workflow, link, gc->redeliver[i], upto);
		gc->n_redeliver = 0;
		hub_workflow_deliver(gc->workflow, link, NULL, upto);
	}
	if (n)
		proto_link_cork(link, false);
}

proto_err hub_group_commit_flush(hub_group_commit *gc, proto_link *link)
{
	proto_err err = PROTO_OK;
	bool committed = false;

	/* One sync at a time: what is staged meanwhile is the next commit. */
	if (gc->syncing)
		return PROTO_OK;
	if (hub_store_in_batch(gc->store)) {
		/* Weather is derived: its failure must not hold back receipts. */
		if (gc->workflow && hub_workflow_weather_flush(gc->workflow, hub_clock_now(), false))
			log_error("weather not updated; it will be at the next change");
		if (gc->workflow && hub_workflow_before_commit(gc->workflow)) {
			err = PROTO_ERR_IO;
		} else {
			err = hub_store_commit(gc->store);
			gc->stats.batches++;
		}
		/* A batch that changed nothing (a quiet tick, duplicates only)
		 * has nothing to sync: what it answers from is on disk. After a
		 * failure the count is no guide (SQLite may have dropped the
		 * batch and committed what came after on its own): rollback
		 * forgets it, and the next commit syncs whatever it holds. */
		int64_t changes = sqlite3_total_changes64(hub_store_db(gc->store));
		committed = !err && changes != gc->changes;
		gc->changes = changes;
		if (committed)
			gc->wrote_at = proto_mono_ms();
	}
	if (err) {
		log_error("commit failed; %zu receipts withheld, stations will resend",
			gc->n_out);
		hub_group_commit_rollback(gc);
		return err;
	}
	if (gc->workflow)
		hub_workflow_notify_commit(gc->workflow, true);
	if (!gc->durable || !committed) {
		/* Synced by the commit itself, or nothing new to sync. */
		if (gc->workflow)
			hub_workflow_notify_durable(gc->workflow, true);
		publish(gc, link, gc->out, gc->n_out, INT64_MAX);
		drop_pending(gc);
		return PROTO_OK;
	}
	/* Held until the disk has it; the next batch fills the other array. */
	receipt_out *t = gc->held;
	size_t cap = gc->cap_held;
	gc->held = gc->out, gc->cap_held = gc->cap_out, gc->n_held = gc->n_out;
	gc->out = t, gc->cap_out = cap, gc->n_out = 0;
	gc->held_down_id = gc->workflow ? hub_workflow_last_down_id(gc->workflow) : 0;
	gc->syncing = true;
	gc->paused = hub_durable_request(gc->durable);
	return PROTO_OK;
}

int hub_group_commit_fd(const hub_group_commit *gc)
{
	return gc->durable ? hub_durable_fd(gc->durable) : -1;
}

bool hub_group_commit_syncing(const hub_group_commit *gc)
{
	return gc->syncing;
}

bool hub_group_commit_paused(const hub_group_commit *gc)
{
	return gc->paused || gc->full;
}

bool hub_group_commit_full(const hub_group_commit *gc)
{
	return gc->full;
}

int hub_group_commit_tend(hub_group_commit *gc, int64_t mono)
{
	if (!gc->durable || gc->syncing || hub_store_in_batch(gc->store))
		return -1;
	if (gc->full) {
		if (mono < gc->retry_at)
			return (int)(gc->retry_at - mono);
		gc->syncing = gc->paused = gc->recovering = true;
		hub_durable_ask(gc->durable, HUB_DURABLE_RECOVER);
		return -1;
	}
	if (!gc->wrote_at)
		return -1;
	if (mono - gc->wrote_at < QUIET_MS)
		return (int)(gc->wrote_at + QUIET_MS - mono);
	gc->wrote_at = 0;
	if (hub_durable_ask(gc->durable, HUB_DURABLE_TRUNCATE))
		gc->syncing = gc->paused = true;
	return -1;
}

proto_err hub_group_commit_synced(hub_group_commit *gc, proto_link *link, bool wait)
{
	bool synced;
	proto_err err;

	if (!gc->syncing)
		return PROTO_OK;
	err = hub_durable_take(gc->durable, wait, &synced);
	if (!synced)
		return PROTO_OK;
	gc->syncing = false;
	gc->paused = false;
	if (gc->recovering && !err) {
		gc->recovering = false;
		if (hub_durable_noroom(gc->durable)) {
			/* Still full: nothing staged meanwhile, nothing to answer. */
			gc->retry_at = proto_mono_ms() + gc->backoff_ms;
			gc->backoff_ms = gc->backoff_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS :
				gc->backoff_ms * 2;
			return PROTO_OK;
		}
		gc->full = false;
		hub_durable_set_full(gc->durable, false, 0);
		log_warn("磁盘空间已恢复 the disk has room again after %.1f s full; the hub "
			 "goes on", (double)(proto_now_ms() - gc->full_since) / 1000.0);
	}
	gc->recovering = false;
	if (gc->workflow)
		hub_workflow_notify_durable(gc->workflow, err == PROTO_OK);
	if (err) {
		log_error("the disk failed to sync a commit; %zu receipts withheld",
			gc->n_held);
		drop_held(gc);
		return err;
	}
	publish(gc, link, gc->held, gc->n_held, gc->held_down_id);
	drop_held(gc);
	return PROTO_OK;
}

/* Whatever batch is open when the event loop goes to sleep (a tick's, say) holds
 * the database's write lock: it is committed within GROUP_MS like any
 * other, never left open across an idle second, where `minqing-hub user`
 * and other writers beside the hub would find the lock taken again and
 * again and wait until some message woke the hub. */
static void mark(hub_group_commit *gc, int64_t mono)
{
	if (hub_store_in_batch(gc->store) && !gc->batch_at)
		gc->batch_at = mono;
}

int hub_group_commit_wait(hub_group_commit *gc, int64_t mono, int wait)
{
	mark(gc, mono);
	int64_t due = gc->batch_at + GROUP_MS;

	/* One fsync for what arrives within GROUP_MS. While a sync is under
	 * way its end wakes the event loop instead. */
	if (gc->batch_at && !gc->syncing && due - mono < wait)
		wait = due > mono ? (int)(due - mono) : 0;
	return wait;
}

void hub_group_commit_woke(hub_group_commit *gc, proto_link *link, int64_t mono,
	bool reading)
{
	mark(gc, mono);
	/* Commit when the socket has gone quiet, the batch is old enough or
	 * big enough: under load many messages share one fsync, idle a
	 * report is receipted at once. */
	if (!gc->syncing && (!reading || mono - gc->batch_at >= GROUP_MS ||
	    gc->n_out >= GROUP_MAX)) {
		hub_group_commit_flush(gc, link);
		gc->batch_at = 0;
	}
}

proto_err hub_group_commit_settle(hub_group_commit *gc, proto_link *link)
{
	proto_err err = hub_group_commit_synced(gc, link, true);

	if (!err) {
		hub_group_commit_flush(gc, link);
		err = hub_group_commit_synced(gc, link, true);
	}
	gc->batch_at = 0;
	return err;
}

const hub_group_commit_stats *hub_group_commit_get_stats(const hub_group_commit *gc)
{
	return &gc->stats;
}
