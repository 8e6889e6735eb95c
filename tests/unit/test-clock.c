/* Unit tests of protocol/clock.c: the ISO 8601 UTC text on the wire, which
 * must mean one instant everywhere, and the two clocks. */
#include <stdint.h>

#include "protocol/clock.h"

#include "check.h"

static void test_format(void)
{
	static const struct {
		int64_t ms;
		const char *text;
	} cases[] = {
		{0, "1970-01-01T00:00:00.000Z"},
		{1, "1970-01-01T00:00:00.001Z"},
		{999, "1970-01-01T00:00:00.999Z"},
		{1700000000123, "2023-11-14T22:13:20.123Z"},
		{1795424400000, "2026-11-23T09:00:00.000Z"},
		{951782400000, "2000-02-29T00:00:00.000Z"},
		{1709251199999, "2024-02-29T23:59:59.999Z"},
		{4107542399999, "2100-02-28T23:59:59.999Z"},
		{4107542400000, "2100-03-01T00:00:00.000Z"},
		{253402300799999, "9999-12-31T23:59:59.999Z"},
	};
	char text[PROTO_TIME_TEXT];
	int64_t ms;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		check_case = cases[i].text;
		proto_time_format(cases[i].ms, text);
		CHECK_STR(text, cases[i].text);
		ms = -1;
		CHECK(proto_time_parse(cases[i].text, &ms));
		CHECK_EQ_INT(ms, cases[i].ms);
	}
	check_case = NULL;

	/* Past the wire's four digits of year the text still names the
	 * instant (as strftime did), though no station would take it. */
	proto_time_format(253402300800000, text);
	CHECK_STR(text, "10000-01-01T00:00:00.000Z");
	proto_time_format(9007199254740991, text);
	CHECK_STR(text, "287396-10-12T08:59:00.991Z");

	/* Before the epoch there is nothing to say: it reads as the epoch. */
	proto_time_format(-1, text);
	CHECK_STR(text, "1970-01-01T00:00:00.000Z");
	proto_time_format(INT64_MIN, text);
	CHECK_STR(text, "1970-01-01T00:00:00.000Z");
}

/* format(parse(x)) == x across years, months and milliseconds. */
static void test_round_trip(void)
{
	char text[PROTO_TIME_TEXT];
	int64_t ms, back;
	int bad = 0;

	for (ms = 0; ms < 253402300800000; ms += 86400000LL * 7 + 3600007) {
		proto_time_format(ms, text);
		if (!proto_time_parse(text, &back) || back != ms)
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
}

static void test_parse(void)
{
	static const struct {
		const char *text;
		int64_t ms;
	} good[] = {
		{"2026-11-23T09:00:00Z", 1795424400000},
		{"2026-11-23T09:00:00.000Z", 1795424400000},
		{"2026-11-23T09:00:00.007Z", 1795424400007},
		{"2024-02-29T12:00:00Z", 1709208000000},
		{"2000-02-29T00:00:00Z", 951782400000},
		{"2025-12-31T23:59:59.999Z", 1767225599999},
		/* a leap second reads as the first instant of the next minute */
		{"2016-12-31T23:59:60Z", 1483228800000},
	};
	static const char *bad[] = {
		/* not UTC, or not saying so */
		"2026-11-23T09:00:00",
		"2026-11-23T17:00:00+08:00",
		"2026-11-23T09:00:00.000+00:00",
		"2026-11-23T09:00:00z",
		"2026-11-23T09:00:00 Z",
		"2026-11-23T09:00:00.000",
		/* other shapes */
		"2026-11-23 09:00:00Z",
		"2026-11-23t09:00:00Z",
		"2026/11/23T09:00:00Z",
		"20261123T090000Z",
		"2026-11-23",
		"2026-11-23T09:00Z",
		"26-11-23T09:00:00Z",
		"2026-11-23T09:00:00.5Z",
		"2026-11-23T09:00:00.50Z",
		"2026-11-23T09:00:00.5000Z",
		"2026-11-23T09:00:00,000Z",
		"2026-11-23T09:00:00.00aZ",
		"2026-1a-23T09:00:00Z",
		"2026-11-23T9:00:00Z ",
		" 2026-11-23T09:00:00Z",
		"+2026-11-23T09:00:0Z",
		"-026-11-23T09:00:00Z",
		"1795424400000",
		"now",
		"",
		/* out of range */
		"1969-12-31T23:59:59Z",
		"0000-01-01T00:00:00Z",
		"2026-00-23T09:00:00Z",
		"2026-13-23T09:00:00Z",
		"2026-11-00T09:00:00Z",
		"2026-11-31T09:00:00Z",
		"2026-04-31T09:00:00Z",
		"2026-01-32T09:00:00Z",
		"2026-11-23T24:00:00Z",
		"2026-11-23T09:60:00Z",
		"2026-11-23T09:00:61Z",
		/* leap days only in leap years */
		"2025-02-29T00:00:00Z",
		"2100-02-29T00:00:00Z",
		"1900-02-29T00:00:00Z",
		"2024-02-30T00:00:00Z",
	};
	int64_t ms;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		check_case = good[i].text;
		ms = -1;
		CHECK(proto_time_parse(good[i].text, &ms));
		CHECK_EQ_INT(ms, good[i].ms);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		check_case = bad[i];
		CHECK(!proto_time_parse(bad[i], &ms));
	}
	check_case = NULL;
	CHECK(!proto_time_parse(NULL, &ms));
}

static void test_clocks(void)
{
	int64_t now = proto_now_ms(), m1 = proto_mono_ms(), m2 = proto_mono_ms();

	CHECK(now > 1577836800000); /* after 2020-01-01 */
	CHECK(now < 4102444800000); /* before 2100-01-01 */
	CHECK(m1 >= 0);
	CHECK(m2 >= m1);
}

int main(void)
{
	test_format();
	test_round_trip();
	test_parse();
	test_clocks();
	return check_finish();
}
