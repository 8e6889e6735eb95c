/* One configuration format for every program: "key = value" lines, '#' or ';'
 * comments, parsed by inih. A program describes its keys in a table; the same
 * table applies command-line flags, so a flag and a config line mean the same. */
#ifndef PROTO_CONFIG_H
#define PROTO_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "protocol/error.h"

typedef enum proto_conf_type {
	PROTO_CONF_STRING, /* char *, heap copy; the caller frees with proto_config_free */
	PROTO_CONF_INT,    /* int64_t within [min, max] */
	PROTO_CONF_PATH,   /* like STRING; a relative path in a file is taken
	                      relative to that file's directory */
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

/* Like proto_config_load, but goes on after an error: report is called
 * with each "FILE:LINE: key 'k': reason" in turn. Returns the number of
 * errors (0: the file is good), or -1 when the file cannot be read (also
 * reported). */
int proto_config_check(const char *path, const proto_conf_key *keys, void *target,
	void (*report)(void *ud, const char *msg), void *ud);

/* The value of a STRING or PATH key in target; NULL when unset or unknown. */
const char *proto_config_get(const proto_conf_key *keys, const void *target,
	const char *name);

/* A program's command line, the way every minqing program reads it: first
 * each "--config FILE" in turn (a later file wins), so that a flag
 * overrides the files wherever it stands; then each "--NAME VALUE" of the
 * NULL-ended list options sets the key NAME, a '-' in it read as '_'
 * (--log-level sets log_level). --help prints usage to stdout, --version
 * "PROG VERSION"; an unknown option or a word left over prints usage to
 * stderr. Returns 0 to go on, 1 when --help or --version has answered (exit
 * 0), 2 on an error, said on stderr as "PROG: reason" (exit 2). At most
 * PROTO_CONFIG_OPTIONS_MAX options. */
#define PROTO_CONFIG_OPTIONS_MAX 32
int proto_config_args(int argc, char **argv, const char *prog, const char *version,
	const char *const *options, const proto_conf_key *keys, void *target,
	void (*usage)(FILE *f));

/* Frees the strings the table's keys point to in target. */
void proto_config_free(const proto_conf_key *keys, void *target);

/* The directory part of path ("." when none, "/" for the root), lexically:
 * nothing is resolved. */
void proto_path_dir(const char *path, char *out, size_t n);

#endif
