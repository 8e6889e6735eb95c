/* Names and explanations of the proto_err codes; the wire names are part of
 * the protocol contract (PROTOCOL.md) and never change once published. */
#include <string.h>

#include "protocol/error.h"

static const struct {
	const char *name;
	const char *text;
} table[PROTO_ERR__COUNT] = {
	[PROTO_OK] = {"ok", "no error"},
	[PROTO_ERR_BAD_JSON] = {"bad_json", "payload is not a JSON object"},
	[PROTO_ERR_MISSING_FIELD] = {"missing_field", "a required field is missing"},
	[PROTO_ERR_BAD_TYPE] = {"bad_type", "a field has the wrong type"},
	[PROTO_ERR_BAD_VALUE] = {"bad_value", "a field has an invalid value"},
	[PROTO_ERR_TOO_LARGE] = {"too_large", "payload or field is too large"},
	[PROTO_ERR_BAD_UTF8] = {"bad_utf8", "text is not valid UTF-8"},
	[PROTO_ERR_BAD_VERSION] = {"bad_version", "unsupported protocol version"},
	[PROTO_ERR_UNKNOWN_TYPE] = {"unknown_type", "unknown message type"},
	[PROTO_ERR_UNKNOWN_STATION] = {"unknown_station", "station is not registered"},
	[PROTO_ERR_WRONG_STATION] = {"wrong_station", "message names another station"},
	[PROTO_ERR_BAD_TOPIC] = {"bad_topic", "topic does not follow the scheme"},
	[PROTO_ERR_NOMEM] = {"nomem", "out of memory"},
	[PROTO_ERR_IO] = {"io", "input/output error"},
	[PROTO_ERR_INVAL] = {"inval", "invalid argument"},
	[PROTO_ERR_NOT_FOUND] = {"not_found", "not found"},
	[PROTO_ERR_REPLAY] = {"replay", "message id is below the station's settled mark and unseen"},
	[PROTO_ERR_RATE_LIMITED] = {"rate_limited", "too many messages; send again later"},
	[PROTO_ERR_UNKNOWN_ITEM] = {"unknown_item", "no such item"},
	[PROTO_ERR_BAD_STATE] = {"bad_state", "step not possible in the item's state"},
	[PROTO_ERR_NOT_ALLOWED] = {"not_allowed", "this station may not take this step"},
};

const char *proto_err_name(proto_err err)
{
	if ((unsigned)err >= PROTO_ERR__COUNT)
		return "unknown";
	return table[err].name;
}

proto_err proto_err_from_name(const char *name)
{
	if (!name)
		return PROTO_ERR_INVAL;
	for (int i = 0; i < PROTO_ERR__COUNT; i++)
		if (strcmp(table[i].name, name) == 0)
			return (proto_err)i;
	return PROTO_ERR_INVAL;
}

const char *proto_err_text(proto_err err)
{
	if ((unsigned)err >= PROTO_ERR__COUNT)
		return "unknown error";
	return table[err].text;
}
