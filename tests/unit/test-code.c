/* Unit tests of protocol/code.c: station code tiers and their arithmetic. */
#include <string.h>

#include "protocol/code.h"

#include "check.h"

static void test_tiers(void)
{
	static const struct {
		const char *code;
		proto_tier tier;
	} cases[] = {
		/* one valid code of every tier, from the Zhen'an registry */
		{"611025", PROTO_TIER_COUNTY},
		{"611025100", PROTO_TIER_TOWN},
		{"611025100201", PROTO_TIER_VILLAGE},
		{"611025100201001", PROTO_TIER_GROUP},
		{"611025118001", PROTO_TIER_VILLAGE},
		{"999999999999999", PROTO_TIER_GROUP},
		/* an all-zero county, or an all-zero level below it */
		{"000000", PROTO_TIER_NONE},
		{"000000100", PROTO_TIER_NONE},
		{"611025000", PROTO_TIER_NONE},
		{"611025000201", PROTO_TIER_NONE},
		{"611025100000", PROTO_TIER_NONE},
		{"611025100201000", PROTO_TIER_NONE},
		{"611025000000000", PROTO_TIER_NONE},
		/* lengths between and beyond the tiers */
		{"", PROTO_TIER_NONE},
		{"6", PROTO_TIER_NONE},
		{"61102", PROTO_TIER_NONE},
		{"6110251", PROTO_TIER_NONE},
		{"61102510", PROTO_TIER_NONE},
		{"6110251002", PROTO_TIER_NONE},
		{"61102510020", PROTO_TIER_NONE},
		{"6110251002010", PROTO_TIER_NONE},
		{"61102510020100", PROTO_TIER_NONE},
		{"6110251002010011", PROTO_TIER_NONE},
		{"611025100201001611025100201001", PROTO_TIER_NONE},
		/* non-digits anywhere */
		{"61102a", PROTO_TIER_NONE},
		{"a11025", PROTO_TIER_NONE},
		{" 611025", PROTO_TIER_NONE},
		{"611025 ", PROTO_TIER_NONE},
		{"-11025", PROTO_TIER_NONE},
		{"+611025", PROTO_TIER_NONE},
		{"611025/00", PROTO_TIER_NONE},
		{"611025100201-01", PROTO_TIER_NONE},
		{"６１１０２５", PROTO_TIER_NONE}, /* full-width digits */
		{"611025\n", PROTO_TIER_NONE},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		check_case = cases[i].code;
		CHECK_EQ_INT(proto_code_tier(cases[i].code), cases[i].tier);
		CHECK_EQ_INT(proto_code_valid(cases[i].code),
			cases[i].tier != PROTO_TIER_NONE);
	}
	check_case = NULL;
	CHECK_EQ_INT(proto_code_tier(NULL), PROTO_TIER_NONE);
	CHECK(!proto_code_valid(NULL));
}

static void test_names(void)
{
	CHECK_EQ_INT(proto_tier_digits(PROTO_TIER_COUNTY), 6);
	CHECK_EQ_INT(proto_tier_digits(PROTO_TIER_TOWN), 9);
	CHECK_EQ_INT(proto_tier_digits(PROTO_TIER_VILLAGE), 12);
	CHECK_EQ_INT(proto_tier_digits(PROTO_TIER_GROUP), 15);
	CHECK_EQ_INT(proto_tier_digits(PROTO_TIER_NONE), 0);
	CHECK_EQ_INT(proto_tier_digits((proto_tier)4), 0);

	CHECK_STR(proto_tier_name(PROTO_TIER_COUNTY), "county");
	CHECK_STR(proto_tier_name(PROTO_TIER_TOWN), "town");
	CHECK_STR(proto_tier_name(PROTO_TIER_VILLAGE), "village");
	CHECK_STR(proto_tier_name(PROTO_TIER_GROUP), "group");
	CHECK_STR(proto_tier_name(PROTO_TIER_NONE), "none");
	CHECK_STR(proto_tier_name((proto_tier)4), "none");
	CHECK_STR(proto_tier_name_zh(PROTO_TIER_COUNTY), "县");
	CHECK_STR(proto_tier_name_zh(PROTO_TIER_TOWN), "镇");
	CHECK_STR(proto_tier_name_zh(PROTO_TIER_VILLAGE), "村");
	CHECK_STR(proto_tier_name_zh(PROTO_TIER_GROUP), "组");
	CHECK_STR(proto_tier_name_zh(PROTO_TIER_NONE), "无");
}

static void test_ancestor(void)
{
	static const char *group = "611025100201001";
	char out[PROTO_CODE_MAX + 1];

	CHECK(proto_code_ancestor(group, PROTO_TIER_COUNTY, out));
	CHECK_STR(out, "611025");
	CHECK(proto_code_ancestor(group, PROTO_TIER_TOWN, out));
	CHECK_STR(out, "611025100");
	CHECK(proto_code_ancestor(group, PROTO_TIER_VILLAGE, out));
	CHECK_STR(out, "611025100201");
	CHECK(proto_code_ancestor(group, PROTO_TIER_GROUP, out));
	CHECK_STR(out, group);
	CHECK(proto_code_ancestor("611025", PROTO_TIER_COUNTY, out));
	CHECK_STR(out, "611025");

	/* No ancestor below the code's own tier, none of an invalid code. */
	CHECK(!proto_code_ancestor("611025100", PROTO_TIER_VILLAGE, out));
	CHECK(!proto_code_ancestor("611025", PROTO_TIER_TOWN, out));
	CHECK(!proto_code_ancestor("611025100", PROTO_TIER_NONE, out));
	CHECK(!proto_code_ancestor("611025100", (proto_tier)4, out));
	CHECK(!proto_code_ancestor("611025000", PROTO_TIER_COUNTY, out));
	CHECK(!proto_code_ancestor("6110251", PROTO_TIER_COUNTY, out));
	CHECK(!proto_code_ancestor(NULL, PROTO_TIER_COUNTY, out));
}

static void test_parent(void)
{
	char out[PROTO_CODE_MAX + 1];

	CHECK(proto_code_parent("611025100201001", out));
	CHECK_STR(out, "611025100201");
	CHECK(proto_code_parent("611025100201", out));
	CHECK_STR(out, "611025100");
	CHECK(proto_code_parent("611025100", out));
	CHECK_STR(out, "611025");
	CHECK(!proto_code_parent("611025", out));
	CHECK(!proto_code_parent("61102510", out));
	CHECK(!proto_code_parent("611025100000", out));
	CHECK(!proto_code_parent("", out));
	CHECK(!proto_code_parent(NULL, out));
}

static void test_within(void)
{
	static const struct {
		const char *code, *ancestor;
		bool within;
	} cases[] = {
		{"611025100201001", "611025", true},
		{"611025100201001", "611025100", true},
		{"611025100201001", "611025100201", true},
		{"611025100201001", "611025100201001", true},
		{"611025", "611025", true},
		{"611025100", "611025", true},
		/* siblings, cousins and other counties */
		{"611025100201001", "611025100201002", false},
		{"611025100201001", "611025100202", false},
		{"611025101201001", "611025100", false},
		{"611026100", "611025", false},
		/* an ancestor must not be below the code */
		{"611025", "611025100", false},
		{"611025100", "611025100201", false},
		/* a prefix that is not a valid code is no ancestor */
		{"611025100201001", "6110", false},
		{"611025100201001", "6110251", false},
		{"611025100201001", "", false},
		{"611025100", "000000", false},
		{"611025000", "611025", false},
		{"61102510020", "611025", false},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		check_case = cases[i].code;
		CHECK_EQ_INT(proto_code_within(cases[i].code, cases[i].ancestor),
			cases[i].within);
	}
	check_case = NULL;
	CHECK(!proto_code_within(NULL, "611025"));
	CHECK(!proto_code_within("611025", NULL));
}

int main(void)
{
	test_tiers();
	test_names();
	test_ancestor();
	test_parent();
	test_within();
	return check_finish();
}
