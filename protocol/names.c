/* Wire names and Chinese display names of the protocol's enumerations. The
 * English keys are the contract; the Chinese names are for people. */
#include <string.h>

#include "protocol/message.h"
#include "protocol/str.h"

static const char *type_names[PROTO_MSG__COUNT] = {
	"report", "action", "status", "receipt", "item", "hub", "member",
};
static const char *colour_names[PROTO_COLOUR__COUNT] = {"blue", "orange", "red"};
static const char *colour_names_zh[PROTO_COLOUR__COUNT] = {"蓝", "橙", "红"};
static const char *category_names[PROTO_CAT__COUNT] = {
	"industry", "infrastructure", "livelihood", "dispute",
	"security", "proxy", "left_behind", "ceremony",
};
static const char *category_names_zh[PROTO_CAT__COUNT] = {
	"产业发展", "设施建设", "民生保障", "矛盾调处",
	"治安联防", "便民服务代理", "留守人员代管", "红白理事",
};
static const char *receipt_names[PROTO_RECEIPT__COUNT] = {
	"accepted", "duplicate", "rejected",
};

static int lookup(const char *const *names, int n, const char *name)
{
	for (int i = 0; name && i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

static const char *name_of(const char *const *names, int n, int i)
{
	return i >= 0 && i < n ? names[i] : "?";
}

const char *proto_msg_type_name(proto_msg_type t)
{
	return name_of(type_names, PROTO_MSG__COUNT, (int)t);
}

int proto_msg_type_parse(const char *name)
{
	return lookup(type_names, PROTO_MSG__COUNT, name);
}

const char *proto_colour_name(proto_colour c)
{
	return name_of(colour_names, PROTO_COLOUR__COUNT, (int)c);
}

const char *proto_colour_name_zh(proto_colour c)
{
	return name_of(colour_names_zh, PROTO_COLOUR__COUNT, (int)c);
}

int proto_colour_parse(const char *name)
{
	return lookup(colour_names, PROTO_COLOUR__COUNT, name);
}

const char *proto_category_name(proto_category c)
{
	return name_of(category_names, PROTO_CAT__COUNT, (int)c);
}

const char *proto_category_name_zh(proto_category c)
{
	return name_of(category_names_zh, PROTO_CAT__COUNT, (int)c);
}

int proto_category_parse(const char *name)
{
	return lookup(category_names, PROTO_CAT__COUNT, name);
}

const char *proto_receipt_status_name(proto_receipt_status s)
{
	return name_of(receipt_names, PROTO_RECEIPT__COUNT, (int)s);
}

int proto_receipt_status_parse(const char *name)
{
	return lookup(receipt_names, PROTO_RECEIPT__COUNT, name);
}

void proto_item_id(char out[PROTO_ITEM_ID_MAX], const char *station, int64_t id)
{
	size_t at = proto_append(out, PROTO_ITEM_ID_MAX, 0, station);

	at = proto_append(out, PROTO_ITEM_ID_MAX, at, "-");
	proto_append_int(out, PROTO_ITEM_ID_MAX, at, id);
}
