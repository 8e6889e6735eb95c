/* Durability off the core thread. The hub's connection commits with
 * synchronous=NORMAL: a commit's WAL frames reach the page cache and the
 * core goes on reading and staging the next batch. This file's one thread
 * makes them durable with fdatasync on the WAL (the file, not SQLite's
 * descriptor of it: a sync covers the file's pages whoever wrote them), and
 * checkpoints the WAL on a connection of its own once it has grown, so that
 * neither fsync nor checkpoint ever stalls the core.
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

/* A checkpoint once the WAL holds this many frames since it was last
 * restarted, as SQLite's automatic one would (its default). The file itself
 * never shrinks, so its size says nothing. */
#define CHECKPOINT_FRAMES 1000

enum { IDLE, SYNCING, SYNCED, FAILED };

struct hub_durable {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool asked, stop, started;
	int state;
	int wake;          /* eventfd: the thread tells the core */
	int wal;           /* the WAL file, opened when first synced */
	char *wal_path;
	int frames;        /* in the WAL after the last commit (under lock) */
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

static void checkpoint(hub_durable *d)
{
	int frames = 0, copied = 0;

	/* Passive: it never waits on the core's writes or the dashboard's
	 * reads; what it cannot copy now, a later one does. */
	int rc = sqlite3_wal_checkpoint_v2(d->ckpt, NULL, SQLITE_CHECKPOINT_PASSIVE,
		&frames, &copied);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		log_warn("checkpoint: %s", sqlite3_errmsg(d->ckpt));
	else
		log_debug("checkpoint: %d of %d WAL frames copied", copied, frames);
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
		pthread_mutex_unlock(&d->lock);
		int rc = sync_wal(d);
		pthread_mutex_lock(&d->lock);
		d->state = rc == 0 ? SYNCED : FAILED;
		/* Written under the lock: whoever sees the state sees it done. */
		uint64_t one = 1;
		if (write(d->wake, &one, sizeof one) < 0)
			log_error("durable: cannot wake the core: %s", strerror(errno));
		bool full = rc == 0 && d->frames >= CHECKPOINT_FRAMES;
		pthread_mutex_unlock(&d->lock);
		/* After the core has its answer: the next sync may wait for
		 * this, the one just reported does not. */
		if (full)
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
	if (sqlite3_open_v2(path, &d->ckpt, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
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

void hub_durable_request(hub_durable *d)
{
	pthread_mutex_lock(&d->lock);
	d->asked = true;
	d->state = SYNCING;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);
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
