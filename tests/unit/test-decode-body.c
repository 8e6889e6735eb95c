/* Unit tests of each message type's body (protocol/decode-body.c, and
 * encode.c writing it): a report, an action, a status, a receipt (with and
 * without the item's snapshot), an item, a hub status and a member each
 * survive encode -> decode with every field, optional fields come back
 * absent, limits hold at the edge, and faults inside a body (a snapshot's
 * nested field, a member's unit) are named by their field.
 *
 * Usage: test-decode-body FIXTURES_DIR */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/message.h"

#include "check.h"
#include "codec-check.h"

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

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s FIXTURES_DIR\n", argv[0]);
		return 2;
	}
	(void)argv; /* the fixtures directory, unused here */
	test_report();
	test_action();
	test_status();
	test_receipt();
	test_receipt_snapshot();
	test_item();
	test_hub();
	test_member();
	return check_finish();
}
