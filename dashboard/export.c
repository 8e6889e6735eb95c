/* The ledger (台账) for download: one row per item of the scope received in
 * the period, as CSV (RFC 4180, UTF-8 with a BOM so that Excel reads the
 * Chinese right) or as an .xlsx workbook (libxlsxwriter, through a private
 * temporary file: this version cannot write to memory). Names and phones
 * follow the privacy rule row by row. Runs on the request's read
 * connection: a long export holds a WAL snapshot, never the writer. */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <xlsxwriter.h>

#include "dashboard/dash-int.h"
#include "hub/clock.h"
#include "hub/figures.h"
#include "protocol/db.h"
#include "protocol/log.h"
#include "protocol/workflow.h"

/* The ledger's columns, in order. 上报时间 is when the station filed the
 * report, 送达时间 when the hub received it (the item page's words); they
 * differ for a report filed offline. The period filters by 送达时间. */
enum { C_ID, C_CREATED, C_RECEIVED, C_TOWN, C_VILLAGE, C_GROUP, C_CATEGORY,
	C_COLOUR_REPORTED, C_COLOUR, C_TITLE, C_TEXT, C_PEOPLE, C_HANDLER, C_MEMBER,
	C_SIGNED, C_RESOLVED, C_SIGN_BY, C_RESOLVE_BY, C_OVERDUE, C_ESCALATIONS,
	C_EXTENSIONS, C_RESULT, C_VISIT, C_RATING, C_STATE, LEDGER_COLS };

/* Columns as a county clerk keeps the ledger by hand. */
static const char *const head_zh[LEDGER_COLS] = {"编号", "上报时间", "送达时间", "镇", "村",
	"组", "服务事项", "上报等级", "当前等级", "标题", "内容", "涉及人数", "办理站点",
	"交办队员", "签收时间", "办结时间", "签收时限", "办结时限", "是否超期", "升级次数", "延期",
	"办理结果", "回访情况", "群众评价", "状态"};
static const char *const head_en[LEDGER_COLS] = {"id", "filed", "reached the hub", "town",
	"village", "group", "service item", "reported colour", "current colour", "title",
	"content", "people", "handled by", "member", "signed", "resolved", "sign by",
	"resolve by", "overdue", "escalations", "extensions", "result", "return visit",
	"rating", "state"};

static bool col_date(int c)
{
	return c == C_CREATED || c == C_RECEIVED || (c >= C_SIGNED && c <= C_RESOLVE_BY);
}

static bool col_number(int c)
{
	return c == C_PEOPLE || c == C_ESCALATIONS || c == C_EXTENSIONS;
}

typedef struct out {
	char *buf;
	size_t len, cap;
	bool failed;
} out;

static void put(out *o, const char *s, size_t n)
{
	if (o->failed)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 65536;
		while (cap < o->len + n + 1)
			cap *= 2;
		char *p = realloc(o->buf, cap);
		if (!p) {
			o->failed = true;
			return;
		}
		o->buf = p, o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

/* One CSV field: quoted when it must be; a leading = + - @ (and tab or CR,
 * which some spreadsheets skip before reading a formula) is defused with an
 * apostrophe so that a spreadsheet never runs a resident's text as a
 * formula. */
static void csv_field(out *o, const char *s, bool last)
{
	bool quote = strpbrk(s, ",\"\r\n") != NULL;

	if (quote)
		put(o, "\"", 1);
	if (s[0] && strchr("=+-@\t\r", s[0]))
		put(o, "'", 1);
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			put(o, "\"", 1);
		put(o, p, 1);
	}
	if (quote)
		put(o, "\"", 1);
	put(o, last ? "\r\n" : ",", last ? 2 : 1);
}

/* Local time (the process's zone: the county's) of a hub-time ms. */
static void local_tm(int64_t ms, struct tm *tm)
{
	time_t t = (time_t)(ms / 1000);
	localtime_r(&t, tm);
}

static void fmt_ms(int64_t ms, bool day, char out_[32])
{
	struct tm tm;

	local_tm(ms, &tm);
	if (day)
		strftime(out_, 32, "%Y-%m-%d", &tm);
	else
		strftime(out_, 32, "%Y-%m-%d %H:%M", &tm);
}

/* Display width as a spreadsheet's column needs it: a CJK character (3 or
 * 4 UTF-8 bytes) is about two Latin ones. */
static int text_width(const char *s)
{
	int w = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x80)
			w += 1;
		else if (*p >= 0xE0)
			w += 2;
		else if (*p >= 0xC0)
			w += 1;
	}
	return w;
}

/* A string cell that no spreadsheet reads as a formula: worksheet_write_
 * string always writes a shared string (t="s"), never <f>, whatever the
 * text begins with. */
static lxw_error xlsx_text(lxw_worksheet *ws, int row, int col, const char *s, int *width)
{
	int w = text_width(s);

	if (width && w > *width)
		*width = w;
	return worksheet_write_string(ws, (lxw_row_t)row, (lxw_col_t)col, s, NULL);
}

static lxw_error xlsx_date(lxw_worksheet *ws, int row, int col, int64_t ms, lxw_format *f)
{
	struct tm tm;
	lxw_datetime dt;

	local_tm(ms, &tm);
	dt = (lxw_datetime){tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		tm.tm_min, tm.tm_sec};
	return worksheet_write_datetime(ws, (lxw_row_t)row, (lxw_col_t)col, &dt, f);
}

/* The "是否超期" of an item: resolved after its limit, or open and past its
 * limit now (an item keeps its deadline once past it). "" when it was
 * withdrawn or merged unresolved. */
static int overdue(proto_state state, sqlite3_stmt *st, int64_t now)
{
	bool resolved = sqlite3_column_type(st, C_RESOLVED) != SQLITE_NULL;
	int64_t sign_by = sqlite3_column_int64(st, C_SIGN_BY);
	int64_t resolve_by = sqlite3_column_int64(st, C_RESOLVE_BY);
	int64_t resolved_at = sqlite3_column_int64(st, C_RESOLVED);

	if (proto_state_open(state))
		return now > (state == PROTO_STATE_REPORTED ? sign_by : resolve_by) ||
		       (resolved && resolved_at > resolve_by);
	if (resolved)
		return resolved_at > resolve_by;
	return -1;
}

/* The filters of the request; false with a 400 naming the one at fault. */
typedef struct ledger_filter {
	int64_t from, to;
	const char *state, *colour, *category; /* wire names or NULL */
	bool open;                             /* state=open: the three open states */
} ledger_filter;

static bool parse_ms(const char *s, int64_t *v)
{
	char *end;

	if (!s || !*s)
		return true;
	errno = 0;
	*v = strtoll(s, &end, 10);
	return errno == 0 && *end == '\0' && *v >= 0;
}

/* "open" names the three open states; every other value a state's name. */
static int parse_state_or_open(const char *s)
{
	return strcmp(s, "open") == 0 ? 0 : proto_state_parse(s);
}

/* The filters that take a wire name: each parsed or refused with its own code. */
typedef struct word_filter {
	const char *name, *code, *words;
	int (*parse)(const char *);
	size_t field; /* offset of its (const char *) in ledger_filter */
} word_filter;

static const word_filter word_filters[] = {
	{"state", "bad_filter_state", "state is a state's name or open", parse_state_or_open,
	 offsetof(ledger_filter, state)},
	{"colour", "bad_filter_colour", "colour is blue, orange or red", proto_colour_parse,
	 offsetof(ledger_filter, colour)},
	{"category", "bad_filter_category", "category is a service item's name",
	 proto_category_parse, offsetof(ledger_filter, category)},
};

static bool filter_args(dash_req *r, ledger_filter *f)
{
	const char *s;

	f->from = 0, f->to = INT64_C(1) << 60;
	if (!parse_ms(dash_arg(r, "from"), &f->from) || !parse_ms(dash_arg(r, "to"), &f->to) ||
	    f->to <= f->from) {
		dash_reply_error(r, 400, "bad_filter_period",
			"from and to are hub times in ms with from < to");
		return false;
	}
	s = dash_arg(r, "scope");
	if (s && *s && !proto_code_valid(s)) {
		dash_reply_error(r, 400, "bad_filter_scope", "scope is a station's code");
		return false;
	}
	for (size_t i = 0; i < sizeof word_filters / sizeof word_filters[0]; i++) {
		const word_filter *w = &word_filters[i];

		s = dash_arg(r, w->name);
		if (!s || !*s)
			continue;
		if (w->parse(s) < 0) {
			dash_reply_error(r, 400, w->code, w->words);
			return false;
		}
		*(const char **)((char *)f + w->field) = s;
	}
	if (f->state && strcmp(f->state, "open") == 0)
		f->open = true, f->state = NULL;
	return true;
}

/* The columns in the order of the enum above (C_OVERDUE is computed). */
#define LEDGER_SQL "SELECT i.item, NULLIF(i.created, 0), i.received, " \
	"(SELECT name FROM stations WHERE code = substr(i.origin, 1, 9) AND length(i.origin) >= 9), " \
	"(SELECT name FROM stations WHERE code = substr(i.origin, 1, 12) AND length(i.origin) >= 12), " \
	"(SELECT name FROM stations WHERE code = substr(i.origin, 1, 15) AND length(i.origin) >= 15), " \
	"i.category, r.colour, i.colour, r.title, r.text, r.people, " \
	DASH_STATION_LABEL("i.handler", "sh.name") ", m.name, " \
	"(SELECT min(at) FROM events e WHERE e.item = i.item AND e.kind = 'sign'), " \
	"i.resolved_at, i.sign_by, i.resolve_by, NULL, i.escalations, " \
	"(SELECT count(*) FROM events e WHERE e.item = i.item AND e.kind = 'extend'), " \
	"(SELECT note FROM events e WHERE e.item = i.item AND e.kind = 'resolve' " \
	" ORDER BY seq DESC LIMIT 1), " \
	"(SELECT note FROM events e WHERE e.item = i.item AND e.kind = 'verify' " \
	" ORDER BY seq DESC LIMIT 1), " \
	"i.rating, i.state " \
	"FROM items i JOIN reports r ON r.item = i.item " \
	"LEFT JOIN stations sh ON sh.code = i.handler " \
	"LEFT JOIN members m ON m.id = i.member " \
	"WHERE i.origin >= ?1 AND i.origin < ?1 || ';' AND i.received >= ?2 " \
	"AND i.received < ?3 AND (?4 IS NULL OR i.state = ?4) " \
	"AND (?5 IS NULL OR i.colour = ?5) AND (?6 IS NULL OR i.category = ?6) " \
	"AND (?7 = 0 OR i.state IN ('reported', 'signed', 'assigned')) " \
	"ORDER BY i.received, i.item"

/* The figures sheet (统计): the scope's figures of the period, one a row. */
static bool figures_sheet(lxw_workbook *wb, sqlite3 *db, const char *scope,
	const ledger_filter *f, int64_t now, bool en, const char *title, lxw_format *bold)
{
	hub_figures g;
	hub_figure_name names[HUB_FIGURES_NAMES];
	lxw_worksheet *ws = workbook_add_worksheet(wb, en ? "figures" : "统计");
	lxw_format *pct = workbook_add_format(wb);
	int w = 8;

	if (!ws || !pct || hub_figures_count(db, scope, f->from, f->to, now, &g) != PROTO_OK)
		return false;
	format_set_num_format(pct, "0.0%");
	/* The figures by the names and words of docs/FIGURES.md (hub/figures.c),
	 * counts as numbers, rates as percentages (暂无 when their whole is 0). */
	size_t n = hub_figures_names(&g, names);
	worksheet_write_string(ws, 0, 0, title, bold);
	worksheet_write_string(ws, 1, 0, en ? "figure" : "指标", bold);
	worksheet_write_string(ws, 1, 1, en ? "value" : "数值", bold);
	for (size_t i = 0; i < n; i++) {
		char label[96];
		lxw_row_t row = (lxw_row_t)(i + 2);
		/* English says a rate and its part alike ("signed for on time"). */
		snprintf(label, sizeof label, "%s%s", en ? names[i].en : names[i].zh,
			en && names[i].rate ? " (%)" : "");
		if (text_width(label) > w)
			w = text_width(label);
		worksheet_write_string(ws, row, 0, label, NULL);
		if (!names[i].rate)
			worksheet_write_number(ws, row, 1, (double)names[i].value, NULL);
		else if (names[i].whole > 0)
			worksheet_write_number(ws, row, 1,
				(double)names[i].part / (double)names[i].whole, pct);
		else
			worksheet_write_string(ws, row, 1, en ? "none yet" : "暂无", NULL);
	}
	worksheet_set_column(ws, 0, 0, w + 2, NULL);
	worksheet_set_column(ws, 1, 1, 10, NULL);
	worksheet_freeze_panes(ws, 2, 0);
	return true;
}

/* The title row: the area, the period as the filter gives it (全部 when it
 * gives none, one end alone as 起 or 截至), and when it was made. */
static void ledger_title(char *title, size_t n, const char *area, const char *from,
	const char *to, const char *made, bool en)
{
	char period[96];

	if (en)
		snprintf(period, sizeof period, "%s%s%s%s", !*from && !*to ? "all items" :
			*from ? "from " : "", from, *to ? (*from ? " to " : "to ") : "", to);
	else if (!*from && !*to)
		snprintf(period, sizeof period, "全部");
	else if (!*to)
		snprintf(period, sizeof period, "%s 起", from);
	else if (!*from)
		snprintf(period, sizeof period, "截至 %s", to);
	else
		snprintf(period, sizeof period, "%s 至 %s", from, to);
	if (en)
		snprintf(title, n, "%s ledger, %s, made %s", area, period, made);
	else
		snprintf(title, n, "%s事项台账（%s）制表时间：%s", area, period, made);
}

void dash_api_export(dash_req *r, sqlite3 *db, bool xlsx)
{
	char scope[PROTO_CODE_MAX + 1], tmp[256] = "", disp[128], title[512];
	char made[32], pfrom[32] = "", pto[32] = "", scope_name[256];
	const char *lang = dash_arg(r, "lang");
	bool en = lang && strcmp(lang, "en") == 0;
	const char *const *head = en ? head_en : head_zh;
	int64_t now = hub_clock_now();
	ledger_filter f = {0};
	sqlite3_stmt *st = NULL;
	lxw_workbook *wb = NULL;
	lxw_worksheet *ws = NULL;
	lxw_format *bold = NULL, *datef = NULL, *titlef = NULL;
	int width[LEDGER_COLS];
	out o = {0};
	int row = 0, rc;

	if (!filter_args(r, &f) || !dash_scope_arg(r, db, scope))
		return;
	snprintf(scope_name, sizeof scope_name, "%s", scope);
	st = proto_db_prepare(db, "SELECT name FROM stations WHERE code = ?");
	if (st) {
		sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
			proto_db_copy_text(scope_name, sizeof scope_name, st, 0);
		sqlite3_finalize(st);
	}
	fmt_ms(now, false, made);
	if (f.from > 0)
		fmt_ms(f.from, true, pfrom);
	if (f.to < INT64_C(1) << 60)
		fmt_ms(f.to - 1, true, pto);
	ledger_title(title, sizeof title, scope_name, pfrom, pto, made, en);
	st = proto_db_prepare(db, LEDGER_SQL);
	if (!st) {
		dash_reply_error(r, 500, "internal", "query failed");
		return;
	}
	sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, f.from);
	sqlite3_bind_int64(st, 3, f.to);
	if (f.state)
		sqlite3_bind_text(st, 4, f.state, -1, SQLITE_STATIC);
	if (f.colour)
		sqlite3_bind_text(st, 5, f.colour, -1, SQLITE_STATIC);
	if (f.category)
		sqlite3_bind_text(st, 6, f.category, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, f.open);
	if (xlsx) {
		const char *dir = getenv("TMPDIR");
		int fd;
		snprintf(tmp, sizeof tmp, "%s/minqing-export-XXXXXX", dir && *dir ? dir : P_tmpdir);
		fd = mkstemp(tmp);
		if (fd < 0) {
			sqlite3_finalize(st);
			dash_reply_error(r, 500, "internal", "no room for a temporary file");
			return;
		}
		close(fd);
		wb = workbook_new(tmp);
		ws = wb ? workbook_add_worksheet(wb, en ? "ledger" : "台账") : NULL;
		if (!ws)
			goto fail;
		bold = workbook_add_format(wb);
		datef = workbook_add_format(wb);
		titlef = workbook_add_format(wb);
		format_set_bold(bold);
		format_set_bold(titlef);
		format_set_font_size(titlef, 14);
		format_set_num_format(datef, "yyyy-mm-dd hh:mm");
		worksheet_write_string(ws, 0, 0, title, titlef);
	} else {
		put(&o, "\xEF\xBB\xBF", 3);
	}
	for (int c = 0; c < LEDGER_COLS; c++) {
		width[c] = col_date(c) ? 16 : text_width(head[c]);
		if (xlsx)
			worksheet_write_string(ws, 1, (lxw_col_t)c, head[c], bold);
		else
			csv_field(&o, head[c], c == LEDGER_COLS - 1);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *cells[LEDGER_COLS];
		char dates[LEDGER_COLS][32], nums[LEDGER_COLS][24];
		int cat = proto_category_parse(proto_db_text(st, C_CATEGORY));
		int rcol = proto_colour_parse(proto_db_text(st, C_COLOUR_REPORTED));
		int col = proto_colour_parse(proto_db_text(st, C_COLOUR));
		int state = proto_state_parse(proto_db_text(st, C_STATE));
		int rating = proto_rating_parse(proto_db_text(st, C_RATING));
		int late = state < 0 ? -1 : overdue((proto_state)state, st, now);

		for (int c = 0; c < LEDGER_COLS; c++) {
			cells[c] = proto_db_text(st, c);
			dates[c][0] = nums[c][0] = '\0';
			if (col_date(c) && sqlite3_column_type(st, c) != SQLITE_NULL) {
				fmt_ms(sqlite3_column_int64(st, c), false, dates[c]);
				cells[c] = dates[c];
			} else if (col_number(c)) {
				snprintf(nums[c], sizeof nums[c], "%lld",
					(long long)sqlite3_column_int64(st, c));
				cells[c] = nums[c];
			}
		}
		if (!en) {
			if (cat >= 0)
				cells[C_CATEGORY] = proto_category_name_zh((proto_category)cat);
			if (rcol >= 0)
				cells[C_COLOUR_REPORTED] = proto_colour_name_zh((proto_colour)rcol);
			if (col >= 0)
				cells[C_COLOUR] = proto_colour_name_zh((proto_colour)col);
			if (rating >= 0)
				cells[C_RATING] = proto_rating_name_zh((proto_rating)rating);
			if (state >= 0)
				cells[C_STATE] = proto_state_name_zh((proto_state)state);
		}
		cells[C_OVERDUE] = late < 0 ? "" : late ? (en ? "yes" : "是") : (en ? "no" : "否");
		row++;
		for (int c = 0; c < LEDGER_COLS; c++) {
			bool last = c == LEDGER_COLS - 1;
			if (!xlsx) {
				if (col_number(c))
					put(&o, cells[c], strlen(cells[c])), put(&o, last ? "\r\n" : ",",
						last ? 2 : 1);
				else
					csv_field(&o, cells[c], last);
			} else if (col_date(c)) {
				if (sqlite3_column_type(st, c) != SQLITE_NULL)
					xlsx_date(ws, row + 1, c, sqlite3_column_int64(st, c), datef);
			} else if (col_number(c)) {
				worksheet_write_number(ws, (lxw_row_t)(row + 1), (lxw_col_t)c,
					(double)sqlite3_column_int64(st, c), NULL);
			} else {
				xlsx_text(ws, row + 1, c, cells[c], &width[c]);
			}
		}
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE)
		goto fail;
	snprintf(disp, sizeof disp, "attachment; filename=\"minqing-%s.%s\"", scope,
		xlsx ? "xlsx" : "csv");
	if (xlsx) {
		struct stat sb;
		FILE *fp = NULL;
		lxw_error e;

		for (int c = 0; c < LEDGER_COLS; c++)
			worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c,
				(width[c] > 60 ? 60 : width[c]) + 2, NULL);
		worksheet_freeze_panes(ws, 2, 0);
		worksheet_autofilter(ws, 1, 0, (lxw_row_t)(row + 1), LEDGER_COLS - 1);
		if (!figures_sheet(wb, db, scope, &f, now, en, title, bold))
			goto fail;
		e = workbook_close(wb);
		wb = NULL;
		if (e != LXW_NO_ERROR || stat(tmp, &sb) != 0 || !(fp = fopen(tmp, "rb")))
			goto fail;
		o.buf = malloc((size_t)sb.st_size + 1);
		o.len = o.buf ? fread(o.buf, 1, (size_t)sb.st_size, fp) : 0;
		fclose(fp);
		unlink(tmp);
		tmp[0] = '\0';
		if (!o.buf || o.len != (size_t)sb.st_size)
			goto fail;
	}
	if (o.failed)
		goto fail;
	dash_reply_bytes(r, 200, xlsx ?
		"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" :
		"text/csv; charset=utf-8", o.buf, o.len, true);
	if (r->resp) {
		MHD_add_response_header(r->resp, "Content-Disposition", disp);
		MHD_add_response_header(r->resp, "Cache-Control", "no-store");
	}
	log_info("user %s exported %d items of %s (%s)", r->user.name, row, scope,
		xlsx ? "xlsx" : "csv");
	return;
fail:
	sqlite3_finalize(st);
	if (wb)
		workbook_close(wb);
	if (tmp[0])
		unlink(tmp);
	free(o.buf);
	dash_reply_error(r, 500, "internal", "the export could not be written");
}
