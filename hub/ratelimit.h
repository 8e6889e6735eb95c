/* Per-station token buckets, so that one broken or hostile station flooding
 * the hub cannot crowd out the others. Stations are addressed by their index
 * in the registry (which is sorted and fixed while the hub runs). A
 * station's receipts for the hub's item messages have a bucket of their own:
 * they answer the hub's traffic, not the station's, so they never take the
 * tokens its reports, actions and statuses need. */
#ifndef HUB_RATELIMIT_H
#define HUB_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hub_ratelimit hub_ratelimit;

/* rate messages per second sustained, burst at once; rate 0 disables. */
hub_ratelimit *hub_ratelimit_create(size_t stations, double rate, double burst);

void hub_ratelimit_destroy(hub_ratelimit *rl);

/* Takes a token for station i at monotonic time now; false when over. */
bool hub_ratelimit_take(hub_ratelimit *rl, size_t i, int64_t now_ms);

/* Takes a token from station i's receipt bucket (same rate and burst, no
 * penalty: a receipt refused is dropped alone, and the hub sends its item
 * message again at the station's next heartbeat); false when over. */
bool hub_ratelimit_take_receipt(hub_ratelimit *rl, size_t i, int64_t now_ms);

/* True at most once a second per station while it is over its rate: the
 * moments to tell it so, without answering a flood message for message. */
bool hub_ratelimit_tell(hub_ratelimit *rl, size_t i, int64_t now_ms);

#endif
