/* minqing: the village clerk's client. Writes reports straight into the
 * station's store (safe once the command returns, agent or broker up or
 * not), then nudges the agent to send them at once. Chinese by default,
 * English with --lang en. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "protocol/log.h"
#include "protocol/message.h"
#include "station/store.h"
#include "version.h"

static bool english;

/* Picks the user's language; both texts are literals. */
#define T(zh, en) (english ? (en) : (zh))

static void usage(FILE *f)
{
	fprintf(f, "%s", T(
		"用法: minqing --data 目录 [--code 站点代码] [--lang zh|en] 命令\n"
		"命令:\n"
		"  report --colour blue|orange|red --category 类别 --title 标题 --text 内容\n"
		"         [--reporter 姓名] [--phone 电话] [--people 人数]   上报民情\n"
		"  list [--json]                                          查看本站上报\n"
		"类别: industry 产业发展, infrastructure 设施建设, livelihood 民生保障,\n"
		"      dispute 矛盾调处, security 治安联防, proxy 便民服务代理,\n"
		"      left_behind 留守人员代管, ceremony 红白理事\n"
		"颜色: blue 蓝(村办理) orange 橙(镇办理) red 红(县办理)\n",
		"usage: minqing --data DIR [--code CODE] [--lang zh|en] COMMAND\n"
		"commands:\n"
		"  report --colour blue|orange|red --category CAT --title T --text X\n"
		"         [--reporter NAME] [--phone P] [--people N]   file a report\n"
		"  list [--json]                                       this station's reports\n"
		"categories: industry, infrastructure, livelihood, dispute, security,\n"
		"            proxy, left_behind, ceremony\n"
		"colours: blue (village handles), orange (town), red (county)\n"));
}

/* Tells a running agent that there is something new; harmless if none. */
static void nudge_agent(const char *dir)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if ((size_t)snprintf(sa.sun_path, sizeof sa.sun_path, "%s/%s", dir,
		    STATION_SOCK_NAME) >= sizeof sa.sun_path)
		return;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, "n", 1, MSG_DONTWAIT, (struct sockaddr *)&sa, sizeof sa) < 0) {
		/* no agent running: it will send the report when it starts */
	}
	close(fd);
}

static const char *field_name(const char *field)
{
	static const struct { const char *key, *zh; } names[] = {
		{"colour", "颜色"}, {"category", "类别"}, {"title", "标题"},
		{"text", "内容"}, {"reporter", "反映人"}, {"phone", "电话"},
		{"people", "涉及人数"},
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(field, names[i].key) == 0)
			return english ? names[i].key : names[i].zh;
	return field;
}

static const char *reason_text(proto_err err)
{
	switch (err) {
	case PROTO_ERR_MISSING_FIELD: return T("必须填写", "is required");
	case PROTO_ERR_TOO_LARGE: return T("太长", "is too long");
	case PROTO_ERR_BAD_UTF8: return T("含有无效字符", "is not valid UTF-8 text");
	case PROTO_ERR_BAD_VALUE: return T("填写不正确", "has an invalid value");
	default: return proto_err_text(err);
	}
}

static int cmd_report(station_store *store, const char *dir, int argc, char **argv)
{
	static const struct option opts[] = {
		{"colour", required_argument, NULL, 'c'},
		{"color", required_argument, NULL, 'c'},
		{"category", required_argument, NULL, 'k'},
		{"title", required_argument, NULL, 't'},
		{"text", required_argument, NULL, 'x'},
		{"reporter", required_argument, NULL, 'r'},
		{"phone", required_argument, NULL, 'p'},
		{"people", required_argument, NULL, 'n'},
		{NULL, 0, NULL, 0},
	};
	proto_report r = {.colour = PROTO_COLOUR__COUNT, .category = PROTO_CAT__COUNT};
	char field[PROTO_FIELD_MAX], item[PROTO_ITEM_ID_MAX];
	int64_t id;
	int c, v;
	proto_err err;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if ((v = proto_colour_parse(optarg)) < 0) {
				fprintf(stderr, T("颜色必须是 blue、orange 或 red\n",
					"colour must be blue, orange or red\n"));
				return 2;
			}
			r.colour = (proto_colour)v;
			break;
		case 'k':
			if ((v = proto_category_parse(optarg)) < 0) {
				fprintf(stderr, T("未知类别 '%s'（见 minqing --help）\n",
					"unknown category '%s' (see minqing --help)\n"), optarg);
				return 2;
			}
			r.category = (proto_category)v;
			break;
		case 't': r.title = optarg; break;
		case 'x': r.text = optarg; break;
		case 'r': r.reporter_name = optarg; break;
		case 'p': r.reporter_phone = optarg; break;
		case 'n': {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (end == optarg || *end || n < 0 || n > PROTO_PEOPLE_MAX) {
				fprintf(stderr, T("涉及人数必须是 0 到 %d 的整数\n",
					"people must be a whole number from 0 to %d\n"),
					PROTO_PEOPLE_MAX);
				return 2;
			}
			r.people = (int)n;
			break;
		}
		default:
			usage(stderr);
			return 2;
		}
	}
	if (r.colour == PROTO_COLOUR__COUNT || r.category == PROTO_CAT__COUNT ||
	    !r.title || !r.text) {
		fprintf(stderr, T("必须给出 --colour、--category、--title 和 --text\n",
			"--colour, --category, --title and --text are required\n"));
		return 2;
	}
	err = station_store_add_report(store, &r, &id, field);
	if (err) {
		if (field[0])
			fprintf(stderr, T("未保存：%s%s\n", "not saved: %s %s\n"),
				field_name(field), reason_text(err));
		else
			fprintf(stderr, T("未保存：%s\n", "not saved: %s\n"),
				proto_err_text(err));
		return 1;
	}
	nudge_agent(dir);
	proto_item_id(item, station_store_code(store), id);
	printf("%s\n", item);
	return 0;
}

typedef struct list_ctx {
	bool json;
	const char *code;
	int count;
} list_ctx;

static const char *state_text(const station_entry *e)
{
	if (strcmp(e->state, "queued") == 0)
		return T("待发送", "queued");
	if (strcmp(e->state, "rejected") == 0)
		return T("被退回", "rejected");
	return T("已送达", "received");
}

static int print_entry(void *ud, const station_entry *e)
{
	list_ctx *c = ud;
	char item[PROTO_ITEM_ID_MAX];
	proto_msg m;
	bool received = strcmp(e->state, "accepted") == 0 ||
			strcmp(e->state, "duplicate") == 0;

	if (proto_msg_decode(e->payload, strlen(e->payload), &m, NULL) != PROTO_OK)
		return 0;
	proto_item_id(item, c->code, e->id);
	c->count++;
	if (c->json) {
		cJSON *o = cJSON_CreateObject();
		char *line;
		cJSON_AddStringToObject(o, "id", item);
		cJSON_AddStringToObject(o, "colour", proto_colour_name(m.u.report.colour));
		cJSON_AddStringToObject(o, "category",
			proto_category_name(m.u.report.category));
		cJSON_AddStringToObject(o, "title", m.u.report.title);
		cJSON_AddBoolToObject(o, "received", received);
		cJSON_AddStringToObject(o, "state", e->state);
		if (e->error)
			cJSON_AddStringToObject(o, "error", e->error);
		if (e->field)
			cJSON_AddStringToObject(o, "field", e->field);
		cJSON_AddNumberToObject(o, "attempts", (double)e->attempts);
		line = cJSON_PrintUnformatted(o);
		if (line)
			printf("%s\n", line);
		free(line);
		cJSON_Delete(o);
	} else {
		printf("%s  %s  %-6s  %s  %s", item,
			english ? proto_colour_name(m.u.report.colour)
				: proto_colour_name_zh(m.u.report.colour),
			english ? proto_category_name(m.u.report.category)
				: proto_category_name_zh(m.u.report.category),
			state_text(e), m.u.report.title);
		if (e->error)
			printf("  (%s %s)", e->error, e->field ? e->field : "");
		printf("\n");
	}
	proto_msg_clear(&m);
	return 0;
}

static int cmd_list(station_store *store, int argc, char **argv)
{
	list_ctx c = {.code = station_store_code(store)};

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			c.json = true;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (station_store_each(store, "report", print_entry, &c))
		return 1;
	if (!c.json && c.count == 0)
		printf("%s\n", T("本站还没有上报。", "No reports yet."));
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *code = NULL, *lang = getenv("MINQING_LANG");
	station_store *store = NULL;
	int i, rc = 2;

	proto_log_init("minqing", PROTO_LOG_WARN);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			english = english || (lang && strcmp(lang, "en") == 0);
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("minqing %s\n", MINQING_VERSION);
			return 0;
		} else if (i + 1 < argc && strcmp(argv[i], "--data") == 0) {
			dir = argv[++i];
		} else if (i + 1 < argc && strcmp(argv[i], "--code") == 0) {
			code = argv[++i];
		} else if (i + 1 < argc && strcmp(argv[i], "--lang") == 0) {
			lang = argv[++i];
		} else {
			break;
		}
	}
	english = lang && strcmp(lang, "en") == 0;
	if (!dir || i >= argc) {
		usage(stderr);
		return 2;
	}
	store = station_store_open(dir, code);
	if (!store) {
		fprintf(stderr, T("无法打开站点数据 %s\n", "cannot open station data in %s\n"),
			dir);
		return 1;
	}
	if (strcmp(argv[i], "report") == 0)
		rc = cmd_report(store, dir, argc - i, argv + i);
	else if (strcmp(argv[i], "list") == 0)
		rc = cmd_list(store, argc - i, argv + i);
	else
		usage(stderr);
	station_store_close(store);
	return rc;
}
