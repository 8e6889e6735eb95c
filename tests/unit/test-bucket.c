/* Token bucket arithmetic, and the hub's per-station limit built on it:
 * burst, refill, cap, the penalty second and the once-a-second "told". */
#include "check.h"
#include "hub/ratelimit.h"
#include "protocol/bucket.h"

static void test_bucket(void)
{
	proto_bucket b;
	int taken = 0;

	proto_bucket_init(&b, 10, 5); /* 10/s = one per 100 ms, 5 at once */
	for (int i = 0; i < 8; i++)
		taken += proto_bucket_take(&b, 1000);
	CHECK_EQ_INT(taken, 5);
	CHECK_EQ_INT(proto_bucket_wait(&b, 1000), 100);
	CHECK_EQ_INT(proto_bucket_wait(&b, 1040), 60);
	CHECK(!proto_bucket_take(&b, 1099));
	CHECK(proto_bucket_take(&b, 1100));
	CHECK(!proto_bucket_take(&b, 1100));
	/* A long idle fills the bucket to its burst, not beyond. */
	taken = 0;
	for (int i = 0; i < 20; i++)
		taken += proto_bucket_take(&b, 100000);
	CHECK_EQ_INT(taken, 5);
	/* A clock that steps back neither refills nor breaks the bucket. */
	CHECK(!proto_bucket_take(&b, 50000));
	CHECK(proto_bucket_take(&b, 100100));

	proto_bucket_init(&b, 0, 1); /* rate 0: unlimited */
	for (int i = 0; i < 1000; i++)
		taken += proto_bucket_take(&b, 0);
	CHECK_EQ_INT(taken, 1005);
	CHECK_EQ_INT(proto_bucket_wait(&b, 0), 0);
}

static void test_hub_limit(void)
{
	hub_ratelimit *rl = hub_ratelimit_create(3, 20, 4);
	int taken = 0;

	if (!CHECK(rl != NULL))
		return;
	for (int i = 0; i < 10; i++)
		taken += hub_ratelimit_take(rl, 1, 0);
	CHECK_EQ_INT(taken, 4);
	/* Others are untouched by station 1's flood. */
	CHECK(hub_ratelimit_take(rl, 0, 0));
	CHECK(hub_ratelimit_take(rl, 2, 0));
	/* The bucket has refilled by 500 ms, but the penalty lasts a second,
	 * so the rest of a window in flight is refused whole. */
	CHECK(!hub_ratelimit_take(rl, 1, 500));
	CHECK(!hub_ratelimit_take(rl, 1, 999));
	CHECK(hub_ratelimit_take(rl, 1, 1000));
	/* Told at most once a second. */
	CHECK(hub_ratelimit_tell(rl, 1, 0));
	CHECK(!hub_ratelimit_tell(rl, 1, 999));
	CHECK(hub_ratelimit_tell(rl, 1, 1000));
	/* Out-of-range stations are not limited (and do not crash). */
	CHECK(hub_ratelimit_take(rl, 3, 0));
	CHECK(!hub_ratelimit_tell(rl, 3, 0));
	hub_ratelimit_destroy(rl);

	rl = hub_ratelimit_create(1, 0, 1); /* rate 0: off */
	taken = 0;
	for (int i = 0; i < 100; i++)
		taken += hub_ratelimit_take(rl, 0, 0);
	CHECK_EQ_INT(taken, 100);
	hub_ratelimit_destroy(rl);
}

int main(void)
{
	test_bucket();
	test_hub_limit();
	return check_finish();
}
