/* Scaled hub time: wall time at the moment the scale was set, plus the
 * monotonic time since, times the scale. */
#include "hub/clock.h"
#include "protocol/clock.h"

static int factor = 1;
static int64_t wall0, mono0;

void hub_clock_set_scale(int scale)
{
	wall0 = proto_now_ms();
	mono0 = proto_mono_ms();
	factor = scale > 0 ? scale : 1;
}

int64_t hub_clock_now(void)
{
	if (factor == 1)
		return proto_now_ms();
	return wall0 + (proto_mono_ms() - mono0) * factor;
}
