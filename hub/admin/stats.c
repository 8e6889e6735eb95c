/* `minqing-hub stats`: the county's figures on the terminal, read from the
 * hub's database (read-only; safe beside the running hub): stations online,
 * reports by colour and service item, and the figures of hub/figures.c
 * (docs/FIGURES.md), the same as the dashboard's; `--json` gives them by
 * the API's names. Every "now" is the hub's, from the clock the running hub
 * saved (hub/clock.h): 近24小时, 超期 and 一天内无消息 agree with a hub running
 * scaled time. Then the storage: the database's and the WAL's size,
 * whether the disk is full and how the last checkpoint went (from the
 * health file, hub/health.h). Chinese by default, --lang en for English. */
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <sys/stat.h>

#include <sqlite3.h>

#include "hub/admin/admin.h"
#include "hub/clock.h"
#include "hub/figures.h"
#include "hub/health.h"
#include "protocol/clock.h"
#include "protocol/db.h"
#include "protocol/message.h"

#define T(zh, en) (english ? (en) : (zh))

static bool english, json;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: minqing-hub stats [--db FILE] [--config FILE]... [--lang zh|en] [--json]\n"
		"Prints the county's figures from the hub's database (from --db or\n"
		"the config, as for the hub): stations online, reports by colour and\n"
		"service item, open and overdue items, items resolved, disputes\n"
		"mediated, on-time rate and satisfaction (docs/FIGURES.md), in the\n"
		"hub's time (as the running hub last saved its clock). --json: the\n"
		"figures by the API's names. Read-only; safe while the hub runs.\n");
}

static int64_t one(sqlite3 *db, const char *sql, int64_t arg)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_bind_parameter_count(st) > 0)
		sqlite3_bind_int64(st, 1, arg);
	return proto_db_int(st, 0);
}

static const char *text_of(sqlite3 *db, const char *sql, char *out, size_t n)
{
	sqlite3_stmt *st = NULL;

	/* st stays NULL when the prepare fails: "" then. */
	sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	proto_db_first_text(st, out, n);
	return out;
}

/* Columns in a terminal: the display width of UTF-8 text, by wcwidth (a
 * CJK character takes two columns, three or four bytes). Its LC_CTYPE is
 * UTF-8 (stats_main); a byte that does not decode counts one column. */
static int display_width(const char *s)
{
	mbstate_t ps;
	size_t left = strlen(s);
	int w = 0;

	memset(&ps, 0, sizeof ps);
	while (left > 0) {
		wchar_t c;
		size_t k = mbrtowc(&c, s, left, &ps);
		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			memset(&ps, 0, sizeof ps);
			k = 1;
			w++;
		} else {
			int cw = wcwidth(c);
			w += cw < 0 ? 1 : cw;
		}
		s += k;
		left -= k;
	}
	return w;
}

/* indent, then label padded with spaces to `width` columns (printf's
 * %-22s counts bytes, and a Chinese label came out short). */
static void put_label(const char *indent, const char *label, int width)
{
	int pad = width - display_width(label);

	printf("%s%s%*s", indent, label, pad > 0 ? pad : 0, "");
}

static void percent(const char *label, int64_t part, int64_t whole)
{
	put_label("  ", label, 22);
	if (whole > 0)
		printf(" %5.1f%%  (%lld / %lld)\n", 100.0 * (double)part /
			(double)whole, (long long)part, (long long)whole);
	else
		printf("     -\n");
}

/* Counts per name of a GROUP BY query: "name count" rows. */
static void breakdown(sqlite3 *db, const char *sql, bool colours)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		int v = colours ? proto_colour_parse(name) : proto_category_parse(name);
		const char *label = name;
		if (v >= 0 && !english)
			label = colours ? proto_colour_name_zh((proto_colour)v) :
				proto_category_name_zh((proto_category)v);
		put_label("    ", label, 16);
		printf(" %8lld\n", (long long)sqlite3_column_int64(st, 1));
	}
	sqlite3_finalize(st);
}


static double mib_of(const char *path, const char *suffix)
{
	char p[4096];
	struct stat st;

	snprintf(p, sizeof p, "%s%s", path, suffix);
	return stat(p, &st) == 0 ? (double)st.st_size / (1 << 20) : 0.0;
}

/* The storage: sizes as they are now, the rest as the hub last wrote it. */
static void print_storage(const char *db_path)
{
	hub_health h;
	char when[PROTO_TIME_TEXT] = "-";

	printf("%s\n", T("存储", "storage"));
	put_label("  ", T("数据库", "database"), 22);
	printf(" %8.1f MiB\n", mib_of(db_path, ""));
	put_label("  ", T("预写日志(WAL)", "WAL"), 22);
	printf(" %8.1f MiB\n", mib_of(db_path, "-wal"));
	if (!hub_health_read(db_path, &h)) {
		put_label("  ", T("检查点", "checkpoint"), 22);
		printf(" %8s\n", T("未知", "unknown"));
		return;
	}
	if (h.full) {
		proto_time_format(h.full_since, when);
		put_label("  ", T("磁盘", "disk"), 22);
		printf(" %s %s\n",
			T("已满，暂停接收，自", "FULL, nothing stored since"), when);
	} else {
		put_label("  ", T("磁盘", "disk"), 22);
		printf(" %8s\n", T("正常", "ok"));
	}
	if (h.at_ms > 0)
		proto_time_format(h.at_ms, when);
	put_label("  ", T("最近检查点", "last checkpoint"), 22);
	printf(" %s  %lld/%lld %s  %s\n",
		h.ckpt_ok ? T("正常", "ok") : T("失败", "FAILED"), (long long)h.copied,
		(long long)h.frames, T("页", "frames"), h.at_ms > 0 ? when : "-");
	put_label("  ", T("检查点失败/总数", "checkpoints failed"), 22);
	printf(" %8lld / %lld\n",
		(long long)h.failed, (long long)h.checkpoints);
}

/* The figures as JSON on one line, by the names of GET /api/overview. */
static int print_json(sqlite3 *db, const char *county, int64_t now)
{
	hub_figures f;
	hub_figure_name n[HUB_FIGURES_NAMES];

	if (hub_figures_count(db, county, 0, INT64_MAX, now, &f))
		return 1;
	size_t k = hub_figures_names(&f, n);
	printf("{\"scope\":\"%s\",\"now\":%lld,\"figures\":{", county, (long long)now);
	for (size_t i = 0; i < k; i++) {
		printf("%s\"%s\":", i ? "," : "", n[i].name);
		if (!n[i].rate)
			printf("%lld", (long long)n[i].value);
		else if (n[i].whole > 0)
			printf("%.17g", (double)n[i].part / (double)n[i].whole);
		else
			printf("null");
	}
	printf("}}\n");
	return 0;
}

static int print_stats(sqlite3 *db, const char *county, int64_t now, const hub_clock_origin *clk)
{
	int64_t day = 24LL * 3600 * 1000;
	char weather[32], when[PROTO_TIME_TEXT];

	text_of(db, "SELECT weather FROM weather WHERE code = (SELECT code FROM stations "
		"WHERE length(code) = 6 ORDER BY code LIMIT 1)", weather, sizeof weather);
	static const char *const zh[][2] = {{"clear", "晴"}, {"cloudy", "多云"},
		{"overcast", "阴"}, {"rain", "雨"}, {"storm", "雷暴"}};
	for (size_t i = 0; !english && i < sizeof zh / sizeof zh[0]; i++)
		if (strcmp(weather, zh[i][0]) == 0)
			snprintf(weather, sizeof weather, "%s", zh[i][1]);
	proto_time_format(now, when);
	printf(T("民情气象 县 %s  %s  天气: %s\n", "minqing county %s  %s  weather: %s\n"),
		county, when, weather[0] ? weather : "-");

	printf("%s\n", T("站点", "stations"));
	put_label("  ", T("已登记", "registered"), 22);
	printf(" %8lld\n",
		(long long)one(db, "SELECT count(*) FROM stations", 0));
	put_label("  ", T("在线", "online"), 22);
	printf(" %8lld\n",
		(long long)one(db, "SELECT count(*) FROM stations WHERE online = 1", 0));
	put_label("  ", T("一天内无消息", "silent for a day"), 22);
	printf(" %8lld\n",
		(long long)one(db, "SELECT count(*) FROM stations WHERE last_seen IS NOT NULL "
			"AND last_seen < ?", hub_clock_wall_of(clk, now - day)));
	put_label("  ", T("待发送(站点报告)", "queued at stations"), 22);
	printf(" %8lld\n",
		(long long)one(db, "SELECT coalesce(sum(outbox), 0) FROM stations "
			"WHERE outbox > 0", 0));

	printf("%s\n", T("民情上报", "reports"));
	put_label("  ", T("累计收集", "collected"), 22);
	printf(" %8lld\n",
		(long long)one(db, "SELECT count(*) FROM reports", 0));
	put_label("  ", T("近 24 小时", "last 24 hours"), 22);
	printf(" %8lld\n",
		(long long)one(db, "SELECT count(*) FROM items WHERE received >= ?",
			now - day));
	put_label("  ", T("近 7 天", "last 7 days"), 22);
	printf(" %8lld\n",
		(long long)one(db, "SELECT count(*) FROM items WHERE received >= ?",
			now - 7 * day));
	printf("  %s\n", T("按上报颜色", "by colour reported"));
	breakdown(db, "SELECT colour, count(*) FROM reports GROUP BY colour "
		"ORDER BY count(*) DESC", true);
	printf("  %s\n", T("按服务事项", "by service item"));
	breakdown(db, "SELECT category, count(*) FROM reports GROUP BY category "
		"ORDER BY count(*) DESC", false);

	printf("%s\n", T("办理 (口径见 docs/FIGURES.md)", "items (docs/FIGURES.md)"));
	hub_figures f;
	hub_figure_name n[HUB_FIGURES_NAMES];
	if (hub_figures_count(db, county, 0, INT64_MAX, now, &f))
		return 1;
	size_t k = hub_figures_names(&f, n);
	for (size_t i = 0; i < k; i++)
		if (n[i].rate)
			percent(T(n[i].zh, n[i].en), n[i].part, n[i].whole);
		else {
			put_label("  ", T(n[i].zh, n[i].en), 22);
			printf(" %8lld\n", (long long)n[i].value);
		}
	put_label("  ", T("研判预警(7 天)", "surge alerts (7 days)"), 22);
	printf(" %8lld\n",
		(long long)one(db, "SELECT count(*) FROM alerts WHERE at >= ?", now - 7 * day));
	return 0;
}

int hub_stats_main(int argc, char **argv, const proto_conf_key *keys, size_t size)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"config", required_argument, NULL, 'f'},
		{"lang", required_argument, NULL, 'l'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *db_path = NULL, *lang = getenv("MINQING_LANG");
	sqlite3 *db = NULL;
	void *cfg;
	int opt, rc = 1;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'd': db_path = optarg; break;
		case 'f': break;
		case 'l': lang = optarg; break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	english = lang && strcmp(lang, "en") == 0;
	/* Widths of Chinese labels (display_width) need a UTF-8 LC_CTYPE: the
	 * user's, or C.UTF-8 when theirs is not. */
	if (!setlocale(LC_CTYPE, "") || strcmp(nl_langinfo(CODESET), "UTF-8") != 0)
		setlocale(LC_CTYPE, "C.UTF-8");
	cfg = hub_admin_config(argc, argv, keys, size);
	if (!cfg)
		return 2;
	if (!db_path)
		db_path = proto_config_get(keys, cfg, "db");
	if (!db_path) {
		fprintf(stderr, "minqing-hub stats: no database: give --db FILE or "
				"--config FILE\n");
		goto done;
	}
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "minqing-hub stats: cannot open %s: %s\n", db_path,
			sqlite3_errmsg(db));
		goto done;
	}
	sqlite3_busy_timeout(db, 5000);
	/* One read transaction: every figure from the same moment. */
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	if (one(db, "SELECT count(*) FROM items", 0) < 0) {
		fprintf(stderr, "minqing-hub stats: %s is not a hub database yet\n", db_path);
		goto done;
	}
	/* The hub's hour: its clock as it last saved it (hub/clock.h). */
	hub_clock_origin clk;
	hub_clock_load(db, &clk);
	int64_t now = hub_clock_hub_of(&clk, proto_now_ms());
	char first_code[16];
	const char *county = proto_config_get(keys, cfg, "county");
	if (!county)
		county = text_of(db, "SELECT code FROM stations WHERE length(code) = 6 "
			"ORDER BY code LIMIT 1", first_code, sizeof first_code);
	rc = json ? print_json(db, county, now) : print_stats(db, county, now, &clk);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (!json)
		print_storage(db_path);
done:
	sqlite3_close(db);
	hub_admin_config_free(keys, cfg);
	return rc;
}
