/* The prompt of a workflow step on the item screen: asks, one at a time,
 * for what the step needs (a note, a member, a new deadline, a rating),
 * keeps what was typed when cancelled, and queues the step through the
 * same function the `minqing sign|assign|...` commands use. A rating on a
 * resolved item asks for the return visit first and queues both. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/clock.h"
#include "station/tui.h"

static bool enter_key(bool is_key, wint_t ch)
{
	return (is_key && ch == KEY_ENTER) || (!is_key && (ch == L'\r' || ch == L'\n'));
}

void tui_prompt_free(tui_prompt *p)
{
	tui_field_free(&p->note);
	tui_field_free(&p->member);
	tui_field_free(&p->until);
	tui_field_free(&p->into);
	station_cli_team_free(&p->team);
}

/* Whether the member step is a pick from the team's list. */
static bool picking(const tui_prompt *p)
{
	return p->n_needs && p->needs[p->at] == STATION_CLI_NEED_MEMBER && p->team.n > 0;
}

void tui_prompt_open(tui_app *app, proto_step step, bool verify_first)
{
	tui_prompt *p = &app->prompt;
	int needs = station_cli_step_needs(step);

	/* The same step on the same item again: keep what was typed. */
	if (!p->note.buf || strcmp(p->item, app->item) != 0 || p->step != step ||
	    p->verify_first != verify_first) {
		tui_prompt_free(p);
		tui_field_init(&p->note, PROTO_NOTE_MAX, false);
		tui_field_init(&p->member, PROTO_MEMBER_ID_MAX, false);
		tui_field_init(&p->until, 32, false);
		tui_field_init(&p->into, PROTO_ITEM_ID_MAX - 1, false);
		char when[STATION_CLI_TIME];
		station_cli_time(proto_now_ms() + 3 * 86400000LL, when);
		tui_field_set(&p->until, when);
		p->rating = PROTO_RATING_SATISFIED;
	}
	snprintf(p->item, sizeof p->item, "%s", app->item);
	p->step = step;
	p->verify_first = verify_first;
	p->n_needs = p->at = 0;
	if (verify_first || (needs & STATION_CLI_NEED_NOTE))
		p->needs[p->n_needs++] = STATION_CLI_NEED_NOTE;
	if (needs & STATION_CLI_NEED_MEMBER) {
		p->needs[p->n_needs++] = STATION_CLI_NEED_MEMBER;
		/* Read again at each opening: the hub may have sent changes. */
		station_cli_team_free(&p->team);
		if (!station_cli_team_read(app->store, &p->team))
			memset(&p->team, 0, sizeof p->team);
		if (p->pick >= p->team.n)
			p->pick = p->pick_top = 0;
	}
	if (needs & STATION_CLI_NEED_UNTIL)
		p->needs[p->n_needs++] = STATION_CLI_NEED_UNTIL;
	if (needs & STATION_CLI_NEED_INTO)
		p->needs[p->n_needs++] = STATION_CLI_NEED_INTO;
	if (needs & STATION_CLI_NEED_RATING)
		p->needs[p->n_needs++] = STATION_CLI_NEED_RATING;
	p->open = true;
}

static const char *note_label(const tui_prompt *p)
{
	if (p->verify_first)
		return T("回访情况（去看过群众后写）", "Return visit: what you found");
	switch (p->step) {
	case PROTO_STEP_RESOLVE: return T("办理结果（怎么解决的）", "Result: how it was resolved");
	case PROTO_STEP_RETURN: return T("退单原因", "Why it is returned");
	case PROTO_STEP_EXTEND: return T("延期原因", "Why more time is needed");
	case PROTO_STEP_VERIFY: return T("回访情况（去看过群众后写）", "Return visit: what you found");
	case PROTO_STEP_REOPEN: return T("重办原因", "Why it must be done again");
	case PROTO_STEP_WITHDRAW: return T("撤回原因", "Why it is withdrawn");
	default: return T("备注", "Comment");
	}
}

/* Submits the prompt: one step, or the visit and then the rating. */
static void prompt_submit(tui_app *app)
{
	tui_prompt *p = &app->prompt;
	char *note = tui_field_text(&p->note), *member = tui_field_text(&p->member);
	char *until = tui_field_text(&p->until), *into = tui_field_text(&p->into);
	const char *rating = proto_rating_name((proto_rating)p->rating);
	char msg[512] = "";
	int rc = STATION_CLI_FAIL;
	int needs = station_cli_step_needs(p->step);

	if (!note || !member || !until || !into)
		goto done;
	if (p->verify_first) {
		rc = station_cli_request_step(app->store, app->dir, &(station_cli_request){
			.step = PROTO_STEP_VERIFY, .item = p->item, .note = note},
			msg, sizeof msg, NULL);
		if (rc)
			goto done;
		p->verify_first = false; /* queued: a retry only rates */
	}
	rc = station_cli_request_step(app->store, app->dir, &(station_cli_request){
		.step = p->step, .item = p->item,
		.note = (needs & STATION_CLI_NEED_NOTE) ? note : NULL,
		.member = (needs & STATION_CLI_NEED_MEMBER) ? member : NULL,
		.until_text = (needs & STATION_CLI_NEED_UNTIL) ? until : NULL,
		.into = (needs & STATION_CLI_NEED_INTO) ? into : NULL,
		.rating_text = (needs & STATION_CLI_NEED_RATING) ? rating : NULL},
		msg, sizeof msg, NULL);
done:
	free(note);
	free(member);
	free(until);
	free(into);
	if (rc) {
		tui_say(app, true, "%s", msg[0] ? msg : T("未保存：无法写入本站数据",
			"not saved: cannot write the station's data"));
		return;
	}
	tui_say(app, false, "%s", msg);
	p->open = false;
	tui_prompt_free(p);
	app->refreshed = 0; /* read the store again: status line and lists */
}

static tui_field *prompt_field(tui_prompt *p)
{
	switch (p->needs[p->at]) {
	case STATION_CLI_NEED_NOTE: return &p->note;
	case STATION_CLI_NEED_MEMBER: return &p->member;
	case STATION_CLI_NEED_UNTIL: return &p->until;
	case STATION_CLI_NEED_INTO: return &p->into;
	default: return NULL;
	}
}

static void prompt_draw(tui_app *app)
{
	tui_prompt *p = &app->prompt;
	int y = LINES - 11 > 2 ? LINES - 11 : 2, w = COLS - 4;
	tui_field *f = p->n_needs ? prompt_field(p) : NULL;
	char line[200];

	for (int r = y; r < LINES - 3; r++) {
		move(r, 0);
		clrtoeol();
	}
	mvhline(y, 0, ACS_HLINE, COLS);
	snprintf(line, sizeof line, " %s%s %s ", p->verify_first ? T("回访并评价", "Visit and rate")
		: tui_step_label(p->step), "", p->item);
	attron(A_BOLD);
	tui_put(y, 2, COLS - 4, line);
	attroff(A_BOLD);
	y += 2;
	if (!p->n_needs) {
		tui_put(y, 2, w, T("确定吗？回车确定，Esc 取消。", "Sure? Enter to confirm, Esc to cancel."));
		return;
	}
	switch (p->needs[p->at]) {
	case STATION_CLI_NEED_MEMBER: {
		if (!p->team.n) {
			tui_put(y, 2, w, T("本站还没有收到服务队名单，请输入队员编号（例如 m-1）：",
				"No service-team list at this station yet: the member's id (like m-1):"));
			break;
		}
		int rows = LINES - 4 - (y + 1);
		if (rows < 1)
			rows = 1;
		if (p->pick < p->pick_top)
			p->pick_top = p->pick;
		if (p->pick >= p->pick_top + rows)
			p->pick_top = p->pick - rows + 1;
		snprintf(line, sizeof line, T("交办给哪位服务队员（共 %d 位）：",
			"Assign to which member (%d in all):"), p->team.n);
		tui_put(y, 2, w, line);
		for (int i = p->pick_top; i < p->team.n && i < p->pick_top + rows; i++) {
			char label[256];
			station_cli_member_label(&p->team, i, label, sizeof label);
			snprintf(line, sizeof line, "%s%s", i == p->pick ? "> " : "  ", label);
			if (i == p->pick)
				attron(A_REVERSE);
			tui_put(y + 1 + i - p->pick_top, 4, w - 2, line);
			if (i == p->pick)
				attroff(A_REVERSE);
		}
		return;
	}
	case STATION_CLI_NEED_UNTIL:
		tui_put(y, 2, w, T("新的期限（写成 2026-11-25 10:00）：", "New deadline (like 2026-11-25 10:00):"));
		break;
	case STATION_CLI_NEED_INTO:
		tui_put(y, 2, w, T("合并到哪条民情（编号）：", "Merge into item (id):"));
		break;
	case STATION_CLI_NEED_RATING:
		tui_put(y, 2, w, T("群众的评价（不满意会退回重办）：", "The resident's rating (unsatisfied reopens it):"));
		for (int i = 0; i < PROTO_RATING__COUNT; i++) {
			snprintf(line, sizeof line, "%s%d. %s", i == p->rating ? "> " : "  ", i + 1,
				station_cli_english ? proto_rating_name((proto_rating)i)
						    : proto_rating_name_zh((proto_rating)i));
			if (i == p->rating)
				attron(A_REVERSE);
			tui_put(y + 1 + i, 4, w - 2, line);
			if (i == p->rating)
				attroff(A_REVERSE);
		}
		return;
	default:
		tui_put(y, 2, w, note_label(p));
		break;
	}
	if (f) {
		tui_field_draw(f, y + 1, 2, 1, w, true);
		curs_set(1);
	}
}

void tui_prompt_key(tui_app *app, bool is_key, wint_t ch)
{
	tui_prompt *p = &app->prompt;
	tui_field *f = p->n_needs ? prompt_field(p) : NULL;

	if (!is_key && ch == 27) {
		/* Cancelled: the fields are kept for the next try on this item. */
		if (p->at > 0)
			p->at--;
		else
			p->open = false;
		return;
	}
	if (p->n_needs && p->needs[p->at] == STATION_CLI_NEED_RATING) {
		if (is_key && ch == KEY_UP && p->rating > 0)
			p->rating--;
		else if (is_key && ch == KEY_DOWN && p->rating < PROTO_RATING__COUNT - 1)
			p->rating++;
		else if (!is_key && ch >= L'1' && ch <= L'3')
			p->rating = (int)(ch - L'1');
		else if (!enter_key(is_key, ch))
			return;
		if (!enter_key(is_key, ch))
			return;
	} else if (picking(p)) {
		if (is_key && ch == KEY_UP && p->pick > 0)
			p->pick--;
		else if (is_key && ch == KEY_DOWN && p->pick < p->team.n - 1)
			p->pick++;
		else if (is_key && ch == KEY_HOME)
			p->pick = 0;
		else if (is_key && ch == KEY_END)
			p->pick = p->team.n - 1;
		if (!enter_key(is_key, ch))
			return;
		/* Picked: the step carries the member's id. */
		tui_field_set(&p->member, p->team.m[p->pick].id);
	} else if (f && !enter_key(is_key, ch)) {
		tui_field_key(f, is_key, ch);
		return;
	} else if (!enter_key(is_key, ch)) {
		return;
	}
	if (f && tui_field_blank(f)) {
		tui_say(app, true, "%s", T("这一项要填写，不能空着。", "This one must be filled in."));
		return;
	}
	if (p->at + 1 < p->n_needs) {
		p->at++;
		return;
	}
	prompt_submit(app);
}

void tui_prompt_draw(tui_app *app)
{
	if (app->prompt.open)
		prompt_draw(app);
}

const char *tui_prompt_keys(const tui_app *app)
{
	const tui_prompt *p = &app->prompt;

	if (p->n_needs && p->needs[p->at] == STATION_CLI_NEED_RATING)
		return T("↑↓ 或 1-3 选择  回车 保存  Esc 上一步", "Up/Down or 1-3 choose  Enter save  "
			"Esc back");
	if (picking(p))
		return T("↑↓ 选择队员  回车 保存  Esc 取消", "Up/Down choose  Enter save  Esc cancel");
	return p->at + 1 < p->n_needs
		? T("回车 下一项  Esc 取消（已填的保留）  F1 帮助", "Enter next  Esc cancel (kept)  F1 help")
		: T("回车 保存  Esc 取消（已填的保留）  F1 帮助", "Enter save  Esc cancel (kept)  F1 help");
}
