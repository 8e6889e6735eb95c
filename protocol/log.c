/* Logging: one line per call, written with a single fputs so that lines from
 * concurrent processes sharing a terminal or journal do not interleave. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "protocol/log.h"

static const char *prog_name = "minqing";
static proto_log_level min_level = PROTO_LOG_INFO;

void proto_log_init(const char *prog, proto_log_level min)
{
	if (prog)
		prog_name = prog;
	min_level = min;
}

int proto_log_level_parse(const char *s)
{
	static const char *names[] = {"debug", "info", "warn", "error"};
	for (int i = 0; s && i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

void proto_log_write(proto_log_level level, const char *file, int line,
	const char *fmt, ...)
{
	static const char *tags[] = {"debug", "info", "warn", "error"};
	char msg[1024], out[1280], stamp[32];
	struct timespec ts;
	struct tm tm;
	const char *base;
	va_list ap;

	if (level < min_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	base = strrchr(file, '/');
	base = base ? base + 1 : file;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(out, sizeof out, "%s.%03ldZ %s %s: %s [%s:%d]\n", stamp,
		ts.tv_nsec / 1000000L, prog_name, tags[level], msg, base, line);
	fputs(out, stderr);
}
