/* The query sub-command. JSON lines are the interface for scripts and tests.
 * Personal fields (reporter, phone) are printed only with --personal, which
 * needs the key file: the database alone cannot give them away. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "protocol/jsonl.h"
#include "hub/admin/query.h"
#include "hub/secret.h"
#include "protocol/clock.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: minqing-hub query --db FILE [--json] [--stations]\n"
		   "                         [--events ITEM] [--personal [--keyfile FILE]]\n"
		   "Prints the stored reports with their items' state (or the stations,\n"
		   "or one item's history of events), oldest first. --personal\n"
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

	/* The item's current colour is what counts; the reported one stays. */
	if (sqlite3_prepare_v2(db, "SELECT r.item, r.station, r.id, "
		    "coalesce(i.colour, r.colour), r.category, r.title, r.text, r.people, "
		    "r.created, r.received_at, r.seq, r.reporter, r.phone, i.state, "
		    "i.handler, CASE i.state WHEN 'reported' THEN i.sign_by "
		    "  WHEN 'signed' THEN i.resolve_by WHEN 'assigned' THEN i.resolve_by END, "
		    "i.escalations, r.colour, i.member, i.rating "
		    "FROM reports r LEFT JOIN items i ON i.item = r.item ORDER BY r.seq",
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
			add_text(o, "state", st, 13);
			add_text(o, "handler", st, 14);
			if (sqlite3_column_type(st, 15) == SQLITE_NULL)
				cJSON_AddNullToObject(o, "deadline");
			else
				add_time(o, "deadline", st, 15);
			cJSON_AddNumberToObject(o, "escalations", sqlite3_column_int(st, 16));
			add_text(o, "reported_colour", st, 17);
			add_text(o, "member", st, 18);
			add_text(o, "rating", st, 19);
			if (secret) {
				add_unsealed(o, "reporter", st, 11, secret);
				add_unsealed(o, "phone", st, 12, secret);
			}
			proto_jsonl_emit(o);
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

/* An item's history, oldest first: the audit trail. */
static int print_events(sqlite3 *db, const char *item, bool json)
{
	sqlite3_stmt *st = NULL;
	int rc, n = 0;

	if (sqlite3_prepare_v2(db, "SELECT seq, at, actor, kind, note, state, colour, "
		    "handler FROM events WHERE item = ? ORDER BY seq", -1, &st, NULL) !=
	    SQLITE_OK)
		return 1;
	sqlite3_bind_text(st, 1, item, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		if (json) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddNumberToObject(o, "seq", (double)sqlite3_column_int64(st, 0));
			add_time(o, "at", st, 1);
			add_text(o, "by", st, 2);
			add_text(o, "event", st, 3);
			add_text(o, "note", st, 4);
			add_text(o, "state", st, 5);
			add_text(o, "colour", st, 6);
			add_text(o, "handler", st, 7);
			proto_jsonl_emit(o);
		} else {
			char when[PROTO_TIME_TEXT];
			const unsigned char *note = sqlite3_column_text(st, 4);
			proto_time_format(sqlite3_column_int64(st, 1), when);
			printf("%s  #%lld  %-9s by %-15s -> %-9s %-6s at %s%s%s\n", when,
				(long long)sqlite3_column_int64(st, 0), sqlite3_column_text(st, 3),
				sqlite3_column_text(st, 2), sqlite3_column_text(st, 5),
				sqlite3_column_text(st, 6), sqlite3_column_text(st, 7),
				note ? "  " : "", note ? (const char *)note : "");
		}
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE && n == 0) {
		fprintf(stderr, "minqing-hub: no item %s\n", item);
		return 1;
	}
	return rc == SQLITE_DONE ? 0 : 1;
}

static int print_stations(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT code, name, online, session, last_seen, "
		    "outbox, coalesce(settled, 0) FROM stations WHERE last_seen IS NOT NULL "
		    "ORDER BY code",
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
		/* Its replay mark (PROTOCOL.md §5.2), so that an integrator can
		 * see why a new id is refused as replay. */
		cJSON_AddNumberToObject(o, "settled", (double)sqlite3_column_int64(st, 6));
		proto_jsonl_emit(o);
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
		{"events", required_argument, NULL, 'e'},
		{"personal", no_argument, NULL, 'P'},
		{"keyfile", required_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *path = NULL, *keyfile = NULL, *events = NULL;
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
		case 'e': events = optarg; break;
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
	rc = stations ? print_stations(db) : events ? print_events(db, events, json) :
		print_reports(db, json, secret);
	if (rc && sqlite3_errcode(db) != SQLITE_OK && sqlite3_errcode(db) != SQLITE_DONE)
		fprintf(stderr, "minqing-hub: %s\n", sqlite3_errmsg(db));
	sqlite3_close(db);
	hub_secret_destroy(secret);
	return rc;
}
