/* The topic scheme. The county and the station code are whole topic levels so
 * that a broker ACL can pin each station to its own topics with %u:
 *   minqing/<county>/up/<station>/<type>     station -> hub (report, action, status,
 *                                            receipt for an item)
 *   minqing/<county>/down/<station>/<type>   hub -> station (receipt, item)
 *   minqing/<county>/hub/status              the hub's retained status */
#ifndef PROTO_TOPIC_H
#define PROTO_TOPIC_H

#include <stdbool.h>
#include <stddef.h>

#include "protocol/code.h"
#include "protocol/error.h"
#include "protocol/message.h"

#define PROTO_TOPIC_MAX 96 /* bytes, enough for every topic of the scheme */
#define PROTO_TOPIC_ROOT "minqing"

typedef struct proto_topic {
	char county[PROTO_CODE_MAX + 1];
	char station[PROTO_CODE_MAX + 1]; /* empty for the hub status topic */
	bool up;                          /* station -> hub */
	proto_msg_type type;
} proto_topic;

/* Topic a message of this type travels on. Up types (report, action, status)
 * go up from station; down types (receipt, item) go down to it; PROTO_MSG_HUB
 * gives the hub status topic of station's county. Returns false on a bad
 * code or a buffer too small. */
bool proto_topic_for(char *buf, size_t n, const char *station, proto_msg_type type);

/* The up topic of a type that travels both ways (receipt): a station's
 * receipt for an item. False for types that never go up. */
bool proto_topic_up_for(char *buf, size_t n, const char *station, proto_msg_type type);

/* The hub's subscription for a county: "minqing/<county>/up/+/+". */
bool proto_topic_hub_filter(char *buf, size_t n, const char *county);

/* A station's subscription to its own inbox: "minqing/<c>/down/<station>/+". */
bool proto_topic_station_filter(char *buf, size_t n, const char *station);

/* Parses a topic of the scheme; PROTO_ERR_BAD_TOPIC when it is not one, also
 * when the station is not within the county or the type does not travel in
 * that direction. */
proto_err proto_topic_parse(const char *topic, proto_topic *out);

#endif
