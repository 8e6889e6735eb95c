/* Unit tests of hub/members.c's telling of the stations, in process over a
 * hub.db in a temporary directory: a member is told to her own station and
 * to each ancestor up to the county, from every tier (a group's code, the
 * longest, once overran the walk's buffer); a reload that changes nothing
 * tells nobody; a member moved is gone from the stations that no longer
 * see her and new to those that do. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hub/workflow.h"
#include "hub/secret.h"
#include "hub/store.h"
#include "protocol/db.h"
#include "protocol/log.h"

#include "check.h"

#define COUNTY "611025"
#define TOWN "611025100"
#define VILLAGE "611025100201"
#define GROUP "611025100201001"
#define OTHER_TOWN "611025101"

static char dir[512], team[600];

static void write_team(const char *csv)
{
	FILE *f = fopen(team, "w");

	CHECK(f != NULL);
	if (!f)
		return;
	fputs("id,name,station,phone,categories\n", f);
	fputs(csv, f);
	fclose(f);
}

static int64_t count(sqlite3 *db, const char *sql)
{
	return proto_db_int(proto_db_prepare(db, sql), -1);
}

/* The stations team_sent says were told of member, in code order, joined
 * by spaces into out. */
static const char *told(sqlite3 *db, const char *member, char *out, size_t n)
{
	sqlite3_stmt *st = proto_db_prepare(db, "SELECT station FROM team_sent "
		"WHERE member = ? ORDER BY station");
	size_t at = 0;

	out[0] = '\0';
	if (!st)
		return out;
	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW && at < n)
		at += (size_t)snprintf(out + at, n - at, "%s%s", at ? " " : "",
			proto_db_text(st, 0));
	sqlite3_finalize(st);
	return out;
}

/* Member messages queued for station saying the member is gone (1) or
 * there (0). */
static int64_t messages(sqlite3 *db, const char *station, const char *member, bool gone)
{
	char sql[512];

	snprintf(sql, sizeof sql, "SELECT count(*) FROM downbox WHERE type = 'member' "
		"AND station = '%s' AND item = '%s' AND payload %s LIKE '%%\"gone\":true%%'",
		station, member, gone ? "" : "NOT");
	return count(db, sql);
}

static void load(hub_workflow *l, const char *csv)
{
	char err[256] = "";

	write_team(csv);
	check_case = csv;
	CHECK_EQ_INT(hub_workflow_load_members(l, team, err, sizeof err), 0);
	if (err[0])
		fprintf(stderr, "\t%s\n", err);
	check_case = NULL;
}

static void test_walk(hub_workflow *l, sqlite3 *db)
{
	char buf[256];

	/* One member at each tier: each is told up to the county. */
	load(l, "m-g,组员,"GROUP",,\n"
		"m-v,村员,"VILLAGE",13800000001,dispute\n"
		"m-t,镇员,"TOWN",,\n"
		"m-c,县员,"COUNTY",,\n");
	CHECK_STR(told(db, "m-g", buf, sizeof buf),
		COUNTY " " TOWN " " VILLAGE " " GROUP);
	CHECK_STR(told(db, "m-v", buf, sizeof buf), COUNTY " " TOWN " " VILLAGE);
	CHECK_STR(told(db, "m-t", buf, sizeof buf), COUNTY " " TOWN);
	CHECK_STR(told(db, "m-c", buf, sizeof buf), COUNTY);
	CHECK_EQ_INT(count(db, "SELECT count(*) FROM team_sent"), 4 + 3 + 2 + 1);
	CHECK_EQ_INT(count(db, "SELECT count(*) FROM downbox WHERE type = 'member'"), 10);
	CHECK_EQ_INT(messages(db, COUNTY, "m-g", false), 1);
	CHECK_EQ_INT(messages(db, GROUP, "m-g", false), 1);

	/* The same team again: nobody is told anything. */
	load(l, "m-g,组员,"GROUP",,\n"
		"m-v,村员,"VILLAGE",13800000001,dispute\n"
		"m-t,镇员,"TOWN",,\n"
		"m-c,县员,"COUNTY",,\n");
	CHECK_EQ_INT(count(db, "SELECT count(*) FROM downbox WHERE type = 'member'"), 10);

	/* The group's member moves to another town and the county's goes:
	 * gone from the group, its village and town (the county still sees
	 * the first), new at the other town; the county hears the second is
	 * gone. */
	load(l, "m-g,组员,"OTHER_TOWN",,\n"
		"m-v,村员,"VILLAGE",13800000001,dispute\n"
		"m-t,镇员,"TOWN",,\n");
	CHECK_STR(told(db, "m-g", buf, sizeof buf), COUNTY " " OTHER_TOWN);
	CHECK_STR(told(db, "m-c", buf, sizeof buf), "");
	CHECK_EQ_INT(messages(db, GROUP, "m-g", true), 1);
	CHECK_EQ_INT(messages(db, VILLAGE, "m-g", true), 1);
	CHECK_EQ_INT(messages(db, TOWN, "m-g", true), 1);
	CHECK_EQ_INT(messages(db, OTHER_TOWN, "m-g", false), 1);
	/* Its unit changed: the county is told of it again, not of a leaving. */
	CHECK_EQ_INT(messages(db, COUNTY, "m-g", false), 2);
	CHECK_EQ_INT(messages(db, COUNTY, "m-g", true), 0);
	CHECK_EQ_INT(messages(db, COUNTY, "m-c", true), 1);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	char key[600], path[600], side[640];
	hub_secret *secret = NULL;
	hub_store *store = NULL;
	hub_workflow *workflow = NULL;
	hub_policy policy;

	proto_log_init("test-members", PROTO_LOG_WARN);
	snprintf(dir, sizeof dir, "%s/minqing-members-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(key, sizeof key, "%s/hub.key", dir);
	snprintf(path, sizeof path, "%s/hub.db", dir);
	snprintf(team, sizeof team, "%s/members.csv", dir);
	hub_policy_defaults(&policy);
	secret = hub_secret_open(key, 1);
	store = secret ? hub_store_open(path, secret) : NULL;
	workflow = store ? hub_workflow_create(store, &policy) : NULL;
	CHECK(workflow != NULL);
	if (workflow)
		test_walk(workflow, hub_store_db(store));
	hub_workflow_destroy(workflow);
	hub_store_close(store);
	hub_secret_destroy(secret);
	unlink(team);
	unlink(key);
	unlink(path);
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
	rmdir(dir);
	return check_finish();
}
