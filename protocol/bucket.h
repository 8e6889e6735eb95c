/* A token bucket: `rate` tokens a second up to `burst`, refilled lazily.
 * The hub keeps one per station to bound a flood; a station keeps one to
 * pace itself below the hub's limit. */
#ifndef PROTO_BUCKET_H
#define PROTO_BUCKET_H

#include <stdbool.h>
#include <stdint.h>

typedef struct proto_bucket {
	double rate;    /* tokens per ms; 0 means unlimited */
	double burst;   /* capacity, at least 1 */
	double tokens;
	int64_t last;   /* monotonic ms of the last refill, -1 before the first */
} proto_bucket;

/* A full bucket of rate per second and burst tokens; rate 0 never limits. */
void proto_bucket_init(proto_bucket *b, double rate_per_s, double burst);

/* Takes a token at monotonic time now; false when the bucket is empty. */
bool proto_bucket_take(proto_bucket *b, int64_t now_ms);

/* Milliseconds until a token is available (0 if one is now). */
int64_t proto_bucket_wait(proto_bucket *b, int64_t now_ms);

#endif
