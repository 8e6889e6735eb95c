/* libFuzzer target for the config parser (protocol/config.c with inih):
 * proto_config_load on arbitrary file contents, with a key table of string and
 * integer keys like the programs' own; a loaded value must obey its key. */
#define _GNU_SOURCE /* memfd_create */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "protocol/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct config {
	char *code, *broker, *data, *log_level;
	int64_t window, keepalive, rate, retries, big;
} config;

/* The ranges cover a positive one, one through zero and the whole of
 * int64_t, where strtoll's own overflow is the only guard. */
static const proto_conf_key keys[] = {
	{"code", PROTO_CONF_STRING, offsetof(config, code), 0, 0},
	{"broker", PROTO_CONF_STRING, offsetof(config, broker), 0, 0},
	{"data", PROTO_CONF_STRING, offsetof(config, data), 0, 0},
	{"log_level", PROTO_CONF_STRING, offsetof(config, log_level), 0, 0},
	{"window", PROTO_CONF_INT, offsetof(config, window), 1, 1000},
	{"keepalive", PROTO_CONF_INT, offsetof(config, keepalive), 5, 3600},
	{"rate", PROTO_CONF_INT, offsetof(config, rate), 0, 1000000},
	{"retries", PROTO_CONF_INT, offsetof(config, retries), -5, 5},
	{"big", PROTO_CONF_INT, offsetof(config, big), INT64_MIN, INT64_MAX},
	{NULL, 0, 0, 0, 0},
};

/* The parser only takes a path. One file serves every input: a memfd, opened
 * again through /proc, or else a file under $TMPDIR made once and removed at
 * exit. Either way nothing is left behind per input. */
static int fd = -1;
static char path[4096];

static void remove_file(void)
{
	unlink(path);
}

static bool open_file(void)
{
	const char *dir = getenv("TMPDIR");

	fd = memfd_create("fuzz-config", 0);
	if (fd >= 0) {
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
		if (access(path, R_OK) == 0)
			return true;
		close(fd);
	}
	snprintf(path, sizeof path, "%s/minqing-fuzz-config-XXXXXX",
		dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return false;
	atexit(remove_file);
	return true;
}

static bool write_file(const uint8_t *data, size_t size)
{
	size_t done = 0;

	if (ftruncate(fd, 0) != 0)
		return false;
	while (done < size) {
		ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);
		if (n <= 0)
			return false;
		done += (size_t)n;
	}
	return true;
}

static void fail(const char *what, const char *err)
{
	fprintf(stderr, "fuzz-config: %s\n  err: %s\n", what, err);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Every integer starts at its minimum, so "within range" holds for keys
	 * the file does not set as well. */
	config c = {.window = 1, .keepalive = 5, .rate = 0, .retries = -5,
		.big = INT64_MIN};
	char err[512];
	proto_err rc;

	if (fd < 0 && !open_file()) {
		fprintf(stderr, "fuzz-config: no file to write inputs to\n");
		abort();
	}
	if (!write_file(data, size)) {
		fprintf(stderr, "fuzz-config: cannot write the input\n");
		abort();
	}
	err[0] = '\0';
	rc = proto_config_load(path, keys, &c, err, sizeof err);
	if (rc == PROTO_OK) {
		for (const proto_conf_key *k = keys; k->name; k++) {
			int64_t v = *(int64_t *)((char *)&c + k->offset);
			if (k->type == PROTO_CONF_INT && (v < k->min || v > k->max))
				fail("an integer key is out of its range", k->name);
		}
	} else {
		/* Errors name the file and the line: "PATH:LINE: reason". */
		size_t n = strlen(path);
		if (rc != PROTO_ERR_BAD_VALUE)
			fail("unexpected error code", err);
		if (strncmp(err, path, n) != 0 || err[n] != ':' ||
		    strtol(err + n + 1, NULL, 10) < 1)
			fail("error does not name PATH:LINE", err);
	}
	proto_config_free(keys, &c);
	return 0;
}
