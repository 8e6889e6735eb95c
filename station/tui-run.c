/* The full-screen client's start-up and loop: one screen at a time drawn
 * whole from tui_app after every key, every resize and every two seconds
 * (when the status line is read again from the store), the main menu, the
 * help page and the status line. Input is read as wide characters, so that
 * what the terminal's input method sends arrives as whole characters. */
#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "protocol/clock.h"
#include "station/tui.h"

#define REFRESH_MS 2000

/* ------------------------------------------------------------ status */

/* True when an agent has bound the station's socket (it unlinks it when it
 * stops; after a crash the file stays but nobody answers). */
static bool agent_running(const char *dir)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	bool up;
	int fd;

	if ((size_t)snprintf(sa.sun_path, sizeof sa.sun_path, "%s/%s", dir,
		    STATION_SOCK_NAME) >= sizeof sa.sun_path)
		return true; /* cannot tell: do not alarm the clerk */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return true;
	up = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	close(fd);
	return up;
}

static void read_status(tui_app *app)
{
	int64_t depth = station_store_depth(app->store);

	app->refreshed = proto_mono_ms();
	app->agent_running = agent_running(app->dir);
	if (station_store_link(app->store, &app->link))
		app->link.state = STATION_LINK_UNKNOWN;
	app->depth = depth;
	tui_lists_reload(app);
	/* The hub names the station in its items; the code until it has.
	 * Searched again only when the lists have changed since. */
	size_t rows = app->inbox.n + (size_t)app->mine.n;
	if (!app->named && rows != app->named_at) {
		app->named_at = rows;
		app->named = station_store_station_name(app->store,
			station_store_code(app->store), app->name, sizeof app->name);
	}
	if (!app->named)
		snprintf(app->name, sizeof app->name, "%s", station_store_code(app->store));
}

static void draw_status(const tui_app *app)
{
	char line[300], when[STATION_CLI_TIME];
	const char *link;

	if (!app->agent_running)
		link = T("本站程序未运行（上报照常保存）", "agent not running (saving works)");
	else if (app->link.state == STATION_LINK_UP)
		link = T("县里：已连通", "hub: up");
	else if (app->link.state == STATION_LINK_HUB_OFFLINE)
		link = T("县里：中心暂停，照常上报", "hub: offline, keep working");
	else if (app->link.state == STATION_LINK_DOWN)
		link = T("县里：已断开，照常上报", "hub: down, keep working");
	else
		link = T("县里：还没连上过", "hub: never reached");
	station_cli_time(app->link.contact, when);
	snprintf(line, sizeof line, T(" %s │ 待发送 %lld 条 │ 最近联系 %s",
		" %s | queued %lld | last contact %s"), link,
		(long long)(app->depth < 0 ? 0 : app->depth), app->link.contact ? when
		: T("无", "never"));
	attron(COLOR_PAIR(TUI_PAIR_BAR) | A_REVERSE);
	mvhline(LINES - 1, 0, ' ', COLS);
	tui_put(LINES - 1, 0, COLS, line);
	attroff(COLOR_PAIR(TUI_PAIR_BAR) | A_REVERSE);
}

/* ------------------------------------------------------------ menu, help */

static const char *menu_label(const tui_app *app, int i, char *buf, size_t n)
{
	switch (i) {
	case 0:
		return app->form.touched ? T("1  继续填写没保存的上报", "1  Continue the unsaved report")
					 : T("1  新建上报", "1  New report");
	case 1:
		snprintf(buf, n, T("2  我的上报（%d 条）", "2  My reports (%d)"), app->mine.n);
		return buf;
	case 2:
		snprintf(buf, n, T("3  待办事项（%d 条）", "3  Inbox (%d)"), (int)app->inbox.n);
		return buf;
	case 3:
		return T("4  使用说明", "4  Help");
	default:
		return T("q  退出", "q  Quit");
	}
}

#define MENU_ITEMS 5

static void draw_menu(tui_app *app)
{
	char buf[80];

	attron(A_BOLD);
	tui_put(2, 4, COLS - 5, T("请选择要做的事：", "What would you like to do?"));
	attroff(A_BOLD);
	for (int i = 0; i < MENU_ITEMS; i++) {
		if (i == app->menu)
			attron(A_REVERSE);
		mvaddstr(4 + 2 * i, 4, i == app->menu ? "> " : "  ");
		tui_put(4 + 2 * i, 6, 40, menu_label(app, i, buf, sizeof buf));
		if (i == app->menu)
			attroff(A_REVERSE);
	}
	tui_wrap(4 + 2 * MENU_ITEMS + 1, 4, COLS - 6, 2, 0,
		T("第一次使用？按 4 看使用说明，里面一步一步讲怎样上报。",
		  "First time? Press 4 for the help: it shows step by step how to file a report."));
}

static void open_menu_item(tui_app *app, int i)
{
	switch (i) {
	case 0: app->screen = TUI_FORM; break;
	case 1: app->screen = TUI_MINE; break;
	case 2: app->screen = TUI_INBOX; break;
	case 3: app->back = TUI_MENU; app->help_scroll = 0; app->screen = TUI_HELP; break;
	default: app->quit = true; break;
	}
}

static void menu_key(tui_app *app, bool is_key, wint_t ch)
{
	if (is_key && ch == KEY_UP)
		app->menu = (app->menu + MENU_ITEMS - 1) % MENU_ITEMS;
	else if (is_key && ch == KEY_DOWN)
		app->menu = (app->menu + 1) % MENU_ITEMS;
	else if ((is_key && ch == KEY_ENTER) || (!is_key && (ch == L'\r' || ch == L'\n')))
		open_menu_item(app, app->menu);
	else if (!is_key && ch >= L'1' && ch <= L'4')
		open_menu_item(app, app->menu = (int)(ch - L'1'));
	else if (!is_key && (ch == L'q' || ch == L'Q'))
		app->quit = true;
}

static void draw_help(tui_app *app)
{
	int rows = LINES - 4 - 1, total;

	total = tui_wrap(1, 2, COLS - 4, 0, 0, tui_help_text());
	if (app->help_scroll > total - rows)
		app->help_scroll = total - rows > 0 ? total - rows : 0;
	tui_wrap(1, 2, COLS - 4, rows, app->help_scroll, tui_help_text());
	if (app->help_scroll + rows < total) {
		attron(A_BOLD);
		tui_put(LINES - 4, COLS - 18, 16, T("↓ 下面还有", "more below ↓"));
		attroff(A_BOLD);
	}
}

static void help_key(tui_app *app, bool is_key, wint_t ch)
{
	if (is_key && ch == KEY_UP && app->help_scroll > 0)
		app->help_scroll--;
	else if (is_key && ch == KEY_DOWN)
		app->help_scroll++;
	else if (is_key && ch == KEY_NPAGE)
		app->help_scroll += LINES / 2;
	else if (is_key && ch == KEY_PPAGE)
		app->help_scroll = app->help_scroll > LINES / 2 ? app->help_scroll - LINES / 2 : 0;
	else if (!is_key && (ch == 27 || ch == L'q' || ch == L'\r' || ch == L'\n'))
		app->screen = app->back;
}

/* ------------------------------------------------------------ the loop */

/* True when typed text would be lost by quitting now. */
static bool unsaved(const tui_app *app)
{
	return app->form.touched || (app->prompt.open && !tui_field_blank(&app->prompt.note));
}

static const char *keys_line(const tui_app *app)
{
	if (app->confirm_quit)
		return T("y 退出（没保存的内容会丢失）   n 不退出，继续填写",
			 "y quit (unsaved text is lost)   n stay and continue");
	switch (app->screen) {
	case TUI_MENU:
		return T("↑↓ 选择  回车 打开  1-4 直接打开  F1/? 帮助  q 退出",
			 "Up/Down choose  Enter open  1-4 open  F1/? help  q quit");
	case TUI_FORM: return tui_form_keys(app);
	case TUI_MINE:
	case TUI_INBOX:
		return T("↑↓ 选择  回车 打开看详情和办理  Esc 返回  F1/? 帮助",
			 "Up/Down choose  Enter open (details, steps)  Esc back  F1/? help");
	case TUI_ITEM: return app->prompt.open ? tui_prompt_keys(app) : tui_item_keys(app);
	default:
		return T("↑↓ 翻看  PgUp/PgDn 翻页  Esc 关闭说明",
			 "Up/Down scroll  PgUp/PgDn page  Esc close the help");
	}
}

/* The key line in w columns: with single spaces between keys when the
 * double ones do not fit, so that its end (F1 帮助) stays on screen. */
static void put_keys(int y, int x, int w, const char *keys)
{
	char tight[512];
	size_t n = 0;

	if (tui_width(keys) <= w) {
		tui_put(y, x, w, keys);
		return;
	}
	for (const char *p = keys; *p && n + 1 < sizeof tight; p++)
		if (!(p[0] == ' ' && p[1] == ' '))
			tight[n++] = *p;
	tight[n] = '\0';
	tui_put(y, x, w, tight);
}

static void draw(tui_app *app)
{
	char head[4 * PROTO_PLACE_MAX + 160];

	erase();
	curs_set(0);
	if (LINES < 16 || COLS < 60) {
		tui_wrap(0, 0, COLS, LINES, 0, T("窗口太小，请放大到至少 80×24。已填的内容都还在。",
			"The window is too small: make it at least 80x24. Nothing typed is lost."));
		refresh();
		return;
	}
	snprintf(head, sizeof head, T(" 民情气象 · 村文书终端    站点 %s",
		" minqing · village clerk's terminal    station %s"), app->name);
	attron(COLOR_PAIR(TUI_PAIR_BAR) | A_REVERSE | A_BOLD);
	mvhline(0, 0, ' ', COLS);
	tui_put(0, 0, COLS, head);
	attroff(COLOR_PAIR(TUI_PAIR_BAR) | A_REVERSE | A_BOLD);
	draw_status(app);
	attron(A_DIM);
	mvhline(LINES - 2, 0, ' ', COLS);
	put_keys(LINES - 2, 1, COLS - 2, keys_line(app));
	attroff(A_DIM);
	if (app->message[0]) {
		int attr = COLOR_PAIR(app->message_error ? TUI_PAIR_ERROR : TUI_PAIR_OK) | A_BOLD;
		attron(attr);
		tui_wrap(LINES - 3, 1, COLS - 2, 1, 0, app->message);
		attroff(attr);
	}
	/* The screen last: a form leaves the cursor in its field. */
	switch (app->screen) {
	case TUI_MENU: draw_menu(app); break;
	case TUI_FORM: tui_form_draw(app); break;
	case TUI_MINE: tui_mine_draw(app); break;
	case TUI_INBOX: tui_inbox_draw(app); break;
	case TUI_ITEM: tui_item_draw(app); tui_prompt_draw(app); break;
	default: draw_help(app); break;
	}
	refresh();
}

/* True when the key is text the current screen takes (so '?' is typed,
 * not help). */
static bool typing(const tui_app *app)
{
	return (app->screen == TUI_FORM && app->form.step == FORM_DETAILS) ||
	       (app->screen == TUI_ITEM && app->prompt.open);
}

static void key(tui_app *app, bool is_key, wint_t ch)
{
	if (app->confirm_quit) {
		if (!is_key && (ch == L'y' || ch == L'Y'))
			app->quit = true;
		else if (!is_key)
			app->confirm_quit = false;
		return;
	}
	app->message[0] = '\0';
	if (!is_key && ch == 3) { /* Ctrl-C: quit, but ask first if text would be lost */
		app->quit = true;
		return;
	}
	if ((is_key && ch == KEY_F(1)) || (!is_key && ch == L'?' && !typing(app))) {
		if (app->screen != TUI_HELP) {
			app->back = app->screen;
			app->help_scroll = 0;
			app->screen = TUI_HELP;
		}
		return;
	}
	switch (app->screen) {
	case TUI_MENU: menu_key(app, is_key, ch); break;
	case TUI_FORM: tui_form_key(app, is_key, ch); break;
	case TUI_MINE: tui_mine_key(app, is_key, ch); break;
	case TUI_INBOX: tui_inbox_key(app, is_key, ch); break;
	case TUI_ITEM: tui_item_key(app, is_key, ch); break;
	default: help_key(app, is_key, ch); break;
	}
}

static void colours(void)
{
	if (!has_colors() || start_color() == ERR)
		return;
	use_default_colors();
	init_pair(TUI_PAIR_BLUE, COLOR_BLUE, -1);
	init_pair(TUI_PAIR_ORANGE, COLOR_YELLOW, -1);
	init_pair(TUI_PAIR_RED, COLOR_RED, -1);
	init_pair(TUI_PAIR_BAR, COLOR_CYAN, -1);
	init_pair(TUI_PAIR_ERROR, COLOR_RED, -1);
	init_pair(TUI_PAIR_OK, COLOR_GREEN, -1);
}

int station_tui_run(station_store *store, const char *dir)
{
	tui_app app = {.store = store, .dir = dir, .screen = TUI_MENU, .named_at = SIZE_MAX};
	SCREEN *screen;
	wint_t ch;
	int got;

	setlocale(LC_ALL, "");
	if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0) {
		fprintf(stderr, "%s\n", T("终端不是 UTF-8：请设置 LANG=zh_CN.UTF-8（或 C.UTF-8）后再运行 minqing",
			"the terminal is not UTF-8: set LANG=C.UTF-8 (or another UTF-8 locale) and run minqing again"));
		return STATION_CLI_USAGE;
	}
	if (!isatty(STDIN_FILENO) || !(screen = newterm(NULL, stdout, stdin))) {
		fprintf(stderr, "%s\n", T("minqing 不带命令时是全屏界面，需要在终端里运行（命令见 minqing --help）",
			"minqing without a command is a full-screen program: run it in a terminal "
			"(commands: minqing --help)"));
		return STATION_CLI_USAGE;
	}
	set_term(screen);
	raw(); /* Ctrl-C and Ctrl-Z are keys here: nothing typed is lost to them */
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	set_escdelay(50);
	timeout(REFRESH_MS / 4);
	colours();
	tui_form_init(&app.form);
	read_status(&app);
	while (!app.quit) {
		draw(&app);
		got = get_wch(&ch);
		if (got == ERR) {
			if (proto_mono_ms() - app.refreshed >= REFRESH_MS)
				read_status(&app);
			continue;
		}
		if (got == KEY_CODE_YES && ch == KEY_RESIZE)
			continue; /* the next draw uses the new size */
		key(&app, got == KEY_CODE_YES, ch);
		if (app.quit && unsaved(&app) && !app.confirm_quit) {
			app.quit = false;
			app.confirm_quit = true;
		}
		if (proto_mono_ms() - app.refreshed >= REFRESH_MS)
			read_status(&app);
	}
	endwin();
	delscreen(screen);
	tui_form_free(&app.form);
	tui_lists_free(&app);
	return STATION_CLI_OK;
}
