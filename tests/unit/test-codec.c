/* Unit tests of the codec (protocol/decode*.c, encode.c), names.c and
 * error.c: every message type survives encode -> decode, and every
 * malformed payload kept in fixtures/bad/ is refused with the right code
 * and field.
 *
 * Usage: test-codec FIXTURES_DIR */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "protocol/clock.h"
#include "protocol/message.h"

#include "check.h"

#define GROUP "611025100201001"
#define VILLAGE "611025100201"

/* ------------------------------------------------------------ helpers */

/* Reads a whole file into an exactly sized buffer with no NUL after it, so
 * that AddressSanitizer catches a decoder reading past the payload. */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long size;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		goto fail;
	buf = malloc(size ? (size_t)size : 1);
	if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size)
		goto fail;
	fclose(f);
	*len = (size_t)size;
	return buf;
fail:
	free(buf);
	fclose(f);
	return NULL;
}

/* Decodes a C string literal as a payload, without its NUL. */
static proto_err decode_str(const char *json, proto_msg *out, char *field)
{
	size_t len = strlen(json);
	char *copy = malloc(len ? len : 1);
	proto_err err;

	if (!copy)
		return PROTO_ERR_NOMEM;
	memcpy(copy, json, len);
	err = proto_msg_decode(copy, len, out, field);
	free(copy);
	return err;
}

/* After a failed decode everything but the salvaged id must be zero. */
static bool is_cleared(const proto_msg *m)
{
	static const proto_msg zero;
	proto_msg copy = *m;

	copy.id = 0;
	return memcmp(&copy, &zero, sizeof zero) == 0;
}

/* Encodes in, decodes the result into out and checks that encoding out again
 * gives the same bytes. The caller compares the fields and clears out. */
static bool round_trip(const proto_msg *in, proto_msg *out)
{
	char field[PROTO_FIELD_MAX];
	char *json = proto_msg_encode(in), *again;
	proto_err err;

	memset(out, 0, sizeof *out);
	if (!CHECK(json != NULL))
		return false;
	err = decode_str(json, out, field);
	CHECK_EQ_INT(err, PROTO_OK);
	if (err) {
		fprintf(stderr, "\t%s (field '%s') in %s\n", proto_err_name(err),
			field, json);
		free(json);
		return false;
	}
	CHECK_STR(field, "");
	again = proto_msg_encode(out);
	CHECK_STR(again, json);
	free(again);
	free(json);
	return true;
}

static void check_header(const proto_msg *in, const proto_msg *out)
{
	CHECK_EQ_INT(out->v, PROTO_VERSION);
	CHECK_EQ_INT(out->type, in->type);
	CHECK_STR(out->station, in->station);
	CHECK_EQ_INT(out->id, in->id);
	CHECK_EQ_INT(out->ts, in->ts);
}

/* -------------------------------------------------------- round trips */

static void test_report(void)
{
	proto_msg in = {
		.type = PROTO_MSG_REPORT, .station = GROUP, .id = 42,
		.ts = 1795424400123, /* 2026-11-23T09:00:00.123Z */
		.u.report = {
			.colour = PROTO_COLOUR_RED,
			.category = PROTO_CAT_DISPUTE,
			.title = "村道塌方，三组二十户出行受阻",
			.text = "昨夜暴雨，三组通往镇上的村道塌方约十米。\n"
				"\t请镇里派人查看。引号\"和反斜杠\\也要保留。",
			.reporter_name = "张三",
			.reporter_phone = "+86 138-0000-0000",
			.people = 20,
		},
	};
	proto_msg out;

	if (round_trip(&in, &out)) {
		check_header(&in, &out);
		CHECK_EQ_INT(out.u.report.colour, PROTO_COLOUR_RED);
		CHECK_EQ_INT(out.u.report.category, PROTO_CAT_DISPUTE);
		CHECK_STR(out.u.report.title, in.u.report.title);
		CHECK_STR(out.u.report.text, in.u.report.text);
		CHECK_STR(out.u.report.reporter_name, "张三");
		CHECK_STR(out.u.report.reporter_phone, "+86 138-0000-0000");
		CHECK_EQ_INT(out.u.report.people, 20);
	}
	proto_msg_clear(&out);
	CHECK(is_cleared(&out));

	/* Without the optional fields they come back absent, not empty. */
	in.u.report.reporter_name = NULL;
	in.u.report.reporter_phone = NULL;
	in.u.report.people = 0;
	if (round_trip(&in, &out)) {
		CHECK_STR(out.u.report.reporter_name, NULL);
		CHECK_STR(out.u.report.reporter_phone, NULL);
		CHECK_EQ_INT(out.u.report.people, 0);
	}
	proto_msg_clear(&out);

	/* Every colour with every category, and the limits of the title. */
	for (int c = 0; c < PROTO_COLOUR__COUNT; c++) {
		for (int k = 0; k < PROTO_CAT__COUNT; k++) {
			in.u.report.colour = (proto_colour)c;
			in.u.report.category = (proto_category)k;
			check_case = proto_category_name((proto_category)k);
			if (round_trip(&in, &out)) {
				CHECK_EQ_INT(out.u.report.colour, c);
				CHECK_EQ_INT(out.u.report.category, k);
			}
			proto_msg_clear(&out);
		}
	}
	check_case = NULL;

	char title[PROTO_TITLE_MAX * 3 + 1] = "";
	for (int i = 0; i < PROTO_TITLE_MAX; i++)
		strcat(title, "停");
	in.u.report.title = title;
	in.u.report.people = PROTO_PEOPLE_MAX;
	if (round_trip(&in, &out)) {
		CHECK_EQ_INT(proto_utf8_length(out.u.report.title), PROTO_TITLE_MAX);
		CHECK_EQ_INT(out.u.report.people, PROTO_PEOPLE_MAX);
	}
	proto_msg_clear(&out);

	/* The longest text, ~12 KB: past the encoder's first buffer. */
	static char text[PROTO_TEXT_MAX * 3 + 1];
	for (int i = 0; i < PROTO_TEXT_MAX; i++)
		memcpy(text + 3 * i, "民", 3);
	text[PROTO_TEXT_MAX * 3] = '\0';
	in.u.report.text = text;
	if (round_trip(&in, &out))
		CHECK_STR(out.u.report.text, text);
	proto_msg_clear(&out);
}

static void test_action(void)
{
	proto_msg in = {
		.type = PROTO_MSG_ACTION, .station = VILLAGE, .id = 9007199254740991,
		.ts = 1795424400000,
		.u.action = {
			.item = GROUP "-42",
			.action = "resolve",
			.note = "已修复。\n居民满意。",
			.member = "党员-007",
			.rating = "满意",
			.until = 1795683600000,
			.into = VILLAGE "-7",
		},
	};
	proto_msg out;

	if (round_trip(&in, &out)) {
		check_header(&in, &out);
		CHECK_STR(out.u.action.into, VILLAGE "-7");
		CHECK_STR(out.u.action.item, GROUP "-42");
		CHECK_STR(out.u.action.action, "resolve");
		CHECK_STR(out.u.action.note, in.u.action.note);
		CHECK_STR(out.u.action.member, "党员-007");
		CHECK_STR(out.u.action.rating, "满意");
		CHECK_EQ_INT(out.u.action.until, 1795683600000);
	}
	proto_msg_clear(&out);

	in.u.action = (proto_action){.item = "611025-1", .action = "sign_for"};
	if (round_trip(&in, &out)) {
		CHECK_STR(out.u.action.item, "611025-1");
		CHECK_STR(out.u.action.action, "sign_for");
		CHECK_STR(out.u.action.note, NULL);
		CHECK_STR(out.u.action.member, NULL);
		CHECK_STR(out.u.action.rating, NULL);
		CHECK_EQ_INT(out.u.action.until, 0);
	}
	proto_msg_clear(&out);
}

static void test_status(void)
{
	proto_msg in = {
		.type = PROTO_MSG_STATUS, .station = GROUP,
		.u.status = {
			.online = true, .session = 1795424400000, .outbox = 3,
			.settled = 1795424400123,
			.agent = "minqing-station/0.1.0",
		},
	};
	proto_msg out;

	/* A status has neither id nor ts. */
	if (round_trip(&in, &out)) {
		check_header(&in, &out);
		CHECK(out.u.status.online);
		CHECK_EQ_INT(out.u.status.session, 1795424400000);
		CHECK_EQ_INT(out.u.status.outbox, 3);
		CHECK_EQ_INT(out.u.status.settled, 1795424400123);
		CHECK_STR(out.u.status.agent, "minqing-station/0.1.0");
	}
	proto_msg_clear(&out);

	/* The last will: offline, outbox unknown, no agent. */
	in.u.status = (proto_status){.online = false, .session = 7, .outbox = -1};
	in.ts = 1795424400000;
	if (round_trip(&in, &out)) {
		check_header(&in, &out);
		CHECK(!out.u.status.online);
		CHECK_EQ_INT(out.u.status.session, 7);
		CHECK_EQ_INT(out.u.status.outbox, -1);
		CHECK_EQ_INT(out.u.status.settled, 0);
		CHECK_STR(out.u.status.agent, NULL);
	}
	proto_msg_clear(&out);
}

static void test_receipt(void)
{
	proto_msg in = {
		.type = PROTO_MSG_RECEIPT, .station = GROUP, .ts = 1795424400001,
		.u.receipt = {
			.ref = 42, .status = PROTO_RECEIPT_ACCEPTED, .item = GROUP "-42",
		},
	};
	proto_msg out;

	if (round_trip(&in, &out)) {
		check_header(&in, &out);
		CHECK_EQ_INT(out.u.receipt.ref, 42);
		CHECK_EQ_INT(out.u.receipt.status, PROTO_RECEIPT_ACCEPTED);
		CHECK_STR(out.u.receipt.item, GROUP "-42");
		CHECK_EQ_INT(out.u.receipt.error, PROTO_OK);
		CHECK_STR(out.u.receipt.field, "");
	}
	proto_msg_clear(&out);

	in.u.receipt.status = PROTO_RECEIPT_DUPLICATE;
	if (round_trip(&in, &out)) {
		CHECK_EQ_INT(out.u.receipt.status, PROTO_RECEIPT_DUPLICATE);
		CHECK_STR(out.u.receipt.item, GROUP "-42");
	}
	proto_msg_clear(&out);

	in.u.receipt = (proto_receipt){
		.ref = 43, .status = PROTO_RECEIPT_REJECTED,
		.error = PROTO_ERR_BAD_TYPE, .field = "people",
	};
	if (round_trip(&in, &out)) {
		CHECK_EQ_INT(out.u.receipt.ref, 43);
		CHECK_EQ_INT(out.u.receipt.status, PROTO_RECEIPT_REJECTED);
		CHECK_EQ_INT(out.u.receipt.error, PROTO_ERR_BAD_TYPE);
		CHECK_STR(out.u.receipt.field, "people");
		CHECK_STR(out.u.receipt.item, "");
	}
	proto_msg_clear(&out);

	/* A payload so broken that the hub could not read its id: ref null. */
	in.u.receipt = (proto_receipt){
		.status = PROTO_RECEIPT_REJECTED, .error = PROTO_ERR_BAD_JSON,
	};
	if (round_trip(&in, &out)) {
		CHECK_EQ_INT(out.u.receipt.ref, 0);
		CHECK_EQ_INT(out.u.receipt.error, PROTO_ERR_BAD_JSON);
		CHECK_STR(out.u.receipt.field, "");
	}
	proto_msg_clear(&out);

	/* Every error code the hub can send survives the trip. */
	for (int e = PROTO_ERR_BAD_JSON; e < PROTO_ERR__COUNT; e++) {
		in.u.receipt = (proto_receipt){
			.ref = 1, .status = PROTO_RECEIPT_REJECTED, .error = (proto_err)e,
		};
		check_case = proto_err_name((proto_err)e);
		if (round_trip(&in, &out))
			CHECK_EQ_INT(out.u.receipt.error, e);
		proto_msg_clear(&out);
	}
	check_case = NULL;
}

/* A report's receipt may carry the item's snapshot for its reporter: the
 * body of an item message, read by the same code, faults named inside it. */
static void test_receipt_snapshot(void)
{
	proto_item snap = {
		.item = GROUP "-42", .origin = GROUP, .handler = VILLAGE,
		.colour = PROTO_COLOUR_BLUE, .category = PROTO_CAT_DISPUTE,
		.title = "邻里纠纷", .text = "两户因排水沟发生争执。", .state = "reported",
		.deadline = 1795435200000, .seq = 1, .created = 1795424400000,
		.event = "route", .by = "hub", .people = 2,
		.reporter_name = "王秀英", .reporter_phone = "13912345678",
	};
	proto_msg in = {
		.type = PROTO_MSG_RECEIPT, .station = GROUP, .ts = 1795424400001,
		.u.receipt = {.ref = 42, .status = PROTO_RECEIPT_ACCEPTED,
			      .item = GROUP "-42", .snapshot = &snap},
	};
	char field[PROTO_FIELD_MAX];
	proto_msg out;

	if (round_trip(&in, &out) && CHECK(out.u.receipt.snapshot != NULL)) {
		const proto_item *o = out.u.receipt.snapshot;
		CHECK_STR(out.u.receipt.item, GROUP "-42");
		CHECK_STR(o->item, GROUP "-42");
		CHECK_STR(o->origin, GROUP);
		CHECK_STR(o->handler, VILLAGE);
		CHECK_EQ_INT(o->colour, PROTO_COLOUR_BLUE);
		CHECK_EQ_INT(o->category, PROTO_CAT_DISPUTE);
		CHECK_STR(o->title, "邻里纠纷");
		CHECK_STR(o->state, "reported");
		CHECK_EQ_INT(o->deadline, 1795435200000);
		CHECK_EQ_INT(o->seq, 1);
		CHECK_EQ_INT(o->created, 1795424400000);
		CHECK_STR(o->event, "route");
		CHECK_STR(o->by, "hub");
		CHECK_EQ_INT(o->people, 2);
		CHECK_STR(o->reporter_name, "王秀英");
		CHECK_STR(o->reporter_phone, "13912345678");
	}
	proto_msg_clear(&out);

	/* Without one (an older hub), as before. */
	in.u.receipt.snapshot = NULL;
	if (round_trip(&in, &out))
		CHECK(out.u.receipt.snapshot == NULL);
	proto_msg_clear(&out);

#define RC "{\"v\":1,\"type\":\"receipt\",\"station\":\"" GROUP "\"," \
	"\"ref\":42,\"status\":\"accepted\",\"item\":\"" GROUP "-42\","
#define SNAP_HEAD "\"snapshot\":{\"item\":\"" GROUP "-42\",\"origin\":\"" GROUP "\"," \
	"\"colour\":\"blue\",\"category\":\"dispute\",\"title\":\"t\",\"text\":\"x\","
	CHECK_EQ_INT(decode_str(RC SNAP_HEAD "\"state\":\"reported\"}}", &out, field),
		PROTO_OK);
	CHECK(out.u.receipt.snapshot != NULL);
	proto_msg_clear(&out);
	/* Malformed inside: the nested field is named. */
	CHECK_EQ_INT(decode_str(RC SNAP_HEAD "\"seq\":0,\"state\":\"reported\"}}", &out,
		field), PROTO_ERR_BAD_VALUE);
	CHECK_STR(field, "snapshot.seq");
	CHECK(out.u.receipt.snapshot == NULL);
	CHECK_EQ_INT(out.id, 0);
	CHECK_EQ_INT(decode_str(RC SNAP_HEAD "\"state\":\"reported\",\"handler\":7}}",
		&out, field), PROTO_ERR_BAD_TYPE);
	CHECK_STR(field, "snapshot.handler");
	CHECK_EQ_INT(decode_str(RC SNAP_HEAD "\"state\":\"reported\",\"deadline\":\"soon\"}}", &out, field),
		PROTO_ERR_BAD_VALUE);
	CHECK_STR(field, "snapshot.deadline");
	CHECK_EQ_INT(decode_str(RC SNAP_HEAD "\"deadline\":null}}", &out, field),
		PROTO_ERR_MISSING_FIELD);
	CHECK_STR(field, "snapshot.state");
	/* Not an object, or the snapshot of another item than the receipt's. */
	CHECK_EQ_INT(decode_str(RC "\"snapshot\":[1]}", &out, field), PROTO_ERR_BAD_TYPE);
	CHECK_STR(field, "snapshot");
	CHECK_EQ_INT(decode_str(RC "\"snapshot\":\"x\"}", &out, field), PROTO_ERR_BAD_TYPE);
	CHECK_STR(field, "snapshot");
	CHECK_EQ_INT(decode_str("{\"v\":1,\"type\":\"receipt\",\"station\":\"" GROUP "\","
		"\"ref\":42,\"status\":\"accepted\",\"item\":\"" GROUP "-43\","
		SNAP_HEAD "\"state\":\"reported\"}}", &out, field), PROTO_ERR_BAD_VALUE);
	CHECK_STR(field, "snapshot.item");
	CHECK_EQ_INT(decode_str(RC "\"snapshot\":null}", &out, field), PROTO_OK);
	CHECK(out.u.receipt.snapshot == NULL);
	proto_msg_clear(&out);
#undef RC
#undef SNAP_HEAD
}

static void test_item(void)
{
	proto_msg in = {
		.type = PROTO_MSG_ITEM, .station = "611025100", .id = 5,
		.ts = 1795424400002,
		.u.item = {
			.item = GROUP "-42", .origin = GROUP,
			.colour = PROTO_COLOUR_ORANGE, .category = PROTO_CAT_INFRASTRUCTURE,
			.title = "村道塌方", .text = "转镇里处理。\n原因：超出村级能力。",
			.state = "escalated", .deadline = 1795435200000,
		},
	};
	proto_msg out;

	if (round_trip(&in, &out)) {
		check_header(&in, &out);
		CHECK_STR(out.u.item.item, GROUP "-42");
		CHECK_STR(out.u.item.origin, GROUP);
		CHECK_EQ_INT(out.u.item.colour, PROTO_COLOUR_ORANGE);
		CHECK_EQ_INT(out.u.item.category, PROTO_CAT_INFRASTRUCTURE);
		CHECK_STR(out.u.item.title, "村道塌方");
		CHECK_STR(out.u.item.text, in.u.item.text);
		CHECK_STR(out.u.item.state, "escalated");
		CHECK_EQ_INT(out.u.item.deadline, 1795435200000);
	}
	proto_msg_clear(&out);

	in.u.item.deadline = 0;
	if (round_trip(&in, &out)) {
		CHECK_EQ_INT(out.u.item.deadline, 0);
		/* The workflow's fields are optional: absent, they read empty. */
		CHECK_STR(out.u.item.handler, "");
		CHECK_EQ_INT(out.u.item.seq, 0);
		CHECK(out.u.item.event == NULL && out.u.item.reporter_name == NULL);
	}
	proto_msg_clear(&out);

	/* A full snapshot as the workflow sends it. */
	snprintf(in.u.item.handler, sizeof in.u.item.handler, "611025100");
	in.u.item.seq = 4;
	in.u.item.created = 1795424400000;
	in.u.item.event = "assign";
	in.u.item.by = "611025100";
	in.u.item.note = "请尽快处理";
	in.u.item.member = "m-07";
	in.u.item.rating = "basic";
	in.u.item.escalations = 1;
	in.u.item.people = 12;
	in.u.item.reporter_name = "王秀英";
	in.u.item.reporter_phone = "13912345678";
	snprintf(in.u.item.into, sizeof in.u.item.into, GROUP "-40");
	if (round_trip(&in, &out)) {
		CHECK_STR(out.u.item.handler, "611025100");
		CHECK_EQ_INT(out.u.item.seq, 4);
		CHECK_EQ_INT(out.u.item.created, 1795424400000);
		CHECK_STR(out.u.item.event, "assign");
		CHECK_STR(out.u.item.by, "611025100");
		CHECK_STR(out.u.item.note, "请尽快处理");
		CHECK_STR(out.u.item.member, "m-07");
		CHECK_STR(out.u.item.rating, "basic");
		CHECK_EQ_INT(out.u.item.escalations, 1);
		CHECK_EQ_INT(out.u.item.people, 12);
		CHECK_STR(out.u.item.reporter_name, "王秀英");
		CHECK_STR(out.u.item.reporter_phone, "13912345678");
		CHECK_STR(out.u.item.into, GROUP "-40");
		/* No names sent: none read. */
		CHECK(out.u.item.origin_name == NULL && out.u.item.handler_name == NULL &&
		      out.u.item.by_name == NULL);
	}
	proto_msg_clear(&out);

	/* The stations' readable names, for people. */
	in.u.item.origin_name = "永乐镇孙家湾村二组";
	in.u.item.handler_name = "永乐镇";
	in.u.item.by_name = "永乐镇";
	if (round_trip(&in, &out)) {
		CHECK_STR(out.u.item.origin_name, "永乐镇孙家湾村二组");
		CHECK_STR(out.u.item.handler_name, "永乐镇");
		CHECK_STR(out.u.item.by_name, "永乐镇");
	}
	proto_msg_clear(&out);

	/* A name of PROTO_PLACE_MAX code points is read, one more is too large. */
	{
		char json[1024], name[4 * (PROTO_PLACE_MAX + 1) + 1] = "", field[PROTO_FIELD_MAX];
		for (int i = 0; i < PROTO_PLACE_MAX; i++)
			strcat(name, "村");
		for (int extra = 0; extra < 2; extra++) {
			if (extra)
				strcat(name, "村");
			snprintf(json, sizeof json, "{\"v\":1,\"type\":\"item\",\"station\":\""
				VILLAGE "\",\"id\":5,\"ts\":\"2026-11-23T01:15:42.402Z\","
				"\"item\":\"" GROUP "-4\",\"origin\":\"" GROUP "\","
				"\"colour\":\"blue\",\"category\":\"dispute\",\"title\":\"t\","
				"\"text\":\"x\",\"state\":\"reported\",\"handler_name\":\"%s\"}",
				name);
			CHECK_EQ_INT(proto_msg_decode(json, strlen(json), &out, field),
				extra ? PROTO_ERR_TOO_LARGE : PROTO_OK);
			if (extra)
				CHECK_STR(field, "handler_name");
			else
				CHECK_EQ_INT((int64_t)proto_utf8_length(out.u.item.handler_name),
					PROTO_PLACE_MAX);
			proto_msg_clear(&out);
		}
	}
}

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

static void test_hub(void)
{
	proto_msg in = {
		.type = PROTO_MSG_HUB, .station = "611025", .ts = 1795424400003,
		.u.status = {.online = true, .session = 99, .outbox = -1,
			     .agent = "minqing-hub/0.1.0"},
	};
	proto_msg out;

	if (round_trip(&in, &out)) {
		check_header(&in, &out);
		CHECK(out.u.status.online);
		CHECK_EQ_INT(out.u.status.session, 99);
		CHECK_EQ_INT(out.u.status.outbox, -1);
		CHECK_STR(out.u.status.agent, "minqing-hub/0.1.0");
		CHECK(out.u.status.storage == NULL);
	}
	proto_msg_clear(&out);
	/* A full disk, said in the status (PROTOCOL.md §5.3). */
	in.u.status.storage = "full";
	if (round_trip(&in, &out))
		CHECK_STR(out.u.status.storage, "full");
	proto_msg_clear(&out);
}

/* A member of a town's team, at a village of the town; then one who left. */
static void test_member(void)
{
	proto_msg in = {
		.type = PROTO_MSG_MEMBER, .station = "611025100", .id = 1795424400123,
		.ts = 1795424400004,
		.u.member = {.member = "m-17", .name = "王秀英", .unit = VILLAGE},
	};
	proto_msg out;
	char *json;

	if (round_trip(&in, &out)) {
		check_header(&in, &out);
		CHECK_STR(out.u.member.member, "m-17");
		CHECK_STR(out.u.member.name, "王秀英");
		CHECK_STR(out.u.member.unit, VILLAGE);
		CHECK(!out.u.member.gone);
	}
	proto_msg_clear(&out);
	in.u.member.gone = true;
	json = proto_msg_encode(&in);
	CHECK(json && strstr(json, "\"gone\":true"));
	free(json);
	if (round_trip(&in, &out))
		CHECK(out.u.member.gone);
	proto_msg_clear(&out);
	/* The addressee's own member. */
	strcpy(in.u.member.unit, "611025100");
	if (round_trip(&in, &out))
		CHECK_STR(out.u.member.unit, "611025100");
	proto_msg_clear(&out);

	/* The encoder writes only what a station would take. */
	strcpy(in.u.member.unit, "611025101201"); /* another town's village */
	CHECK_STR(proto_msg_encode(&in), NULL);
	strcpy(in.u.member.unit, "611025"); /* above the addressee */
	CHECK_STR(proto_msg_encode(&in), NULL);
	strcpy(in.u.member.unit, VILLAGE);
	in.u.member.name = "";
	CHECK_STR(proto_msg_encode(&in), NULL);
	in.u.member.name = "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三";
	CHECK_STR(proto_msg_encode(&in), NULL);
	in.u.member.name = "王秀英";
	in.u.member.member = NULL;
	CHECK_STR(proto_msg_encode(&in), NULL);
	in.u.member.member = "";
	CHECK_STR(proto_msg_encode(&in), NULL);
	/* 64 bytes is the most: the hub's members file holds no longer id. */
	in.u.member.member = "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm";
	if (round_trip(&in, &out))
		CHECK_EQ_INT(strlen(out.u.member.member), 64);
	proto_msg_clear(&out);

	/* By hand: gone null is not gone; an unknown key is ignored; the id
	 * and ts are required, as an item message's. */
	char field[PROTO_FIELD_MAX];
	CHECK_EQ_INT(decode_str("{\"v\":1,\"type\":\"member\",\"station\":\"611025100\","
		"\"id\":5,\"ts\":\"2026-11-23T09:00:00Z\",\"member\":\"m-1\","
		"\"name\":\"李四\",\"unit\":\"611025100\",\"gone\":null,\"x\":1}",
		&out, field), PROTO_OK);
	CHECK(!out.u.member.gone);
	proto_msg_clear(&out);
	CHECK_EQ_INT(decode_str("{\"v\":1,\"type\":\"member\",\"station\":\"611025100\","
		"\"id\":5,\"member\":\"m-1\",\"name\":\"李四\",\"unit\":\"611025100\"}",
		&out, field), PROTO_ERR_MISSING_FIELD);
	CHECK_STR(field, "ts");
	CHECK_EQ_INT(decode_str("{\"v\":1,\"type\":\"member\",\"station\":\"611025100\","
		"\"id\":5,\"ts\":\"2026-11-23T09:00:00Z\",\"member\":\"m\\n1\","
		"\"name\":\"李四\",\"unit\":\"611025100\"}", &out, field), PROTO_ERR_BAD_VALUE);
	CHECK_STR(field, "member");
	CHECK_EQ_INT(decode_str("{\"v\":1,\"type\":\"member\",\"station\":\"611025100\","
		"\"id\":5,\"ts\":\"2026-11-23T09:00:00Z\",\"member\":\"m-1\","
		"\"name\":\"李四\",\"unit\":\"61102510\"}", &out, field), PROTO_ERR_BAD_VALUE);
	CHECK_STR(field, "unit");
}

/* Payloads written by hand rather than by the encoder. */
static void test_decode_by_hand(void)
{
	char field[PROTO_FIELD_MAX];
	proto_msg m;

	/* Whitespace, a BOM-less pretty layout, null optionals, unknown keys,
	 * a timestamp without milliseconds and escapes of every kind. */
	CHECK_EQ_INT(decode_str("\n{ \"v\": 1, \"type\": \"report\",\n"
		"  \"station\": \"" GROUP "\", \"id\": 1,\n"
		"  \"ts\": \"2026-11-23T09:00:00Z\", \"colour\": \"blue\",\n"
		"  \"category\": \"proxy\", \"title\": \"\\u505c\\u6c34 \\ud83d\\ude00\",\n"
		"  \"text\": \"a\\nb\\tc\\\\ud800\", \"reporter\": null, \"phone\": null,\n"
		"  \"people\": null, \"future\": {\"x\": [1, 2]} }\r\n", &m, field),
		PROTO_OK);
	CHECK_STR(field, "");
	CHECK_EQ_INT(m.ts, 1795424400000);
	CHECK_EQ_INT(m.u.report.category, PROTO_CAT_PROXY);
	CHECK_STR(m.u.report.title, "停水 😀");
	CHECK_STR(m.u.report.text, "a\nb\tc\\ud800");
	CHECK_STR(m.u.report.reporter_name, NULL);
	CHECK_EQ_INT(m.u.report.people, 0);
	proto_msg_clear(&m);

	/* Upper-case escapes and a pair split only by the escape syntax. */
	CHECK_EQ_INT(decode_str("{\"v\":1,\"type\":\"status\",\"station\":\"611025\","
		"\"state\":\"online\",\"session\":1,\"agent\":\"\\u0041\\uD83D\\uDE00\"}",
		&m, field), PROTO_OK);
	CHECK_STR(m.u.status.agent, "A😀");
	proto_msg_clear(&m);

	/* 1e2 is a whole number, whatever it looks like. */
	CHECK_EQ_INT(decode_str("{\"v\":1.0,\"type\":\"status\",\"station\":\"611025\","
		"\"state\":\"online\",\"session\":1e2}", &m, field), PROTO_OK);
	CHECK_EQ_INT(m.u.status.session, 100);
	CHECK_EQ_INT(m.u.status.outbox, -1);
	proto_msg_clear(&m);

	/* On any fault after the JSON parsed, a valid id is kept for the
	 * rejected receipt's ref; without one, or unparsed, it is 0. */
	CHECK_EQ_INT(decode_str("{\"v\":2,\"id\":42}", &m, field),
		PROTO_ERR_BAD_VERSION);
	CHECK_EQ_INT(m.id, 42);
	CHECK(is_cleared(&m));
	CHECK_EQ_INT(decode_str("{\"v\":1,\"type\":\"report\",\"station\":\"" GROUP
		"\",\"id\":43,\"ts\":\"now\"}", &m, field), PROTO_ERR_BAD_VALUE);
	CHECK_STR(field, "ts");
	CHECK_EQ_INT(m.id, 43);
	CHECK_EQ_INT(decode_str("{\"v\":1,\"id\":0}", &m, field), PROTO_ERR_MISSING_FIELD);
	CHECK_EQ_INT(m.id, 0);
	CHECK_EQ_INT(decode_str("{\"v\":1,\"id\":\"44\"}", &m, field),
		PROTO_ERR_MISSING_FIELD);
	CHECK_STR(field, "type");
	CHECK_EQ_INT(m.id, 0);
	CHECK_EQ_INT(decode_str("{\"v\":1,\"id\":45", &m, field), PROTO_ERR_BAD_JSON);
	CHECK_EQ_INT(m.id, 0);

	/* The field buffer is optional. */
	CHECK_EQ_INT(proto_msg_decode("{}", 2, &m, NULL), PROTO_ERR_MISSING_FIELD);
	CHECK_EQ_INT(proto_msg_decode(NULL, 0, &m, field), PROTO_ERR_BAD_JSON);
	CHECK(is_cleared(&m));

	/* A newer hub's unknown error code is still a rejection. */
	CHECK_EQ_INT(decode_str("{\"v\":1,\"type\":\"receipt\",\"station\":\"" GROUP "\","
		"\"ref\":3,\"status\":\"rejected\",\"error\":\"from_the_future\"}", &m,
		field), PROTO_OK);
	CHECK_EQ_INT(m.u.receipt.status, PROTO_RECEIPT_REJECTED);
	CHECK_EQ_INT(m.u.receipt.error, PROTO_ERR_BAD_VALUE);
	proto_msg_clear(&m);
	CHECK_EQ_INT(decode_str("{\"v\":1,\"type\":\"receipt\",\"station\":\"" GROUP "\","
		"\"ref\":3,\"status\":\"rejected\",\"error\":\"inval\"}", &m,
		field), PROTO_OK);
	CHECK_EQ_INT(m.u.receipt.error, PROTO_ERR_INVAL);
	proto_msg_clear(&m);
	/* "ok" is no reason for a rejection: it must not read as success. */
	CHECK_EQ_INT(decode_str("{\"v\":1,\"type\":\"receipt\",\"station\":\"" GROUP "\","
		"\"ref\":3,\"status\":\"rejected\",\"error\":\"ok\"}", &m,
		field), PROTO_OK);
	CHECK_EQ_INT(m.u.receipt.error, PROTO_ERR_BAD_VALUE);
	proto_msg_clear(&m);

	/* A field name of 31 code points is allowed but not 31 bytes: it is
	 * cut at a character boundary and stays valid UTF-8. */
	CHECK_EQ_INT(decode_str("{\"v\":1,\"type\":\"receipt\",\"station\":\"" GROUP "\","
		"\"status\":\"rejected\",\"error\":\"bad_type\",\"field\":"
		"\"一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一\"}",
		&m, field), PROTO_OK);
	CHECK_STR(m.u.receipt.field, "一二三四五六七八九十");
	CHECK(proto_utf8_valid(m.u.receipt.field, strlen(m.u.receipt.field)));
	proto_msg_clear(&m);
	CHECK_EQ_INT(decode_str("{\"v\":1,\"type\":\"receipt\",\"station\":\"" GROUP "\","
		"\"status\":\"rejected\",\"error\":\"bad_type\",\"field\":"
		"\"abcdefghijklmnopqrstuvwxyz_____\"}", &m, field), PROTO_OK);
	CHECK_STR(m.u.receipt.field, "abcdefghijklmnopqrstuvwxyz_____");
	proto_msg_clear(&m);

	/* Exactly at the payload limit is not too large: pad with spaces. */
	{
		const char *base = "{\"v\":1,\"type\":\"hub\",\"station\":\"611025\","
			"\"state\":\"online\",\"session\":1}";
		size_t n = strlen(base);
		char *big = malloc(PROTO_PAYLOAD_MAX + 1);
		if (CHECK(big != NULL)) {
			memcpy(big, base, n);
			memset(big + n, ' ', PROTO_PAYLOAD_MAX + 1 - n);
			CHECK_EQ_INT(proto_msg_decode(big, PROTO_PAYLOAD_MAX, &m, field),
				PROTO_OK);
			proto_msg_clear(&m);
			CHECK_EQ_INT(proto_msg_decode(big, PROTO_PAYLOAD_MAX + 1, &m,
				field), PROTO_ERR_TOO_LARGE);
			CHECK_STR(field, "");
		}
		free(big);
	}
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

/* ------------------------------------------------- names and codes */

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

/* ------------------------------------------------- malformed payloads */

/* One row per file of fixtures/bad/: the file is named after the error code
 * it must produce, field is the name the decoder must blame, and id is the
 * message id it must still report (0 when the payload has no usable one). */
static const struct {
	const char *file;
	proto_err err;
	const char *field;
	int64_t id;
} bad[] = {
	{"bad_json-not-json", PROTO_ERR_BAD_JSON, "", 0},
	{"bad_json-array", PROTO_ERR_BAD_JSON, "", 0},
	{"bad_json-empty", PROTO_ERR_BAD_JSON, "", 0},
	{"bad_json-whitespace", PROTO_ERR_BAD_JSON, "", 0},
	{"bad_json-string", PROTO_ERR_BAD_JSON, "", 0},
	{"bad_json-null", PROTO_ERR_BAD_JSON, "", 0},
	{"bad_json-truncated", PROTO_ERR_BAD_JSON, "", 0},
	{"bad_json-trailing-comma", PROTO_ERR_BAD_JSON, "", 0},
	{"bad_json-single-quotes", PROTO_ERR_BAD_JSON, "", 0},
	{"bad_json-trailing-garbage", PROTO_ERR_BAD_JSON, "", 0},
	{"bad_json-two-objects", PROTO_ERR_BAD_JSON, "", 0},

	{"missing_field-v", PROTO_ERR_MISSING_FIELD, "v", 7},
	{"missing_field-member-member", PROTO_ERR_MISSING_FIELD, "member", 9},
	{"missing_field-member-name", PROTO_ERR_MISSING_FIELD, "name", 9},
	{"missing_field-member-msg-id", PROTO_ERR_MISSING_FIELD, "id", 0},
	{"bad_value-member-unit-outside", PROTO_ERR_BAD_VALUE, "unit", 9},
	{"bad_type-member-gone-string", PROTO_ERR_BAD_TYPE, "gone", 9},
	{"too_large-member-name", PROTO_ERR_TOO_LARGE, "name", 9},
	{"too_large-member-id", PROTO_ERR_TOO_LARGE, "member", 9},
	{"missing_field-type", PROTO_ERR_MISSING_FIELD, "type", 7},
	{"missing_field-station", PROTO_ERR_MISSING_FIELD, "station", 7},
	{"missing_field-id", PROTO_ERR_MISSING_FIELD, "id", 0},
	{"missing_field-ts", PROTO_ERR_MISSING_FIELD, "ts", 7},
	{"missing_field-colour", PROTO_ERR_MISSING_FIELD, "colour", 7},
	{"missing_field-category", PROTO_ERR_MISSING_FIELD, "category", 7},
	{"missing_field-title", PROTO_ERR_MISSING_FIELD, "title", 7},
	{"missing_field-title-null", PROTO_ERR_MISSING_FIELD, "title", 7},
	{"missing_field-text", PROTO_ERR_MISSING_FIELD, "text", 7},
	{"missing_field-action-item", PROTO_ERR_MISSING_FIELD, "item", 8},
	{"missing_field-action-action", PROTO_ERR_MISSING_FIELD, "action", 8},
	{"missing_field-status-state", PROTO_ERR_MISSING_FIELD, "state", 0},
	{"missing_field-status-session", PROTO_ERR_MISSING_FIELD, "session", 0},
	{"missing_field-receipt-status", PROTO_ERR_MISSING_FIELD, "status", 0},
	{"missing_field-receipt-error", PROTO_ERR_MISSING_FIELD, "error", 0},
	{"missing_field-item-origin", PROTO_ERR_MISSING_FIELD, "origin", 3},
	{"missing_field-item-state", PROTO_ERR_MISSING_FIELD, "state", 3},

	{"bad_type-people-string", PROTO_ERR_BAD_TYPE, "people", 7},
	{"bad_type-people-bool", PROTO_ERR_BAD_TYPE, "people", 7},
	{"bad_type-title-number", PROTO_ERR_BAD_TYPE, "title", 7},
	{"bad_type-text-object", PROTO_ERR_BAD_TYPE, "text", 7},
	{"bad_type-reporter-array", PROTO_ERR_BAD_TYPE, "reporter", 7},
	{"bad_type-v-string", PROTO_ERR_BAD_TYPE, "v", 7},
	{"bad_type-type-number", PROTO_ERR_BAD_TYPE, "type", 7},
	{"bad_type-station-number", PROTO_ERR_BAD_TYPE, "station", 7},
	{"bad_type-id-string", PROTO_ERR_BAD_TYPE, "id", 0},
	{"bad_type-ts-number", PROTO_ERR_BAD_TYPE, "ts", 7},
	{"bad_type-colour-number", PROTO_ERR_BAD_TYPE, "colour", 7},
	{"bad_type-status-session-string", PROTO_ERR_BAD_TYPE, "session", 0},
	{"bad_type-receipt-ref-string", PROTO_ERR_BAD_TYPE, "ref", 0},
	{"bad_type-receipt-snapshot-string", PROTO_ERR_BAD_TYPE, "snapshot", 0},
	{"bad_value-receipt-snapshot-state", PROTO_ERR_BAD_VALUE, "snapshot.state", 0},

	{"bad_value-colour-unknown", PROTO_ERR_BAD_VALUE, "colour", 7},
	{"bad_value-colour-chinese", PROTO_ERR_BAD_VALUE, "colour", 7},
	{"bad_value-category-unknown", PROTO_ERR_BAD_VALUE, "category", 7},
	{"bad_value-station-code", PROTO_ERR_BAD_VALUE, "station", 7},
	{"bad_value-station-zero-level", PROTO_ERR_BAD_VALUE, "station", 7},
	{"bad_value-station-empty", PROTO_ERR_BAD_VALUE, "station", 7},
	{"bad_value-station-too-long", PROTO_ERR_BAD_VALUE, "station", 7},
	{"bad_value-phone-letters", PROTO_ERR_BAD_VALUE, "phone", 7},
	{"bad_value-phone-short", PROTO_ERR_BAD_VALUE, "phone", 7},
	{"bad_value-people-negative", PROTO_ERR_BAD_VALUE, "people", 7},
	{"bad_value-people-fraction", PROTO_ERR_BAD_VALUE, "people", 7},
	{"bad_value-people-too-many", PROTO_ERR_BAD_VALUE, "people", 7},
	{"bad_value-id-fraction", PROTO_ERR_BAD_VALUE, "id", 0},
	{"bad_value-id-zero", PROTO_ERR_BAD_VALUE, "id", 0},
	{"bad_value-id-unsafe", PROTO_ERR_BAD_VALUE, "id", 0},
	{"bad_value-ts-format", PROTO_ERR_BAD_VALUE, "ts", 7},
	{"bad_value-ts-offset", PROTO_ERR_BAD_VALUE, "ts", 7},
	{"bad_value-ts-no-leap-day", PROTO_ERR_BAD_VALUE, "ts", 7},
	{"bad_value-title-empty", PROTO_ERR_BAD_VALUE, "title", 7},
	{"bad_value-title-control", PROTO_ERR_BAD_VALUE, "title", 7},
	{"bad_value-title-newline", PROTO_ERR_BAD_VALUE, "title", 7},
	{"bad_value-title-delete", PROTO_ERR_BAD_VALUE, "title", 7},
	{"bad_value-text-empty", PROTO_ERR_BAD_VALUE, "text", 7},
	{"bad_value-text-control", PROTO_ERR_BAD_VALUE, "text", 7},
	{"bad_value-action-item-leading-zero", PROTO_ERR_BAD_VALUE, "item", 8},
	{"bad_value-action-item-no-dash", PROTO_ERR_BAD_VALUE, "item", 8},
	{"bad_value-action-name", PROTO_ERR_BAD_VALUE, "action", 8},
	{"bad_value-action-until", PROTO_ERR_BAD_VALUE, "until", 8},
	{"bad_value-status-state", PROTO_ERR_BAD_VALUE, "state", 0},
	{"bad_value-status-outbox-negative", PROTO_ERR_BAD_VALUE, "outbox", 0},
	{"bad_value-receipt-status", PROTO_ERR_BAD_VALUE, "status", 0},
	{"bad_value-receipt-ref-zero", PROTO_ERR_BAD_VALUE, "ref", 0},
	{"bad_value-item-origin", PROTO_ERR_BAD_VALUE, "origin", 3},
	{"bad_value-hub-station-town", PROTO_ERR_BAD_VALUE, "station", 0},

	{"too_large-payload", PROTO_ERR_TOO_LARGE, "", 0},
	{"too_large-title", PROTO_ERR_TOO_LARGE, "title", 7},
	{"too_large-text", PROTO_ERR_TOO_LARGE, "text", 7},
	{"too_large-reporter", PROTO_ERR_TOO_LARGE, "reporter", 7},

	/* Encoding faults are in the payload as a whole: no field. */
	{"bad_utf8-raw-byte", PROTO_ERR_BAD_UTF8, "", 0},
	{"bad_utf8-overlong", PROTO_ERR_BAD_UTF8, "", 0},
	{"bad_utf8-overlong-3", PROTO_ERR_BAD_UTF8, "", 0},
	{"bad_utf8-truncated", PROTO_ERR_BAD_UTF8, "", 0},
	{"bad_utf8-surrogate-raw", PROTO_ERR_BAD_UTF8, "", 0},
	{"bad_utf8-above-max", PROTO_ERR_BAD_UTF8, "", 0},
	{"bad_utf8-nul-raw", PROTO_ERR_BAD_UTF8, "", 0},
	{"bad_utf8-surrogate-escape", PROTO_ERR_BAD_UTF8, "", 0},
	{"bad_utf8-low-surrogate-escape", PROTO_ERR_BAD_UTF8, "", 0},
	{"bad_utf8-unpaired-high-escape", PROTO_ERR_BAD_UTF8, "", 0},
	{"bad_utf8-nul-escape", PROTO_ERR_BAD_UTF8, "", 0},

	{"bad_version-v2", PROTO_ERR_BAD_VERSION, "v", 7},
	{"bad_version-v0", PROTO_ERR_BAD_VERSION, "v", 7},
	{"bad_version-v-negative", PROTO_ERR_BAD_VERSION, "v", 7},
	{"bad_version-v-fraction", PROTO_ERR_BAD_VERSION, "v", 7},

	{"unknown_type-bogus", PROTO_ERR_UNKNOWN_TYPE, "type", 7},
	{"unknown_type-empty", PROTO_ERR_UNKNOWN_TYPE, "type", 7},
	{"unknown_type-uppercase", PROTO_ERR_UNKNOWN_TYPE, "type", 7},
	{"unknown_type-chinese", PROTO_ERR_UNKNOWN_TYPE, "type", 7},
	{"unknown_type-long", PROTO_ERR_UNKNOWN_TYPE, "type", 7},
};

#define NBAD (sizeof bad / sizeof bad[0])

static void test_bad_fixtures(const char *dir)
{
	char path[4096], field[PROTO_FIELD_MAX];

	for (size_t i = 0; i < NBAD; i++) {
		const char *name = proto_err_name(bad[i].err);
		proto_msg m;
		size_t len = 0;
		char *payload;

		check_case = bad[i].file;
		/* The file name states the code, so a reader of the directory
		 * alone knows what each payload is for. */
		CHECK(strncmp(bad[i].file, name, strlen(name)) == 0 &&
		      bad[i].file[strlen(name)] == '-');
		snprintf(path, sizeof path, "%s/bad/%s.json", dir, bad[i].file);
		payload = read_file(path, &len);
		if (!CHECK(payload != NULL))
			continue;
		memset(&m, 0xA5, sizeof m); /* must come back cleared */
		memset(field, 'x', sizeof field);
		CHECK_STR(proto_err_name(proto_msg_decode(payload, len, &m, field)), name);
		CHECK_STR(field, bad[i].field);
		CHECK(is_cleared(&m));
		/* The id survives when the payload is an object with a valid
		 * one, so that the hub can quote it in the rejection. */
		CHECK_EQ_INT(m.id, bad[i].id);
		proto_msg_clear(&m);
		free(payload);
	}
	check_case = NULL;
}

/* Every fixture file has a row, so none is silently skipped. */
static void test_bad_fixtures_listed(const char *dir)
{
	char path[4096];
	struct dirent *e;
	DIR *d;
	int files = 0;

	snprintf(path, sizeof path, "%s/bad", dir);
	d = opendir(path);
	if (!CHECK(d != NULL))
		return;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		bool listed = false;

		if (n < 5 || strcmp(e->d_name + n - 5, ".json") != 0)
			continue;
		files++;
		for (size_t i = 0; i < NBAD && !listed; i++)
			listed = strlen(bad[i].file) == n - 5 &&
				 strncmp(bad[i].file, e->d_name, n - 5) == 0;
		check_case = e->d_name;
		CHECK(listed);
	}
	check_case = NULL;
	closedir(d);
	CHECK_EQ_INT(files, NBAD);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s FIXTURES_DIR\n", argv[0]);
		return 2;
	}
	test_report();
	test_action();
	test_status();
	test_receipt();
	test_receipt_snapshot();
	test_item();
	test_item_body();
	test_hub();
	test_member();
	test_decode_by_hand();
	test_epoch_ts();
	test_encode_invalid();
	test_encode_as_cjson();
	test_names();
	test_bad_fixtures(argv[1]);
	test_bad_fixtures_listed(argv[1]);
	return check_finish();
}
