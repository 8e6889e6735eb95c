/* Clocks and ISO 8601. The parser is strict on purpose: timestamps travel
 * between stations and the hub and must mean one instant everywhere. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "protocol/clock.h"

int64_t proto_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t proto_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The date of a day count since 1970-01-01 (H. Hinnant's method, the inverse
 * of days_from_civil below). */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int doe = (int)(z - era * 146097);
	int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

static char *put_digits(char *p, int v, int n)
{
	for (int i = n - 1; i >= 0; i--, v /= 10)
		p[i] = (char)('0' + v % 10);
	return p + n;
}

/* By hand rather than gmtime and strftime: every message the hub sends
 * carries two or three of these, and strftime was a tenth of its encoder. */
void proto_time_format(int64_t ms, char out[PROTO_TIME_TEXT])
{
	int64_t days, y;
	int mo, d, rest;
	char *p = out;

	if (ms < 0)
		ms = 0;
	days = ms / 86400000;
	rest = (int)(ms % 86400000);
	civil_from_days(days, &y, &mo, &d);
	if (y > 9999) {
		/* Beyond the wire's four digits of year: still one instant. */
		snprintf(out, PROTO_TIME_TEXT, "%lld-%02d-%02dT%02d:%02d:%02d.%03dZ",
			(long long)y, mo, d, rest / 3600000, rest / 60000 % 60,
			rest / 1000 % 60, rest % 1000);
		return;
	}
	p = put_digits(p, (int)y, 4);
	*p++ = '-';
	p = put_digits(p, mo, 2);
	*p++ = '-';
	p = put_digits(p, d, 2);
	*p++ = 'T';
	p = put_digits(p, rest / 3600000, 2);
	*p++ = ':';
	p = put_digits(p, rest / 60000 % 60, 2);
	*p++ = ':';
	p = put_digits(p, rest / 1000 % 60, 2);
	*p++ = '.';
	p = put_digits(p, rest % 1000, 3);
	*p++ = 'Z';
	*p = '\0';
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's method),
 * because timegm() is not POSIX. */
static int64_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int era = (y >= 0 ? y : y - 399) / 400;
	int yoe = y - era * 400;
	int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int64_t)era * 146097 + doe - 719468;
}

static bool digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

bool proto_time_parse(const char *t, int64_t *ms)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, mo, d, h, mi, s, frac = 0;
	size_t len;

	if (!t)
		return false;
	len = strlen(t);
	if (len != 20 && len != 24)
		return false;
	if (t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' ||
	    t[16] != ':' || t[len - 1] != 'Z')
		return false;
	if (!digits(t, 4, &y) || !digits(t + 5, 2, &mo) || !digits(t + 8, 2, &d) ||
	    !digits(t + 11, 2, &h) || !digits(t + 14, 2, &mi) ||
	    !digits(t + 17, 2, &s))
		return false;
	if (len == 24 && (t[19] != '.' || !digits(t + 20, 3, &frac)))
		return false;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    h > 23 || mi > 59 || s > 60)
		return false;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return false;
	*ms = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000LL +
	      s * 1000LL + frac;
	return true;
}
