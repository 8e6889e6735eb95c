/* Token bucket arithmetic shared by the hub's per-station limit and the
 * station's own pacing. */
#include <math.h>

#include "protocol/bucket.h"

void proto_bucket_init(proto_bucket *b, double rate_per_s, double burst)
{
	b->rate = rate_per_s > 0 ? rate_per_s / 1000.0 : 0;
	b->burst = burst < 1 ? 1 : burst;
	b->tokens = b->burst;
	b->last = -1;
}

static void refill(proto_bucket *b, int64_t now)
{
	if (b->last >= 0 && now > b->last) {
		b->tokens += (double)(now - b->last) * b->rate;
		if (b->tokens > b->burst)
			b->tokens = b->burst;
	}
	if (b->last < 0 || now > b->last)
		b->last = now;
}

bool proto_bucket_take(proto_bucket *b, int64_t now)
{
	if (b->rate <= 0)
		return true;
	refill(b, now);
	if (b->tokens < 1)
		return false;
	b->tokens -= 1;
	return true;
}

int64_t proto_bucket_wait(proto_bucket *b, int64_t now)
{
	if (b->rate <= 0)
		return 0;
	refill(b, now);
	if (b->tokens >= 1)
		return 0;
	return (int64_t)ceil((1 - b->tokens) / b->rate);
}
