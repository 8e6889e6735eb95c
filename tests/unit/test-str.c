/* Unit tests of protocol/str.h: appends that cut to fit, always terminate
 * and report the whole length, as snprintf does. */
#include <stdint.h>

#include "protocol/str.h"

#include "check.h"

static void test_append(void)
{
	char buf[8];
	size_t at;

	at = proto_copy(buf, sizeof buf, "abc");
	CHECK_EQ_INT(at, 3);
	CHECK_STR(buf, "abc");
	at = proto_append(buf, sizeof buf, at, "defg");
	CHECK_EQ_INT(at, 7);
	CHECK_STR(buf, "abcdefg");
	/* One more does not fit: cut, terminated, the whole length told. */
	at = proto_append(buf, sizeof buf, at, "hij");
	CHECK_EQ_INT(at, 10);
	CHECK_STR(buf, "abcdefg");
	/* Past the end already: nothing written, still counted. */
	at = proto_append(buf, sizeof buf, at, "k");
	CHECK_EQ_INT(at, 11);
	CHECK_STR(buf, "abcdefg");
	CHECK_EQ_INT(proto_copy(buf, sizeof buf, "0123456789"), 10);
	CHECK_STR(buf, "0123456");
	CHECK_EQ_INT(proto_copy(buf, 1, "x"), 1);
	CHECK_STR(buf, "");
	/* NULL copies as nothing, like an empty string. */
	CHECK_EQ_INT(proto_copy(buf, sizeof buf, NULL), 0);
	CHECK_STR(buf, "");
	CHECK_EQ_INT(proto_copy(buf, sizeof buf, ""), 0);
	CHECK_STR(buf, "");
}

static void test_append_int(void)
{
	static const struct {
		int64_t v;
		const char *text;
	} cases[] = {
		{0, "0"}, {7, "7"}, {-7, "-7"}, {1795424400000, "1795424400000"},
		{9007199254740991, "9007199254740991"},
		{INT64_MAX, "9223372036854775807"}, {INT64_MIN, "-9223372036854775808"},
	};
	char buf[32];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		check_case = cases[i].text;
		size_t at = proto_copy(buf, sizeof buf, "id-");
		CHECK_EQ_INT(proto_append_int(buf, sizeof buf, at, cases[i].v),
			3 + strlen(cases[i].text));
		CHECK(strncmp(buf, "id-", 3) == 0);
		CHECK_STR(buf + 3, cases[i].text);
	}
	check_case = NULL;
	CHECK_EQ_INT(proto_append_int(buf, 4, 0, 123456), 6);
	CHECK_STR(buf, "123");
}

/* FNV-1a's published values: the indexes spread codes as it does. */
static void test_hash(void)
{
	CHECK_EQ_INT(proto_str_hash(""), 2166136261u);
	CHECK_EQ_INT(proto_str_hash("a"), 0xe40c292cu);
	CHECK_EQ_INT(proto_str_hash("foobar"), 0xbf9cf968u);
}

int main(void)
{
	test_append();
	test_append_int();
	test_hash();
	return check_finish();
}
