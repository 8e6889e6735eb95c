/* Building and parsing topics. Parsing is strict: the hub decides who sent a
 * message from its topic, which the broker's ACL has already vouched for. */
#include <stdio.h>
#include <string.h>

#include "protocol/str.h"
#include "protocol/topic.h"

/* Receipts travel both ways: the hub receipts what stations send, and a
 * station receipts the items the hub delivers to it. */
static bool goes_up(proto_msg_type t)
{
	return t == PROTO_MSG_REPORT || t == PROTO_MSG_ACTION || t == PROTO_MSG_STATUS ||
	       t == PROTO_MSG_RECEIPT;
}

static bool goes_down(proto_msg_type t)
{
	return t == PROTO_MSG_RECEIPT || t == PROTO_MSG_ITEM || t == PROTO_MSG_MEMBER;
}

static bool fits(int written, size_t n)
{
	return written > 0 && (size_t)written < n;
}

/* Each receipt and item message the hub sends needs one: built by appends,
 * not snprintf (str.h). */
bool proto_topic_for(char *buf, size_t n, const char *station, proto_msg_type type)
{
	char county[PROTO_CODE_MAX + 1];
	size_t at;

	if (!proto_code_ancestor(station, PROTO_TIER_COUNTY, county))
		return false;
	if (type == PROTO_MSG_HUB)
		return fits(snprintf(buf, n, PROTO_TOPIC_ROOT "/%s/hub/status", county), n);
	if (!goes_up(type) && !goes_down(type))
		return false;
	at = proto_append(buf, n, 0, PROTO_TOPIC_ROOT "/");
	at = proto_append(buf, n, at, county);
	at = proto_append(buf, n, at, goes_down(type) ? "/down/" : "/up/");
	at = proto_append(buf, n, at, station);
	at = proto_append(buf, n, at, "/");
	at = proto_append(buf, n, at, proto_msg_type_name(type));
	return at < n;
}

bool proto_topic_up_for(char *buf, size_t n, const char *station, proto_msg_type type)
{
	char county[PROTO_CODE_MAX + 1];

	if (!goes_up(type) || !proto_code_ancestor(station, PROTO_TIER_COUNTY, county))
		return false;
	return fits(snprintf(buf, n, PROTO_TOPIC_ROOT "/%s/up/%s/%s", county, station,
		proto_msg_type_name(type)), n);
}

bool proto_topic_hub_filter(char *buf, size_t n, const char *county)
{
	if (proto_code_tier(county) != PROTO_TIER_COUNTY)
		return false;
	return fits(snprintf(buf, n, PROTO_TOPIC_ROOT "/%s/up/+/+", county), n);
}

bool proto_topic_station_filter(char *buf, size_t n, const char *station)
{
	char county[PROTO_CODE_MAX + 1];

	if (!proto_code_ancestor(station, PROTO_TIER_COUNTY, county))
		return false;
	return fits(snprintf(buf, n, PROTO_TOPIC_ROOT "/%s/down/%s/+", county,
		station), n);
}

/* Splits topic into at most max levels in place; returns the level count or
 * -1 when there are more. */
static int split(char *s, char **levels, int max)
{
	int n = 0;

	for (;;) {
		if (n == max)
			return -1;
		levels[n++] = s;
		s = strchr(s, '/');
		if (!s)
			return n;
		*s++ = '\0';
	}
}

proto_err proto_topic_parse(const char *topic, proto_topic *out)
{
	char copy[PROTO_TOPIC_MAX];
	char *lv[6];
	int n, type;

	memset(out, 0, sizeof *out);
	if (!topic || strlen(topic) >= sizeof copy)
		return PROTO_ERR_BAD_TOPIC;
	strcpy(copy, topic);
	n = split(copy, lv, 6);
	if (n < 4 || strcmp(lv[0], PROTO_TOPIC_ROOT) != 0 ||
	    proto_code_tier(lv[1]) != PROTO_TIER_COUNTY)
		return PROTO_ERR_BAD_TOPIC;
	strcpy(out->county, lv[1]);
	if (n == 4 && strcmp(lv[2], "hub") == 0 && strcmp(lv[3], "status") == 0) {
		out->type = PROTO_MSG_HUB;
		return PROTO_OK;
	}
	if (n != 5 || !proto_code_within(lv[3], lv[1]))
		return PROTO_ERR_BAD_TOPIC;
	type = proto_msg_type_parse(lv[4]);
	if (type < 0)
		return PROTO_ERR_BAD_TOPIC;
	out->type = (proto_msg_type)type;
	if (strcmp(lv[2], "up") == 0 && goes_up(out->type))
		out->up = true;
	else if (!(strcmp(lv[2], "down") == 0 && goes_down(out->type)))
		return PROTO_ERR_BAD_TOPIC;
	strcpy(out->station, lv[3]);
	return PROTO_OK;
}
