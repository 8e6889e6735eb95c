/* Unit tests of protocol/topic.c: building every topic of the scheme and the
 * strict parser the hub uses to decide who sent a message. */
#include <string.h>

#include "protocol/topic.h"

#include "check.h"

#define GROUP "611025100201001"

static void test_build(void)
{
	static const struct {
		const char *station;
		proto_msg_type type;
		const char *topic;
	} cases[] = {
		{GROUP, PROTO_MSG_REPORT, "minqing/611025/up/" GROUP "/report"},
		{GROUP, PROTO_MSG_ACTION, "minqing/611025/up/" GROUP "/action"},
		{GROUP, PROTO_MSG_STATUS, "minqing/611025/up/" GROUP "/status"},
		{GROUP, PROTO_MSG_RECEIPT, "minqing/611025/down/" GROUP "/receipt"},
		{GROUP, PROTO_MSG_ITEM, "minqing/611025/down/" GROUP "/item"},
		{GROUP, PROTO_MSG_HUB, "minqing/611025/hub/status"},
		{"611025", PROTO_MSG_REPORT, "minqing/611025/up/611025/report"},
		{"611025100", PROTO_MSG_ITEM, "minqing/611025/down/611025100/item"},
		{"611025100", PROTO_MSG_MEMBER, "minqing/611025/down/611025100/member"},
		{"611025100201", PROTO_MSG_STATUS, "minqing/611025/up/611025100201/status"},
		{"611025", PROTO_MSG_HUB, "minqing/611025/hub/status"},
	};
	char buf[PROTO_TOPIC_MAX];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t len = strlen(cases[i].topic);
		check_case = cases[i].topic;
		CHECK(proto_topic_for(buf, sizeof buf, cases[i].station, cases[i].type));
		CHECK_STR(buf, cases[i].topic);
		/* The buffer must hold the NUL too: exactly enough, one short. */
		CHECK(proto_topic_for(buf, len + 1, cases[i].station, cases[i].type));
		CHECK(!proto_topic_for(buf, len, cases[i].station, cases[i].type));
	}
	check_case = NULL;

	CHECK(!proto_topic_for(buf, sizeof buf, "61102510", PROTO_MSG_REPORT));
	CHECK(!proto_topic_for(buf, sizeof buf, "611025000", PROTO_MSG_REPORT));
	CHECK(!proto_topic_for(buf, sizeof buf, "", PROTO_MSG_HUB));
	CHECK(!proto_topic_for(buf, sizeof buf, NULL, PROTO_MSG_REPORT));
	CHECK(!proto_topic_for(buf, sizeof buf, GROUP, PROTO_MSG__COUNT));
	CHECK(!proto_topic_for(buf, sizeof buf, GROUP, (proto_msg_type)-1));
	CHECK(!proto_topic_for(buf, 0, GROUP, PROTO_MSG_REPORT));
}

static void test_filters(void)
{
	char buf[PROTO_TOPIC_MAX];

	CHECK(proto_topic_hub_filter(buf, sizeof buf, "611025"));
	CHECK_STR(buf, "minqing/611025/up/+/+");
	CHECK(!proto_topic_hub_filter(buf, sizeof buf, "611025100"));
	CHECK(!proto_topic_hub_filter(buf, sizeof buf, "000000"));
	CHECK(!proto_topic_hub_filter(buf, sizeof buf, "61102"));
	CHECK(!proto_topic_hub_filter(buf, strlen("minqing/611025/up/+/+"), "611025"));

	CHECK(proto_topic_station_filter(buf, sizeof buf, GROUP));
	CHECK_STR(buf, "minqing/611025/down/" GROUP "/+");
	CHECK(proto_topic_station_filter(buf, sizeof buf, "611025"));
	CHECK_STR(buf, "minqing/611025/down/611025/+");
	CHECK(!proto_topic_station_filter(buf, sizeof buf, "6110251"));
	CHECK(!proto_topic_station_filter(buf, 10, GROUP));
}

/* Every topic built for a station must parse back to the same facts. */
static void test_round_trip(void)
{
	static const char *stations[] = {"611025", "611025100", "611025100201", GROUP};
	char buf[PROTO_TOPIC_MAX];
	proto_topic t;

	for (size_t s = 0; s < sizeof stations / sizeof stations[0]; s++) {
		for (int type = 0; type < PROTO_MSG__COUNT; type++) {
			check_case = proto_msg_type_name((proto_msg_type)type);
			CHECK(proto_topic_for(buf, sizeof buf, stations[s], (proto_msg_type)type));
			CHECK_EQ_INT(proto_topic_parse(buf, &t), PROTO_OK);
			CHECK_STR(t.county, "611025");
			CHECK_EQ_INT(t.type, type);
			if (type == PROTO_MSG_HUB) {
				CHECK_STR(t.station, "");
				CHECK(!t.up);
			} else {
				CHECK_STR(t.station, stations[s]);
				CHECK_EQ_INT(t.up, type <= PROTO_MSG_STATUS);
			}
		}
	}
	check_case = NULL;
}

static void test_reject(void)
{
	static const char *bad[] = {
		/* wrong root */
		"minqin/611025/up/" GROUP "/report",
		"Minqing/611025/up/" GROUP "/report",
		"/minqing/611025/up/" GROUP "/report",
		"mq/611025/up/" GROUP "/report",
		/* the county level is not a county */
		"minqing/611025100/up/611025100201/report",
		"minqing/61102/up/" GROUP "/report",
		"minqing/000000/hub/status",
		"minqing//up/" GROUP "/report",
		/* a type travelling the wrong way */
		"minqing/611025/up/" GROUP "/item",
		"minqing/611025/up/" GROUP "/hub",
		"minqing/611025/up/" GROUP "/member",
		"minqing/611025/down/" GROUP "/report",
		"minqing/611025/down/" GROUP "/action",
		"minqing/611025/down/" GROUP "/status",
		"minqing/611025/down/" GROUP "/hub",
		"minqing/611025/sideways/" GROUP "/report",
		"minqing/611025/UP/" GROUP "/report",
		/* a station outside the county, or no station at all */
		"minqing/611025/up/611026100201001/report",
		"minqing/611025/up/611026/report",
		"minqing/611025/down/611026100/item",
		"minqing/611025/up/61102510020100/report",
		"minqing/611025/up/611025100000/report",
		"minqing/611025/up//report",
		"minqing/611025/up/+/report",
		/* an unknown type */
		"minqing/611025/up/" GROUP "/bogus",
		"minqing/611025/up/" GROUP "/Report",
		"minqing/611025/up/" GROUP "/report ",
		"minqing/611025/up/" GROUP "/",
		"minqing/611025/up/" GROUP "/+",
		"minqing/611025/up/" GROUP "/#",
		"minqing/611025/hub/state",
		"minqing/611025/bub/status",
		/* extra levels */
		"minqing/611025/up/" GROUP "/report/x",
		"minqing/611025/up/" GROUP "/report/",
		"minqing/611025/up/" GROUP "/report/x/y",
		"minqing/611025/hub/status/x",
		"minqing/611025/hub/status/",
		/* missing levels */
		"minqing/611025/up/" GROUP,
		"minqing/611025/up/",
		"minqing/611025/up",
		"minqing/611025/hub",
		"minqing/611025",
		"minqing",
		"",
	};
	proto_topic t;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		check_case = bad[i];
		CHECK_EQ_INT(proto_topic_parse(bad[i], &t), PROTO_ERR_BAD_TOPIC);
	}
	check_case = NULL;
	CHECK_EQ_INT(proto_topic_parse(NULL, &t), PROTO_ERR_BAD_TOPIC);
}

/* Topics longer than PROTO_TOPIC_MAX are refused before they are copied. */
static void test_too_long(void)
{
	char topic[4096];
	proto_topic t;
	size_t len;

	strcpy(topic, "minqing/611025/up/" GROUP "/report");
	len = strlen(topic);
	memset(topic + len, '/', PROTO_TOPIC_MAX - len);
	topic[PROTO_TOPIC_MAX] = '\0';
	CHECK_EQ_INT(proto_topic_parse(topic, &t), PROTO_ERR_BAD_TOPIC);

	/* A station level padded to fill the limit exactly. */
	strcpy(topic, "minqing/611025/up/");
	len = strlen(topic);
	memset(topic + len, '1', PROTO_TOPIC_MAX - 1 - len);
	topic[PROTO_TOPIC_MAX - 1] = '\0';
	CHECK_EQ_INT(proto_topic_parse(topic, &t), PROTO_ERR_BAD_TOPIC);

	memset(topic, 'a', sizeof topic - 1);
	topic[sizeof topic - 1] = '\0';
	CHECK_EQ_INT(proto_topic_parse(topic, &t), PROTO_ERR_BAD_TOPIC);
}

/* Receipts go both ways: a station receipts the items it is sent. */
static void test_receipt_up(void)
{
	char buf[PROTO_TOPIC_MAX];
	proto_topic t;

	CHECK(proto_topic_up_for(buf, sizeof buf, GROUP, PROTO_MSG_RECEIPT));
	CHECK_STR(buf, "minqing/611025/up/" GROUP "/receipt");
	CHECK_EQ_INT(proto_topic_parse(buf, &t), PROTO_OK);
	CHECK(t.up);
	CHECK_EQ_INT(t.type, PROTO_MSG_RECEIPT);
	CHECK_STR(t.station, GROUP);
	/* proto_topic_for keeps giving the hub's direction for receipts. */
	CHECK(proto_topic_for(buf, sizeof buf, GROUP, PROTO_MSG_RECEIPT));
	CHECK_STR(buf, "minqing/611025/down/" GROUP "/receipt");
	CHECK(!proto_topic_up_for(buf, sizeof buf, GROUP, PROTO_MSG_ITEM));
	CHECK(!proto_topic_up_for(buf, sizeof buf, "bad", PROTO_MSG_RECEIPT));
	CHECK(proto_topic_up_for(buf, sizeof buf, GROUP, PROTO_MSG_REPORT));
	CHECK_STR(buf, "minqing/611025/up/" GROUP "/report");
}

int main(void)
{
	test_receipt_up();
	test_build();
	test_filters();
	test_round_trip();
	test_reject();
	test_too_long();
	return check_finish();
}
