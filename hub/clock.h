/* The hub's clock for deadlines and events: wall time, optionally running
 * faster (tests and the demo only) so that a 24-hour limit passes in
 * seconds. Stations' own times are never scaled. */
#ifndef HUB_CLOCK_H
#define HUB_CLOCK_H

#include <stdint.h>

/* From now on, hub time runs scale times faster than wall time. */
void hub_clock_set_scale(int scale);

/* Hub time, Unix ms. */
int64_t hub_clock_now(void);

#endif
