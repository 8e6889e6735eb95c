/* Per-station token buckets with a penalty: once a station runs dry it is
 * refused for a whole second, so that a window in flight is dropped whole
 * and its resend arrives in order instead of with holes filled later.
 * Receipts for item messages draw on a second bucket, without penalty. */
#include <stdlib.h>

#include "hub/ratelimit.h"
#include "protocol/bucket.h"

#define PENALTY_MS 1000

typedef struct slot {
	proto_bucket b;
	proto_bucket receipts; /* the station's receipts for item messages */
	int64_t refused_until; /* monotonic ms */
	int64_t told;          /* monotonic ms of the last "rate_limited" receipt */
} slot;

struct hub_ratelimit {
	slot *s;
	size_t n;
	bool on;
};

hub_ratelimit *hub_ratelimit_create(size_t stations, double rate, double burst)
{
	hub_ratelimit *rl = calloc(1, sizeof *rl);

	if (!rl)
		return NULL;
	rl->n = stations;
	rl->on = rate > 0;
	rl->s = calloc(stations ? stations : 1, sizeof *rl->s);
	if (!rl->s) {
		free(rl);
		return NULL;
	}
	for (size_t i = 0; i < stations; i++) {
		proto_bucket_init(&rl->s[i].b, rate, burst);
		proto_bucket_init(&rl->s[i].receipts, rate, burst);
		rl->s[i].refused_until = -1;
		rl->s[i].told = -PENALTY_MS;
	}
	return rl;
}

void hub_ratelimit_destroy(hub_ratelimit *rl)
{
	if (!rl)
		return;
	free(rl->s);
	free(rl);
}

bool hub_ratelimit_take(hub_ratelimit *rl, size_t i, int64_t now)
{
	slot *s;

	if (!rl || !rl->on || i >= rl->n)
		return true;
	s = &rl->s[i];
	if (now < s->refused_until)
		return false;
	if (proto_bucket_take(&s->b, now))
		return true;
	s->refused_until = now + PENALTY_MS;
	return false;
}

bool hub_ratelimit_take_receipt(hub_ratelimit *rl, size_t i, int64_t now)
{
	if (!rl || !rl->on || i >= rl->n)
		return true;
	return proto_bucket_take(&rl->s[i].receipts, now);
}

bool hub_ratelimit_tell(hub_ratelimit *rl, size_t i, int64_t now)
{
	if (!rl || i >= rl->n || now - rl->s[i].told < PENALTY_MS)
		return false;
	rl->s[i].told = now;
	return true;
}
