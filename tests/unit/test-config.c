/* Unit tests of protocol/config.c: "key = value" files read with inih, the
 * same table applied to command-line flags, and errors that name FILE:LINE. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocol/config.h"

#include "check.h"

typedef struct conf {
	char *host;
	int64_t port;
	char *name;
	int64_t retries;
	int64_t big;
} conf;

static const proto_conf_key keys[] = {
	{"host", PROTO_CONF_STRING, offsetof(conf, host), 0, 0},
	{"port", PROTO_CONF_INT, offsetof(conf, port), 1, 65535},
	{"name", PROTO_CONF_STRING, offsetof(conf, name), 0, 0},
	{"retries", PROTO_CONF_INT, offsetof(conf, retries), -5, 5},
	{"big", PROTO_CONF_INT, offsetof(conf, big), INT64_MIN, INT64_MAX},
	{NULL, 0, 0, 0, 0},
};

/* Writes text to a fresh temporary file; its name goes into path. */
static bool write_temp(char path[64], const char *text)
{
	FILE *f;
	int fd;

	strcpy(path, "/tmp/minqing-config-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return false;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(path);
		return false;
	}
	fputs(text, f);
	fclose(f);
	return true;
}

/* Loads text as a file into c; err gets the message. */
static proto_err load(const char *text, conf *c, char path[64], char *err, size_t n)
{
	proto_err rc;

	err[0] = '\0';
	if (!write_temp(path, text))
		return PROTO_ERR_IO;
	rc = proto_config_load(path, keys, c, err, n);
	unlink(path);
	return rc;
}

static void test_good_file(void)
{
	conf c = {.port = 1883, .retries = 3};
	char path[64], err[512];

	CHECK_EQ_INT(load(
		"# minqing test config\n"
		"; another comment\n"
		"\n"
		"host = broker.local\n"
		"port=8883\r\n"
		"name   =   镇安县 民情 hub   \n"
		"retries = -5\n"
		"big = -9223372036854775808\n"
		"host = mqtt.zhenan.example\n", &c, path, err, sizeof err), PROTO_OK);
	CHECK_STR(err, "");
	CHECK_STR(c.host, "mqtt.zhenan.example"); /* the last line wins */
	CHECK_EQ_INT(c.port, 8883);
	CHECK_STR(c.name, "镇安县 民情 hub");
	CHECK_EQ_INT(c.retries, -5);
	CHECK(c.big == INT64_MIN);
	proto_config_free(keys, &c);
	CHECK(c.host == NULL && c.name == NULL);
	CHECK_EQ_INT(c.port, 8883); /* ints are left alone */

	/* An empty file changes nothing. */
	c = (conf){.port = 1883};
	CHECK_EQ_INT(load("", &c, path, err, sizeof err), PROTO_OK);
	CHECK_EQ_INT(c.port, 1883);
	CHECK(c.host == NULL);
	proto_config_free(keys, &c);
}

/* Each bad file must fail with "PATH:LINE: reason". */
static void test_bad_files(void)
{
	static const struct {
		const char *text;
		int line;
		const char *reason;
	} cases[] = {
		{"host = a\n# c\nbogus = 1\n", 3, "unknown key 'bogus'"},
		{"Host = a\n", 1, "unknown key 'Host'"},
		{"\n\n\n\nport = 70000\n", 5,
			"key 'port': '70000' is not a whole number from 1 to 65535"},
		{"port = 0\n", 1, "key 'port': '0' is not a whole number"},
		{"port = -1\n", 1, "is not a whole number"},
		{"retries = 6\n", 1, "key 'retries': '6' is not a whole number from -5 to 5"},
		{"port = 18.83\n", 1, "is not a whole number"},
		{"port = 0x50\n", 1, "is not a whole number"},
		{"port = eighty\n", 1, "is not a whole number"},
		{"port =\n", 1, "is not a whole number"},
		{"big = 9223372036854775808\n", 1, "is not a whole number"},
		{"host = a\n[main]\nport = 1\n", 3, "sections are not used ([main])"},
		{"host = a\njust words\n", 2, "not a 'key = value' line"},
		/* the first fault is the one reported */
		{"port = 1\nnope = 1\nport = 0\n", 2, "unknown key 'nope'"},
		{"a line\nnope = 1\n", 1, "not a 'key = value' line"},
	};
	char path[64], err[512], want[128];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		conf c = {0};

		check_case = cases[i].reason;
		CHECK_EQ_INT(load(cases[i].text, &c, path, err, sizeof err),
			PROTO_ERR_BAD_VALUE);
		snprintf(want, sizeof want, "%s:%d: ", path, cases[i].line);
		if (!CHECK(strncmp(err, want, strlen(want)) == 0 &&
			   strstr(err, cases[i].reason) != NULL))
			fprintf(stderr, "\twant \"%s...%s\"\n\tgot  \"%s\"\n", want,
				cases[i].reason, err);
		proto_config_free(keys, &c);
	}
	check_case = NULL;

	/* A file that is not there is an I/O error naming it. */
	conf c = {0};
	CHECK_EQ_INT(proto_config_load("/nonexistent/minqing.conf", keys, &c, err,
		sizeof err), PROTO_ERR_IO);
	CHECK(strncmp(err, "/nonexistent/minqing.conf: ", 27) == 0);
}

/* Command-line flags go through the same table. */
static void test_set(void)
{
	conf c = {0};
	char err[256];

	CHECK_EQ_INT(proto_config_set(keys, &c, "host", "a", err, sizeof err), PROTO_OK);
	/* the old copy is freed: the leak checker would see it otherwise */
	CHECK_EQ_INT(proto_config_set(keys, &c, "host", "b.example", err, sizeof err),
		PROTO_OK);
	CHECK_STR(c.host, "b.example");
	CHECK_EQ_INT(proto_config_set(keys, &c, "host", "", err, sizeof err), PROTO_OK);
	CHECK_STR(c.host, "");

	CHECK_EQ_INT(proto_config_set(keys, &c, "port", "1", err, sizeof err), PROTO_OK);
	CHECK_EQ_INT(c.port, 1);
	CHECK_EQ_INT(proto_config_set(keys, &c, "port", "65535", err, sizeof err), PROTO_OK);
	CHECK_EQ_INT(c.port, 65535);
	CHECK_EQ_INT(proto_config_set(keys, &c, "big", "9223372036854775807", err,
		sizeof err), PROTO_OK);
	CHECK(c.big == INT64_MAX);

	err[0] = '\0';
	CHECK_EQ_INT(proto_config_set(keys, &c, "port", "65536", err, sizeof err),
		PROTO_ERR_BAD_VALUE);
	CHECK_STR(err, "key 'port': '65536' is not a whole number from 1 to 65535");
	CHECK_EQ_INT(c.port, 65535); /* unchanged */
	CHECK_EQ_INT(proto_config_set(keys, &c, "port", "1883x", err, sizeof err),
		PROTO_ERR_BAD_VALUE);
	CHECK_EQ_INT(proto_config_set(keys, &c, "port", "", err, sizeof err),
		PROTO_ERR_BAD_VALUE);
	CHECK_EQ_INT(proto_config_set(keys, &c, "big", "-9223372036854775809", err,
		sizeof err), PROTO_ERR_BAD_VALUE);
	CHECK(c.big == INT64_MAX);

	CHECK_EQ_INT(proto_config_set(keys, &c, "colour", "red", err, sizeof err),
		PROTO_ERR_BAD_VALUE);
	CHECK_STR(err, "unknown key 'colour'");
	CHECK_EQ_INT(proto_config_set(keys, &c, "", "x", err, sizeof err),
		PROTO_ERR_BAD_VALUE);

	proto_config_free(keys, &c);
	CHECK(c.host == NULL);
	proto_config_free(keys, &c); /* twice is harmless */
}

/* PATH keys: relative values in a file are taken from the file's directory,
 * absolute ones and flags are kept as given. */
typedef struct paths {
	char *data, *cafile, *label;
} paths;

static const proto_conf_key path_keys[] = {
	{"data", PROTO_CONF_PATH, offsetof(paths, data), 0, 0},
	{"cafile", PROTO_CONF_PATH, offsetof(paths, cafile), 0, 0},
	{"label", PROTO_CONF_STRING, offsetof(paths, label), 0, 0},
	{NULL, 0, 0, 0, 0},
};

static void test_paths(void)
{
	char path[64], dir[64], want[128], err[256];
	paths p = {0};

	if (!write_temp(path, "data = /var/lib/x\ncafile = ca.crt\nlabel = a/b\n"))
		return;
	CHECK_EQ_INT(proto_config_load(path, path_keys, &p, err, sizeof err), PROTO_OK);
	snprintf(dir, sizeof dir, "%s", path);
	*strrchr(dir, '/') = '\0';
	snprintf(want, sizeof want, "%s/ca.crt", dir);
	CHECK_STR(p.data, "/var/lib/x");
	CHECK_STR(p.cafile, want);
	CHECK_STR(p.label, "a/b"); /* a plain string is never a path */
	CHECK_STR(proto_config_get(path_keys, &p, "cafile"), want);
	CHECK(proto_config_get(path_keys, &p, "nosuch") == NULL);
	CHECK_EQ_INT(proto_config_set(path_keys, &p, "cafile", "rel.crt", err, sizeof err),
		PROTO_OK);
	CHECK_STR(p.cafile, "rel.crt"); /* a flag: relative to where it is run */
	proto_config_free(path_keys, &p);
	unlink(path);
}

static void count_error(void *ud, const char *msg)
{
	int *n = ud;

	/* Each message names the file and a line. */
	CHECK(strstr(msg, "minqing") && strchr(msg, ':'));
	if (*n == 0)
		CHECK(strstr(msg, ":2: key 'port'") != NULL);
	if (*n == 1)
		CHECK(strstr(msg, ":4: unknown key 'colour'") != NULL);
	++*n;
}

/* The checker goes on past the first error and reports each one. */
static void test_check_every_error(void)
{
	char path[64];
	conf c = {0};
	int n = 0;

	if (!write_temp(path, "host = a\nport = 0\nname = b\ncolour = red\n"))
		return;
	CHECK_EQ_INT(proto_config_check(path, keys, &c, count_error, &n), 2);
	CHECK_EQ_INT(n, 2);
	CHECK_STR(c.name, "b"); /* good lines after a bad one still count */
	proto_config_free(keys, &c);
	unlink(path);
	n = 100; /* past the per-line checks */
	CHECK_EQ_INT(proto_config_check("/nonexistent/minqing.conf", keys, &c, count_error,
		&n), -1);
	CHECK_EQ_INT(n, 101); /* an unreadable file is reported too */
}

static void no_usage(FILE *f)
{
	(void)f;
}

/* The command line: every --config file first, then each flag to its key
 * ('-' read as '_'), whatever the order on the line. */
static void test_args(void)
{
	static const char *const options[] = {"host", "port", "retries", NULL};
	char path[64];
	conf c = {0};

	if (!write_temp(path, "host = from-file\nport = 1\nname = file\n"))
		return;
	char *argv[] = {"prog", "--port", "8883", "--config", path, "--host", "flag", NULL};
	optind = 0; /* glibc: start afresh */
	CHECK_EQ_INT(proto_config_args(7, argv, "prog", "1", options, keys, &c, no_usage), 0);
	CHECK_STR(c.host, "flag");
	CHECK_EQ_INT(c.port, 8883);
	CHECK_STR(c.name, "file");
	proto_config_free(keys, &c);
	unlink(path);
	char *bad[] = {"prog", "--port", "0", NULL};
	optind = 0;
	CHECK_EQ_INT(proto_config_args(3, bad, "prog", "1", options, keys, &c, no_usage), 2);
	char *extra[] = {"prog", "word", NULL};
	optind = 0;
	CHECK_EQ_INT(proto_config_args(2, extra, "prog", "1", options, keys, &c, no_usage), 2);
	char *help[] = {"prog", "--help", NULL};
	optind = 0;
	CHECK_EQ_INT(proto_config_args(2, help, "prog", "1", options, keys, &c, no_usage), 1);
	proto_config_free(keys, &c);
}

int main(void)
{
	test_good_file();
	test_bad_files();
	test_set();
	test_paths();
	test_check_every_error();
	test_args();
	return check_finish();
}
