/* The drain engine on an in-memory queue and a fake clock: the window's
 * fill, the ordered resend after the receipt timeout, a receipt freeing a
 * slot, the pace, the rate-limited pause, the receiver's birth, a failed
 * send and the engine's wake-up times. */
#include <stdint.h>

#include "check.h"
#include "protocol/drain.h"

#define QMAX 64
#define SENTMAX 256

/* The queue: ids queued and not receipted, ascending; and what was sent. */
typedef struct fake {
	int64_t ids[QMAX];
	int n;
	int64_t sent[SENTMAX]; /* ids in the order of their publishes */
	int n_sent;
	bool link_down;        /* send fails */
	int skip;              /* an id the queue cannot send (left out) */
} fake;

static int each(void *ud, int64_t after, int limit, proto_drain_offer_fn offer,
	proto_drain *d)
{
	fake *f = ud;

	for (int i = 0; i < f->n && limit > 0; i++) {
		if (f->ids[i] <= after || f->ids[i] == f->skip)
			continue;
		limit--;
		if (offer(d, f->ids[i], &f->ids[i]))
			break;
	}
	return 0;
}

static int send(void *ud, int64_t id, const void *msg, int64_t now)
{
	fake *f = ud;

	(void)now;
	CHECK(*(const int64_t *)msg == id); /* the queue's handle comes back */
	if (f->link_down || f->n_sent == SENTMAX)
		return -1;
	f->sent[f->n_sent++] = id;
	return 0;
}

/* Queues ids first, first + 1, ... */
static void queue(fake *f, int64_t first, int count)
{
	for (int i = 0; i < count && f->n < QMAX; i++)
		f->ids[f->n++] = first + i;
}

/* The receiver's receipt: out of the queue and out of the flight. */
static void receipt(fake *f, proto_drain *d, int64_t id)
{
	for (int i = 0; i < f->n; i++) {
		if (f->ids[i] == id) {
			memmove(&f->ids[i], &f->ids[i + 1], (size_t)(f->n - i - 1) * sizeof *f->ids);
			f->n--;
			break;
		}
	}
	proto_drain_receipt(d, id);
}

/* The publishes since mark, as "1,2,3", for one check of their order. */
static const char *sent_since(const fake *f, int mark)
{
	static char buf[1024];
	size_t len = 0;

	buf[0] = '\0';
	for (int i = mark; i < f->n_sent && len < sizeof buf - 24; i++)
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%lld",
			i > mark ? "," : "", (long long)f->sent[i]);
	return buf;
}

static proto_drain *make(fake *f, int window, double rate, double burst)
{
	proto_drain_queue q = {.each = each, .send = send, .ud = f};
	proto_drain_opts o = {.window = window, .resend_ms = 1000, .rate = rate,
			      .burst = burst, .stall_ms = 100};

	return proto_drain_create(&o, &q);
}

static void test_window(void)
{
	fake f = {0};
	proto_drain *d = make(&f, 3, 0, 1);

	if (!CHECK(d != NULL))
		return;
	CHECK_EQ_INT(proto_drain_fill(d, 0), 0); /* nothing queued */
	CHECK(proto_drain_due(d, 0) == INT64_MAX);
	queue(&f, 10, 5);
	CHECK_EQ_INT(proto_drain_fill(d, 0), 3);
	CHECK_STR(sent_since(&f, 0), "10,11,12");
	CHECK_EQ_INT(proto_drain_inflight(d), 3);
	/* Full: a fill sends nothing more. */
	CHECK_EQ_INT(proto_drain_fill(d, 10), 0);
	/* A receipt frees a slot, wherever it sits; the next fill takes the
	 * next message after the flight's newest. */
	receipt(&f, d, 11);
	CHECK_EQ_INT(proto_drain_inflight(d), 2);
	CHECK_EQ_INT(proto_drain_fill(d, 20), 1);
	CHECK_STR(sent_since(&f, 3), "13");
	/* A receipt for an id not in flight changes nothing. */
	proto_drain_receipt(d, 99);
	CHECK_EQ_INT(proto_drain_inflight(d), 3);
	/* Wakes for the oldest's timeout, not before. */
	CHECK_EQ_INT(proto_drain_due(d, 20), 1000);
	/* The queue may leave a message out; the rest still goes. */
	receipt(&f, d, 10);
	receipt(&f, d, 12);
	receipt(&f, d, 13);
	f.skip = 14;
	queue(&f, 15, 1);
	CHECK_EQ_INT(proto_drain_fill(d, 30), 1);
	CHECK_STR(sent_since(&f, 4), "15");
	proto_drain_destroy(d);
	proto_drain_destroy(NULL);
}

static void test_timeout(void)
{
	fake f = {0};
	proto_drain *d = make(&f, 4, 0, 1);
	int mark;

	if (!CHECK(d != NULL))
		return;
	queue(&f, 1, 6);
	proto_drain_fill(d, 0);      /* 1..4 at 0 */
	receipt(&f, d, 1);
	proto_drain_fill(d, 500);    /* 5 at 500 */
	CHECK_EQ_INT(proto_drain_timeout(d, 999), 0);
	CHECK_EQ_INT(proto_drain_due(d, 999), 1000);
	/* At 1000, 2's receipt is late: 2, 3, 4 and 5 go again, in order,
	 * although 5 itself is not late yet; then 6 fits the window. */
	CHECK_EQ_INT(proto_drain_timeout(d, 1000), 4);
	CHECK_EQ_INT(proto_drain_inflight(d), 0);
	mark = f.n_sent;
	CHECK_EQ_INT(proto_drain_fill(d, 1000), 4);
	CHECK_STR(sent_since(&f, mark), "2,3,4,5");
	receipt(&f, d, 3);
	CHECK_EQ_INT(proto_drain_fill(d, 1001), 1);
	CHECK_STR(sent_since(&f, mark), "2,3,4,5,6");
	CHECK_EQ_INT(proto_drain_due(d, 1001), 2000);
	proto_drain_destroy(d);
}

static void test_pace(void)
{
	fake f = {0};
	proto_drain *d = make(&f, 10, 10, 2); /* one per 100 ms, 2 at once */

	if (!CHECK(d != NULL))
		return;
	queue(&f, 1, 5);
	CHECK_EQ_INT(proto_drain_fill(d, 0), 2);
	/* Short of the window with messages left: wake for the next token. */
	CHECK_EQ_INT(proto_drain_due(d, 0), 100);
	CHECK_EQ_INT(proto_drain_fill(d, 50), 0);
	CHECK_EQ_INT(proto_drain_fill(d, 100), 1);
	CHECK_STR(sent_since(&f, 0), "1,2,3");
	/* The caller's own publishes share the pace. */
	CHECK(!proto_bucket_take(proto_drain_pace(d), 150));
	CHECK(proto_bucket_take(proto_drain_pace(d), 200));
	CHECK_EQ_INT(proto_drain_fill(d, 200), 0);
	CHECK_EQ_INT(proto_drain_fill(d, 300), 1);
	proto_drain_destroy(d);
}

static void test_limited(void)
{
	fake f = {0};
	proto_drain *d = make(&f, 3, 0, 1);
	int mark;

	if (!CHECK(d != NULL))
		return;
	queue(&f, 1, 5);
	proto_drain_fill(d, 0);
	receipt(&f, d, 1);
	/* "rate limited" at 100: nothing is sent until 2100, then the whole
	 * flight again from the oldest unreceipted. */
	proto_drain_limited(d, 100);
	CHECK_EQ_INT(proto_drain_inflight(d), 0);
	CHECK(proto_drain_paused(d, 2099));
	CHECK(!proto_drain_paused(d, 2100));
	CHECK_EQ_INT(proto_drain_due(d, 100), 2100);
	mark = f.n_sent;
	CHECK_EQ_INT(proto_drain_fill(d, 1000), 0);
	CHECK_EQ_INT(proto_drain_fill(d, 2099), 0);
	CHECK_EQ_INT(proto_drain_fill(d, 2100), 3);
	CHECK_STR(sent_since(&f, mark), "2,3,4");
	proto_drain_destroy(d);
}

static void test_birth(void)
{
	fake f = {0};
	proto_drain *d = make(&f, 3, 0, 1);
	int mark;

	if (!CHECK(d != NULL))
		return;
	queue(&f, 1, 4);
	/* The retained copy on subscribe records the session only. */
	CHECK(!proto_drain_birth(d, 7, true));
	proto_drain_fill(d, 0);
	receipt(&f, d, 2);
	/* The same session again, live: not a birth. */
	CHECK(!proto_drain_birth(d, 7, false));
	CHECK_EQ_INT(proto_drain_inflight(d), 2);
	/* A live new session: the flight goes again, in order. */
	CHECK(proto_drain_birth(d, 8, false));
	CHECK_EQ_INT(proto_drain_inflight(d), 0);
	mark = f.n_sent;
	CHECK_EQ_INT(proto_drain_fill(d, 10), 3);
	CHECK_STR(sent_since(&f, mark), "1,3,4");
	/* A retained new session (our reconnect resent already): recorded. */
	CHECK(!proto_drain_birth(d, 9, true));
	CHECK_EQ_INT(proto_drain_inflight(d), 3);
	CHECK(!proto_drain_birth(d, 9, false));
	/* A reconnect of our link restarts the flight the same way. */
	proto_drain_restart(d);
	mark = f.n_sent;
	CHECK_EQ_INT(proto_drain_fill(d, 20), 3);
	CHECK_STR(sent_since(&f, mark), "1,3,4");
	proto_drain_destroy(d);
}

static void test_failed_send(void)
{
	fake f = {0};
	proto_drain *d = make(&f, 3, 0, 1);

	if (!CHECK(d != NULL))
		return;
	queue(&f, 1, 3);
	f.link_down = true;
	CHECK_EQ_INT(proto_drain_fill(d, 0), 0);
	CHECK_EQ_INT(proto_drain_inflight(d), 0);
	CHECK_EQ_INT(proto_drain_due(d, 0), 100); /* stall_ms */
	f.link_down = false;
	CHECK_EQ_INT(proto_drain_fill(d, 100), 3);
	CHECK_STR(sent_since(&f, 0), "1,2,3");
	proto_drain_destroy(d);
}

int main(void)
{
	test_window();
	test_timeout();
	test_pace();
	test_limited();
	test_birth();
	test_failed_send();
	return check_finish();
}
