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
#include <sys/stat.h>
#include <unistd.h>

#include "hub/durable.h"
#include "protocol/db.h"
#include "protocol/log.h"

/* A checkpoint once the WAL has grown past this, as SQLite's automatic one
 * would at its default of 1,000 pages of 4 KiB. */
#define CHECKPOINT_BYTES (4 * 1024 * 1024)

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
	struct stat sb;
	int frames = 0, copied = 0;

	if (fstat(d->wal, &sb) != 0 || sb.st_size < CHECKPOINT_BYTES)
		return;
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
		if (rc == 0)
			checkpoint(d);
		pthread_mutex_lock(&d->lock);
		d->state = rc == 0 ? SYNCED : FAILED;
		uint64_t one = 1;
		if (write(d->wake, &one, sizeof one) < 0)
			log_error("durable: cannot wake the core: %s", strerror(errno));
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
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
	d->wal_path = malloc(strlen(path) + sizeof "-wal");
	if (d->wake < 0 || !d->wal_path)
		goto fail;
	sprintf(d->wal_path, "%s-wal", path);
	if (sqlite3_open_v2(path, &d->ckpt, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		log_error("durable: cannot open %s: %s", path, sqlite3_errmsg(d->ckpt));
		goto fail;
	}
	if (proto_db_exec(db, "PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0"))
		goto fail;
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
		/* Drained before the state is read: an end reported after the
		 * read writes the eventfd again and wakes the core. */
		if (read(d->wake, &n, sizeof n) < 0 && errno != EAGAIN)
			log_debug("durable: eventfd: %s", strerror(errno));
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
	*synced = state == SYNCED || state == FAILED;
	return state == FAILED ? PROTO_ERR_IO : PROTO_OK;
}
