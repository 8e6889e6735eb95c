/* A text field of wide characters for the clerk's screens: insert and
 * delete whole characters (a backspace takes one Chinese character, not one
 * byte of it), move by character and by screen row, wrap to the field's
 * width counting a CJK character as two columns. The text lives here, not
 * in the window, so a resize only draws it again. */
#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "station/tui.h"

void tui_field_init(tui_field *f, size_t max, bool multiline)
{
	memset(f, 0, sizeof *f);
	f->max = max;
	f->multiline = multiline;
}

void tui_field_free(tui_field *f)
{
	free(f->buf);
	f->buf = NULL;
	f->len = f->cap = f->cur = 0;
}

void tui_field_clear(tui_field *f)
{
	f->len = f->cur = 0;
	f->top = 0;
	if (f->buf)
		f->buf[0] = L'\0';
}

static bool reserve(tui_field *f, size_t n)
{
	wchar_t *grown;
	size_t cap;

	if (n <= f->cap && f->buf)
		return true;
	cap = f->cap ? f->cap : 32;
	while (cap < n)
		cap *= 2;
	grown = realloc(f->buf, (cap + 1) * sizeof *grown);
	if (!grown)
		return false;
	f->buf = grown;
	f->cap = cap;
	return true;
}

static bool insert(tui_field *f, wchar_t c)
{
	if (f->len >= f->max || !reserve(f, f->len + 1))
		return false;
	memmove(&f->buf[f->cur + 1], &f->buf[f->cur], (f->len - f->cur) * sizeof c);
	f->buf[f->cur++] = c;
	f->buf[++f->len] = L'\0';
	return true;
}

static void erase_at(tui_field *f, size_t i)
{
	memmove(&f->buf[i], &f->buf[i + 1], (f->len - i) * sizeof *f->buf);
	f->len--;
}

bool tui_field_set(tui_field *f, const char *utf8)
{
	mbstate_t ps = {0};
	const char *p = utf8;
	wchar_t c;
	size_t n;

	tui_field_clear(f);
	while (*p && (n = mbrtowc(&c, p, strlen(p), &ps)) != 0 && n < (size_t)-2) {
		if (!insert(f, c))
			return false;
		p += n;
	}
	return reserve(f, 0);
}

static int char_width(wchar_t c)
{
	int w = wcwidth(c);

	return w < 0 ? 1 : w;
}

/* The screen row and column of every character position 0..len for width
 * w: row[i], col[i] for the cell where character i starts (i == len: the
 * cursor after the text). Returns the number of rows. */
static int layout(const tui_field *f, int w, int *row, int *col)
{
	int r = 0, c = 0;

	for (size_t i = 0; i <= f->len; i++) {
		int cw = i < f->len ? char_width(f->buf[i]) : 1;
		if (i < f->len && f->buf[i] == L'\n') {
			row[i] = r;
			col[i] = c;
			r++;
			c = 0;
			continue;
		}
		if (c + cw > w && c > 0) {
			r++;
			c = 0;
		}
		row[i] = r;
		col[i] = c;
		c += cw;
	}
	return r + 1;
}

/* Moves the cursor one screen row up (dir -1) or down (1) in width w,
 * keeping the column as near as it can; false when there is no such row. */
static bool move_row(tui_field *f, int w, int dir)
{
	int *row = malloc((f->len + 1) * sizeof *row);
	int *col = malloc((f->len + 1) * sizeof *col);
	bool moved = false;

	if (row && col) {
		int rows = layout(f, w, row, col);
		int want = row[f->cur] + dir, best = -1;
		if (want >= 0 && want < rows) {
			for (size_t i = 0; i <= f->len; i++)
				if (row[i] == want && col[i] <= col[f->cur])
					best = (int)i;
			if (best < 0)
				for (size_t i = 0; i <= f->len && best < 0; i++)
					if (row[i] == want)
						best = (int)i;
			if (best >= 0) {
				f->cur = (size_t)best;
				moved = true;
			}
		}
	}
	free(row);
	free(col);
	return moved;
}

bool tui_field_key(tui_field *f, bool is_key, wint_t ch)
{
	if (!reserve(f, 0))
		return false;
	if (is_key) {
		switch (ch) {
		case KEY_LEFT: if (f->cur > 0) f->cur--; return true;
		case KEY_RIGHT: if (f->cur < f->len) f->cur++; return true;
		case KEY_HOME: while (f->cur > 0 && f->buf[f->cur - 1] != L'\n') f->cur--;
			return true;
		case KEY_END: while (f->cur < f->len && f->buf[f->cur] != L'\n') f->cur++;
			return true;
		case KEY_BACKSPACE:
			if (f->cur > 0)
				erase_at(f, --f->cur);
			return true;
		case KEY_DC:
			if (f->cur < f->len)
				erase_at(f, f->cur);
			return true;
		case KEY_UP: return f->multiline && move_row(f, f->width > 1 ? f->width : 40, -1);
		case KEY_DOWN: return f->multiline && move_row(f, f->width > 1 ? f->width : 40, 1);
		case KEY_ENTER: goto enter;
		default: return false;
		}
	}
	if (ch == 127 || ch == 8) { /* DEL or ^H from terminals without kbs */
		if (f->cur > 0)
			erase_at(f, --f->cur);
		return true;
	}
	if (ch == L'\r' || ch == L'\n')
		goto enter;
	if (ch == L'\t' || ch < 0x20 || (ch >= 0x7f && ch < 0xa0))
		return false;
	if (!insert(f, (wchar_t)ch))
		beep();
	return true;
enter:
	if (!f->multiline)
		return false;
	if (!insert(f, L'\n'))
		beep();
	return true;
}

void tui_field_draw(tui_field *f, int y, int x, int h, int w, bool focus)
{
	int *row, *col, rows;

	if (w < 2 || h < 1)
		return;
	f->width = w;
	for (int r = 0; r < h; r++) {
		move(y + r, x);
		attron(A_UNDERLINE);
		for (int c = 0; c < w; c++)
			addch(' ');
		attroff(A_UNDERLINE);
	}
	if (!reserve(f, 0))
		return;
	row = malloc((f->len + 1) * sizeof *row);
	col = malloc((f->len + 1) * sizeof *col);
	if (!row || !col)
		goto done;
	rows = layout(f, w, row, col);
	/* Keep the cursor's row in view. */
	if (row[f->cur] < f->top)
		f->top = row[f->cur];
	if (row[f->cur] >= f->top + h)
		f->top = row[f->cur] - h + 1;
	if (f->top > rows - 1)
		f->top = rows > h ? rows - h : 0;
	attron(A_UNDERLINE);
	for (size_t i = 0; i < f->len; i++) {
		wchar_t c = f->buf[i];
		if (c == L'\n' || row[i] < f->top || row[i] >= f->top + h)
			continue;
		mvaddnwstr(y + row[i] - f->top, x + col[i], &c, 1);
	}
	attroff(A_UNDERLINE);
	if (f->top > 0)
		mvaddstr(y, x + w, "^");
	if (rows > f->top + h)
		mvaddstr(y + h - 1, x + w, "v");
	if (focus)
		move(y + row[f->cur] - f->top, x + col[f->cur]);
done:
	free(row);
	free(col);
}

char *tui_field_text(const tui_field *f)
{
	size_t a = 0, b = f->len, n, out = 0;
	char *s;

	while (a < b && iswspace((wint_t)f->buf[a]))
		a++;
	while (b > a && iswspace((wint_t)f->buf[b - 1]))
		b--;
	n = (b - a) * MB_CUR_MAX + 1;
	s = malloc(n);
	if (!s)
		return NULL;
	mbstate_t ps = {0};
	for (size_t i = a; i < b; i++) {
		size_t k = wcrtomb(s + out, f->buf[i], &ps);
		if (k != (size_t)-1)
			out += k;
	}
	s[out] = '\0';
	return s;
}

bool tui_field_blank(const tui_field *f)
{
	for (size_t i = 0; i < f->len; i++)
		if (!iswspace((wint_t)f->buf[i]))
			return false;
	return true;
}
