/* The JSON forms the dashboard's reads and its live feed share: an item's
 * summary row (lists, the wall, ITEM_SUMMARY events), an item's detail
 * with its history and what the user may do next (the item page, an
 * action's answer), an alert row, and the figures by their API names.
 * Rendering only: no scope argument, no reply; callers check the scope. */
#include <stdlib.h>
#include <string.h>

#include "dashboard/dash-int.h"
#include "hub/clock.h"
#include "hub/figures.h"
#include "protocol/db.h"
#include "protocol/workflow.h"

static void add_text_or_null(cJSON *o, const char *key, sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddStringToObject(o, key, proto_db_text(st, i));
}

static void add_rate(cJSON *o, const char *key, int64_t num, int64_t den)
{
	if (den > 0)
		cJSON_AddNumberToObject(o, key, (double)num / (double)den);
	else
		cJSON_AddNullToObject(o, key);
}

cJSON *dash_summary_row(sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject();
	const char *state = proto_db_text(st, 4);

	cJSON_AddStringToObject(o, "id", proto_db_text(st, 0));
	cJSON_AddStringToObject(o, "title", proto_db_text(st, 1));
	cJSON_AddStringToObject(o, "category", proto_db_text(st, 2));
	cJSON_AddStringToObject(o, "colour", proto_db_text(st, 3));
	cJSON_AddStringToObject(o, "state", state);
	cJSON_AddStringToObject(o, "origin", proto_db_text(st, 5));
	cJSON_AddStringToObject(o, "origin_name", proto_db_text(st, 6));
	cJSON_AddStringToObject(o, "handler", proto_db_text(st, 7));
	cJSON_AddStringToObject(o, "handler_name", proto_db_text(st, 8));
	cJSON_AddNumberToObject(o, "received", (double)sqlite3_column_int64(st, 9));
	/* The limit someone is being held to now: signing while reported,
	 * resolving while signed or assigned; none once resolved. */
	if (strcmp(state, "reported") == 0) {
		cJSON_AddNumberToObject(o, "deadline", (double)sqlite3_column_int64(st, 10));
		cJSON_AddStringToObject(o, "deadline_kind", "sign");
	} else if (strcmp(state, "signed") == 0 || strcmp(state, "assigned") == 0) {
		cJSON_AddNumberToObject(o, "deadline", (double)sqlite3_column_int64(st, 11));
		cJSON_AddStringToObject(o, "deadline_kind", "resolve");
	} else {
		cJSON_AddNullToObject(o, "deadline");
		cJSON_AddNullToObject(o, "deadline_kind");
	}
	cJSON_AddNumberToObject(o, "escalations", sqlite3_column_int(st, 12));
	/* Past the deadline it is held to now, or resolved after its
	 * resolve deadline: late for good, whatever happens next. Deadlines
	 * move only by an extension or a new tier, so this cannot un-happen
	 * by itself. */
	cJSON *deadline = cJSON_GetObjectItem(o, "deadline");
	int64_t resolved_at = sqlite3_column_int64(st, 13);
	cJSON_AddBoolToObject(o, "overdue", (cJSON_IsNumber(deadline) &&
		deadline->valuedouble < (double)hub_clock_now()) ||
		(resolved_at > 0 && resolved_at > sqlite3_column_int64(st, 11)));
	/* 督办 so far (a red item past its deadline), for the wall's ticker. */
	cJSON_AddNumberToObject(o, "supervised", sqlite3_column_int(st, 14));
	return o;
}

cJSON *dash_item_summary(sqlite3 *db, const char *id)
{
	sqlite3_stmt *st = proto_db_prepare(db, "SELECT " DASH_SUMMARY_COLS " " DASH_SUMMARY_FROM
		"WHERE i.item = ?");
	cJSON *o = NULL;

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		o = dash_summary_row(st);
	sqlite3_finalize(st);
	return o;
}

static void add_events(sqlite3 *db, cJSON *out, const char *id)
{
	sqlite3_stmt *st = proto_db_prepare(db, "SELECT seq, at, actor, kind, note, state, "
		"colour, handler FROM events WHERE item = ? ORDER BY seq");
	cJSON *a = cJSON_AddArrayToObject(out, "events");

	if (!st)
		return;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddNumberToObject(e, "seq", (double)sqlite3_column_int64(st, 0));
		cJSON_AddNumberToObject(e, "at", (double)sqlite3_column_int64(st, 1));
		cJSON_AddStringToObject(e, "actor", proto_db_text(st, 2));
		cJSON_AddStringToObject(e, "kind", proto_db_text(st, 3));
		add_text_or_null(e, "note", st, 4);
		cJSON_AddStringToObject(e, "state", proto_db_text(st, 5));
		cJSON_AddStringToObject(e, "colour", proto_db_text(st, 6));
		cJSON_AddStringToObject(e, "handler", proto_db_text(st, 7));
		cJSON_AddItemToArray(a, e);
	}
	sqlite3_finalize(st);
}

static void add_members(sqlite3 *db, cJSON *out, const char *handler, bool may)
{
	sqlite3_stmt *st;
	cJSON *a = cJSON_AddArrayToObject(out, "members");

	if (!may)
		return;
	st = proto_db_prepare(db, "SELECT id, name FROM members WHERE " DASH_WITHIN("station")
		" ORDER BY id");
	if (!st)
		return;
	sqlite3_bind_text(st, 1, handler, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		cJSON *m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "id", proto_db_text(st, 0));
		cJSON_AddStringToObject(m, "name", proto_db_text(st, 1));
		cJSON_AddItemToArray(a, m);
	}
	sqlite3_finalize(st);
}

cJSON *dash_item_json(dash *d, sqlite3 *db, const dash_user *u, const char *id)
{
	sqlite3_stmt *st;
	cJSON *out = NULL, *item;
	char handler[PROTO_CODE_MAX + 1], origin[PROTO_CODE_MAX + 1];
	bool may_assign = false;

	if (!proto_item_id_valid(id))
		return NULL;
	st = proto_db_prepare(db, "SELECT " DASH_SUMMARY_COLS ", r.text, r.people, r.reporter, "
		"r.phone, i.member, m.name, i.rating, i.created " DASH_SUMMARY_FROM
		"LEFT JOIN members m ON m.id = i.member WHERE i.item = ?");
	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW || !proto_code_within(proto_db_text(st, 5), u->scope))
		goto done;
	proto_db_copy_text(origin, sizeof origin, st, 5);
	proto_db_copy_text(handler, sizeof handler, st, 7);
	out = cJSON_CreateObject();
	item = dash_summary_row(st);
	cJSON_AddItemToObject(out, "item", item);
	int c = DASH_SUMMARY_N;
	cJSON_AddStringToObject(item, "text", proto_db_text(st, c));
	cJSON_AddNumberToObject(item, "people", sqlite3_column_int(st, c + 1));
	bool full = dash_personal_full(u, handler, origin);
	char *reporter = dash_personal(d, sqlite3_column_blob(st, c + 2),
		sqlite3_column_bytes(st, c + 2), full, false);
	char *phone = dash_personal(d, sqlite3_column_blob(st, c + 3),
		sqlite3_column_bytes(st, c + 3), full, true);
	if (reporter)
		cJSON_AddStringToObject(item, "reporter", reporter);
	else
		cJSON_AddNullToObject(item, "reporter");
	if (phone)
		cJSON_AddStringToObject(item, "phone", phone);
	else
		cJSON_AddNullToObject(item, "phone");
	free(reporter);
	free(phone);
	if (sqlite3_column_type(st, c + 4) == SQLITE_NULL) {
		cJSON_AddNullToObject(item, "member");
	} else {
		cJSON *m = cJSON_AddObjectToObject(item, "member");
		cJSON_AddStringToObject(m, "id", proto_db_text(st, c + 4));
		cJSON_AddStringToObject(m, "name", proto_db_text(st, c + 5));
	}
	add_text_or_null(item, "rating", st, c + 6);
	cJSON_AddNumberToObject(item, "created", (double)sqlite3_column_int64(st, c + 7));
	cJSON_AddBoolToObject(item, "personal_full", full);

	/* What this user may do now: what her station may (protocol/workflow.h). */
	int state = proto_state_parse(proto_db_text(st, 4));
	int roles = proto_workflow_roles(u->scope, handler, origin);
	char parent[PROTO_CODE_MAX + 1];
	cJSON *actions = cJSON_AddArrayToObject(out, "actions");
	for (int s = 0; state >= 0 && s < PROTO_STEP__COUNT; s++) {
		proto_state next;
		if (proto_workflow_next((proto_state)state, (proto_step)s, roles,
			    PROTO_RATING_SATISFIED, &next) != PROTO_OK)
			continue;
		if (s == PROTO_STEP_RETURN && !proto_code_parent(handler, parent))
			continue; /* the county has no one to return it to */
		if (s == PROTO_STEP_ASSIGN)
			may_assign = true;
		cJSON_AddItemToArray(actions, cJSON_CreateString(proto_step_name((proto_step)s)));
	}
	sqlite3_finalize(st);
	st = NULL;
	add_events(db, out, id);
	add_members(db, out, handler, may_assign);
done:
	sqlite3_finalize(st);
	return out;
}

cJSON *dash_alert_row(sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "area", proto_db_text(st, 0));
	cJSON_AddStringToObject(o, "area_name", proto_db_text(st, 1));
	cJSON_AddStringToObject(o, "category", proto_db_text(st, 2));
	cJSON_AddStringToObject(o, "colour", proto_db_text(st, 3));
	cJSON_AddNumberToObject(o, "at", (double)sqlite3_column_int64(st, 4));
	cJSON_AddNumberToObject(o, "count", sqlite3_column_int(st, 5));
	return o;
}

void dash_figures_json(cJSON *out, const hub_figures *f)
{
	hub_figure_name n[HUB_FIGURES_NAMES];
	size_t k = hub_figures_names(f, n);

	for (size_t i = 0; i < k; i++)
		if (n[i].rate)
			add_rate(out, n[i].name, n[i].part, n[i].whole);
		else
			cJSON_AddNumberToObject(out, n[i].name, (double)n[i].value);
}
