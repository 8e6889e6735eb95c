/* The query sub-command. JSON lines are the interface for scripts and tests.
 * Personal fields (reporter, phone) are printed only with --personal, which
 * needs the key file: the database alone cannot give them away. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "hub/query.h"
#include "hub/secret.h"
#include "protocol/clock.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: minqing-hub query --db FILE [--json] [--stations]\n"
		   "                         [--personal [--keyfile FILE]]\n"
		   "Prints the stored reports (or stations), oldest first. --personal\n"
		   "adds residents' names and phones, unsealed with the key file\n"
		   "(default FILE.key beside the database).\n");
}

static void add_time(cJSON *o, const char *key, sqlite3_stmt *st, int col)
{
	char text[PROTO_TIME_TEXT];

	if (sqlite3_column_type(st, col) == SQLITE_NULL) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	proto_time_format(sqlite3_column_int64(st, col), text);
	cJSON_AddStringToObject(o, key, text);
}

static void add_text(cJSON *o, const char *key, sqlite3_stmt *st, int col)
{
	const unsigned char *v = sqlite3_column_text(st, col);
	if (v)
		cJSON_AddStringToObject(o, key, (const char *)v);
	else
		cJSON_AddNullToObject(o, key);
}

static void emit(cJSON *o)
{
	char *line = cJSON_PrintUnformatted(o);
	if (line)
		printf("%s\n", line);
	free(line);
	cJSON_Delete(o);
}

static void add_unsealed(cJSON *o, const char *key, sqlite3_stmt *st, int col,
	const hub_secret *secret)
{
	char *text;

	if (sqlite3_column_type(st, col) == SQLITE_NULL) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	text = hub_secret_open_blob(secret, sqlite3_column_blob(st, col),
		(size_t)sqlite3_column_bytes(st, col));
	cJSON_AddStringToObject(o, key, text ? text : "?");
	free(text);
}

static int print_reports(sqlite3 *db, bool json, const hub_secret *secret)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT item, station, id, colour, category, title, "
		    "text, people, created, received_at, seq, reporter, phone "
		    "FROM reports ORDER BY seq",
		    -1, &st, NULL) != SQLITE_OK)
		return 1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (json) {
			cJSON *o = cJSON_CreateObject();
			add_text(o, "id", st, 0);
			add_text(o, "station", st, 1);
			cJSON_AddNumberToObject(o, "msg_id", (double)sqlite3_column_int64(st, 2));
			add_text(o, "colour", st, 3);
			add_text(o, "category", st, 4);
			add_text(o, "title", st, 5);
			add_text(o, "text", st, 6);
			cJSON_AddNumberToObject(o, "people", sqlite3_column_int(st, 7));
			add_time(o, "created", st, 8);
			add_time(o, "received_at", st, 9);
			cJSON_AddNumberToObject(o, "seq", (double)sqlite3_column_int64(st, 10));
			if (secret) {
				add_unsealed(o, "reporter", st, 11, secret);
				add_unsealed(o, "phone", st, 12, secret);
			}
			emit(o);
		} else {
			char when[PROTO_TIME_TEXT];
			proto_time_format(sqlite3_column_int64(st, 9), when);
			printf("%s  %s  %-6s  %-14s  %s\n", when,
				sqlite3_column_text(st, 0), sqlite3_column_text(st, 3),
				sqlite3_column_text(st, 4), sqlite3_column_text(st, 5));
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : 1;
}

static int print_stations(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT code, name, online, session, last_seen, "
		    "outbox FROM stations WHERE last_seen IS NOT NULL ORDER BY code",
		    -1, &st, NULL) != SQLITE_OK)
		return 1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *o = cJSON_CreateObject();
		add_text(o, "code", st, 0);
		add_text(o, "name", st, 1);
		cJSON_AddBoolToObject(o, "online", sqlite3_column_int(st, 2));
		cJSON_AddNumberToObject(o, "session", (double)sqlite3_column_int64(st, 3));
		add_time(o, "last_seen", st, 4);
		if (sqlite3_column_type(st, 5) == SQLITE_NULL)
			cJSON_AddNullToObject(o, "outbox");
		else
			cJSON_AddNumberToObject(o, "outbox", sqlite3_column_int(st, 5));
		emit(o);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : 1;
}

int hub_query_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"json", no_argument, NULL, 'j'},
		{"stations", no_argument, NULL, 's'},
		{"personal", no_argument, NULL, 'P'},
		{"keyfile", required_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *path = NULL, *keyfile = NULL;
	bool json = false, stations = false, personal = false;
	hub_secret *secret = NULL;
	char keypath[4096];
	sqlite3 *db = NULL;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': path = optarg; break;
		case 'j': json = true; break;
		case 's': stations = true; break;
		case 'P': personal = true; json = true; break;
		case 'k': keyfile = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!path || optind < argc) {
		usage(stderr);
		return 2;
	}
	if (personal) {
		if (!keyfile) {
			snprintf(keypath, sizeof keypath, "%s.key", path);
			keyfile = keypath;
		}
		secret = hub_secret_open(keyfile, 0);
		if (!secret)
			return 1;
	}
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "minqing-hub: cannot open %s: %s\n", path,
			db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		hub_secret_destroy(secret);
		return 1;
	}
	sqlite3_busy_timeout(db, 10000);
	rc = stations ? print_stations(db) : print_reports(db, json, secret);
	if (rc)
		fprintf(stderr, "minqing-hub: %s\n", sqlite3_errmsg(db));
	sqlite3_close(db);
	hub_secret_destroy(secret);
	return rc;
}
