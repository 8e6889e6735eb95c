/* The new-report form, in four steps a clerk can follow without help:
 * the service item, the colour, the words (title, text, the resident's name
 * and phone marked private, people affected), and a check page that lists
 * the open items of the same service item at this village, so that the
 * clerk can add to one instead of filing a duplicate. It says "saved" only
 * after the store has committed the report. */
#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/workflow.h"
#include "station/tui.h"

static const int field_max[FIELD_NEXT] = {
	[FIELD_TITLE] = PROTO_TITLE_MAX, [FIELD_TEXT] = PROTO_TEXT_MAX,
	[FIELD_NAME] = PROTO_NAME_MAX, [FIELD_PHONE] = 20, [FIELD_PEOPLE] = 7,
};

void tui_form_init(tui_form *f)
{
	memset(f, 0, sizeof *f);
	for (int i = 0; i < FIELD_NEXT; i++)
		tui_field_init(&f->fields[i], (size_t)field_max[i], i == FIELD_TEXT);
}

static void free_dups(tui_form *f)
{
	for (int i = 0; i < f->n_dups; i++)
		free(f->dups[i].title);
	free(f->dups);
	f->dups = NULL;
	f->n_dups = 0;
	f->choice = 0;
}

void tui_form_free(tui_form *f)
{
	free_dups(f);
	for (int i = 0; i < FIELD_NEXT; i++)
		tui_field_free(&f->fields[i]);
}

/* After a save: an empty form at its first step. */
static void reset(tui_form *f)
{
	free_dups(f);
	for (int i = 0; i < FIELD_NEXT; i++)
		tui_field_clear(&f->fields[i]);
	f->step = FORM_CATEGORY;
	f->category = f->colour = 0;
	f->focus = FIELD_TITLE;
	f->touched = false;
}

/* ------------------------------------------------------------ duplicates */

static bool add_dup(tui_form *f, const char *item, const char *title,
	const char *state, bool queued)
{
	tui_dup *grown = realloc(f->dups, (size_t)(f->n_dups + 1) * sizeof *grown);

	if (!grown)
		return false;
	f->dups = grown;
	tui_dup *d = &f->dups[f->n_dups];
	memset(d, 0, sizeof *d);
	snprintf(d->item, sizeof d->item, "%s", item);
	snprintf(d->state, sizeof d->state, "%s", state);
	d->queued = queued;
	d->title = strdup(title);
	if (!d->title)
		return false;
	f->n_dups++;
	return true;
}

typedef struct queued_ctx {
	tui_form *f;
	const char *code;
} queued_ctx;

/* Our own reports of the same service item still waiting to be sent: the
 * hub has no item for them yet, so they are shown, not offered. */
static int queued_report(void *ud, const station_entry *e)
{
	queued_ctx *c = ud;
	char item[PROTO_ITEM_ID_MAX];
	proto_msg m;

	if (strcmp(e->state, "queued") != 0 ||
	    proto_msg_decode(e->payload, strlen(e->payload), &m, NULL) != PROTO_OK)
		return 0;
	if (m.type == PROTO_MSG_REPORT && (int)m.u.report.category == c->f->category) {
		proto_item_id(item, c->code, e->id);
		add_dup(c->f, item, m.u.report.title, T("待发送", "queued"), true);
	}
	proto_msg_clear(&m);
	return 0;
}

/* Open items of the form's service item at this village (the station's
 * own village for a group) to which this station may add a comment. */
static void load_dups(tui_app *app)
{
	tui_form *f = &app->form;
	const char *code = station_store_code(app->store);
	size_t village = strlen(code) > 12 ? 12 : strlen(code);
	station_cli_list l;
	proto_state next;

	free_dups(f);
	if (station_cli_items(app->store, true, &l) == PROTO_OK) {
		for (size_t i = 0; i < l.n; i++) {
			const station_cli_item *it = &l.v[i];
			const station_cli_view *v = &l.views[i];
			if (proto_category_parse(it->category) != f->category || !v->known ||
			    !proto_state_open(v->state) ||
			    (strncmp(it->origin, code, village) != 0 &&
			     strncmp(it->handler, code, village) != 0) ||
			    proto_workflow_next(v->state, PROTO_STEP_COMMENT, v->roles,
				    PROTO_RATING_SATISFIED, &next) != PROTO_OK)
				continue;
			add_dup(f, it->item, it->title, station_cli_english
				? proto_state_name(v->state) : proto_state_name_zh(v->state),
				false);
		}
		station_cli_list_clear(&l);
	}
	station_store_each(app->store, "report", queued_report,
		&(queued_ctx){.f = f, .code = code});
}

/* ------------------------------------------------------------ checks */

static int length(const tui_field *fl)
{
	char *s = tui_field_text(fl);
	int n = s ? (int)proto_utf8_length(s) : 0;

	free(s);
	return n;
}

/* Checks the details; on a fault says what is wrong in plain words, puts
 * the cursor on the field and returns false. */
static bool check(tui_app *app)
{
	tui_form *f = &app->form;
	tui_field *fl = f->fields;
	char *s;
	int bad = -1;

	if (tui_field_blank(&fl[FIELD_TITLE])) {
		bad = FIELD_TITLE;
		tui_say(app, true, "%s", T("请填写标题：用一句话说清是什么事。",
			"Please fill in the title: one line saying what happened."));
	} else if (length(&fl[FIELD_TITLE]) > PROTO_TITLE_MAX) {
		bad = FIELD_TITLE;
		tui_say(app, true, T("标题太长：最多 %d 个字。详细情况请写在内容里。",
			"The title is too long: at most %d characters. Put details in the text."),
			PROTO_TITLE_MAX);
	} else if (tui_field_blank(&fl[FIELD_TEXT])) {
		bad = FIELD_TEXT;
		tui_say(app, true, "%s", T("请填写内容：把具体情况写清楚。",
			"Please fill in the text: what is the matter, in detail."));
	} else if (!tui_field_blank(&fl[FIELD_PHONE]) &&
		   (s = tui_field_text(&fl[FIELD_PHONE])) != NULL) {
		size_t n = strlen(s);
		if (n < 3 || strspn(s, "0123456789+- ") != n) {
			bad = FIELD_PHONE;
			tui_say(app, true, "%s", T("电话只能填数字（可以带 - 或 +），例如 13800001111；不知道可以空着。",
				"The phone takes digits only (with - or +), like 13800001111; "
				"leave it empty if unknown."));
		}
		free(s);
	}
	if (bad < 0 && !tui_field_blank(&fl[FIELD_PEOPLE])) {
		char *end;
		s = tui_field_text(&fl[FIELD_PEOPLE]);
		long n = s ? strtol(s, &end, 10) : -1;
		if (!s || end == s || *end || n < 0 || n > PROTO_PEOPLE_MAX) {
			bad = FIELD_PEOPLE;
			tui_say(app, true, "%s", T("涉及人数请填一个数字，例如 3；不知道可以空着。",
				"People affected is a number, like 3; leave it empty if unknown."));
		}
		free(s);
	}
	if (bad >= 0) {
		f->focus = bad;
		return false;
	}
	return true;
}

/* ------------------------------------------------------------ saving */

static void save_new(tui_app *app)
{
	tui_form *f = &app->form;
	char *t[FIELD_NEXT] = {0};
	char item[PROTO_ITEM_ID_MAX], msg[512] = "";
	proto_report r = {.colour = (proto_colour)f->colour,
			  .category = (proto_category)f->category};
	int rc = STATION_CLI_FAIL;

	for (int i = 0; i < FIELD_NEXT; i++)
		if (!(t[i] = tui_field_text(&f->fields[i])))
			goto done;
	r.title = t[FIELD_TITLE];
	r.text = t[FIELD_TEXT];
	r.reporter_name = t[FIELD_NAME][0] ? t[FIELD_NAME] : NULL;
	r.reporter_phone = t[FIELD_PHONE][0] ? t[FIELD_PHONE] : NULL;
	r.people = t[FIELD_PEOPLE][0] ? atoi(t[FIELD_PEOPLE]) : 0;
	rc = station_cli_add_report(app->store, app->dir, &r, item, msg, sizeof msg);
done:
	for (int i = 0; i < FIELD_NEXT; i++)
		free(t[i]);
	if (rc) {
		/* Nothing is cleared: the clerk can try again or change a field. */
		tui_say(app, true, "%s", rc == STATION_CLI_FAIL && !msg[0]
			? T("未保存：内存不足", "not saved: out of memory") : msg);
		return;
	}
	tui_say(app, false, "%s", msg);
	reset(f);
	app->screen = TUI_MENU;
	app->refreshed = 0; /* read the store again: status line and lists */
}

/* Adds what was typed to an open item as a comment instead of a report. */
static void add_to(tui_app *app, const tui_dup *d)
{
	tui_form *f = &app->form;
	char *title = tui_field_text(&f->fields[FIELD_TITLE]);
	char *text = tui_field_text(&f->fields[FIELD_TEXT]);
	char *people = tui_field_text(&f->fields[FIELD_PEOPLE]);
	char msg[512] = "", *note = NULL;
	size_t n;
	int rc = STATION_CLI_FAIL;

	if (!title || !text || !people)
		goto done;
	n = strlen(title) + strlen(text) + strlen(people) + 64;
	if (!(note = malloc(n)))
		goto done;
	/* The resident's name and phone stay out: a note is not personal data. */
	snprintf(note, n, T("补充：%s。%s%s%s%s", "more: %s. %s%s%s%s"), title, text,
		people[0] ? T("（涉及 ", " (") : "", people,
		people[0] ? T(" 人）", " people)") : "");
	rc = station_cli_request_step(app->store, app->dir, &(station_cli_request){
		.step = PROTO_STEP_COMMENT, .item = d->item, .note = note},
		msg, sizeof msg, NULL);
done:
	free(title);
	free(text);
	free(people);
	free(note);
	if (rc) {
		tui_say(app, true, "%s", msg[0] && rc != STATION_CLI_FAIL ? msg
			: T("未保存：无法写入本站数据", "not saved: cannot write the station's data"));
		return;
	}
	tui_say(app, false, T("已保存：补充到 %s，联网后送县里",
		"Saved: added to %s; sent to the hub when online"), d->item);
	reset(f);
	app->screen = TUI_MENU;
	app->refreshed = 0; /* read the store again: status line and lists */
}

/* ------------------------------------------------------------ drawing */

static void heading(tui_app *app, const char *what)
{
	char line[160];

	snprintf(line, sizeof line, T("新建上报 · 第 %d 步（共 4 步）：%s",
		"New report · step %d of 4: %s"), app->form.step + 1, what);
	attron(A_BOLD);
	tui_put(1, 1, COLS - 2, line);
	attroff(A_BOLD);
}

/* Columns of the widest of n labels, plus a gap. */
static int label_width(const char *(*label)(int), int n)
{
	int w = 0;

	for (int i = 0; i < n; i++)
		if (tui_width(label(i)) > w)
			w = tui_width(label(i));
	return w + 2;
}

static void draw_choice(int y, int n, bool sel, const char *label, int lw,
	const char *hint, int attr)
{
	char num[8];

	snprintf(num, sizeof num, "%d.", n);
	if (sel)
		attron(A_REVERSE);
	mvaddstr(y, 2, sel ? "> " : "  ");
	tui_put(y, 4, 3, num);
	attron(attr);
	tui_put(y, 7, lw, label);
	attroff(attr);
	if (sel)
		attroff(A_REVERSE);
	tui_put(y, 7 + lw, COLS - 8 - lw, hint);
}

static void draw_details(tui_app *app)
{
	static const char *const zh[] = {"标题", "内容", "反映人姓名", "电话", "涉及人数"};
	static const char *const en[] = {"Title", "Text", "Resident", "Phone", "People"};
	tui_form *f = &app->form;
	int bottom = LINES - 4, y = 4, w = COLS - 17, h, cx = -1, cy = -1;
	char line[200];

	heading(app, T("填写内容", "the words"));
	snprintf(line, sizeof line, T("类别：%s    颜色：%s    （Esc 返回修改）",
		"Item: %s    Colour: %s    (Esc to change)"),
		tui_category_label(f->category), tui_colour_label(f->colour));
	tui_put(2, 2, COLS - 3, line);
	h = bottom - y - 1 - 5;
	if (h > 12)
		h = 12;
	if (h < 2)
		h = 2;
	for (int i = 0; i < FIELD_NEXT; i++) {
		int rows = i == FIELD_TEXT ? h : 1, fw = i >= FIELD_NAME ? 22 : w;
		if (i == f->focus)
			attron(A_BOLD);
		tui_put(y, 2, 13, T(zh[i], en[i]));
		if (i == f->focus)
			attroff(A_BOLD);
		tui_field_draw(&f->fields[i], y, 15, rows, fw, false);
		if (i == f->focus) {
			cy = y;
			cx = 15;
		}
		if (i == FIELD_NAME || i == FIELD_PHONE)
			tui_put(y, 15 + fw + 2, COLS - fw - 18,
				T("选填 · 个人信息，只给办理人看", "optional · private: handlers only"));
		else if (i == FIELD_PEOPLE)
			tui_put(y, 15 + fw + 2, COLS - fw - 18, T("选填", "optional"));
		y += rows;
		if (i == FIELD_TEXT || i == FIELD_PEOPLE)
			y++;
	}
	if (f->focus == FIELD_NEXT)
		attron(A_REVERSE);
	tui_put(y, 15, COLS - 16, T("[ 下一步：检查并保存 ]", "[ Next: check and save ]"));
	if (f->focus == FIELD_NEXT)
		attroff(A_REVERSE);
	/* The focused field last, so that the cursor stays in it. */
	if (f->focus < FIELD_NEXT) {
		int rows = f->focus == FIELD_TEXT ? h : 1;
		tui_field_draw(&f->fields[f->focus], cy, cx, rows,
			f->focus >= FIELD_NAME ? 22 : w, true);
		curs_set(1);
	}
}

static int offered(const tui_form *f);

static void draw_check(tui_app *app)
{
	tui_form *f = &app->form;
	char *title = tui_field_text(&f->fields[FIELD_TITLE]);
	char line[400];
	int y = 2, bottom = LINES - 4, shown = 0;

	heading(app, T("检查并保存", "check and save"));
	snprintf(line, sizeof line, T("%s · %s · %s", "%s · %s · %s"),
		tui_category_label(f->category), tui_colour_label(f->colour),
		title ? title : "");
	free(title);
	tui_put(y++, 2, COLS - 3, line);
	y++;
	if (f->n_dups)
		tui_wrap(y++, 2, COLS - 3, 1, 0, T("本村同一类还没办完的事如下。是同一件事就选它，补充进去，不要重复上报：",
			"Open items of this kind at this village. If yours is one of them, add to it "
			"instead of filing it twice:"));
	else
		tui_put(y++, 2, COLS - 3, T("本村暂无同一类还没办完的事，可以作为新的上报保存。",
			"This station knows of no open item of this kind at this village."));
	y++;
	if (f->choice == 0)
		attron(A_REVERSE);
	tui_put(y++, 2, COLS - 3, T("> 作为新的上报保存", "> Save as a new report"));
	if (f->choice == 0)
		attroff(A_REVERSE);
	for (int i = 0; i < f->n_dups && y < bottom; i++) {
		const tui_dup *d = &f->dups[i];
		if (d->queued) {
			snprintf(line, sizeof line, T("  （本站刚报过，%s）%s", "  (ours, %s) %s"),
				d->state, d->title);
			attron(A_DIM);
			tui_put(y++, 2, COLS - 3, line);
			attroff(A_DIM);
			continue;
		}
		shown++;
		snprintf(line, sizeof line, T("> 补充到：[%s] %s  %s", "> Add to: [%s] %s  %s"),
			d->state, d->title, d->item);
		if (f->choice == shown)
			attron(A_REVERSE);
		tui_put(y++, 2, COLS - 3, f->choice == shown ? line : line + 1);
		if (f->choice == shown)
			attroff(A_REVERSE);
	}
	if (offered(f) && y < bottom - 1)
		tui_wrap(bottom - 1, 2, COLS - 3, 1, 0, T("补充时只附上标题、内容和人数，不附姓名电话。",
			"Adding sends the title, text and people, not the name or phone."));
}

void tui_form_draw(tui_app *app)
{
	tui_form *f = &app->form;
	int bottom = LINES - 4, lw;

	curs_set(0);
	switch (f->step) {
	case FORM_CATEGORY:
		heading(app, T("选择类别", "the service item"));
		lw = label_width(tui_category_label, PROTO_CAT__COUNT);
		for (int i = 0; i < PROTO_CAT__COUNT && 3 + i < bottom; i++)
			draw_choice(3 + i, i + 1, i == f->category, tui_category_label(i), lw,
				tui_category_hint(i), A_BOLD);
		break;
	case FORM_COLOUR:
		heading(app, T("选择颜色（由谁办理）", "the colour (who handles it)"));
		tui_put(2, 2, COLS - 3, tui_category_label(f->category));
		lw = label_width(tui_colour_label, PROTO_COLOUR__COUNT);
		for (int i = 0; i < PROTO_COLOUR__COUNT && 4 + 2 * i < bottom; i++) {
			draw_choice(4 + 2 * i, i + 1, i == f->colour, tui_colour_label(i), lw, "",
				tui_colour_attr(i) | A_BOLD);
			tui_wrap(4 + 2 * i, 7 + lw, COLS - 8 - lw, 2, 0, tui_colour_meaning(i));
		}
		break;
	case FORM_DETAILS:
		draw_details(app);
		break;
	default:
		draw_check(app);
		break;
	}
}

const char *tui_form_keys(const tui_app *app)
{
	switch (app->form.step) {
	case FORM_CATEGORY:
		return T("↑↓ 选择  回车 下一步  1-8 直接选  Esc 回主菜单（已填的保留）  F1 帮助",
			"Up/Down choose  Enter next  1-8 pick  Esc menu (draft kept)  F1 help");
	case FORM_COLOUR:
		return T("↑↓ 选择  回车 下一步  1-3 直接选  Esc 上一步  F1 帮助",
			"Up/Down choose  Enter next  1-3 pick  Esc back  F1 help");
	case FORM_DETAILS:
		return T("Tab/↓ 下一栏  ↑ 上一栏  回车 换行(内容栏)  F2 检查并保存  Esc 上一步  F1 帮助",
			"Tab/Down next  Up prev  Enter new line  F2 check, save  Esc back  F1 help");
	default:
		return T("↑↓ 选择  回车 保存  Esc 返回修改  F1 帮助",
			"Up/Down choose  Enter save  Esc back to edit  F1 help");
	}
}

/* ------------------------------------------------------------ keys */

static int offered(const tui_form *f)
{
	int n = 0;

	for (int i = 0; i < f->n_dups; i++)
		n += !f->dups[i].queued;
	return n;
}

static const tui_dup *nth_offered(const tui_form *f, int n)
{
	for (int i = 0; i < f->n_dups; i++)
		if (!f->dups[i].queued && --n == 0)
			return &f->dups[i];
	return NULL;
}

/* Up, Down, digits and Enter on a list of n choices at *cur. */
static bool pick(int *cur, int n, bool is_key, wint_t ch, bool *chosen)
{
	*chosen = false;
	if (is_key && ch == KEY_UP) {
		*cur = *cur > 0 ? *cur - 1 : n - 1;
	} else if (is_key && ch == KEY_DOWN) {
		*cur = *cur < n - 1 ? *cur + 1 : 0;
	} else if (!is_key && ch >= L'1' && ch < (wint_t)(L'1' + n)) {
		*cur = (int)(ch - L'1');
		*chosen = true;
	} else if ((is_key && ch == KEY_ENTER) || (!is_key && (ch == L'\r' || ch == L'\n'))) {
		*chosen = true;
	} else {
		return false;
	}
	return true;
}

static void details_key(tui_app *app, bool is_key, wint_t ch)
{
	tui_form *f = &app->form;
	bool enter = (is_key && ch == KEY_ENTER) || (!is_key && (ch == L'\r' || ch == L'\n'));

	if (is_key && ch == KEY_F(2)) {
		if (check(app)) {
			load_dups(app);
			f->step = FORM_CHECK;
		}
		return;
	}
	if (f->focus < FIELD_NEXT && tui_field_key(&f->fields[f->focus], is_key, ch)) {
		f->touched = true;
		return;
	}
	if ((!is_key && ch == L'\t') || (is_key && ch == KEY_DOWN) ||
	    (enter && f->focus < FIELD_NEXT)) {
		f->focus = (f->focus + 1) % FIELD__COUNT;
	} else if ((is_key && (ch == KEY_BTAB || ch == KEY_UP))) {
		f->focus = (f->focus + FIELD__COUNT - 1) % FIELD__COUNT;
	} else if (enter && f->focus == FIELD_NEXT) {
		if (check(app)) {
			load_dups(app);
			f->step = FORM_CHECK;
		}
	}
}

void tui_form_key(tui_app *app, bool is_key, wint_t ch)
{
	tui_form *f = &app->form;
	bool chosen;

	if (!is_key && ch == 27) { /* Esc: one step back, nothing cleared */
		if (f->step == FORM_CATEGORY)
			app->screen = TUI_MENU;
		else
			f->step--;
		return;
	}
	switch (f->step) {
	case FORM_CATEGORY:
		if (pick(&f->category, PROTO_CAT__COUNT, is_key, ch, &chosen) && chosen) {
			f->touched = true;
			f->step = FORM_COLOUR;
		}
		break;
	case FORM_COLOUR:
		if (pick(&f->colour, PROTO_COLOUR__COUNT, is_key, ch, &chosen) && chosen)
			f->step = FORM_DETAILS;
		break;
	case FORM_DETAILS:
		details_key(app, is_key, ch);
		break;
	default:
		if (pick(&f->choice, offered(f) + 1, is_key, ch, &chosen) && chosen) {
			if (f->choice == 0)
				save_new(app);
			else
				add_to(app, nth_offered(f, f->choice));
		}
		break;
	}
}
