/* The ledger (台账) for download: one row per item of the scope received in
 * the period, as CSV (RFC 4180, UTF-8 with a BOM so that Excel reads the
 * Chinese right) or as an .xlsx workbook (libxlsxwriter, through a private
 * temporary file: this version cannot write to memory). Names and phones
 * follow the privacy rule row by row. Runs on the request's read
 * connection: a long export holds a WAL snapshot, never the writer. */
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
#include "protocol/db.h"
#include "protocol/log.h"
#include "protocol/loop.h"

#define LEDGER_COLS 13

static const char *const head_zh[LEDGER_COLS] = {"编号", "上报时间", "上报站点", "类别", "等级",
	"标题", "状态", "承办站点", "办理时限", "办结时间", "评价", "反映人", "联系电话"};
static const char *const head_en[LEDGER_COLS] = {"id", "received", "reported by", "category",
	"colour", "title", "state", "handled by", "deadline", "resolved", "rating",
	"reporter", "phone"};

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

static void fmt_time(sqlite3_stmt *st, int i, char out_[24])
{
	time_t t;
	struct tm tm;

	out_[0] = '\0';
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return;
	t = (time_t)(sqlite3_column_int64(st, i) / 1000);
	localtime_r(&t, &tm);
	strftime(out_, 24, "%Y-%m-%d %H:%M", &tm);
}

static const char *text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? (const char *)t : "";
}

void dash_api_export(dash_req *r, sqlite3 *db, bool xlsx)
{
	char scope[PROTO_CODE_MAX + 1], tmp[256] = "", disp[128];
	const char *lang = dash_arg(r, "lang");
	bool en = lang && strcmp(lang, "en") == 0;
	const char *const *head = en ? head_en : head_zh;
	const char *fs = dash_arg(r, "from"), *ts = dash_arg(r, "to");
	int64_t from = fs && *fs ? strtoll(fs, NULL, 10) : 0;
	int64_t to = ts && *ts ? strtoll(ts, NULL, 10) : INT64_C(1) << 60;
	sqlite3_stmt *st;
	lxw_workbook *wb = NULL;
	lxw_worksheet *ws = NULL;
	out o = {0};
	int row = 0;

	if (from < 0 || to <= from) {
		dash_reply_error(r, 400, "bad_request", "from and to are ms with from < to");
		return;
	}
	if (!dash_scope_arg(r, db, scope))
		return;
	st = proto_db_prepare(db, "SELECT i.item, i.received, "
		DASH_STATION_LABEL("i.origin", "so.name") ", i.category, i.colour, r.title, "
		"i.state, " DASH_STATION_LABEL("i.handler", "sh.name") ", CASE i.state WHEN 'reported' THEN i.sign_by "
		"WHEN 'signed' THEN i.resolve_by WHEN 'assigned' THEN i.resolve_by END, "
		"i.resolved_at, "
		"i.rating, r.reporter, r.phone, i.handler, i.origin "
		"FROM items i JOIN reports r ON r.item = i.item "
		"LEFT JOIN stations so ON so.code = i.origin "
		"LEFT JOIN stations sh ON sh.code = i.handler "
		"WHERE i.origin >= ?1 AND i.origin < ?1 || ';' AND i.received >= ?2 "
		"AND i.received < ?3 ORDER BY i.received, i.item");
	if (!st) {
		dash_reply_error(r, 500, "internal", "query failed");
		return;
	}
	sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
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
	} else {
		put(&o, "\xEF\xBB\xBF", 3);
	}
	for (int c = 0; c < LEDGER_COLS; c++) {
		if (xlsx)
			worksheet_write_string(ws, 0, (lxw_col_t)c, head[c], NULL);
		else
			csv_field(&o, head[c], c == LEDGER_COLS - 1);
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		char received[24], deadline[24], resolved[24];
		const char *cells[LEDGER_COLS];
		bool full = dash_personal_full(&r->user, text(st, 13), text(st, 14));
		char *reporter = dash_personal(r->d, sqlite3_column_blob(st, 11),
			sqlite3_column_bytes(st, 11), full, false);
		char *phone = dash_personal(r->d, sqlite3_column_blob(st, 12),
			sqlite3_column_bytes(st, 12), full, true);
		int cat = proto_category_parse(text(st, 3)), col = proto_colour_parse(text(st, 4));
		int state = proto_state_parse(text(st, 6)), rating = proto_rating_parse(text(st, 10));

		fmt_time(st, 1, received);
		fmt_time(st, 8, deadline);
		fmt_time(st, 9, resolved);
		cells[0] = text(st, 0);
		cells[1] = received;
		cells[2] = text(st, 2);
		cells[3] = en || cat < 0 ? text(st, 3) : proto_category_name_zh((proto_category)cat);
		cells[4] = en || col < 0 ? text(st, 4) : proto_colour_name_zh((proto_colour)col);
		cells[5] = text(st, 5);
		cells[6] = en || state < 0 ? text(st, 6) : proto_state_name_zh((proto_state)state);
		cells[7] = text(st, 7);
		cells[8] = deadline;
		cells[9] = resolved;
		cells[10] = en || rating < 0 ? text(st, 10) :
			proto_rating_name_zh((proto_rating)rating);
		cells[11] = reporter ? reporter : "";
		cells[12] = phone ? phone : "";
		row++;
		for (int c = 0; c < LEDGER_COLS; c++) {
			if (xlsx)
				worksheet_write_string(ws, (lxw_row_t)row, (lxw_col_t)c, cells[c], NULL);
			else
				csv_field(&o, cells[c], c == LEDGER_COLS - 1);
		}
		free(reporter);
		free(phone);
	}
	sqlite3_finalize(st);
	st = NULL;
	snprintf(disp, sizeof disp, "attachment; filename=\"minqing-%s.%s\"", scope,
		xlsx ? "xlsx" : "csv");
	if (xlsx) {
		struct stat sb;
		FILE *f = NULL;
		lxw_error e = workbook_close(wb);
		wb = NULL;
		if (e != LXW_NO_ERROR || stat(tmp, &sb) != 0 || !(f = fopen(tmp, "rb")))
			goto fail;
		o.buf = malloc((size_t)sb.st_size + 1);
		o.len = o.buf ? fread(o.buf, 1, (size_t)sb.st_size, f) : 0;
		fclose(f);
		unlink(tmp);
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
