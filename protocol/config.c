/* Config files with inih: sections are not used, every key is known in
 * advance, and an unknown key or bad value stops start-up with file and line. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "protocol/config.h"

typedef struct load_ctx {
	const proto_conf_key *keys;
	void *target;
	char *err;
	size_t errlen;
	bool failed;
	char reason[192];
	FILE *f;
	int line;        /* lines read so far, counted as inih counts them */
	int failed_line; /* line of the first handler failure */
} load_ctx;

proto_err proto_config_set(const proto_conf_key *keys, void *target,
	const char *name, const char *value, char *err, size_t errlen)
{
	for (const proto_conf_key *k = keys; k->name; k++) {
		char *field = (char *)target + k->offset;
		if (strcmp(k->name, name) != 0)
			continue;
		if (k->type == PROTO_CONF_STRING) {
			char *copy = strdup(value);
			if (!copy)
				return PROTO_ERR_NOMEM;
			free(*(char **)field);
			*(char **)field = copy;
			return PROTO_OK;
		}
		char *end;
		errno = 0;
		long long v = strtoll(value, &end, 10);
		if (errno || end == value || *end || v < k->min || v > k->max) {
			snprintf(err, errlen, "key '%s': '%s' is not a whole number "
				"from %lld to %lld", name, value, (long long)k->min,
				(long long)k->max);
			return PROTO_ERR_BAD_VALUE;
		}
		*(int64_t *)field = v;
		return PROTO_OK;
	}
	snprintf(err, errlen, "unknown key '%s'", name);
	return PROTO_ERR_BAD_VALUE;
}

/* fgets for inih that counts lines: inih reports only the line of the first
 * error, which may be a syntax error before the handler's first failure. */
static char *read_line(char *buf, int n, void *stream)
{
	load_ctx *c = stream;

	c->line++;
	return fgets(buf, n, c->f);
}

/* inih reports the line of the first handler that returns 0; the handler
 * keeps the reason and the line of that first failure. */
static int handler(void *user, const char *section, const char *name,
	const char *value)
{
	load_ctx *c = user;
	char reason[sizeof c->reason];

	if (section && *section) {
		snprintf(reason, sizeof reason, "sections are not used ([%.64s])", section);
	} else if (proto_config_set(c->keys, c->target, name, value, reason,
			   sizeof reason) == PROTO_OK) {
		return 1;
	}
	if (!c->failed) {
		memcpy(c->reason, reason, sizeof reason);
		c->failed_line = c->line;
	}
	c->failed = true;
	return 0;
}

proto_err proto_config_load(const char *path, const proto_conf_key *keys,
	void *target, char *err, size_t errlen)
{
	load_ctx c = {.keys = keys, .target = target};
	FILE *f = fopen(path, "r");
	int rc;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return PROTO_ERR_IO;
	}
	c.f = f;
	rc = ini_parse_stream(read_line, &c, handler, &c);
	fclose(f);
	if (rc > 0 && c.failed && c.failed_line == rc) {
		snprintf(err, errlen, "%s:%d: %s", path, rc, c.reason);
		return PROTO_ERR_BAD_VALUE;
	}
	if (rc != 0) {
		snprintf(err, errlen, "%s:%d: not a 'key = value' line", path, rc);
		return PROTO_ERR_BAD_VALUE;
	}
	return PROTO_OK;
}

void proto_config_free(const proto_conf_key *keys, void *target)
{
	for (const proto_conf_key *k = keys; k->name; k++) {
		if (k->type == PROTO_CONF_STRING) {
			char **p = (char **)((char *)target + k->offset);
			free(*p);
			*p = NULL;
		}
	}
}
