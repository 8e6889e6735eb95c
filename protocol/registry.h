/* The station registry: a CSV file "code,name[,lat,lon]" listing every station
 * of a county ('#' comments, an optional header line). The hub accepts
 * messages only from registered stations. */
#ifndef PROTO_REGISTRY_H
#define PROTO_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "protocol/code.h"
#include "protocol/error.h"

#define PROTO_STATION_NAME_MAX 96 /* bytes, UTF-8 */

typedef struct proto_station {
	char code[PROTO_CODE_MAX + 1];
	char name[PROTO_STATION_NAME_MAX];
	double lat, lon;
	bool has_position;
} proto_station;

typedef struct proto_registry proto_registry;

/* Parses registry text. On error returns NULL and writes "line N: reason"
 * into err. Every station's parent must be listed too. */
proto_registry *proto_registry_parse(const char *text, size_t len, char *err,
	size_t errlen);

/* Reads and parses a file; err gets "FILE:line N: reason". */
proto_registry *proto_registry_load(const char *path, char *err, size_t errlen);

void proto_registry_destroy(proto_registry *reg);

/* Looks a station up by code; NULL when it is not registered. */
const proto_station *proto_registry_find(const proto_registry *reg, const char *code);

/* Stations in code order, for iteration. */
size_t proto_registry_count(const proto_registry *reg);
const proto_station *proto_registry_at(const proto_registry *reg, size_t i);

/* The position of a station returned by find or at, for per-station arrays
 * indexed like the registry. */
size_t proto_registry_index(const proto_registry *reg, const proto_station *st);

#endif
