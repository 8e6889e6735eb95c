/* The hub's clock for deadlines and events: wall time, optionally running
 * faster (tests and the demo only) so that a 24-hour limit passes in
 * seconds. Stations' own times are never scaled. The running hub keeps the
 * clock's origin in its database (hub_meta: clock_wall, clock_hub,
 * clock_scale) so that offline tools (`minqing-hub stats`) read the same
 * hour as the hub. */
#ifndef HUB_CLOCK_H
#define HUB_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "protocol/error.h"

/* From now on, hub time runs scale times faster than wall time. */
void hub_clock_set_scale(int scale);

/* Hub time, Unix ms. */
int64_t hub_clock_now(void);

/* Where hub time started: at wall time `wall` it was `hub`, and it runs
 * `scale` times faster since. */
typedef struct hub_clock_origin {
	int64_t wall, hub;
	int scale;
} hub_clock_origin;

/* Writes this process's origin into db's hub_meta (which must exist; the
 * schema makes it). Called once the hub has opened its database. */
proto_err hub_clock_save(sqlite3 *db);

/* The origin the hub last saved; false (and the wall clock: scale 1) when
 * none is stored. */
bool hub_clock_load(sqlite3 *db, hub_clock_origin *o);

/* Hub time at wall time `wall`, and the wall time of hub time `hub`. While
 * the hub is stopped its clock is taken to run on as it did (exactly the
 * wall clock at scale 1, as in production); the next start sets it anew. */
int64_t hub_clock_hub_of(const hub_clock_origin *o, int64_t wall);
int64_t hub_clock_wall_of(const hub_clock_origin *o, int64_t hub);

#endif
