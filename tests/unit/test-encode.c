/* Unit tests of encoding (protocol/encode.c): an item's body encoded once
 * and written into a message gives the same bytes as encoding the whole, a
 * ts of the epoch itself survives the round trip, the hand-written output is
 * what cJSON prints for the same members, escapes included, and a message
 * that is not valid is refused rather than written.
 *
 * Usage: test-encode FIXTURES_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "protocol/message.h"

#include "check.h"
#include "codec-check.h"

/* An item's body encoded once (proto_item_encode) and written into its item
 * message and into a receipt's snapshot gives what encoding each whole
 * gives, byte for byte. */
static void test_item_body(void)
{
	proto_item it = {
		.item = GROUP "-42", .origin = GROUP, .handler = VILLAGE,
		.colour = PROTO_COLOUR_RED, .category = PROTO_CAT_SECURITY,
		.title = "夜间\"盗窃\"", .text = "两户被盗。\n请处理。", .state = "signed",
		.deadline = 1795435200000, .seq = 3, .created = 1795424400000,
		.event = "sign", .by = VILLAGE, .note = "已签收", .escalations = 1,
		.people = 2, .reporter_name = "王秀英", .reporter_phone = "13912345678",
	};
	proto_msg item = {.type = PROTO_MSG_ITEM, .station = VILLAGE, .id = 9,
			  .ts = 1795424400002, .u.item = it};
	proto_msg rc = {
		.type = PROTO_MSG_RECEIPT, .station = GROUP, .ts = 1795424400001,
		.u.receipt = {.ref = 42, .status = PROTO_RECEIPT_ACCEPTED,
			      .item = GROUP "-42", .snapshot = &it},
	};
	char *body = proto_item_encode(&it), *whole, *parts;

	if (!CHECK(body != NULL))
		return;
	CHECK(strncmp(body, "\"item\":", 7) == 0);
	whole = proto_msg_encode(&item);
	parts = proto_msg_encode_item(&item, body);
	CHECK_STR(parts, whole);
	free(whole);
	free(parts);
	whole = proto_msg_encode(&rc);
	parts = proto_msg_encode_item(&rc, body);
	CHECK_STR(parts, whole);
	free(whole);
	free(parts);
	free(body);
}

/* Caught by the round-trip check of tests/fuzz/fuzz-decode (its seed
 * corpus/decode/crash-ts-epoch.json): a required ts of the epoch itself
 * decodes to 0, which the encoder took for "no ts" and left out, so the
 * re-encoded message no longer decoded. */
static void test_epoch_ts(void)
{
	static const char *payloads[] = {
		"{\"v\":1,\"type\":\"report\",\"station\":\"611025\",\"id\":1,"
		"\"ts\":\"1970-01-01T00:00:00Z\",\"colour\":\"blue\","
		"\"category\":\"ceremony\",\"title\":\"t\",\"text\":\"x\"}",
		"{\"v\":1,\"type\":\"action\",\"station\":\"611025\",\"id\":1,"
		"\"ts\":\"1970-01-01T00:00:00.000Z\",\"item\":\"611025-1\","
		"\"action\":\"assign\"}",
		"{\"v\":1,\"type\":\"item\",\"station\":\"611025\",\"id\":1,"
		"\"ts\":\"1970-01-01T00:00:00Z\",\"item\":\"611025-1\","
		"\"origin\":\"611025\",\"colour\":\"red\",\"category\":\"dispute\","
		"\"title\":\"t\",\"text\":\"x\",\"state\":\"reported\"}",
	};
	char field[PROTO_FIELD_MAX];

	for (size_t i = 0; i < sizeof payloads / sizeof payloads[0]; i++) {
		proto_msg m, out;

		check_case = payloads[i];
		CHECK_EQ_INT(decode_str(payloads[i], &m, field), PROTO_OK);
		CHECK_EQ_INT(m.ts, 0);
		if (round_trip(&m, &out)) {
			check_header(&m, &out);
			proto_msg_clear(&out);
		}
		proto_msg_clear(&m);
	}
	check_case = NULL;
}

/* The encoder writes its text by hand: it must be what cJSON prints for the
 * same members (which decoders everywhere read), escapes included. */
static void same_as_cjson(const char *json)
{
	cJSON *tree = cJSON_Parse(json);
	char *again = tree ? cJSON_PrintUnformatted(tree) : NULL;

	if (CHECK(again != NULL))
		CHECK_STR(again, json);
	cJSON_Delete(tree);
	free(again);
}

static void test_encode_as_cjson(void)
{
	proto_item snap = {.item = GROUP "-7", .origin = GROUP, .handler = VILLAGE,
			   .colour = PROTO_COLOUR_ORANGE, .category = PROTO_CAT_DISPUTE,
			   .title = "引号\"与反斜杠\\", .text = "一行\n二行\t制表\r\b\f\x01\x1f\x7f 末尾",
			   .state = "reported", .deadline = 1795424400000, .seq = 3,
			   .created = 1795420800123, .event = "route", .by = "hub",
			   .note = "<script>&'", .people = 12, .escalations = 2,
			   .reporter_name = "王先生", .reporter_phone = "13800001234"};
	proto_msg m = {.v = PROTO_VERSION, .type = PROTO_MSG_RECEIPT, .station = GROUP,
		       .ts = 1795424400001};
	char *json;

	m.u.receipt.ref = 7;
	m.u.receipt.status = PROTO_RECEIPT_ACCEPTED;
	snprintf(m.u.receipt.item, sizeof m.u.receipt.item, "%s-7", GROUP);
	m.u.receipt.snapshot = &snap;
	json = proto_msg_encode(&m);
	if (CHECK(json != NULL)) {
		same_as_cjson(json);
		CHECK(strstr(json, "\"title\":\"引号\\\"与反斜杠\\\\\"") != NULL);
		CHECK(strstr(json, "\\n二行\\t制表\\r\\b\\f\\u0001\\u001f\x7f") != NULL);
	}
	free(json);
	/* A rejection with a null ref, and an item message. */
	m.u.receipt = (proto_receipt){.status = PROTO_RECEIPT_REJECTED,
				      .error = PROTO_ERR_BAD_JSON};
	json = proto_msg_encode(&m);
	if (CHECK(json != NULL)) {
		same_as_cjson(json);
		CHECK(strstr(json, "\"ref\":null,") != NULL);
	}
	free(json);
	m.type = PROTO_MSG_ITEM;
	m.id = 1795424400002;
	m.u.item = snap;
	json = proto_msg_encode(&m);
	if (CHECK(json != NULL))
		same_as_cjson(json);
	free(json);
}

static void test_encode_invalid(void)
{
	proto_msg m = {.type = PROTO_MSG_STATUS, .station = "61102510"};

	CHECK_STR(proto_msg_encode(&m), NULL);
	strcpy(m.station, "");
	CHECK_STR(proto_msg_encode(&m), NULL);
	strcpy(m.station, GROUP);
	m.type = PROTO_MSG__COUNT;
	CHECK_STR(proto_msg_encode(&m), NULL);
	m.type = (proto_msg_type)-1;
	CHECK_STR(proto_msg_encode(&m), NULL);
	proto_msg_clear(NULL); /* accepted, like free(NULL) */
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s FIXTURES_DIR\n", argv[0]);
		return 2;
	}
	(void)argv; /* the fixtures directory, unused here */
	test_item_body();
	test_epoch_ts();
	test_encode_invalid();
	test_encode_as_cjson();
	return check_finish();
}
