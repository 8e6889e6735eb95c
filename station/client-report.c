/* minqing: the village clerk's client, its report and list commands, the
 * inbox rows copied out of the store for every command, and the usage text
 * of them all. Writes reports straight into the station's store (safe once
 * the command returns, agent or broker up or not), then nudges the agent to
 * send them at once; lists what the station sent. Start-up and the
 * commands' dispatch are client-main.c's. Chinese by default, English with
 * --lang en. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "protocol/jsonl.h"
#include "protocol/clock.h"
#include "protocol/log.h"
#include "protocol/message.h"
#include "station/client.h"


void station_cli_usage(FILE *f)
{
	fprintf(f, "%s", T(
		"用法: minqing --data 目录 [--code 站点代码] [--lang zh|en] [命令]\n"
		"不带命令：打开全屏界面（上报、我的上报、待办事项，按 F1 看说明）\n"
		"命令:\n"
		"  report --colour blue|orange|red --category 类别 --title 标题 --text 内容\n"
		"         [--reporter 姓名] [--phone 电话] [--people 人数]   上报民情\n"
		"  import 文件|-                             从 JSON 行文件批量上报（全部或全不）\n"
		"  list [--json]                             查看本站上报和操作\n"
		"  inbox [--all] [--json]                    待本站办理的民情（含待回访、待评价）\n"
		"                                            --all：本站知道的全部民情\n"
		"  show 编号 [--json]                        一条民情的详情、进程和本站操作\n"
		"  sign 编号                                 签收\n"
		"  assign 编号 --to 服务队员                 交办\n"
		"  resolve 编号 --note 办理结果              办结\n"
		"  return 编号 --reason 原因                 退单\n"
		"  extend 编号 --until 时间 --reason 原因    延期\n"
		"  verify 编号 --note 回访情况               回访\n"
		"  rate 编号 满意|基本满意|不满意            评价\n"
		"  reopen 编号 --reason 原因                 重办\n"
		"  withdraw 编号 --reason 原因               撤回\n"
		"  merge 编号 --into 另一编号                合并\n"
		"  comment 编号 --note 备注                  备注\n"
		"各项操作都可加 --note 说明；时间写成 \"2026-11-25 10:00\"（本地时间）或 ISO 8601。\n"
		"操作先存在本站，联网后自动送县里。\n"
		"类别: industry 产业发展, infrastructure 设施建设, livelihood 民生保障,\n"
		"      dispute 矛盾调处, security 治安联防, proxy 便民服务代理,\n"
		"      left_behind 留守人员代管, ceremony 红白理事\n"
		"颜色: blue 蓝(村办理) orange 橙(镇办理) red 红(县办理)\n",
		"usage: minqing --data DIR [--code CODE] [--lang zh|en] [COMMAND]\n"
		"without a command: the full-screen client (F1 for its help)\n"
		"commands:\n"
		"  report --colour blue|orange|red --category CAT --title T --text X\n"
		"         [--reporter NAME] [--phone P] [--people N]   file a report\n"
		"  import FILE|-                          reports from JSON lines, all or none\n"
		"  list [--json]                          this station's reports and steps\n"
		"  inbox [--all] [--json]                 items waiting on this station\n"
		"                                         (--all: every item it knows)\n"
		"  show ID [--json]                       an item, its timeline, our steps\n"
		"  sign ID                                sign for\n"
		"  assign ID --to MEMBER                  assign to a service-team member\n"
		"  resolve ID --note TEXT                 resolve, with feedback\n"
		"  return ID --reason TEXT                return for re-dispatch\n"
		"  extend ID --until TIME --reason TEXT   extend the deadline\n"
		"  verify ID --note TEXT                  record the return visit\n"
		"  rate ID satisfied|basic|unsatisfied    record the resident's rating\n"
		"  reopen ID --reason TEXT                reopen\n"
		"  withdraw ID --reason TEXT              withdraw our report\n"
		"  merge ID --into OTHER                  merge into another item\n"
		"  comment ID --note TEXT                 comment\n"
		"Every step takes --note. TIME is \"2026-11-25 10:00\" (local) or ISO 8601.\n"
		"Steps are kept here and sent to the hub when online.\n"
		"categories: industry, infrastructure, livelihood, dispute, security,\n"
		"            proxy, left_behind, ceremony\n"
		"colours: blue (village handles), orange (town), red (county)\n"));
}

void station_cli_nudge(const char *dir)
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

int station_cli_report(station_store *store, const char *dir, int argc, char **argv)
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
	char item[PROTO_ITEM_ID_MAX], msg[512];
	int c, v, rc;

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
			station_cli_usage(stderr);
			return 2;
		}
	}
	if (r.colour == PROTO_COLOUR__COUNT || r.category == PROTO_CAT__COUNT ||
	    !r.title || !r.text) {
		fprintf(stderr, T("必须给出 --colour、--category、--title 和 --text\n",
			"--colour, --category, --title and --text are required\n"));
		return 2;
	}
	rc = station_cli_add_report(store, dir, &r, item, msg, sizeof msg);
	if (rc) {
		fprintf(stderr, "%s\n", msg);
		return rc;
	}
	printf("%s\n", item);
	return 0;
}

int station_cli_add_report(station_store *store, const char *dir,
	const proto_report *r, char item[PROTO_ITEM_ID_MAX], char *msg, size_t len)
{
	char field[PROTO_FIELD_MAX];
	int64_t id;
	proto_err err = station_store_add_report(store, r, &id, field);

	if (err) {
		if (field[0])
			snprintf(msg, len, T("未保存：%s%s", "not saved: %s %s"),
				station_cli_field_name(field), reason_text(err));
		else
			snprintf(msg, len, T("未保存：%s", "not saved: %s"),
				proto_err_text(err));
		return STATION_CLI_FAIL;
	}
	station_cli_nudge(dir);
	proto_item_id(item, station_store_code(store), id);
	snprintf(msg, len, T("已保存在本站：%s，联网后自动送县里",
		"saved at this station: %s; sent to the hub when online"), item);
	return STATION_CLI_OK;
}

/* ------------------------------------------------------------ items */

bool station_cli_item_copy(station_cli_item *out, const station_item *it,
	bool snapshot)
{
	memset(out, 0, sizeof *out);
	snprintf(out->item, sizeof out->item, "%s", it->item);
	snprintf(out->origin, sizeof out->origin, "%s", it->origin);
	snprintf(out->handler, sizeof out->handler, "%s", it->handler);
	snprintf(out->origin_name, sizeof out->origin_name, "%s",
		it->origin_name ? it->origin_name : "");
	snprintf(out->handler_name, sizeof out->handler_name, "%s",
		it->handler_name ? it->handler_name : "");
	snprintf(out->colour, sizeof out->colour, "%s", it->colour);
	snprintf(out->category, sizeof out->category, "%s", it->category);
	snprintf(out->state, sizeof out->state, "%s", it->state);
	out->title = strdup(it->title);
	out->snapshot = snapshot ? strdup(it->snapshot) : NULL;
	out->seq = it->seq;
	out->deadline = it->deadline;
	out->updated = it->updated;
	out->received = it->received;
	return out->title && (!snapshot || out->snapshot);
}

static int copy_item(void *ud, const station_item *it)
{
	station_cli_item_copy(ud, it, true);
	return 1;
}

proto_err station_cli_load_item(station_store *store, const char *item,
	station_cli_item *out)
{
	proto_err err;

	memset(out, 0, sizeof *out);
	err = station_store_find_item(store, item, copy_item, out);
	if (!err && (!out->title || !out->snapshot))
		err = PROTO_ERR_NOMEM;
	if (err)
		station_cli_item_clear(out);
	return err;
}

void station_cli_item_clear(station_cli_item *it)
{
	free(it->title);
	free(it->snapshot);
	memset(it, 0, sizeof *it);
}

/* ------------------------------------------------------------ list */

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

static void add_receipt_json(cJSON *o, const station_entry *e)
{
	cJSON_AddBoolToObject(o, "received", strcmp(e->state, "accepted") == 0 ||
		strcmp(e->state, "duplicate") == 0);
	cJSON_AddStringToObject(o, "state", e->state);
	if (e->error) {
		cJSON_AddStringToObject(o, "error", e->error);
		cJSON_AddStringToObject(o, "reason", station_cli_reason(e->error));
	}
	if (e->field)
		cJSON_AddStringToObject(o, "field", e->field);
	cJSON_AddNumberToObject(o, "attempts", (double)e->attempts);
}

/* "被退回：状态不允许此操作（字段 note）" after a rejected entry's line. */
static void print_rejection(const station_entry *e)
{
	if (!e->error)
		return;
	printf(T("：%s", ": %s"), station_cli_reason(e->error));
	if (e->field && e->field[0])
		printf(T("（%s）", " (%s)"), station_cli_field_name(e->field));
}

static void print_report(list_ctx *c, const station_entry *e, const proto_report *r)
{
	char item[PROTO_ITEM_ID_MAX];

	proto_item_id(item, c->code, e->id);
	if (c->json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "type", "report");
		cJSON_AddStringToObject(o, "id", item);
		cJSON_AddStringToObject(o, "colour", proto_colour_name(r->colour));
		cJSON_AddStringToObject(o, "category", proto_category_name(r->category));
		cJSON_AddStringToObject(o, "title", r->title);
		add_receipt_json(o, e);
		proto_jsonl_emit(o);
		return;
	}
	printf("%s  %s  %-6s  %s", item,
		station_cli_english ? proto_colour_name(r->colour)
				    : proto_colour_name_zh(r->colour),
		station_cli_english ? proto_category_name(r->category)
				    : proto_category_name_zh(r->category),
		state_text(e));
	print_rejection(e);
	printf("  %s\n", r->title);
}

static void print_action(list_ctx *c, const station_entry *e, const proto_action *a)
{
	int step = proto_step_parse(a->action);
	char when[STATION_CLI_TIME], when_iso[PROTO_TIME_TEXT];

	if (c->json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "type", "action");
		cJSON_AddNumberToObject(o, "id", (double)e->id);
		cJSON_AddStringToObject(o, "item", a->item);
		cJSON_AddStringToObject(o, "action", a->action);
		proto_time_format(e->created, when_iso);
		cJSON_AddStringToObject(o, "created", when_iso);
		add_receipt_json(o, e);
		proto_jsonl_emit(o);
		return;
	}
	station_cli_time(e->created, when);
	printf("%s  %s  %s  %s", a->item, when,
		step < 0 || station_cli_english ? a->action
						: proto_step_name_zh((proto_step)step),
		state_text(e));
	print_rejection(e);
	printf("\n");
}

static int print_entry(void *ud, const station_entry *e)
{
	list_ctx *c = ud;
	proto_msg m;

	if (proto_msg_decode(e->payload, strlen(e->payload), &m, NULL) != PROTO_OK)
		return 0;
	c->count++;
	if (m.type == PROTO_MSG_REPORT)
		print_report(c, e, &m.u.report);
	else if (m.type == PROTO_MSG_ACTION)
		print_action(c, e, &m.u.action);
	proto_msg_clear(&m);
	return 0;
}

int station_cli_list_sent(station_store *store, int argc, char **argv)
{
	list_ctx c = {.code = station_store_code(store)};

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			c.json = true;
		} else {
			station_cli_usage(stderr);
			return STATION_CLI_USAGE;
		}
	}
	if (station_store_each(store, NULL, print_entry, &c))
		return STATION_CLI_FAIL;
	if (!c.json && c.count == 0)
		printf("%s\n", T("本站还没有上报。", "No reports yet."));
	return STATION_CLI_OK;
}
