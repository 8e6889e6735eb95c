/* libFuzzer target for topic parsing (protocol/topic.c): proto_topic_parse on
 * arbitrary text; a topic it accepts must be rebuilt, byte for byte, by the
 * topic builders, and must match the subscription of the side that reads it. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/topic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *topic, const char *other)
{
	fprintf(stderr, "fuzz-topic: %s\n  topic: %s\n", what, topic);
	if (other)
		fprintf(stderr, "  other: %s\n", other);
	abort();
}

/* MQTT filter matching ('+' one level, '#' the rest), written out here so
 * that the check does not trust the broker's idea or the parser's. */
static bool mqtt_match(const char *filter, const char *topic)
{
	for (;;) {
		if (filter[0] == '#')
			return true;
		if (filter[0] == '+') {
			topic += strcspn(topic, "/");
			filter++;
		} else {
			size_t n = strcspn(filter, "/");
			if (strncmp(filter, topic, n) != 0 ||
			    (topic[n] != '/' && topic[n] != '\0'))
				return false;
			filter += n, topic += n;
		}
		if (*filter == '\0' || *topic == '\0')
			return *filter == '\0' && *topic == '\0';
		if (*filter != '/' || *topic != '/')
			return false;
		filter++, topic++;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *topic = malloc(size + 1);
	char built[PROTO_TOPIC_MAX], filter[PROTO_TOPIC_MAX];
	proto_topic t;

	if (!topic)
		return 0;
	memcpy(topic, data, size);
	topic[size] = '\0';
	if (proto_topic_parse(topic, &t) != PROTO_OK) {
		free(topic);
		return 0;
	}

	if (proto_code_tier(t.county) != PROTO_TIER_COUNTY)
		fail("county is not a county code", topic, t.county);
	if (t.type == PROTO_MSG_HUB) {
		if (t.station[0] || t.up)
			fail("hub status topic with a station or going up", topic, NULL);
		if (!proto_topic_for(built, sizeof built, t.county, PROTO_MSG_HUB))
			fail("no hub status topic for the county", topic, t.county);
	} else {
		if (!proto_code_within(t.station, t.county))
			fail("station outside its county", topic, t.station);
		/* Receipts travel both ways: build in the parsed direction. */
		if (!(t.up ? proto_topic_up_for(built, sizeof built, t.station, t.type) :
			     proto_topic_for(built, sizeof built, t.station, t.type)))
			fail("no topic for the parsed station and type", topic, t.station);
	}
	if (strcmp(built, topic) != 0)
		fail("rebuilt topic differs", topic, built);

	/* Up topics reach the hub; down topics reach their station. */
	if (t.up) {
		if (!proto_topic_hub_filter(filter, sizeof filter, t.county) ||
		    !mqtt_match(filter, topic))
			fail("hub filter misses an up topic", topic, filter);
	} else if (t.type != PROTO_MSG_HUB) {
		if (!proto_topic_station_filter(filter, sizeof filter, t.station) ||
		    !mqtt_match(filter, topic))
			fail("station filter misses its down topic", topic, filter);
	}
	free(topic);
	return 0;
}
