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
 * Every checkpoint is checked: -1 frames (a connection that cannot see the
 * WAL), an error, or one that copies nothing of what waits is a failure,
 * logged, counted and written to the health file beside the database
 * (hub.db-health, one line, read by `minqing-hub stats` and the dashboard).
 * When the hub has been quiet a few seconds the core asks for a TRUNCATE
 * checkpoint, so that an idle hub leaves no WAL behind.
 *
 * A full disk: SQLite cannot checkpoint into a database that has no room
 * to grow, and a WAL that cannot be copied cannot start again, so once
 * full the hub would stay full after space came back. A reserve file
 * (hub.db-reserve, RESERVE_BYTES) is kept allocated beside the database;
 * when a commit finds the disk full the core pauses and asks for a
 * recovery: the reserve is freed, the WAL checkpointed and truncated, and
 * the reserve taken again. Until that succeeds (there is room for the
 * reserve, so for the next checkpoint) the core stages nothing and asks
 * again with a backoff. The hub frees the reserve when it stops, so that
 * the last checkpoint of sqlite3_close has room too.
 *
 * Hand-off: the core calls hub_durable_request after a commit; the thread,
 * woken on `cond`, syncs, sets `state` and writes the eventfd; the core,
 * woken on hub_durable_fd, takes the result. `lock` guards `asked`, `state`
 * and `stop`. One request at a time: the core commits its next batch only
 * after taking the result of the last (hub/group-commit.c), so a sync covers
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
#include <sys/statvfs.h>
#include <time.h>
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
/* Room kept for a checkpoint: what the database may grow by when the WAL
 * (RESTART_FRAMES of 4 KiB pages at most, between restarts) is copied. */
#define RESERVE_BYTES (8 << 20)
/* Free space, besides the reserve, a recovery wants before the core goes
 * on: room for the WAL to grow between checkpoints, so that a disk with
 * only the reserve's room does not fill again at the next commit. */
#define RESUME_BYTES (4 << 20)
/* The health file's one line, padded: rewritten in place, never grown. */
#define HEALTH_LEN 256

enum { IDLE, SYNCING, SYNCED, FAILED, NOROOM };

struct hub_durable {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool asked, stop, started;
	int mode;          /* what the request asks for (hub_durable_mode) */
	int state;
	int wake;          /* eventfd: the thread tells the core */
	int wal;           /* the WAL file, opened when first synced */
	char *wal_path;
	int frames;        /* in the WAL after the last commit (under lock) */
	int64_t written;   /* frames written since the start (under lock) */
	int copied;        /* of those, copied by the last checkpoint */
	int asked_at;      /* frames at the last request (core only) */
	int restart_at;    /* frames at which to pause next (core only) */
	bool noroom;       /* the last recovery ended without room (core only) */
	sqlite3 *ckpt;     /* the thread's own connection, for checkpoints */
	char *reserve_path;
	bool reserved;     /* the reserve is allocated (thread, or before it) */
	int health;        /* the health file (thread only) */
	char *health_path;
	bool disk_full;    /* as the core last told (under lock) */
	int64_t full_since;
	hub_durable_health h; /* the last checkpoint's result (under lock) */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *suffixed(const char *path, const char *suffix)
{
	size_t n = strlen(path) + strlen(suffix) + 1;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s%s", path, suffix);
	return s;
}

/* Takes the reserve: true when RESERVE_BYTES are allocated to it. A
 * failure leaves no file, so that a partial allocation is not kept from
 * the checkpoint that needs it. */
static bool reserve_take(hub_durable *d)
{
	if (d->reserved)
		return true;
	int fd = open(d->reserve_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	int rc = fd < 0 ? errno : posix_fallocate(fd, 0, RESERVE_BYTES);

	if (fd >= 0 && close(fd) != 0 && rc == 0)
		rc = errno;
	if (rc != 0) {
		unlink(d->reserve_path);
		log_debug("durable: no room for the reserve: %s", strerror(rc));
		return false;
	}
	d->reserved = true;
	return true;
}

/* Frees the reserve for a checkpoint to grow the database into. */
static void reserve_free(hub_durable *d)
{
	if (unlink(d->reserve_path) != 0 && errno != ENOENT)
		log_error("durable: cannot free the reserve %s: %s", d->reserve_path,
			strerror(errno));
	d->reserved = false;
}

static int64_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (int64_t)st.st_size : 0;
}

/* Rewrites the health file's line in place (thread, or before it). A
 * failure is only logged: the file is for operators, not for the data. */
static void health_write(hub_durable *d)
{
	char line[HEALTH_LEN];

	if (d->health < 0)
		return;
	pthread_mutex_lock(&d->lock);
	hub_durable_health h = d->h;
	bool full = d->disk_full;
	int64_t since = d->full_since;
	pthread_mutex_unlock(&d->lock);
	int n = snprintf(line, sizeof line, "disk=%s full_since=%lld wal_bytes=%lld "
		"checkpoint=%s frames=%d copied=%d at=%lld checkpoints=%lld failed=%lld "
		"reserve=%d", full ? "full" : "ok", (long long)since,
		(long long)file_size(d->wal_path), h.last_ok ? "ok" : "failed", h.frames,
		h.copied, (long long)h.at_ms, (long long)h.checkpoints, (long long)h.failed,
		d->reserved ? RESERVE_BYTES : 0);
	if (n < 0 || n >= HEALTH_LEN)
		n = HEALTH_LEN - 1;
	memset(line + n, ' ', (size_t)(HEALTH_LEN - 1 - n));
	line[HEALTH_LEN - 1] = '\n';
	if (pwrite(d->health, line, sizeof line, 0) != (ssize_t)sizeof line)
		log_debug("durable: cannot write %s: %s", d->health_path, strerror(errno));
}

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
 * later one does. With the core paused it copies everything; TRUNCATE (the
 * core paused too) waits up to the busy timeout for readers, then empties
 * the file. Checked: an error, -1 frames, or nothing copied of frames that
 * wait is a failure, logged and counted. True when it succeeded. */
static bool checkpoint(hub_durable *d, int mode)
{
	int frames = -1, copied = -1;
	int rc = sqlite3_wal_checkpoint_v2(d->ckpt, NULL, mode, &frames, &copied);

	pthread_mutex_lock(&d->lock);
	/* A WAL that started again holds fewer frames than were copied. */
	int before = frames >= 0 && frames < d->copied ? 0 : d->copied;
	bool ok = (rc == SQLITE_OK || rc == SQLITE_BUSY) && frames >= 0 && copied >= 0 &&
		(frames == 0 || copied > before || copied == frames);
	/* Passive under load: a reader on an older snapshot may hold back
	 * what a later one copies; TRUNCATE (the core paused) must copy all,
	 * though a reader may still keep the file from being emptied (BUSY:
	 * the next quiet spell empties it). */
	if (ok && mode == SQLITE_CHECKPOINT_TRUNCATE && copied != frames)
		ok = false;
	d->copied = copied > 0 ? copied : d->copied;
	d->h.checkpoints++;
	d->h.failed += !ok;
	d->h.last_ok = ok;
	d->h.frames = frames, d->h.copied = copied;
	d->h.at_ms = now_ms();
	pthread_mutex_unlock(&d->lock);
	if (!ok)
		log_warn("checkpoint failed (%s): %d of %d WAL frames copied, %d before",
			rc == SQLITE_OK || rc == SQLITE_BUSY ? "nothing copied" :
			sqlite3_errmsg(d->ckpt), copied, frames, before);
	else
		log_debug("checkpoint: %d of %d WAL frames copied", copied, frames);
	return ok;
}

/* A full disk: the reserve freed for the checkpoint that empties the WAL,
 * then taken again. True when the reserve is back and RESUME_BYTES more
 * are free: room for the next checkpoint and for the WAL to grow. */
static bool recover(hub_durable *d)
{
	struct statvfs fs;

	reserve_free(d);
	checkpoint(d, SQLITE_CHECKPOINT_TRUNCATE);
	if (!reserve_take(d))
		return false;
	if (statvfs(d->reserve_path, &fs) != 0) {
		log_error("durable: cannot see the free space: %s", strerror(errno));
		return false;
	}
	return (uint64_t)fs.f_bavail * fs.f_frsize >= RESUME_BYTES;
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
		int mode = d->mode;
		pthread_mutex_unlock(&d->lock);
		int rc = sync_wal(d);
		bool room = true;
		/* The core waits for these, staging nothing. */
		if (rc == 0 && mode == HUB_DURABLE_RESTART)
			checkpoint(d, SQLITE_CHECKPOINT_PASSIVE);
		else if (rc == 0 && mode == HUB_DURABLE_TRUNCATE)
			checkpoint(d, SQLITE_CHECKPOINT_TRUNCATE);
		else if (rc == 0 && mode == HUB_DURABLE_RECOVER && (room = recover(d))) {
			/* Said at once in the file: the core goes on from here. */
			pthread_mutex_lock(&d->lock);
			d->disk_full = false;
			d->full_since = 0;
			pthread_mutex_unlock(&d->lock);
		}
		if (mode != HUB_DURABLE_SYNC)
			health_write(d);
		pthread_mutex_lock(&d->lock);
		d->state = rc != 0 ? FAILED : room ? SYNCED : NOROOM;
		/* Written under the lock: whoever sees the state sees it done. */
		uint64_t one = 1;
		if (write(d->wake, &one, sizeof one) < 0)
			log_error("durable: cannot wake the core: %s", strerror(errno));
		/* A WAL that started again holds fewer frames than were copied. */
		if (d->frames < d->copied)
			d->copied = 0;
		bool due = rc == 0 && mode == HUB_DURABLE_SYNC &&
			d->frames - d->copied >= CHECKPOINT_FRAMES;
		pthread_mutex_unlock(&d->lock);
		/* After the core has its answer: the next sync may wait for
		 * this, the one just reported does not. */
		if (due) {
			checkpoint(d, SQLITE_CHECKPOINT_PASSIVE);
			health_write(d);
		}
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
	/* A WAL that started again was written from its first frame. */
	d->written += frames >= d->frames ? frames - d->frames : frames;
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
	d->health = -1;
	d->h.last_ok = true;
	d->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	/* SQLite's own name for it: the database's path resolved. */
	const char *main_path = sqlite3_db_filename(db, "main");
	const char *wal = sqlite3_filename_wal(main_path);
	d->wal_path = wal ? strdup(wal) : NULL;
	d->reserve_path = suffixed(main_path, "-reserve");
	d->health_path = suffixed(path, "-health");
	if (d->wake < 0 || !d->wal_path || !d->reserve_path || !d->health_path)
		goto fail;
	/* A connection opens the WAL only when it first reads the database:
	 * until then its checkpoints do nothing and say so only by counting
	 * -1 frames (how every one of them went unnoticed for a while). */
	if (sqlite3_open_v2(path, &d->ckpt, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    proto_db_exec(d->ckpt, "SELECT count(*) FROM sqlite_master")) {
		log_error("durable: cannot open %s: %s", path, sqlite3_errmsg(d->ckpt));
		goto fail;
	}
	/* TRUNCATE waits this long for the dashboard's readers. */
	sqlite3_busy_timeout(d->ckpt, 1000);
	if (proto_db_exec(db, "PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0"))
		goto fail;
	/* Written whole at once, so that it never needs room again. */
	d->health = open(d->health_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (d->health < 0)
		log_warn("durable: cannot open %s: %s", d->health_path, strerror(errno));
	/* No reserve on a disk full already: the core finds out at its
	 * first commit and recovers as from any full disk. */
	if (!reserve_take(d))
		log_warn("durable: no room for the %d MiB reserve beside the database: "
			 "the disk is nearly full", RESERVE_BYTES >> 20);
	health_write(d);
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
		log_info("WAL: %lld frames written since the start, %lld checkpoints "
			 "(%lld failed)", (long long)d->written, (long long)d->h.checkpoints,
			(long long)d->h.failed);
	}
	sqlite3_close(d->ckpt);
	/* Room for the checkpoint of the hub's last close. */
	if (d->reserve_path)
		reserve_free(d);
	if (d->health >= 0)
		close(d->health);
	free(d->reserve_path);
	free(d->health_path);
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
	bool full = d->frames >= d->restart_at;
	d->mode = full ? HUB_DURABLE_RESTART : HUB_DURABLE_SYNC;
	if (full)
		d->restart_at = d->frames + RESTART_FRAMES;
	d->state = SYNCING;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);
	return full;
}

bool hub_durable_ask(hub_durable *d, hub_durable_mode mode)
{
	pthread_mutex_lock(&d->lock);
	/* Quiet: nothing to truncate when the WAL is empty already. */
	bool ask = mode != HUB_DURABLE_TRUNCATE || d->frames > 0;
	if (ask) {
		d->asked = true;
		d->mode = mode;
		d->state = SYNCING;
		/* Emptied: the next commit writes the WAL from its start. */
		d->frames = 0;
		pthread_cond_signal(&d->cond);
	}
	pthread_mutex_unlock(&d->lock);
	return ask;
}

void hub_durable_set_full(hub_durable *d, bool full, int64_t since_ms)
{
	pthread_mutex_lock(&d->lock);
	d->disk_full = full;
	d->full_since = full ? since_ms : 0;
	pthread_mutex_unlock(&d->lock);
}

hub_durable_health hub_durable_get_health(hub_durable *d)
{
	pthread_mutex_lock(&d->lock);
	hub_durable_health h = d->h;
	pthread_mutex_unlock(&d->lock);
	return h;
}

proto_err hub_durable_take(hub_durable *d, bool wait, bool *synced)
{
	uint64_t n;
	int state;

	for (;;) {
		pthread_mutex_lock(&d->lock);
		state = d->state;
		if (state == SYNCED || state == FAILED || state == NOROOM)
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
	if ((state == SYNCED || state == FAILED || state == NOROOM) &&
	    read(d->wake, &n, sizeof n) < 0 && errno != EAGAIN)
		log_debug("durable: eventfd: %s", strerror(errno));
	*synced = state == SYNCED || state == FAILED || state == NOROOM;
	if (*synced)
		d->noroom = state == NOROOM;
	return state == FAILED ? PROTO_ERR_IO : PROTO_OK;
}

bool hub_durable_noroom(const hub_durable *d)
{
	return d->noroom;
}
