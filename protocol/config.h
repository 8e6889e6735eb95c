/* One configuration format for every program: "key = value" lines, '#' or ';'
 * comments, parsed by inih. A program describes its keys in a table; the same
 * table applies command-line flags, so a flag and a config line mean the same. */
#ifndef PROTO_CONFIG_H
#define PROTO_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/error.h"

typedef enum proto_conf_type {
	PROTO_CONF_STRING, /* char *, heap copy; the caller frees with proto_config_free */
	PROTO_CONF_INT,    /* int64_t within [min, max] */
} proto_conf_type;

typedef struct proto_conf_key {
	const char *name;
	proto_conf_type type;
	size_t offset;   /* of the field in the caller's struct */
	int64_t min, max;
} proto_conf_key;

/* Sets one key from text. On error writes a sentence into err. */
proto_err proto_config_set(const proto_conf_key *keys, void *target,
	const char *name, const char *value, char *err, size_t errlen);

/* Loads a file; on error err reads "FILE:LINE: key 'k': reason". */
proto_err proto_config_load(const char *path, const proto_conf_key *keys,
	void *target, char *err, size_t errlen);

/* Frees the strings the table's keys point to in target. */
void proto_config_free(const proto_conf_key *keys, void *target);

#endif
