/* The drain engine (drain.h): the flight is an array of at most `window`
 * (id, time of the last publish) pairs, oldest first. It is always the head
 * of the queue in id order: a fill asks the queue for what comes after the
 * flight's newest id, a receipt takes its id out wherever it sits, and every
 * resend simply shortens the flight, so that the next fill publishes the
 * dropped tail again from its oldest. The times of the last publish never
 * decrease along the array, which makes the oldest the first to be late. */
#include <stdlib.h>
#include <string.h>

#include "protocol/drain.h"

typedef struct flight {
	int64_t id;      /* message id */
	int64_t sent_at; /* monotonic ms of the last publish */
} flight;

struct proto_drain {
	proto_drain_opts o;
	proto_drain_queue q;
	flight *flight;         /* o.window slots, n in use, oldest first */
	int n;
	int64_t pause_until;    /* monotonic ms: the receiver asked us to slow down */
	int64_t session;        /* the receiver's last session seen online, 0 if none */
	proto_bucket pace;
	bool short_of_window;   /* the last fill stopped with messages left */
	int64_t now;            /* of the fill under way, for offer() */
	int sent;               /* publishes of the fill under way */
};

proto_drain *proto_drain_create(const proto_drain_opts *opts,
	const proto_drain_queue *queue)
{
	proto_drain *d = calloc(1, sizeof *d);

	if (!d)
		return NULL;
	d->o = *opts;
	d->q = *queue;
	if (d->o.window < 1)
		d->o.window = 1;
	if (d->o.pause_ms <= 0)
		d->o.pause_ms = PROTO_DRAIN_PAUSE_MS;
	proto_bucket_init(&d->pace, d->o.rate, d->o.burst);
	d->flight = calloc((size_t)d->o.window, sizeof *d->flight);
	if (!d->flight)
		goto fail;
	return d;
fail:
	proto_drain_destroy(d);
	return NULL;
}

void proto_drain_destroy(proto_drain *d)
{
	if (!d)
		return;
	free(d->flight);
	free(d);
}

int proto_drain_timeout(proto_drain *d, int64_t now)
{
	for (int i = 0; i < d->n; i++) {
		if (now - d->flight[i].sent_at < d->o.resend_ms)
			continue;
		int late = d->n - i;
		d->n = i;
		return late;
	}
	return 0;
}

/* The queue's offer of one message: published when the pace allows and the
 * link takes it; non-zero stops the queue's walk. */
static int offer(proto_drain *d, int64_t id, const void *msg)
{
	if (d->n >= d->o.window)
		return 1;
	if (!proto_bucket_take(&d->pace, d->now)) {
		d->short_of_window = true; /* proto_drain_due wakes us for the token */
		return 1;
	}
	if (d->q.send(d->q.ud, id, msg, d->now)) {
		/* Link gone: stop; a reconnect restarts the flight anyway. */
		d->short_of_window = true;
		return 1;
	}
	d->flight[d->n++] = (flight){.id = id, .sent_at = d->now};
	d->sent++;
	return d->n == d->o.window;
}

int proto_drain_fill(proto_drain *d, int64_t now)
{
	int64_t after;

	d->short_of_window = false;
	if (d->n >= d->o.window || now < d->pause_until)
		return 0;
	after = d->n ? d->flight[d->n - 1].id : 0;
	d->now = now;
	d->sent = 0;
	if (d->q.each(d->q.ud, after, d->o.window - d->n, offer, d))
		return -1;
	return d->sent;
}

void proto_drain_receipt(proto_drain *d, int64_t id)
{
	for (int i = 0; i < d->n; i++) {
		if (d->flight[i].id == id) {
			memmove(&d->flight[i], &d->flight[i + 1],
				(size_t)(d->n - i - 1) * sizeof *d->flight);
			d->n--;
			return;
		}
	}
}

void proto_drain_limited(proto_drain *d, int64_t now)
{
	/* Transient: nothing is marked, everything is sent again after it. */
	d->n = 0;
	d->pause_until = now + d->o.pause_ms;
}

bool proto_drain_birth(proto_drain *d, int64_t session, bool retained)
{
	if (session == d->session)
		return false;
	d->session = session;
	if (retained)
		return false;
	d->n = 0;
	return true;
}

void proto_drain_restart(proto_drain *d)
{
	d->n = 0;
}

int proto_drain_inflight(const proto_drain *d)
{
	return d->n;
}

bool proto_drain_paused(const proto_drain *d, int64_t now)
{
	return now < d->pause_until;
}

int64_t proto_drain_due(proto_drain *d, int64_t now)
{
	int64_t due = INT64_MAX;

	if (d->n)
		due = d->flight[0].sent_at + d->o.resend_ms;
	if (now < d->pause_until)
		return d->pause_until < due ? d->pause_until : due;
	if (d->short_of_window) {
		/* A token due later, else the stop was a failed send. */
		int64_t wait = proto_bucket_wait(&d->pace, now);
		if (wait <= 0)
			wait = d->o.stall_ms > 0 ? d->o.stall_ms : -1;
		if (wait >= 0 && now + wait < due)
			due = now + wait;
	}
	return due;
}

proto_bucket *proto_drain_pace(proto_drain *d)
{
	return &d->pace;
}
