/* The connection watcher (watch.h): request deadlines and the hang-ups of
 * suspended streams, on one thread around one epoll set.
 *
 * Hand-off: libmicrohttpd's threads open, arm and close the records of
 * connections, under the watcher's mutex; the watcher shuts a socket down
 * under that same mutex. The library announces a closing connection
 * (dash_watch_close) before it closes the socket, so a socket is never shut
 * down after its number could have been given to another file. Streams'
 * sockets sit in the epoll set only while they are suspended (sse.c adds
 * and removes them under its own lock); the hang-up callback runs with no
 * lock of this file held. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dashboard/watch.h"
#include "protocol/clock.h"
#include "protocol/log.h"

#define TICK_MS 250        /* how often deadlines are looked at, while any runs */
#define LOG_EVERY_MS 10000 /* a summary of cut requests at most this often */

struct dash_watched {
	int fd;
	int64_t deadline;       /* monotonic ms; 0: none running */
	dash_watched *prev, *next;
};

struct dash_watch {
	pthread_t thread;
	int epfd, wake_fd;
	atomic_bool stop;
	dash_watch_hangup_fn *hangup;
	void *ud;

	pthread_mutex_t lock;   /* guards what follows */
	dash_watched *conns;
	size_t armed;           /* records with a deadline running */
	bool asleep;            /* waiting without a timeout: wake to arm */
	int64_t cut, logged_at; /* cut since the last log line, and when */
};

/* The epoll tag of the wake-up eventfd (streams are tagged by their arg). */
static char wake_tag;

/* Shuts down the sockets past their deadline; with the lock held. */
static void expire(dash_watch *w, int64_t now)
{
	for (dash_watched *c = w->conns; c; c = c->next) {
		if (!c->deadline || now < c->deadline)
			continue;
		/* The library sees end of file, and closes it as any other. */
		shutdown(c->fd, SHUT_RDWR);
		c->deadline = 0;
		w->armed--;
		w->cut++;
	}
	if (w->cut && now - w->logged_at >= LOG_EVERY_MS) {
		log_warn("http: closed %lld connection(s) that did not send a whole request "
			 "within %d s", (long long)w->cut, DASH_REQUEST_MS / 1000);
		w->cut = 0;
		w->logged_at = now;
	}
}

static void *run(void *arg)
{
	dash_watch *w = arg;
	struct epoll_event ev[64];

	while (!atomic_load(&w->stop)) {
		pthread_mutex_lock(&w->lock);
		int timeout = w->armed ? TICK_MS : -1;
		w->asleep = timeout < 0;
		pthread_mutex_unlock(&w->lock);
		int n = epoll_wait(w->epfd, ev, 64, timeout);
		if (n < 0 && errno != EINTR) {
			log_error("http: the connection watcher stops: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			if (ev[i].data.ptr == &wake_tag) {
				uint64_t v;
				if (read(w->wake_fd, &v, sizeof v) < 0 && errno != EAGAIN)
					log_warn("http: watcher wake-up: %s", strerror(errno));
			} else {
				w->hangup(w->ud, ev[i].data.ptr);
			}
		}
		pthread_mutex_lock(&w->lock);
		expire(w, proto_mono_ms());
		pthread_mutex_unlock(&w->lock);
	}
	return NULL;
}

static void wake(dash_watch *w)
{
	uint64_t one = 1;

	if (write(w->wake_fd, &one, sizeof one) < 0 && errno != EAGAIN)
		log_warn("http: watcher wake-up: %s", strerror(errno));
}

dash_watch *dash_watch_create(dash_watch_hangup_fn *hangup, void *ud)
{
	dash_watch *w = calloc(1, sizeof *w);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &wake_tag};
	int rc;

	if (!w)
		return NULL;
	w->hangup = hangup;
	w->ud = ud;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->epfd < 0 || w->wake_fd < 0 ||
	    epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->wake_fd, &ev) != 0) {
		log_error("http: cannot set up the connection watcher: %s", strerror(errno));
		goto fail;
	}
	pthread_mutex_init(&w->lock, NULL);
	rc = pthread_create(&w->thread, NULL, run, w);
	if (rc != 0) {
		log_error("http: cannot start the connection watcher: %s", strerror(rc));
		pthread_mutex_destroy(&w->lock);
		goto fail;
	}
	return w;
fail:
	if (w->epfd >= 0)
		close(w->epfd);
	if (w->wake_fd >= 0)
		close(w->wake_fd);
	free(w);
	return NULL;
}

void dash_watch_destroy(dash_watch *w)
{
	if (!w)
		return;
	atomic_store(&w->stop, true);
	wake(w);
	pthread_join(w->thread, NULL);
	for (dash_watched *c = w->conns, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	close(w->epfd);
	close(w->wake_fd);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

dash_watched *dash_watch_open(dash_watch *w, int fd)
{
	dash_watched *c = calloc(1, sizeof *c);

	if (!c)
		return NULL;
	c->fd = fd;
	pthread_mutex_lock(&w->lock);
	c->next = w->conns;
	if (w->conns)
		w->conns->prev = c;
	w->conns = c;
	pthread_mutex_unlock(&w->lock);
	dash_watch_arm(w, c, true);
	return c;
}

void dash_watch_arm(dash_watch *w, dash_watched *c, bool on)
{
	bool kick = false;

	if (!c)
		return;
	pthread_mutex_lock(&w->lock);
	if (on && !c->deadline) {
		w->armed++;
		kick = w->asleep;
		w->asleep = false;
	} else if (!on && c->deadline) {
		w->armed--;
	}
	c->deadline = on ? proto_mono_ms() + DASH_REQUEST_MS : 0;
	pthread_mutex_unlock(&w->lock);
	/* The thread slept with nothing to time: it must start ticking. */
	if (kick)
		wake(w);
}

void dash_watch_close(dash_watch *w, dash_watched *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&w->lock);
	if (c->deadline)
		w->armed--;
	if (c->prev)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&w->lock);
	free(c);
}

bool dash_watch_stream_add(dash_watch *w, int fd, void *arg)
{
	/* Not EPOLLIN: a page sends nothing on its stream, only its going
	 * away matters. One report, then the entry sleeps until removed. */
	struct epoll_event ev = {.events = EPOLLRDHUP | EPOLLONESHOT, .data.ptr = arg};

	return w && fd >= 0 && epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) == 0;
}

void dash_watch_stream_del(dash_watch *w, int fd)
{
	if (w && fd >= 0)
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, fd, NULL);
}
