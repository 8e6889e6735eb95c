/* Unit tests of protocol/utf8.c: the strict validator every payload passes
 * before cJSON sees it, and the code-point count behind the text limits. */
#include <string.h>

#include "protocol/message.h"

#include "check.h"

static void test_valid(void)
{
	static const struct {
		const char *what, *s;
		size_t cp;
	} cases[] = {
		{"empty", "", 0},
		{"ascii", "minqing 4318", 12},
		{"chinese", "民情气象", 4},
		{"mixed", "镇安县 611025 永乐镇", 14},
		{"two-byte", "caf\xC3\xA9", 4},
		{"smallest two-byte U+0080", "\xC2\x80", 1},
		{"largest two-byte U+07FF", "\xDF\xBF", 1},
		{"smallest three-byte U+0800", "\xE0\xA0\x80", 1},
		{"below surrogates U+D7FF", "\xED\x9F\xBF", 1},
		{"above surrogates U+E000", "\xEE\x80\x80", 1},
		{"BOM U+FEFF", "\xEF\xBB\xBF", 1},
		{"smallest four-byte U+10000", "\xF0\x90\x80\x80", 1},
		{"emoji U+1F600", "\xF0\x9F\x98\x80", 1},
		{"largest U+10FFFF", "\xF4\x8F\xBF\xBF", 1},
		{"controls", "\t\n\x7F", 3},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		check_case = cases[i].what;
		CHECK(proto_utf8_valid(cases[i].s, strlen(cases[i].s)));
		CHECK_EQ_INT(proto_utf8_length(cases[i].s), cases[i].cp);
	}
	check_case = NULL;
}

static void test_invalid(void)
{
	static const struct {
		const char *what, *s;
	} cases[] = {
		{"lone continuation", "\x80"},
		{"continuation after ascii", "a\xBF"},
		{"truncated two-byte", "\xC3"},
		{"truncated three-byte", "\xE6\xB0"},
		{"truncated four-byte", "\xF0\x9F\x98"},
		{"truncated then ascii", "\xE6\xB0" "a"},
		{"bad continuation", "\xE6\x41\x91"},
		{"overlong slash C0 AF", "\xC0\xAF"},
		{"overlong C1 BF", "\xC1\xBF"},
		{"overlong NUL C0 80", "\xC0\x80"},
		{"overlong three-byte", "\xE0\x80\xAF"},
		{"overlong U+07FF in three", "\xE0\x9F\xBF"},
		{"overlong four-byte", "\xF0\x80\x80\xAF"},
		{"overlong U+FFFF in four", "\xF0\x8F\xBF\xBF"},
		{"surrogate U+D800", "\xED\xA0\x80"},
		{"surrogate U+DBFF", "\xED\xAF\xBF"},
		{"surrogate U+DC00", "\xED\xB0\x80"},
		{"surrogate U+DFFF", "\xED\xBF\xBF"},
		{"surrogate pair CESU-8", "\xED\xA0\xBD\xED\xB8\x80"},
		{"above U+10FFFF", "\xF4\x90\x80\x80"},
		{"F5 lead", "\xF5\x80\x80\x80"},
		{"F7 lead", "\xF7\xBF\xBF\xBF"},
		{"five-byte lead", "\xF8\x88\x80\x80\x80"},
		{"six-byte lead", "\xFC\x84\x80\x80\x80\x80"},
		{"FE", "\xFE"},
		{"FF", "\xFF"},
		{"latin-1", "caf\xE9"},
		{"GBK", "\xC3\xF1\xC7\xE9"}, /* 民情 in GBK */
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		check_case = cases[i].what;
		CHECK(!proto_utf8_valid(cases[i].s, strlen(cases[i].s)));
	}
	check_case = NULL;
}

/* The length bounds the check: bytes beyond it are never read, a sequence
 * cut by it is truncated, and a NUL inside it is refused. */
static void test_lengths(void)
{
	const char *s = "民情"; /* E6 B0 91 E6 83 85 */

	CHECK(proto_utf8_valid(s, 6));
	CHECK(proto_utf8_valid(s, 3));
	CHECK(proto_utf8_valid(s, 0));
	CHECK(!proto_utf8_valid(s, 1));
	CHECK(!proto_utf8_valid(s, 2));
	CHECK(!proto_utf8_valid(s, 4));
	CHECK(!proto_utf8_valid(s, 5));
	CHECK(proto_utf8_valid("ab\xFF", 2));

	CHECK(!proto_utf8_valid("a\0b", 3));
	CHECK(!proto_utf8_valid("\0", 1));
	CHECK(!proto_utf8_valid("民\0", 4));
	CHECK(proto_utf8_valid("a\0b", 1));
	CHECK(!proto_utf8_valid("abc", 4)); /* the terminator counts when asked */
}

int main(void)
{
	test_valid();
	test_invalid();
	test_lengths();
	return check_finish();
}
