/* The clerk's view of the inbox: `inbox` lists the items waiting on this
 * station (to handle, or to visit and rate once resolved), `show` one item
 * with its timeline and this station's own steps and their receipts. Both
 * read only the local store, so they work offline. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "protocol/jsonl.h"
#include "protocol/clock.h"
#include "protocol/message.h"
#include "station/client.h"

static void add_time(cJSON *o, const char *key, int64_t ms)
{
	char text[PROTO_TIME_TEXT];

	if (ms <= 0)
		return;
	proto_time_format(ms, text);
	cJSON_AddStringToObject(o, key, text);
}

static void add_opt(cJSON *o, const char *key, const char *val)
{
	if (val && val[0])
		cJSON_AddStringToObject(o, key, val);
}

static const char *colour_name(const char *wire)
{
	int c = proto_colour_parse(wire);

	return c < 0 || station_cli_english ? wire : proto_colour_name_zh((proto_colour)c);
}

static const char *category_name(const char *wire)
{
	int c = proto_category_parse(wire);

	return c < 0 || station_cli_english ? wire
					     : proto_category_name_zh((proto_category)c);
}

static cJSON *roles_json(int roles)
{
	cJSON *a = cJSON_CreateArray();

	if (roles & PROTO_ROLE_HANDLER)
		cJSON_AddItemToArray(a, cJSON_CreateString("handler"));
	if (roles & PROTO_ROLE_REPORTER)
		cJSON_AddItemToArray(a, cJSON_CreateString("reporter"));
	if (roles & PROTO_ROLE_VISITOR)
		cJSON_AddItemToArray(a, cJSON_CreateString("visitor"));
	return a;
}

/* The state name the view expects, or the snapshot's when unknown. */
static const char *expected(const station_cli_item *it, const station_cli_view *v,
	bool localised)
{
	if (!v->known)
		return localised ? station_cli_state_name(it->state) : it->state;
	return localised && !station_cli_english ? proto_state_name_zh(v->state)
						 : proto_state_name(v->state);
}

/* ------------------------------------------------------------ inbox */

static int collect(void *ud, const station_item *row)
{
	station_cli_list *l = ud;
	station_cli_item *it;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 32;
		station_cli_item *grown = realloc(l->v, cap * sizeof *grown);
		station_cli_view *views = grown ? realloc(l->views, cap * sizeof *views)
						: NULL;
		if (grown)
			l->v = grown;
		if (!views) {
			l->oom = true;
			return 1;
		}
		l->views = views;
		l->cap = cap;
	}
	it = &l->v[l->n++];
	/* The list needs no snapshots: show loads its one item again. */
	if (!station_cli_item_copy(it, row, false))
		l->oom = true;
	return l->oom;
}

/* Soonest deadline first; items without one after, newest change first. */
static int by_deadline(const void *pa, const void *pb)
{
	const station_cli_item *a = pa, *b = pb;

	if ((a->deadline > 0) != (b->deadline > 0))
		return a->deadline > 0 ? -1 : 1;
	if (a->deadline != b->deadline)
		return a->deadline < b->deadline ? -1 : 1;
	if (a->updated != b->updated)
		return a->updated > b->updated ? -1 : 1;
	return strcmp(a->item, b->item);
}

/* True when the item waits on this station: open with it as handler, or
 * resolved or visited with it as the visitor (return visit, rating: the
 * reporter, or the parent of a station that handled its own report). */
static bool waiting(const station_cli_item *it, const station_cli_view *v,
	const char *code)
{
	if (!v->known)
		return strcmp(it->handler, code) == 0;
	if ((v->roles & PROTO_ROLE_HANDLER) && strcmp(it->handler, code) == 0 &&
	    proto_state_open(v->state))
		return true;
	return (v->roles & PROTO_ROLE_VISITOR) &&
	       (v->state == PROTO_STATE_RESOLVED || v->state == PROTO_STATE_VERIFIED);
}

/* The fields every JSON form of an item opens with, in one order for
 * `inbox --json` and `show --json`. */
static void add_item_head(cJSON *o, const station_cli_item *it,
	const station_cli_view *v, const char *origin, const char *title)
{
	cJSON_AddStringToObject(o, "item", it->item);
	cJSON_AddNumberToObject(o, "seq", (double)it->seq);
	cJSON_AddStringToObject(o, "origin", origin);
	cJSON_AddStringToObject(o, "handler", it->handler);
	/* Readable names, "" when the hub sent none (an older hub). */
	cJSON_AddStringToObject(o, "origin_name", it->origin_name);
	cJSON_AddStringToObject(o, "handler_name", it->handler_name);
	cJSON_AddStringToObject(o, "colour", it->colour);
	cJSON_AddStringToObject(o, "category", it->category);
	cJSON_AddStringToObject(o, "title", title);
	cJSON_AddStringToObject(o, "state", it->state);
	cJSON_AddStringToObject(o, "expected", expected(it, v, false));
}

static void print_inbox_line(const station_cli_item *it, const station_cli_view *v,
	bool json, int64_t now)
{
	bool overdue = it->deadline > 0 && it->deadline < now && v->known &&
		       proto_state_open(v->state);
	char when[STATION_CLI_TIME];

	if (json) {
		cJSON *o = cJSON_CreateObject();
		add_item_head(o, it, v, it->origin, it->title);
		add_time(o, "deadline", it->deadline);
		cJSON_AddBoolToObject(o, "overdue", overdue);
		add_time(o, "updated", it->updated);
		cJSON_AddItemToObject(o, "roles", roles_json(v->roles));
		cJSON_AddNumberToObject(o, "pending", v->pending);
		proto_jsonl_emit(o);
		return;
	}
	station_cli_time(it->deadline, when);
	printf("%s  %s  %s  %s", it->item, colour_name(it->colour),
		category_name(it->category), expected(it, v, true));
	if (it->deadline > 0)
		printf(T("  期限 %s%s", "  due %s%s"), when,
			overdue ? T("（已超期）", " (overdue)") : "");
	if (v->pending)
		printf(T("  [%d 项待发送]", "  [%d queued]"), v->pending);
	printf("  %s\n", it->title);
}

proto_err station_cli_items(station_store *store, bool all, station_cli_list *l)
{
	const char *code = station_store_code(store);
	proto_err err;
	size_t kept = 0;

	memset(l, 0, sizeof *l);
	err = station_store_items(store, collect, l);
	if (!err && l->oom)
		err = PROTO_ERR_NOMEM;
	if (!err && l->n) /* qsort's NULL base is undefined even for 0 */
		qsort(l->v, l->n, sizeof *l->v, by_deadline);
	for (size_t i = 0; !err && i < l->n; i++) {
		station_cli_view v;
		if ((err = station_cli_view_of(store, &l->v[i], &v)))
			break;
		if (!all && !waiting(&l->v[i], &v, code)) {
			station_cli_item_clear(&l->v[i]);
			continue;
		}
		l->v[kept] = l->v[i];
		l->views[kept++] = v;
	}
	if (err) {
		station_cli_list_clear(l);
		return err;
	}
	l->n = kept;
	return PROTO_OK;
}

void station_cli_list_clear(station_cli_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		station_cli_item_clear(&l->v[i]);
	free(l->v);
	free(l->views);
	memset(l, 0, sizeof *l);
}

int station_cli_inbox(station_store *store, int argc, char **argv)
{
	station_cli_list l;
	bool all = false, json = false;
	int64_t now = proto_now_ms();

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--all") == 0) {
			all = true;
		} else if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else {
			fprintf(stderr, "%s\n", T("用法：minqing inbox [--all] [--json]",
				"usage: minqing inbox [--all] [--json]"));
			return STATION_CLI_USAGE;
		}
	}
	if (station_cli_items(store, all, &l)) {
		fprintf(stderr, "%s\n", T("无法读取本站数据", "cannot read the station's data"));
		return STATION_CLI_FAIL;
	}
	for (size_t i = 0; i < l.n; i++)
		print_inbox_line(&l.v[i], &l.views[i], json, now);
	if (!json && l.n == 0)
		printf("%s\n", all ? T("本站还没有收到民情。", "No items yet.")
				   : T("没有待本站办理的民情。", "Nothing waits on this station."));
	station_cli_list_clear(&l);
	return STATION_CLI_OK;
}

/* ------------------------------------------------------------ show */

typedef struct show_ctx {
	bool json;
	station_store *store; /* for the readable names of stations */
	const station_cli_item *item; /* the item shown, with its own names */
	cJSON *list; /* the array being filled when json */
	int rows;    /* printed so far, when text */
} show_ctx;

static int show_event(void *ud, const station_event *ev, int times, int64_t first)
{
	show_ctx *c = ud;
	char when[STATION_CLI_TIME], from[STATION_CLI_TIME], actor[4 * PROTO_PLACE_MAX + 1];

	if (c->json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "seq", (double)ev->seq);
		add_opt(o, "event", ev->event);
		add_opt(o, "by", ev->by);
		const char *name = station_cli_actor(c->store, c->item, ev->by, actor,
			sizeof actor);
		if (ev->by && proto_code_valid(ev->by) && strcmp(name, ev->by) != 0)
			cJSON_AddStringToObject(o, "by_name", name);
		add_time(o, "at", ev->at);
		add_opt(o, "note", ev->note);
		cJSON_AddItemToArray(c->list, o);
		return 0;
	}
	c->rows++;
	station_cli_time(ev->at, when);
	printf("  %3lld  %s  %-6s  %s", (long long)ev->seq, when,
		station_cli_event_name(ev->event),
		station_cli_actor(c->store, c->item, ev->by, actor, sizeof actor));
	if (times > 1) {
		station_cli_time(first, from);
		printf(T("  共 %d 次（%s 起）", "  %d times (from %s)"), times, from);
	}
	if (ev->note && ev->note[0])
		printf("  %s", ev->note);
	printf("\n");
	return 0;
}

/* The JSON list keeps every event: a program reads it, not a person. */
static int list_event(void *ud, const station_event *ev)
{
	return show_event(ud, ev, 1, ev->at);
}

static int show_action(void *ud, const station_entry *e)
{
	show_ctx *c = ud;
	const proto_action *a;
	char when[STATION_CLI_TIME];
	proto_msg m;
	int step;

	if (proto_msg_decode(e->payload, strlen(e->payload), &m, NULL) != PROTO_OK)
		return 0;
	a = &m.u.action;
	step = proto_step_parse(a->action);
	if (c->json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "id", (double)e->id);
		cJSON_AddStringToObject(o, "action", a->action);
		add_opt(o, "note", a->note);
		add_opt(o, "member", a->member);
		add_opt(o, "rating", a->rating);
		add_time(o, "until", a->until);
		add_opt(o, "into", a->into);
		add_time(o, "created", e->created);
		cJSON_AddStringToObject(o, "state", e->state);
		if (e->error) {
			cJSON_AddStringToObject(o, "error", e->error);
			cJSON_AddStringToObject(o, "reason", station_cli_reason(e->error));
			add_opt(o, "field", e->field);
		}
		cJSON_AddItemToArray(c->list, o);
	} else {
		c->rows++;
		station_cli_time(e->created, when);
		printf("  %s  %s  ", when, step < 0 || station_cli_english
			? a->action : proto_step_name_zh((proto_step)step));
		if (strcmp(e->state, "queued") == 0)
			printf("%s", T("待发送", "queued"));
		else if (e->error)
			printf(T("被退回：%s%s%s", "rejected: %s%s%s"),
				station_cli_reason(e->error),
				e->field && e->field[0] ? T("，", ", ") : "",
				e->field && e->field[0] ? station_cli_field_name(e->field) : "");
		else
			printf("%s", T("县里已接受", "accepted by the hub"));
		if (a->note && a->note[0])
			printf("  %s", a->note);
		printf("\n");
	}
	proto_msg_clear(&m);
	return 0;
}

/* True when the protocol's table lets this station take step now. */
static bool can(const station_cli_view *v, proto_step step)
{
	proto_state next;

	return v->known && proto_workflow_next(v->state, step, v->roles,
				   PROTO_RATING_SATISFIED, &next) == PROTO_OK;
}

static cJSON *can_json(const station_cli_view *v)
{
	cJSON *a = cJSON_CreateArray();

	for (int s = 0; a && s < PROTO_STEP__COUNT; s++)
		if (can(v, (proto_step)s))
			cJSON_AddItemToArray(a,
				cJSON_CreateString(proto_step_name((proto_step)s)));
	return a;
}

static void print_can(const station_cli_view *v)
{
	int n = 0;

	printf("%s", T("本站现在可以：", "this station may now: "));
	for (int s = 0; s < PROTO_STEP__COUNT; s++) {
		if (!can(v, (proto_step)s))
			continue;
		printf("%s%s", n++ ? T("、", ", ") : "", station_cli_english
			? proto_step_name((proto_step)s) : proto_step_name_zh((proto_step)s));
	}
	printf("%s\n", n ? "" : T("（无）", "(nothing)"));
}

static int show_text(station_store *store, const station_cli_item *it,
	const proto_item *p, const station_cli_view *v)
{
	show_ctx c = {.store = store, .item = it};
	char t1[STATION_CLI_TIME], t2[STATION_CLI_TIME];
	char origin[4 * PROTO_PLACE_MAX + 1], handler[4 * PROTO_PLACE_MAX + 1];
	char who[4 * PROTO_NAME_MAX + PROTO_MEMBER_ID_MAX + 16];

	station_cli_time(p->created, t1);
	station_cli_time(p->deadline, t2);
	printf("%s  %s  %s  %s\n", it->item, colour_name(it->colour),
		category_name(it->category), expected(it, v, true));
	printf(T("标题：%s\n", "title: %s\n"), p->title);
	printf(T("内容：%s\n", "text: %s\n"), p->text);
	printf(T("上报站：%s  办理站：%s  上报时间：%s  期限：%s\n",
		 "reported by %s, handled by %s, reported %s, due %s\n"),
		station_cli_place(store, p->origin, p->origin_name, origin, sizeof origin),
		station_cli_place(store, it->handler, it->handler_name, handler, sizeof handler),
		t1, t2);
	if (p->member && p->member[0])
		printf(T("交办给：%s\n", "assigned to: %s\n"),
			station_cli_member_of(store, p->member, who, sizeof who));
	if (p->rating && p->rating[0]) {
		int r = proto_rating_parse(p->rating);
		printf(T("评价：%s\n", "rating: %s\n"), r < 0 || station_cli_english
			? p->rating : proto_rating_name_zh((proto_rating)r));
	}
	if (p->into[0])
		printf(T("已合并到：%s\n", "merged into: %s\n"), p->into);
	if (p->escalations > 0)
		printf(T("升级次数：%d\n", "escalations: %d\n"), p->escalations);
	if (p->people > 0)
		printf(T("涉及人数：%d\n", "people affected: %d\n"), p->people);
	if (p->reporter_name || p->reporter_phone)
		printf(T("反映人：%s  电话：%s\n", "resident: %s, phone %s\n"),
			p->reporter_name ? p->reporter_name : "-",
			p->reporter_phone ? p->reporter_phone : "-");
	printf("%s\n", T("进程：", "timeline:"));
	station_cli_fold fold = {.fn = show_event, .ud = &c};
	int rc = station_store_timeline(store, it->item, station_cli_fold_event, &fold);
	if (station_cli_fold_end(&fold) || rc)
		return STATION_CLI_FAIL;
	if (!c.rows)
		printf("  %s\n", T("（无）", "(none)"));
	printf("%s\n", T("本站操作：", "this station's steps:"));
	c.rows = 0;
	if (station_store_actions(store, it->item, show_action, &c))
		return STATION_CLI_FAIL;
	if (!c.rows)
		printf("  %s\n", T("（无）", "(none)"));
	print_can(v);
	return STATION_CLI_OK;
}

static int show_json(station_store *store, const station_cli_item *it,
	const proto_msg *m, const station_cli_view *v)
{
	const proto_item *p = &m->u.item;
	cJSON *o = cJSON_CreateObject();
	show_ctx c = {.json = true, .store = store, .item = it};
	proto_err err;

	if (!o)
		return STATION_CLI_FAIL;
	add_item_head(o, it, v, p->origin, p->title);
	cJSON_AddStringToObject(o, "text", p->text);
	add_time(o, "deadline", p->deadline);
	add_time(o, "created", p->created);
	add_time(o, "updated", it->updated);
	add_opt(o, "event", p->event);
	add_opt(o, "by", p->by);
	add_opt(o, "note", p->note);
	add_opt(o, "member", p->member);
	add_opt(o, "rating", p->rating);
	if (p->escalations > 0)
		cJSON_AddNumberToObject(o, "escalations", p->escalations);
	if (p->people > 0)
		cJSON_AddNumberToObject(o, "people", p->people);
	add_opt(o, "reporter", p->reporter_name);
	add_opt(o, "phone", p->reporter_phone);
	add_opt(o, "into", p->into);
	cJSON_AddItemToObject(o, "roles", roles_json(v->roles));
	cJSON_AddNumberToObject(o, "pending", v->pending);
	cJSON_AddItemToObject(o, "can", can_json(v));
	c.list = cJSON_AddArrayToObject(o, "timeline");
	err = c.list ? station_store_timeline(store, it->item, list_event, &c)
		     : PROTO_ERR_NOMEM;
	c.list = err ? NULL : cJSON_AddArrayToObject(o, "actions");
	if (!err)
		err = c.list ? station_store_actions(store, it->item, show_action, &c)
			     : PROTO_ERR_NOMEM;
	if (err) {
		cJSON_Delete(o);
		return STATION_CLI_FAIL;
	}
	proto_jsonl_emit(o);
	return STATION_CLI_OK;
}

int station_cli_show(station_store *store, int argc, char **argv)
{
	const char *id = NULL;
	bool json = false;
	station_cli_item it;
	station_cli_view v;
	proto_msg m;
	proto_err err;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (!id && argv[i][0] != '-') {
			id = argv[i];
		} else {
			id = NULL;
			break;
		}
	}
	if (!id) {
		fprintf(stderr, "%s\n", T("用法：minqing show 编号 [--json]",
			"usage: minqing show ID [--json]"));
		return STATION_CLI_USAGE;
	}
	err = station_cli_load_item(store, id, &it);
	if (err == PROTO_ERR_NOT_FOUND) {
		fprintf(stderr, T("本站没有这条民情：%s\n", "this station has no item %s\n"), id);
		return STATION_CLI_USAGE;
	}
	if (err || station_cli_view_of(store, &it, &v) ||
	    proto_msg_decode(it.snapshot, strlen(it.snapshot), &m, NULL) != PROTO_OK) {
		if (!err)
			station_cli_item_clear(&it);
		fprintf(stderr, "%s\n", T("无法读取本站数据", "cannot read the station's data"));
		return STATION_CLI_FAIL;
	}
	rc = STATION_CLI_OK;
	if (json)
		rc = show_json(store, &it, &m, &v);
	else
		rc = show_text(store, &it, &m.u.item, &v);
	proto_msg_clear(&m);
	station_cli_item_clear(&it);
	return rc;
}
