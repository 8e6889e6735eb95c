/* The hub core in a temporary folder, for the unit tests of
 * test-hub-core.c: a real hub database (hub_store) over a tiny registry and
 * service team, the workflow over it (hub_workflow) with a policy, and the
 * calls the hub's event loop makes, each given its hub time `now` (the fake
 * clock); then docs/FIGURES.md's figures said in SQL on the items table.
 * Static functions, like check.h: include it after check.h from exactly
 * one .c file. Only the hub's public headers are used. */
#ifndef HUB_CORE_ENV_H
#define HUB_CORE_ENV_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "hub/figures.h"
#include "hub/workflow.h"
#include "hub/policy.h"
#include "hub/secret.h"
#include "hub/store.h"
#include "protocol/registry.h"
#include "protocol/str.h"

#define S 1000LL
#define M (60 * S)
#define H (60 * M)
#define D (24 * H)
#define T0 (1798707600000LL) /* hub time of the first report, any fixed ms */

#define COUNTY "611025"
#define TOWN_A "611025100"
#define VIL_A1 "611025100201"
#define GRP_A1A "611025100201001"
#define GRP_A1B "611025100201002"
#define VIL_A2 "611025100202"
#define GRP_A2A "611025100202001"
#define TOWN_B "611025101"
#define VIL_B1 "611025101201"
#define GRP_B1A "611025101201001"
#define VIL_B2 "611025101202"

static const char registry[] =
	"# a tiny county: two towns, each with two villages\n"
	COUNTY ",镇安县\n" TOWN_A ",永乐镇\n" VIL_A1 ",云沟村\n" GRP_A1A ",一组\n"
	GRP_A1B ",二组\n" VIL_A2 ",花园村\n" GRP_A2A ",一组\n" TOWN_B ",云盖寺镇\n"
	VIL_B1 ",东洞村\n" GRP_B1A ",一组\n" VIL_B2 ",西华村\n";

static const char members[] =
	"id,name,station,phone,categories\n"
	"m-a1,张三," VIL_A1 ",13800000001,dispute\n"
	"m-b1,李四," VIL_B1 ",,\n";

static char dir[512];

/* One hub core over its own database. */
typedef struct env {
	char path[600];
	hub_secret *secret;
	hub_store *store;
	hub_workflow *workflow;
	int64_t next_id; /* the stations' message ids: one sequence will do */
} env;

static bool env_open(env *e, const char *name, const char *policy)
{
	char key[600], err[256], team[600];
	proto_registry *reg;
	hub_policy p;
	FILE *f;
	bool ok = false;

	memset(e, 0, sizeof *e);
	e->next_id = 1000;
	snprintf(e->path, sizeof e->path, "%s/%s.db", dir, name);
	snprintf(key, sizeof key, "%s/secret.key", dir);
	snprintf(team, sizeof team, "%s/team.csv", dir);
	hub_policy_defaults(&p);
	if (policy && hub_policy_parse(&p, policy, strlen(policy), err, sizeof err)) {
		fprintf(stderr, "policy: %s\n", err);
		return false;
	}
	reg = proto_registry_parse(registry, sizeof registry - 1, err, sizeof err);
	e->secret = hub_secret_open(key, 1);
	if (e->secret)
		e->store = hub_store_open(e->path, e->secret);
	/* A test's database need not survive a power cut: no fsync per batch. */
	if (e->store && sqlite3_exec(hub_store_db(e->store), "PRAGMA synchronous = OFF",
			NULL, NULL, NULL) == SQLITE_OK && reg &&
	    hub_store_sync_registry(e->store, reg) == PROTO_OK)
		e->workflow = hub_workflow_create(e->store, &p);
	if (e->workflow && (f = fopen(team, "w"))) {
		ok = fputs(members, f) >= 0;
		ok = fclose(f) == 0 && ok &&
		     hub_workflow_load_members(e->workflow, team, err, sizeof err) == 0;
		unlink(team);
	}
	proto_registry_destroy(reg);
	CHECK(ok);
	return ok;
}

static void env_close(env *e)
{
	char side[620];

	hub_workflow_destroy(e->workflow);
	hub_store_close(e->store);
	hub_secret_destroy(e->secret);
	unlink(e->path);
	snprintf(side, sizeof side, "%s-wal", e->path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", e->path);
	unlink(side);
}

static sqlite3 *db_of(env *e)
{
	return hub_store_db(e->store);
}

/* The batch's end as the hub's event loop does it: weather, marks, commit. */
static void commit(env *e, int64_t now)
{
	CHECK_EQ_INT(hub_workflow_weather_flush(e->workflow, now, true), PROTO_OK);
	CHECK_EQ_INT(hub_workflow_before_commit(e->workflow), PROTO_OK);
	CHECK_EQ_INT(hub_store_commit(e->store), PROTO_OK);
}

/* A report from station at hub time now; its item id into item. */
static void report(env *e, const char *station, proto_colour c, proto_category cat,
	int64_t now, char item[PROTO_ITEM_ID_MAX])
{
	proto_msg m = {.v = PROTO_VERSION, .type = PROTO_MSG_REPORT, .id = ++e->next_id,
		       .ts = now};
	proto_msg rc = {.v = PROTO_VERSION, .type = PROTO_MSG_RECEIPT, .ts = now};
	char *json = NULL;
	bool dup = true;

	proto_copy(m.station, sizeof m.station, station);
	m.u.report = (proto_report){.colour = c, .category = cat, .title = "测试",
				    .text = "单元测试的民情", .reporter_name = "王五"};
	proto_copy(rc.station, sizeof rc.station, station);
	rc.u.receipt.ref = m.id;
	rc.u.receipt.status = PROTO_RECEIPT_ACCEPTED;
	proto_item_id(rc.u.receipt.item, station, m.id);
	proto_item_id(item, station, m.id);
	CHECK(hub_workflow_routable(e->workflow, &m));
	CHECK_EQ_INT(hub_store_begin(e->store), PROTO_OK);
	CHECK_EQ_INT(hub_store_stage_report(e->store, &m, now, &dup), PROTO_OK);
	CHECK(!dup);
	CHECK_EQ_INT(hub_workflow_route(e->workflow, &m, now, &rc, &json), PROTO_OK);
	CHECK(json != NULL);
	free(json);
	commit(e, now);
}

static char last_field[PROTO_FIELD_MAX];

/* A step by station at now, as a station's action message carries it:
 * the fields of a (its item, step, note and the rest). */
static proto_err act_with(env *e, const char *station, const proto_action *a,
	int64_t now)
{
	proto_msg m = {.v = PROTO_VERSION, .type = PROTO_MSG_ACTION, .id = ++e->next_id,
		       .ts = now};
	proto_err err;

	proto_copy(m.station, sizeof m.station, station);
	m.u.action = *a;
	CHECK_EQ_INT(hub_store_begin(e->store), PROTO_OK);
	err = hub_workflow_apply(e->workflow, &m, now, last_field);
	commit(e, now);
	return err;
}

static proto_err act_full(env *e, const char *station, const char *item,
	const char *step, const char *note, const char *member, const char *rating,
	int64_t until, int64_t now)
{
	proto_action a = {.action = (char *)step, .note = (char *)note,
			  .member = (char *)member, .rating = (char *)rating, .until = until};

	proto_copy(a.item, sizeof a.item, item);
	return act_with(e, station, &a, now);
}

static proto_err act(env *e, const char *station, const char *item, const char *step,
	const char *note, int64_t now)
{
	return act_full(e, station, item, step, note, NULL, NULL, 0, now);
}

/* The timer's look at now; how many items it changed. */
static int tick(env *e, int64_t now)
{
	int n;

	CHECK_EQ_INT(hub_store_begin(e->store), PROTO_OK);
	n = hub_workflow_tick(e->workflow, now);
	commit(e, now);
	return n;
}

/* The fake clock running to `to` as the hub's would: a tick at each time
 * some item is due (items.due, the timer's own column), in order. */
static void run_clock(env *e, int64_t to)
{
	for (int guard = 0; guard < 1000; guard++) {
		sqlite3_stmt *st = NULL;
		int64_t due = INT64_MAX;

		if (sqlite3_prepare_v2(db_of(e), "SELECT min(due) FROM items", -1, &st,
				NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
		    sqlite3_column_type(st, 0) != SQLITE_NULL)
			due = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		if (due > to)
			return;
		tick(e, due);
	}
	CHECK(!"the clock ran away");
}

/* The first column of the first row of a query (printf-style, sqlite3's
 * %Q for texts) as a number; -1 when there is no row. */
static int64_t sql_int(env *e, const char *fmt, ...)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;
	va_list ap;
	char *q;

	va_start(ap, fmt);
	q = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	if (q && sqlite3_prepare_v2(db_of(e), q, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else if (!q || !st)
		fprintf(stderr, "bad query %s: %s\n", q ? q : fmt, sqlite3_errmsg(db_of(e)));
	sqlite3_finalize(st);
	sqlite3_free(q);
	return v;
}

/* The same as text, into a static buffer; "" when there is no row. */
static const char *sql_text(env *e, const char *fmt, ...)
{
	static char out[256];
	sqlite3_stmt *st = NULL;
	va_list ap;
	char *q;

	out[0] = '\0';
	va_start(ap, fmt);
	q = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	if (q && sqlite3_prepare_v2(db_of(e), q, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		proto_copy(out, sizeof out, (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_free(q);
	return out;
}

#define ITEM_INT(e, item, col) sql_int(e, "SELECT " col " FROM items WHERE item = %Q", item)
#define ITEM_TEXT(e, item, col) sql_text(e, "SELECT " col " FROM items WHERE item = %Q", item)
#define EVENTS(e, item, kind) \
	sql_int(e, "SELECT count(*) FROM events WHERE item = %Q AND kind = %Q", item, kind)

/* ------------------------------------------ the figures, recounted by SQL */

#define OPEN "state IN ('reported', 'signed', 'assigned')"
#define DONE "state IN ('resolved', 'verified', 'rated')"
#define SEEN "state IN ('verified', 'rated')"

/* docs/FIGURES.md's definitions, said in SQL on the items the test made:
 * the items reported (col "origin") or handled now ("handler") at or below
 * scope, received in [from, to), at hub time now. */
static void recount(env *e, const char *col, const char *scope, int64_t from, int64_t to,
	int64_t now, hub_figures *f)
{
	char q[1600];
	sqlite3_stmt *st = NULL;
	int64_t v[16] = {0};

	snprintf(q, sizeof q, "SELECT count(*), "
		"sum(" OPEN " AND colour = 'blue'), sum(" OPEN " AND colour = 'orange'), "
		"sum(" OPEN " AND colour = 'red'), "
		"sum(" OPEN " AND ((state = 'reported' AND sign_by < ?4) OR "
		"  (state <> 'reported' AND resolve_by < ?4))), "
		"sum(signed_at IS NOT NULL OR (state = 'reported' AND sign_by < ?4)), "
		"sum(signed_at IS NOT NULL AND signed_at <= sign_by), "
		"sum(" DONE " OR (" OPEN " AND resolve_by < ?4)), "
		"sum(" DONE " AND resolved_at <= resolve_by), "
		"sum(" SEEN "), sum(" SEEN " AND category = 'dispute'), "
		"sum(" DONE "), sum(" SEEN "), sum(coalesce(rating, '') <> ''), "
		"sum(rating IN ('satisfied', 'basic')), sum(escalations > 0) "
		"FROM items WHERE substr(%s, 1, length(?1)) = ?1 AND received >= ?2 "
		"AND received < ?3", col);
	CHECK_EQ_INT(sqlite3_prepare_v2(db_of(e), q, -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	sqlite3_bind_int64(st, 4, now);
	if (st && sqlite3_step(st) == SQLITE_ROW)
		for (int i = 0; i < 16; i++)
			v[i] = sqlite3_column_int64(st, i);
	sqlite3_finalize(st);
	*f = (hub_figures){.collected = v[0], .open = {v[1], v[2], v[3]}, .overdue = v[4],
		.sign_due = v[5], .signed_on_time = v[6], .resolve_due = v[7],
		.resolved_on_time = v[8], .solved = v[9], .mediated = v[10],
		.visit_due = v[11], .visited = v[12], .rated = v[13], .satisfied = v[14],
		.escalated = v[15]};
}

static void check_same(const hub_figures *got, const hub_figures *want)
{
	CHECK_EQ_INT(got->collected, want->collected);
	for (int c = 0; c < PROTO_COLOUR__COUNT; c++)
		CHECK_EQ_INT(got->open[c], want->open[c]);
	CHECK_EQ_INT(got->overdue, want->overdue);
	CHECK_EQ_INT(got->sign_due, want->sign_due);
	CHECK_EQ_INT(got->signed_on_time, want->signed_on_time);
	CHECK_EQ_INT(got->resolve_due, want->resolve_due);
	CHECK_EQ_INT(got->resolved_on_time, want->resolved_on_time);
	CHECK_EQ_INT(got->solved, want->solved);
	CHECK_EQ_INT(got->mediated, want->mediated);
	CHECK_EQ_INT(got->visit_due, want->visit_due);
	CHECK_EQ_INT(got->visited, want->visited);
	CHECK_EQ_INT(got->rated, want->rated);
	CHECK_EQ_INT(got->satisfied, want->satisfied);
	CHECK_EQ_INT(got->escalated, want->escalated);
}

typedef struct towns {
	hub_figures f[2]; /* TOWN_A, TOWN_B */
	int other;        /* calls for any other area */
} towns;

static hub_figures *town_of(const char *code, void *arg)
{
	towns *t = arg;

	if (strcmp(code, TOWN_A) == 0)
		return &t->f[0];
	if (strcmp(code, TOWN_B) == 0)
		return &t->f[1];
	t->other++;
	return NULL;
}

#endif
