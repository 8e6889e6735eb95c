/* Unit tests of the protocol's names and codes (protocol/names.c,
 * error.c): every message type, colour, category, receipt status and error
 * code goes to its wire name and back, unknown names are refused, the
 * Chinese display names, and an item's id built from station and number.
 *
 * Usage: test-names FIXTURES_DIR */
#include <stdio.h>
#include <string.h>

#include "protocol/message.h"

#include "check.h"

#define GROUP "611025100201001"

static void test_names(void)
{
	static const char *types[] = {"report", "action", "status", "receipt", "item", "hub",
		"member"};

	for (int i = 0; i < PROTO_MSG__COUNT; i++) {
		CHECK_STR(proto_msg_type_name((proto_msg_type)i), types[i]);
		CHECK_EQ_INT(proto_msg_type_parse(types[i]), i);
	}
	CHECK_STR(proto_msg_type_name(PROTO_MSG__COUNT), "?");
	CHECK_EQ_INT(proto_msg_type_parse("Report"), -1);
	CHECK_EQ_INT(proto_msg_type_parse(NULL), -1);

	for (int i = 0; i < PROTO_COLOUR__COUNT; i++)
		CHECK_EQ_INT(proto_colour_parse(proto_colour_name((proto_colour)i)), i);
	CHECK_STR(proto_colour_name_zh(PROTO_COLOUR_RED), "红");
	CHECK_EQ_INT(proto_colour_parse("红"), -1);
	CHECK_STR(proto_colour_name(PROTO_COLOUR__COUNT), "?");

	for (int i = 0; i < PROTO_CAT__COUNT; i++)
		CHECK_EQ_INT(proto_category_parse(proto_category_name((proto_category)i)), i);
	CHECK_STR(proto_category_name(PROTO_CAT_LEFT_BEHIND), "left_behind");
	CHECK_STR(proto_category_name_zh(PROTO_CAT_CEREMONY), "红白理事");
	CHECK_EQ_INT(proto_category_parse(""), -1);

	for (int i = 0; i < PROTO_RECEIPT__COUNT; i++)
		CHECK_EQ_INT(proto_receipt_status_parse(
			proto_receipt_status_name((proto_receipt_status)i)), i);

	for (int i = 0; i < PROTO_ERR__COUNT; i++) {
		CHECK_EQ_INT(proto_err_from_name(proto_err_name((proto_err)i)), i);
		CHECK(strlen(proto_err_text((proto_err)i)) > 0);
	}
	CHECK_STR(proto_err_name(PROTO_ERR__COUNT), "unknown");
	CHECK_STR(proto_err_name((proto_err)-1), "unknown");
	CHECK_EQ_INT(proto_err_from_name("nonsense"), PROTO_ERR_INVAL);
	CHECK_EQ_INT(proto_err_from_name(NULL), PROTO_ERR_INVAL);

	char id[PROTO_ITEM_ID_MAX];
	proto_item_id(id, GROUP, 9007199254740991);
	CHECK_STR(id, GROUP "-9007199254740991");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s FIXTURES_DIR\n", argv[0]);
		return 2;
	}
	(void)argv; /* the fixtures directory, unused here */
	test_names();
	return check_finish();
}
