/* Config files with inih: sections are not used, every key is known in
 * advance, and an unknown key or bad value stops start-up with file and line.
 * Relative paths in a file are relative to that file's directory, so that a
 * station's bundle works wherever it is copied. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
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
	char dir[PATH_MAX]; /* the file's directory, for relative paths */
	const char *path;
	void (*report)(void *ud, const char *msg); /* check mode: every error */
	void *ud;
	int errors;
} load_ctx;

static const proto_conf_key *find_key(const proto_conf_key *keys, const char *name)
{
	for (const proto_conf_key *k = keys; k->name; k++)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

proto_err proto_config_set(const proto_conf_key *keys, void *target,
	const char *name, const char *value, char *err, size_t errlen)
{
	for (const proto_conf_key *k = keys; k->name; k++) {
		char *field = (char *)target + k->offset;
		if (strcmp(k->name, name) != 0)
			continue;
		if (k->type != PROTO_CONF_INT) {
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
	const proto_conf_key *k = find_key(c->keys, name);
	char reason[sizeof c->reason], joined[PATH_MAX * 2];

	if (k && k->type == PROTO_CONF_PATH && value[0] && value[0] != '/') {
		snprintf(joined, sizeof joined, "%s/%s", c->dir, value);
		value = joined;
	}
	if (section && *section) {
		snprintf(reason, sizeof reason, "sections are not used ([%.64s])", section);
	} else if (proto_config_set(c->keys, c->target, name, value, reason,
			   sizeof reason) == PROTO_OK) {
		return 1;
	}
	if (c->report) {
		char msg[PATH_MAX + sizeof reason + 32];
		snprintf(msg, sizeof msg, "%s:%d: %s", c->path, c->line, reason);
		c->report(c->ud, msg);
		c->errors++;
	}
	if (!c->failed) {
		memcpy(c->reason, reason, sizeof reason);
		c->failed_line = c->line;
	}
	c->failed = true;
	return 0;
}

void proto_path_dir(const char *path, char *out, size_t n)
{
	char *slash;

	snprintf(out, n, "%s", path);
	slash = strrchr(out, '/');
	if (!slash)
		snprintf(out, n, ".");
	else if (slash == out)
		out[1] = '\0';
	else
		*slash = '\0';
}

/* The directory of path, absolute where it can be resolved. */
static void dir_of(const char *path, char *dir, size_t n)
{
	char real[PATH_MAX];

	proto_path_dir(realpath(path, real) ? real : path, dir, n);
}

static int parse_file(load_ctx *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	int rc;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	c->f = f;
	c->path = path;
	dir_of(path, c->dir, sizeof c->dir);
	rc = ini_parse_stream(read_line, c, handler, c);
	fclose(f);
	return rc;
}

int proto_config_check(const char *path, const proto_conf_key *keys, void *target,
	void (*report)(void *ud, const char *msg), void *ud)
{
	load_ctx c = {.keys = keys, .target = target, .report = report, .ud = ud};
	char err[PATH_MAX + 64];
	int rc = parse_file(&c, path, err, sizeof err);

	if (rc < 0) {
		report(ud, err);
		return -1;
	}
	/* inih tells only the first error's line: a line without '=' before
	 * the first bad key is reported here, later ones are not. */
	if (rc > 0 && !(c.failed && c.failed_line == rc)) {
		snprintf(err, sizeof err, "%s:%d: not a 'key = value' line", path, rc);
		report(ud, err);
		c.errors++;
	}
	return c.errors;
}

const char *proto_config_get(const proto_conf_key *keys, const void *target,
	const char *name)
{
	const proto_conf_key *k = find_key(keys, name);

	if (!k || k->type == PROTO_CONF_INT)
		return NULL;
	return *(char *const *)((const char *)target + k->offset);
}

proto_err proto_config_load(const char *path, const proto_conf_key *keys,
	void *target, char *err, size_t errlen)
{
	load_ctx c = {.keys = keys, .target = target};
	int rc = parse_file(&c, path, err, errlen);

	if (rc < 0)
		return PROTO_ERR_IO;
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
		if (k->type != PROTO_CONF_INT) {
			char **p = (char **)((char *)target + k->offset);
			free(*p);
			*p = NULL;
		}
	}
}

int proto_config_args(int argc, char **argv, const char *prog, const char *version,
	const char *const *options, const proto_conf_key *keys, void *target,
	void (*usage)(FILE *f))
{
	/* getopt's values: an option's index from OPT_FIRST on, then these. */
	enum { OPT_CONFIG = 1, OPT_HELP, OPT_VERSION, OPT_FIRST = 0x100 };
	struct option opts[PROTO_CONFIG_OPTIONS_MAX + 4];
	char err[256], key[64];
	size_t n = 0;
	int c;

	for (; options[n]; n++) {
		if (n == PROTO_CONFIG_OPTIONS_MAX) {
			fprintf(stderr, "%s: more than %d options\n", prog,
				PROTO_CONFIG_OPTIONS_MAX);
			return 2;
		}
		opts[n] = (struct option){options[n], required_argument, NULL,
			OPT_FIRST + (int)n};
	}
	opts[n++] = (struct option){"config", required_argument, NULL, OPT_CONFIG};
	opts[n++] = (struct option){"help", no_argument, NULL, OPT_HELP};
	opts[n++] = (struct option){"version", no_argument, NULL, OPT_VERSION};
	opts[n] = (struct option){NULL, 0, NULL, 0};
	for (int i = 1; i < argc - 1; i++) {
		if (strcmp(argv[i], "--config") == 0 &&
		    proto_config_load(argv[i + 1], keys, target, err, sizeof err)) {
			fprintf(stderr, "%s: %s\n", prog, err);
			return 2;
		}
	}
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == OPT_CONFIG)
			continue;
		if (c == OPT_HELP) {
			usage(stdout);
			return 1;
		}
		if (c == OPT_VERSION) {
			printf("%s %s\n", prog, version);
			return 1;
		}
		if (c < OPT_FIRST) {
			usage(stderr);
			return 2;
		}
		snprintf(key, sizeof key, "%s", options[c - OPT_FIRST]);
		for (char *p = key; *p; p++)
			if (*p == '-')
				*p = '_';
		if (proto_config_set(keys, target, key, optarg, err, sizeof err)) {
			fprintf(stderr, "%s: %s\n", prog, err);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	return 0;
}
