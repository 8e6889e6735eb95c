/* The clerk's lists and one item: "my reports" (each with where it stands),
 * the inbox (what waits on this station), and an item's details, timeline
 * and the keys of the steps this station may take on it (tui-prompt.c asks
 * for what a step needs). */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "protocol/clock.h"
#include "protocol/workflow.h"
#include "station/tui.h"

/* ------------------------------------------------------------ my reports */

typedef struct mine_ctx {
	tui_app *app;
	tui_rows rows;
	bool oom;
	int64_t now;
} mine_ctx;

static const char *view_state(const station_cli_view *v)
{
	if (v->state == PROTO_STATE_REPORTED)
		return T("已送达", "received");
	return station_cli_english ? proto_state_name(v->state) : proto_state_name_zh(v->state);
}

static int add_row(void *ud, const station_entry *e)
{
	mine_ctx *c = ud;
	station_store *store = c->app->store;
	tui_row *grown, *r;
	station_cli_item it;
	station_cli_view v;
	proto_msg m;

	if (proto_msg_decode(e->payload, strlen(e->payload), &m, NULL) != PROTO_OK)
		return 0;
	grown = realloc(c->rows.v, (size_t)(c->rows.n + 1) * sizeof *grown);
	if (!grown) {
		c->oom = true;
		proto_msg_clear(&m);
		return 1;
	}
	c->rows.v = grown;
	r = &grown[c->rows.n++];
	memset(r, 0, sizeof *r);
	proto_item_id(r->item, station_store_code(store), e->id);
	r->colour = (int)m.u.report.colour;
	r->title = strdup(m.u.report.title);
	proto_msg_clear(&m);
	if (strcmp(e->state, "queued") == 0) {
		snprintf(r->state, sizeof r->state, "%s", T("待发送", "queued"));
	} else if (strcmp(e->state, "rejected") == 0) {
		snprintf(r->state, sizeof r->state, "%s", T("被退回", "rejected"));
	} else if (station_cli_load_item(store, r->item, &it) == PROTO_OK) {
		if (station_cli_view_of(store, &it, &v) == PROTO_OK && v.known) {
			snprintf(r->state, sizeof r->state, "%s%s", view_state(&v),
				v.pending ? "*" : "");
			r->deadline = proto_state_open(v.state) ? it.deadline : 0;
			r->overdue = r->deadline > 0 && r->deadline < c->now;
		} else {
			snprintf(r->state, sizeof r->state, "%s", station_cli_state_name(it.state));
		}
		r->colour = proto_colour_parse(it.colour); /* escalation may change it */
		station_cli_item_clear(&it);
	} else {
		snprintf(r->state, sizeof r->state, "%s", T("已送达", "received"));
	}
	if (!r->title)
		c->oom = true;
	return c->oom;
}

static void free_rows(tui_rows *rows)
{
	for (int i = 0; i < rows->n; i++)
		free(rows->v[i].title);
	free(rows->v);
	rows->v = NULL;
	rows->n = 0;
}

void tui_lists_reload(tui_app *app)
{
	mine_ctx c = {.app = app, .now = proto_now_ms()};
	station_cli_list l;

	if (station_store_each(app->store, "report", add_row, &c) == PROTO_OK && !c.oom) {
		/* Newest first. */
		for (int i = 0; i < c.rows.n / 2; i++) {
			tui_row t = c.rows.v[i];
			c.rows.v[i] = c.rows.v[c.rows.n - 1 - i];
			c.rows.v[c.rows.n - 1 - i] = t;
		}
		c.rows.sel = app->mine.sel < c.rows.n ? app->mine.sel : 0;
		c.rows.top = app->mine.top;
		free_rows(&app->mine);
		app->mine = c.rows;
	} else {
		free_rows(&c.rows);
	}
	if (station_cli_items(app->store, false, &l) == PROTO_OK) {
		station_cli_list_clear(&app->inbox);
		app->inbox = l;
		if (app->inbox_sel >= (int)l.n)
			app->inbox_sel = l.n ? (int)l.n - 1 : 0;
	}
}

void tui_lists_free(tui_app *app)
{
	free_rows(&app->mine);
	station_cli_list_clear(&app->inbox);
	tui_prompt_free(&app->prompt);
}

/* Keeps *sel in 0..n-1 and *top so that it shows in rows lines. */
static void keep_in_view(int *sel, int *top, int n, int rows)
{
	if (*sel >= n)
		*sel = n - 1;
	if (*sel < 0)
		*sel = 0;
	if (*sel < *top)
		*top = *sel;
	if (rows > 0 && *sel >= *top + rows)
		*top = *sel - rows + 1;
	if (*top < 0)
		*top = 0;
}

static void deadline_text(int64_t deadline, bool overdue, char *out, size_t n)
{
	char when[STATION_CLI_TIME];

	station_cli_time(deadline, when);
	snprintf(out, n, "%s%s", deadline > 0 ? when : "", overdue ? T(" 超期", " late") : "");
}

/* One list row: colour tag, then the columns. */
static void draw_row(int y, bool sel, int colour, const char *state, const char *due,
	const char *title)
{
	if (sel)
		attron(A_REVERSE);
	mvaddstr(y, 1, sel ? ">" : " ");
	attron(tui_colour_attr(colour) | A_BOLD);
	tui_put(y, 2, 6, colour >= 0 ? tui_colour_label(colour) : "?");
	attroff(tui_colour_attr(colour) | A_BOLD);
	tui_put(y, 9, 12, state);
	tui_put(y, 22, 22, due);
	tui_put(y, 45, COLS - 46, title);
	if (sel)
		attroff(A_REVERSE);
}

static void list_header(const char *title, const char *cols)
{
	attron(A_BOLD);
	tui_put(1, 1, COLS - 2, title);
	attroff(A_BOLD);
	attron(A_DIM);
	tui_put(2, 2, COLS - 3, cols);
	attroff(A_DIM);
}

static const char *columns(void)
{
	return T("颜色   状态         期限                   标题",
		 "colour state        deadline               title");
}

void tui_mine_draw(tui_app *app)
{
	tui_rows *r = &app->mine;
	int rows = LINES - 4 - 3;
	char due[64], title[80];

	snprintf(title, sizeof title, T("我的上报（%d 条）", "My reports (%d)"), r->n);
	list_header(title, columns());
	if (!r->n) {
		tui_put(4, 2, COLS - 3, T("本站还没有上报。主菜单按 1 新建上报。",
			"No reports yet. Press 1 on the main menu to file one."));
		return;
	}
	keep_in_view(&r->sel, &r->top, r->n, rows);
	for (int i = r->top; i < r->n && i - r->top < rows; i++) {
		deadline_text(r->v[i].deadline, r->v[i].overdue, due, sizeof due);
		draw_row(3 + i - r->top, i == r->sel, r->v[i].colour, r->v[i].state, due,
			r->v[i].title);
	}
}

void tui_inbox_draw(tui_app *app)
{
	station_cli_list *l = &app->inbox;
	int rows = LINES - 4 - 3, n = (int)l->n;
	int64_t now = proto_now_ms();
	char due[64], title[80], text[PROTO_TITLE_MAX * 4 + 64];

	snprintf(title, sizeof title, T("待办事项（%d 条）", "Inbox (%d)"), n);
	list_header(title, columns());
	if (!n) {
		tui_put(4, 2, COLS - 3, T("现在没有待本站办理的事。", "Nothing waits on this station."));
		return;
	}
	keep_in_view(&app->inbox_sel, &app->inbox_top, n, rows);
	for (int i = app->inbox_top; i < n && i - app->inbox_top < rows; i++) {
		const station_cli_item *it = &l->v[i];
		const station_cli_view *v = &l->views[i];
		bool open = v->known && proto_state_open(v->state);
		deadline_text(open ? it->deadline : 0, open && it->deadline > 0 &&
			it->deadline < now, due, sizeof due);
		snprintf(text, sizeof text, "%s · %s",
			tui_category_label(proto_category_parse(it->category)), it->title);
		draw_row(3 + i - app->inbox_top, i == app->inbox_sel,
			proto_colour_parse(it->colour),
			v->known ? (station_cli_english ? proto_state_name(v->state)
						       : proto_state_name_zh(v->state))
				 : station_cli_state_name(it->state), due, text);
	}
}

static bool enter_key(bool is_key, wint_t ch)
{
	return (is_key && ch == KEY_ENTER) || (!is_key && (ch == L'\r' || ch == L'\n'));
}

/* Up, Down, Page keys on a list; true when used. */
static bool move_key(int *sel, int n, bool is_key, wint_t ch)
{
	int page = LINES - 8 > 1 ? LINES - 8 : 1;

	if (!is_key)
		return false;
	switch (ch) {
	case KEY_UP: *sel = *sel > 0 ? *sel - 1 : 0; return true;
	case KEY_DOWN: *sel = *sel < n - 1 ? *sel + 1 : *sel; return true;
	case KEY_PPAGE: *sel = *sel > page ? *sel - page : 0; return true;
	case KEY_NPAGE: *sel = *sel + page < n ? *sel + page : (n ? n - 1 : 0); return true;
	case KEY_HOME: *sel = 0; return true;
	case KEY_END: *sel = n ? n - 1 : 0; return true;
	default: return false;
	}
}

void tui_mine_key(tui_app *app, bool is_key, wint_t ch)
{
	if (move_key(&app->mine.sel, app->mine.n, is_key, ch))
		return;
	if (enter_key(is_key, ch) && app->mine.n) {
		app->item_back = TUI_MINE;
		tui_item_open(app, app->mine.v[app->mine.sel].item);
	} else if (!is_key && (ch == 27 || ch == L'q')) {
		app->screen = TUI_MENU;
	}
}

void tui_inbox_key(tui_app *app, bool is_key, wint_t ch)
{
	if (move_key(&app->inbox_sel, (int)app->inbox.n, is_key, ch))
		return;
	if (enter_key(is_key, ch) && app->inbox.n) {
		app->item_back = TUI_INBOX;
		tui_item_open(app, app->inbox.v[app->inbox_sel].item);
	} else if (!is_key && (ch == 27 || ch == L'q')) {
		app->screen = TUI_MENU;
	}
}

/* ------------------------------------------------------------ one item */

void tui_item_open(tui_app *app, const char *item)
{
	snprintf(app->item, sizeof app->item, "%s", item);
	app->item_scroll = 0;
	app->screen = TUI_ITEM;
}

/* A scrolling page of wrapped paragraphs. */
typedef struct page {
	int vy, scroll, top, rows;
	station_store *store; /* for the readable names of stations */
	const station_cli_item *item; /* the item shown, with its own names */
} page;

static void emit(page *p, const char *text)
{
	int start = p->vy - p->scroll, need;

	if (start >= p->rows) {
		p->vy += tui_wrap(0, 0, COLS - 4, 0, 0, text);
		return;
	}
	need = tui_wrap(p->top + (start > 0 ? start : 0), 2, COLS - 4,
		p->rows - (start > 0 ? start : 0), start < 0 ? -start : 0, text);
	p->vy += need;
}

static int draw_event(void *ud, const station_event *ev, int times, int64_t first)
{
	char when[STATION_CLI_TIME], from[STATION_CLI_TIME], count[64] = "";
	char line[PROTO_NOTE_MAX * 4 + 4 * PROTO_PLACE_MAX + 192], actor[4 * PROTO_PLACE_MAX + 1];
	page *p = ud;

	station_cli_time(ev->at, when);
	if (times > 1) {
		station_cli_time(first, from);
		snprintf(count, sizeof count, T("  共 %d 次（%s 起）", "  %d times (from %s)"),
			times, from);
	}
	snprintf(line, sizeof line, "  %s  %s  %s%s%s%s", when,
		station_cli_event_name(ev->event),
		station_cli_actor(p->store, p->item, ev->by, actor, sizeof actor), count,
		ev->note && ev->note[0] ? "  " : "", ev->note ? ev->note : "");
	emit(ud, line);
	return 0;
}

static int draw_action(void *ud, const station_entry *e)
{
	char when[STATION_CLI_TIME], line[PROTO_NOTE_MAX * 4 + 160];
	const char *state;
	proto_msg m;
	int step;

	if (proto_msg_decode(e->payload, strlen(e->payload), &m, NULL) != PROTO_OK)
		return 0;
	step = proto_step_parse(m.u.action.action);
	station_cli_time(e->created, when);
	if (strcmp(e->state, "queued") == 0)
		state = T("待发送", "queued");
	else if (e->error)
		state = station_cli_reason(e->error);
	else
		state = T("县里已接受", "accepted");
	snprintf(line, sizeof line, "  %s  %s  %s%s%s", when,
		step < 0 ? m.u.action.action : tui_step_label((proto_step)step), state,
		m.u.action.note ? "  " : "", m.u.action.note ? m.u.action.note : "");
	emit(ud, line);
	proto_msg_clear(&m);
	return 0;
}

typedef struct find_ctx {
	int64_t id;
	proto_msg msg;
	char state[16];
	bool found;
} find_ctx;

static int find_report(void *ud, const station_entry *e)
{
	find_ctx *c = ud;

	if (e->id != c->id)
		return 0;
	c->found = proto_msg_decode(e->payload, strlen(e->payload), &c->msg, NULL) == PROTO_OK;
	snprintf(c->state, sizeof c->state, "%s", e->state);
	return 1;
}

/* An item the hub has not sent back yet: our report as we queued it. */
static void draw_own(tui_app *app, page *p)
{
	const char *dash = strrchr(app->item, '-');
	find_ctx c = {.id = dash ? strtoll(dash + 1, NULL, 10) : 0};
	const proto_report *r = &c.msg.u.report;
	char line[PROTO_TEXT_MAX * 4 + 64];

	if (station_store_each(app->store, "report", find_report, &c) || !c.found) {
		emit(p, T("本站没有这条民情。", "This station has no such item."));
		return;
	}
	snprintf(line, sizeof line, "%s  %s  %s  %s", app->item, tui_colour_label((int)r->colour),
		tui_category_label((int)r->category),
		strcmp(c.state, "queued") == 0 ? T("待发送（联网后自动送县里）", "queued (sent when online)")
		: strcmp(c.state, "rejected") == 0 ? T("被县里退回", "rejected by the hub")
						   : T("已送达，等待分派", "received, being routed"));
	emit(p, line);
	snprintf(line, sizeof line, T("标题：%s", "Title: %s"), r->title);
	emit(p, line);
	snprintf(line, sizeof line, T("内容：%s", "Text: %s"), r->text);
	emit(p, line);
	proto_msg_clear(&c.msg);
}

static bool can(const station_cli_view *v, proto_step step)
{
	proto_state next;

	return v->known && proto_workflow_next(v->state, step, v->roles, PROTO_RATING_SATISFIED,
				   &next) == PROTO_OK;
}

/* Loads the item and its view; false when the station has no snapshot. */
static bool load(tui_app *app, station_cli_item *it, station_cli_view *v, proto_msg *m)
{
	if (station_cli_load_item(app->store, app->item, it) != PROTO_OK)
		return false;
	if (station_cli_view_of(app->store, it, v) != PROTO_OK ||
	    proto_msg_decode(it->snapshot, strlen(it->snapshot), m, NULL) != PROTO_OK) {
		station_cli_item_clear(it);
		return false;
	}
	return true;
}

void tui_item_draw(tui_app *app)
{
	page p = {.scroll = app->item_scroll, .top = 2, .rows = LINES - 4 - 2,
		  .store = app->store};
	station_cli_item it;
	station_cli_view v;
	proto_msg m;
	char line[PROTO_TEXT_MAX * 4 + 200], t1[STATION_CLI_TIME], t2[STATION_CLI_TIME];
	char origin[4 * PROTO_PLACE_MAX + 1], handler[4 * PROTO_PLACE_MAX + 1];

	attron(A_BOLD);
	tui_put(1, 1, COLS - 2, T("民情详情", "Item"));
	attroff(A_BOLD);
	if (!load(app, &it, &v, &m)) {
		draw_own(app, &p);
		return;
	}
	const proto_item *x = &m.u.item;
	p.item = &it;
	snprintf(line, sizeof line, "%s  %s  %s  %s", it.item,
		tui_colour_label(proto_colour_parse(it.colour)),
		tui_category_label(proto_category_parse(it.category)),
		v.known ? (v.state == PROTO_STATE_REPORTED ? T("已上报，待签收", "reported, to be signed")
			   : station_cli_english ? proto_state_name(v.state)
						 : proto_state_name_zh(v.state))
			: station_cli_state_name(it.state));
	emit(&p, line);
	snprintf(line, sizeof line, T("标题：%s", "Title: %s"), x->title);
	emit(&p, line);
	snprintf(line, sizeof line, T("内容：%s", "Text: %s"), x->text);
	emit(&p, line);
	station_cli_time(x->created, t1);
	station_cli_time(x->deadline, t2);
	/* Stations by name, times on a line of their own: at 80 columns the
	 * two names fill a line. */
	snprintf(line, sizeof line, T("上报站 %s · 办理站 %s", "reported by %s · handled by %s"),
		station_cli_place(app->store, x->origin, x->origin_name, origin, sizeof origin),
		station_cli_place(app->store, it.handler, it.handler_name, handler, sizeof handler));
	emit(&p, line);
	snprintf(line, sizeof line, T("上报 %s · 期限 %s", "filed %s · due %s"), t1, t2);
	emit(&p, line);
	if (x->member && x->member[0]) {
		char who[4 * PROTO_NAME_MAX + PROTO_MEMBER_ID_MAX + 16];
		snprintf(line, sizeof line, T("交办给：%s", "Assigned to: %s"),
			station_cli_member_of(app->store, x->member, who, sizeof who));
		emit(&p, line);
	}
	if (x->rating && x->rating[0]) {
		int r = proto_rating_parse(x->rating);
		snprintf(line, sizeof line, T("群众评价：%s", "Rating: %s"), r < 0 || station_cli_english
			? x->rating : proto_rating_name_zh((proto_rating)r));
		emit(&p, line);
	}
	if (x->people > 0 || x->reporter_name || x->reporter_phone) {
		snprintf(line, sizeof line, T("涉及 %d 人 · 反映人 %s · 电话 %s（个人信息）",
			"%d people · resident %s · phone %s (private)"), x->people,
			x->reporter_name ? x->reporter_name : "-",
			x->reporter_phone ? x->reporter_phone : "-");
		emit(&p, line);
	}
	emit(&p, T("办理进程：", "Timeline:"));
	station_cli_fold fold = {.fn = draw_event, .ud = &p};
	station_store_timeline(app->store, it.item, station_cli_fold_event, &fold);
	station_cli_fold_end(&fold);
	emit(&p, T("本站的操作：", "This station's steps:"));
	station_store_actions(app->store, it.item, draw_action, &p);
	if (v.pending) {
		snprintf(line, sizeof line, T("（%d 项待发送，联网后送县里）",
			"(%d steps queued, sent when online)"), v.pending);
		emit(&p, line);
	}
	if (app->item_scroll > 0 && app->item_scroll >= p.vy)
		app->item_scroll = p.vy > 0 ? p.vy - 1 : 0;
	proto_msg_clear(&m);
	station_cli_item_clear(&it);
}

/* The keys of the steps this station may take now, for the key line: the
 * longest form that fits the window, so that the way back and the help
 * (the line's end) are never cut off. */
const char *tui_item_keys(const tui_app *app)
{
	static char keys[512];
	char steps[2][320] = {"", ""};
	station_cli_item it;
	station_cli_view v;
	proto_msg m;
	size_t n[2] = {0, 0};

	if (load((tui_app *)app, &it, &v, &m)) {
		for (int s = 0; s < PROTO_STEP__COUNT; s++) {
			bool ok = can(&v, (proto_step)s) ||
				  (s == PROTO_STEP_RATE && can(&v, PROTO_STEP_VERIFY));
			for (int k = 0; ok && s != PROTO_STEP_MERGE && k < 2; k++)
				if (n[k] < sizeof steps[k])
					n[k] += (size_t)snprintf(steps[k] + n[k], sizeof steps[k] - n[k],
						k ? "%c %s " : "%c %s  ", tui_step_key((proto_step)s),
						tui_step_label((proto_step)s));
		}
		proto_msg_clear(&m);
		station_cli_item_clear(&it);
	}
	snprintf(keys, sizeof keys, "%s%s%s", n[0] ? T("可以：", "Do: ") : "", steps[0],
		T("↑↓ 翻看  Esc 返回  F1 帮助", "Up/Down scroll  Esc back  F1 help"));
	if (tui_width(keys) > COLS - 2)
		snprintf(keys, sizeof keys, "%s%s", steps[0],
			T("Esc 返回  F1 帮助", "Esc back  F1 help"));
	if (tui_width(keys) > COLS - 2)
		snprintf(keys, sizeof keys, "%s%s", steps[1], T("Esc 返回 F1 帮助", "Esc back F1 help"));
	return keys;
}

void tui_item_key(tui_app *app, bool is_key, wint_t ch)
{
	station_cli_item it;
	station_cli_view v;
	proto_msg m;

	if (app->prompt.open) {
		tui_prompt_key(app, is_key, ch);
		return;
	}
	if (is_key && ch == KEY_UP) {
		if (app->item_scroll > 0)
			app->item_scroll--;
		return;
	}
	if (is_key && (ch == KEY_DOWN || ch == KEY_NPAGE)) {
		app->item_scroll += ch == KEY_DOWN ? 1 : LINES / 2;
		return;
	}
	if (is_key && ch == KEY_PPAGE) {
		app->item_scroll = app->item_scroll > LINES / 2 ? app->item_scroll - LINES / 2 : 0;
		return;
	}
	if (!is_key && (ch == 27 || ch == L'q')) {
		app->screen = app->item_back;
		tui_lists_reload(app);
		return;
	}
	if (is_key || !load(app, &it, &v, &m))
		return;
	for (int s = 0; s < PROTO_STEP__COUNT; s++) {
		if (s == PROTO_STEP_MERGE || (wint_t)tui_step_key((proto_step)s) != ch)
			continue;
		if (can(&v, (proto_step)s))
			tui_prompt_open(app, (proto_step)s, false);
		else if (s == PROTO_STEP_RATE && can(&v, PROTO_STEP_VERIFY))
			tui_prompt_open(app, PROTO_STEP_RATE, true);
		else
			tui_say(app, true, T("现在不能%s：请看下方列出的可用按键。",
				"Cannot %s now: see the keys listed below."),
				tui_step_label((proto_step)s));
	}
	proto_msg_clear(&m);
	station_cli_item_clear(&it);
}
