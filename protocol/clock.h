/* Time: wall-clock milliseconds for timestamps on the wire, a monotonic clock
 * for timers, and ISO 8601 UTC text ("2026-11-23T09:00:00.000Z"). */
#ifndef PROTO_CLOCK_H
#define PROTO_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define PROTO_TIME_TEXT 32 /* bytes for a formatted timestamp */

/* Unix time in milliseconds. */
int64_t proto_now_ms(void);

/* Monotonic milliseconds, for timers and timeouts only. */
int64_t proto_mono_ms(void);

/* Formats Unix ms as ISO 8601 UTC with milliseconds into out. */
void proto_time_format(int64_t ms, char out[PROTO_TIME_TEXT]);

/* Parses "YYYY-MM-DDTHH:MM:SS[.fff]Z" (UTC only); false on anything else. */
bool proto_time_parse(const char *text, int64_t *ms);

#endif
