/* libFuzzer target for the CSV station registry (protocol/registry.c):
 * proto_registry_parse on arbitrary bytes; a registry it accepts must be
 * sorted, complete in its parents, and agree between at, find and index. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/message.h"
#include "protocol/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, size_t i, const char *code)
{
	fprintf(stderr, "fuzz-registry: %s (station %zu, '%s')\n", what, i,
		code ? code : "");
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	proto_registry *reg;
	size_t n;

	err[0] = '\0';
	reg = proto_registry_parse((const char *)data, size, err, sizeof err);
	if (!reg) {
		if (err[0] == '\0')
			fail("refused without saying why", 0, NULL);
		return 0;
	}

	n = proto_registry_count(reg);
	for (size_t i = 0; i < n; i++) {
		const proto_station *st = proto_registry_at(reg, i);
		char parent[PROTO_CODE_MAX + 1];

		if (!st)
			fail("at() misses a station below count()", i, NULL);
		if (!proto_code_valid(st->code))
			fail("invalid code registered", i, st->code);
		if (i > 0 && strcmp(proto_registry_at(reg, i - 1)->code, st->code) >= 0)
			fail("stations not in strict code order", i, st->code);
		if (proto_registry_find(reg, st->code) != st)
			fail("find() does not give back the station at()", i, st->code);
		if (proto_registry_index(reg, st) != i)
			fail("index() does not give back the position", i, st->code);
		if (proto_code_parent(st->code, parent) && !proto_registry_find(reg, parent))
			fail("parent not registered", i, st->code);
		if (!st->name[0] || !proto_utf8_valid(st->name, strlen(st->name)))
			fail("empty or invalid name", i, st->code);
		if (st->has_position && !(st->lat >= -90 && st->lat <= 90 &&
					  st->lon >= -180 && st->lon <= 180))
			fail("position out of range", i, st->code);
	}
	if (proto_registry_at(reg, n) != NULL)
		fail("at() past the end gives a station", n, NULL);
	proto_registry_destroy(reg);
	return 0;
}
