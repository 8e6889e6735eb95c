/* The full-screen client's drawing kit, which every screen draws with: a
 * line put in the window cut to its width in columns, text wrapped by
 * columns, the colour of an item, the message line and the body's height.
 * The screens are tui-form.c, tui-list.c and tui-prompt.c; tui-run.c runs
 * them. */
#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "station/tui.h"

/* ------------------------------------------------------------ drawing */

int tui_put(int y, int x, int w, const char *utf8)
{
	mbstate_t ps = {0};
	const char *p = utf8;
	int used = 0;
	bool cut;
	wchar_t c;
	size_t n;

	if (!utf8 || w <= 0 || y < 0 || y >= LINES)
		return 0;
	if (w > COLS - x)
		w = COLS - x;
	/* Text that does not fit ends in "…", so that a cut shows as one. */
	cut = tui_width(utf8) > w;
	if (cut)
		w--;
	while (*p && (n = mbrtowc(&c, p, strlen(p), &ps)) != 0) {
		if (n >= (size_t)-2) { /* not text: skip a byte, show a mark */
			memset(&ps, 0, sizeof ps);
			c = L'?';
			n = 1;
		}
		p += n;
		int cw = c == L'\n' || c == L'\t' ? 1 : wcwidth(c);
		if (cw < 0)
			continue;
		if (used + cw > w || x + used + cw > COLS)
			break;
		if (c == L'\n' || c == L'\t')
			c = L' ';
		mvaddnwstr(y, x + used, &c, 1);
		used += cw;
	}
	if (cut && w >= 0) {
		mvaddnwstr(y, x + used, L"…", 1);
		used++;
	}
	return used;
}

int tui_width(const char *utf8)
{
	mbstate_t ps = {0};
	int w = 0;
	wchar_t c;
	size_t n;

	while (*utf8 && (n = mbrtowc(&c, utf8, strlen(utf8), &ps)) != 0 && n < (size_t)-2) {
		int cw = wcwidth(c);
		w += cw > 0 ? cw : 0;
		utf8 += n;
	}
	return w;
}

static bool closing(wchar_t c)
{
	return c && wcschr(L"，。、；：？！）》」』”’…", c) != NULL;
}

static bool word_byte(char b)
{
	return b > ' ' && b < 0x7f;
}

int tui_wrap(int y, int x, int w, int h, int skip, const char *utf8)
{
	mbstate_t ps = {0};
	const char *p = utf8;
	int row = 0, col = 0;
	bool in_word = false;
	wchar_t c;
	size_t n;

	if (w < 2)
		return 1;
	while (*p && (n = mbrtowc(&c, p, strlen(p), &ps)) != 0) {
		if (n >= (size_t)-2) {
			memset(&ps, 0, sizeof ps);
			c = L'?';
			n = 1;
		}
		/* A word that does not fit on what is left of the line, but
		 * would on a line of its own, starts the next line ("2026-1" /
		 * "2-08" read as two numbers). */
		if (word_byte(*p) && !in_word) {
			int len = 0;
			while (word_byte(p[len]))
				len++;
			if (col > 0 && col + len > w && len <= w) {
				row++;
				col = 0;
			}
		}
		in_word = word_byte(*p);
		p += n;
		if (c == L'\n') {
			row++;
			col = 0;
			continue;
		}
		int cw = wcwidth(c);
		if (cw < 0)
			continue;
		/* A space at the end of a line is the break itself. */
		if (c == L' ' && col + cw > w) {
			row++;
			col = 0;
			continue;
		}
		/* Chinese typesetting: a closing mark never starts a line; it
		 * hangs in the margin when there is one. */
		if (col + cw > w && !(closing(c) && (h == 0 || x + col + cw <= COLS))) {
			row++;
			col = 0;
		}
		if (row >= skip && row - skip < h)
			mvaddnwstr(y + row - skip, x + col, &c, 1);
		col += cw;
	}
	return row + 1;
}

int tui_colour_attr(int colour)
{
	if (!has_colors() || colour < 0 || colour >= PROTO_COLOUR__COUNT)
		return 0;
	return COLOR_PAIR(TUI_PAIR_BLUE + colour);
}

void tui_say(tui_app *app, bool error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(app->message, sizeof app->message, fmt, ap);
	va_end(ap);
	app->message_error = error;
}

int tui_body_rows(void)
{
	return LINES - 4;
}
