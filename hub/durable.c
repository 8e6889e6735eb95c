/* Durability off the core thread. The hub's connection commits with
 * synchronous=NORMAL: a commit's WAL frames reach the page cache and the
 * core goes on reading and staging the next batch. This file's one thread
 * makes them durable with fdatasync on the WAL (the file, not SQLite's
 * descriptor of it: a sync covers the file's pages whoever wrote them), and
 * checkpoints the WAL on a connection of its own as it grows, so that
 * neither fsync nor checkpoint stalls the core.
 *
 * The WAL starts again from its beginning only when a write transaction
 * begins after a checkpoint has copied all of it. Under steady load the
 * core always has its next batch open before the checkpoint ends, so the
 * file grew without end (200 MB in a 60,000-report run, every write
 * extending it). So once it holds RESTART_FRAMES the core pauses (stages
 * nothing) while one sync and a full checkpoint run, and its next batch
 * writes from the start again.
 *
 * Hand-off: the core calls hub_durable_request after a commit; the thread,
 * woken on `cond`, syncs, sets `state` and writes the eventfd; the core,
 * woken on hub_durable_fd, takes the result. `lock` guards `asked`, `state`
 * and `stop`. One request at a time: the core commits its next batch only
 * after taking the result of the last (hub/ingest.c), so a sync covers
 * exactly one commit and what the core staged meanwhile waits for the
 * next. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "hub/durable.h"
#include "protocol/db.h"
#include "protocol/log.h"

/* A checkpoint once the WAL holds this many frames not yet copied, as
 * SQLite's automatic one would (its default). The file itself never
 * shrinks, so its size says nothing. */
#define CHECKPOINT_FRAMES 1000
/* The WAL's length (frames, 8 MiB) at which the core pauses for it to start
 * again from its beginning: one pause of a sync and a checkpoint every
 * second or two under full load. Measured against 4 and 16 MiB, with
 * checkpoints every 250 to 4,000 frames: smaller cost the hub less CPU
 * per report. */
#define RESTART_FRAMES 2048

enum { IDLE, SYNCING, SYNCED, FAILED };

struct hub_durable {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool asked, stop, started;
	bool full;         /* the request asks for a full checkpoint too */
	int state;
	int wake;          /* eventfd: the thread tells the core */
	int wal;           /* the WAL file, opened when first synced */
	char *wal_path;
	int frames;        /* in the WAL after the last commit (under lock) */
	int copied;        /* of those, copied by the last checkpoint */
	int asked_at;      /* frames at the last request (core only) */
	int restart_at;    /* frames at which to pause next (core only) */
	sqlite3 *ckpt;     /* the thread's own connection, for checkpoints */
};

static int sync_wal(hub_durable *d)
{
	if (d->wal < 0) {
		d->wal = open(d->wal_path, O_RDONLY | O_CLOEXEC);
		if (d->wal < 0) {
			log_error("cannot open the WAL to sync it: %s", strerror(errno));
			return -1;
		}
	}
	if (fdatasync(d->wal) != 0) {
		log_error("the disk did not sync the WAL: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Copies what it can of the WAL into the database. Passive: it never waits
 * on the core's writes or the dashboard's reads; what it cannot copy now, a
 * later one does. With the core paused it copies everything. */
static void checkpoint(hub_durable *d)
{
	int frames = 0, copied = 0;
	int rc = sqlite3_wal_checkpoint_v2(d->ckpt, NULL, SQLITE_CHECKPOINT_PASSIVE,
		&frames, &copied);

	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		log_warn("checkpoint: %s", sqlite3_errmsg(d->ckpt));
	else
		log_debug("checkpoint: %d of %d WAL frames copied", copied, frames);
	pthread_mutex_lock(&d->lock);
	d->copied = copied > 0 ? copied : d->copied;
	pthread_mutex_unlock(&d->lock);
}

static void *run(void *arg)
{
	hub_durable *d = arg;

	/* Named for ps and top: it runs at the core's priority, not the
	 * dashboard pool's, since receipts wait on it. */
	prctl(PR_SET_NAME, "minqing-sync", 0, 0, 0);
	pthread_mutex_lock(&d->lock);
	for (;;) {
		while (!d->asked && !d->stop)
			pthread_cond_wait(&d->cond, &d->lock);
		if (!d->asked)
			break;
		d->asked = false;
		bool full = d->full;
		pthread_mutex_unlock(&d->lock);
		int rc = sync_wal(d);
		/* The core waits for this one, staging nothing. */
		if (rc == 0 && full)
			checkpoint(d);
		pthread_mutex_lock(&d->lock);
		d->state = rc == 0 ? SYNCED : FAILED;
		/* Written under the lock: whoever sees the state sees it done. */
		uint64_t one = 1;
		if (write(d->wake, &one, sizeof one) < 0)
			log_error("durable: cannot wake the core: %s", strerror(errno));
		/* A WAL that started again holds fewer frames than were copied. */
		if (d->frames < d->copied)
			d->copied = 0;
		bool due = rc == 0 && !full && d->frames - d->copied >= CHECKPOINT_FRAMES;
		pthread_mutex_unlock(&d->lock);
		/* After the core has its answer: the next sync may wait for
		 * this, the one just reported does not. */
		if (due)
			checkpoint(d);
		pthread_mutex_lock(&d->lock);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

/* SQLite's hook after each commit of the core's connection, on the core. */
static int on_commit(void *ud, sqlite3 *db, const char *name, int frames)
{
	hub_durable *d = ud;

	(void)db, (void)name;
	pthread_mutex_lock(&d->lock);
	d->frames = frames;
	pthread_mutex_unlock(&d->lock);
	return SQLITE_OK;
}

hub_durable *hub_durable_create(sqlite3 *db, const char *path)
{
	hub_durable *d = calloc(1, sizeof *d);

	if (!d)
		return NULL;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	d->wal = -1;
	d->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	/* SQLite's own name for it: the database's path resolved. */
	const char *wal = sqlite3_filename_wal(sqlite3_db_filename(db, "main"));
	d->wal_path = wal ? strdup(wal) : NULL;
	if (d->wake < 0 || !d->wal_path)
		goto fail;
	/* A connection opens the WAL only when it first reads the database:
	 * until then its checkpoints do nothing and say so only by counting
	 * -1 frames (how every one of them went unnoticed for a while). */
	if (sqlite3_open_v2(path, &d->ckpt, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    proto_db_exec(d->ckpt, "SELECT count(*) FROM sqlite_master")) {
		log_error("durable: cannot open %s: %s", path, sqlite3_errmsg(d->ckpt));
		goto fail;
	}
	if (proto_db_exec(db, "PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0"))
		goto fail;
	/* After the pragma, which would drop it: the hook is where SQLite's
	 * own automatic checkpoint sits. */
	sqlite3_wal_hook(db, on_commit, d);
	if (pthread_create(&d->thread, NULL, run, d) != 0) {
		log_error("durable: cannot start its thread");
		goto fail;
	}
	d->started = true;
	return d;
fail:
	hub_durable_destroy(d);
	return NULL;
}

void hub_durable_destroy(hub_durable *d)
{
	if (!d)
		return;
	if (d->started) {
		pthread_mutex_lock(&d->lock);
		d->stop = true;
		pthread_cond_signal(&d->cond);
		pthread_mutex_unlock(&d->lock);
		pthread_join(d->thread, NULL);
	}
	sqlite3_close(d->ckpt);
	if (d->wal >= 0)
		close(d->wal);
	if (d->wake >= 0)
		close(d->wake);
	free(d->wal_path);
	pthread_cond_destroy(&d->cond);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

int hub_durable_fd(const hub_durable *d)
{
	return d->wake;
}

bool hub_durable_request(hub_durable *d)
{
	pthread_mutex_lock(&d->lock);
	d->asked = true;
	/* A WAL that started again is shorter than at the last request. A
	 * pause that did not restart it (a dashboard reader still on an older
	 * snapshot) is tried again only once it has grown as much again, not
	 * at every sync. */
	if (d->frames < d->asked_at || d->restart_at == 0)
		d->restart_at = RESTART_FRAMES;
	d->asked_at = d->frames;
	d->full = d->frames >= d->restart_at;
	if (d->full)
		d->restart_at = d->frames + RESTART_FRAMES;
	bool full = d->full;
	d->state = SYNCING;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);
	return full;
}

proto_err hub_durable_take(hub_durable *d, bool wait, bool *synced)
{
	uint64_t n;
	int state;

	for (;;) {
		pthread_mutex_lock(&d->lock);
		state = d->state;
		if (state == SYNCED || state == FAILED)
			d->state = IDLE;
		pthread_mutex_unlock(&d->lock);
		if (state != SYNCING || !wait)
			break;
		struct pollfd p = {.fd = d->wake, .events = POLLIN};
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			break;
	}
	/* The end's wake-up was written before the state could be seen:
	 * drained now, none is left to wake the core again for nothing. */
	if ((state == SYNCED || state == FAILED) &&
	    read(d->wake, &n, sizeof n) < 0 && errno != EAGAIN)
		log_debug("durable: eventfd: %s", strerror(errno));
	*synced = state == SYNCED || state == FAILED;
	return state == FAILED ? PROTO_ERR_IO : PROTO_OK;
}
