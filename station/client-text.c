/* Localised text of the clerk's client: the names of fields, errors,
 * states and events in Chinese (default) or English, local times, and a
 * timeline's runs of reminders folded into one line each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "station/client.h"

bool station_cli_english;

const char *station_cli_field_name(const char *field)
{
	static const struct { const char *key, *zh; } names[] = {
		{"colour", "颜色"}, {"category", "类别"}, {"title", "标题"},
		{"text", "内容"}, {"reporter", "反映人"}, {"phone", "电话"},
		{"people", "涉及人数"}, {"item", "民情编号"}, {"action", "操作"},
		{"note", "说明"}, {"member", "服务队员"}, {"rating", "评价"},
		{"until", "延期时间"}, {"into", "合并到"},
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(field, names[i].key) == 0)
			return station_cli_english ? names[i].key : names[i].zh;
	return field;
}

const char *station_cli_reason(const char *error)
{
	static const struct { proto_err err; const char *zh, *en; } reasons[] = {
		{PROTO_ERR_BAD_STATE, "状态不允许此操作", "not possible in the item's state"},
		{PROTO_ERR_NOT_ALLOWED, "本站无权执行此操作",
		 "this station may not take this step"},
		{PROTO_ERR_UNKNOWN_ITEM, "县里没有这条民情", "the hub has no such item"},
		{PROTO_ERR_MISSING_FIELD, "缺少必填项", "a required field is missing"},
		{PROTO_ERR_BAD_VALUE, "填写不正确", "a value is not valid"},
		{PROTO_ERR_BAD_TYPE, "字段类型不对", "a field has the wrong type"},
		{PROTO_ERR_TOO_LARGE, "内容太长", "too long"},
		{PROTO_ERR_BAD_UTF8, "含有无效字符", "not valid UTF-8 text"},
		{PROTO_ERR_BAD_JSON, "格式错误", "not a JSON object"},
		{PROTO_ERR_BAD_VERSION, "协议版本不符", "a protocol version the hub does not speak"},
		{PROTO_ERR_UNKNOWN_TYPE, "县里还不能处理这类消息",
		 "the hub does not take this type yet"},
		{PROTO_ERR_UNKNOWN_STATION, "本站没有在县里登记", "this station is not registered"},
		{PROTO_ERR_WRONG_STATION, "站点代码不符", "sent under another station's code"},
		{PROTO_ERR_REPLAY, "编号过旧，被当作重放", "id below the station's settled mark"},
	};
	proto_err err = error ? proto_err_from_name(error) : PROTO_ERR_INVAL;

	for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
		if (reasons[i].err == err)
			return T(reasons[i].zh, reasons[i].en);
	return T("被拒收", "refused");
}

const char *station_cli_state_name(const char *state)
{
	int s = proto_state_parse(state);

	if (s < 0)
		return state ? state : "?";
	return station_cli_english ? proto_state_name((proto_state)s)
				   : proto_state_name_zh((proto_state)s);
}

const char *station_cli_place(station_store *store, const char *code, const char *known,
	char *buf, size_t n)
{
	if (known && *known)
		return known;
	if (code && store && station_store_station_name(store, code, buf, n))
		return buf;
	return code ? code : "-";
}

const char *station_cli_actor(station_store *store, const station_cli_item *item,
	const char *by, char *buf, size_t n)
{
	if (!by || !*by)
		return "-";
	/* "分派 hub" read as an English tail on a Chinese screen. */
	if (strcmp(by, "hub") == 0)
		return T("系统", "the hub");
	if (strncmp(by, "user:", 5) == 0 && by[5])
		return by + 5;
	/* Mostly the item's reporter or handler, whose names it carries:
	 * no search of the store for those. */
	if (item && strcmp(by, item->origin) == 0 && item->origin_name[0])
		return item->origin_name;
	if (item && strcmp(by, item->handler) == 0 && item->handler_name[0])
		return item->handler_name;
	if (proto_code_valid(by))
		return station_cli_place(store, by, NULL, buf, n);
	return by;
}

const char *station_cli_event_name(const char *event)
{
	static const struct { const char *key, *zh; } hub_events[] = {
		{"route", "分派"}, {"remind", "催办"}, {"escalate", "升级"},
		{"supervise", "督办"}, {"alert", "预警"},
	};
	int s = proto_step_parse(event);

	if (!event)
		return "-";
	if (s >= 0)
		return station_cli_english ? event : proto_step_name_zh((proto_step)s);
	for (size_t i = 0; i < sizeof hub_events / sizeof hub_events[0]; i++)
		if (strcmp(event, hub_events[i].key) == 0)
			return station_cli_english ? event : hub_events[i].zh;
	return event;
}

void station_cli_time(int64_t ms, char out[STATION_CLI_TIME])
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || !localtime_r(&secs, &tm) ||
	    !strftime(out, STATION_CLI_TIME, "%Y-%m-%d %H:%M", &tm))
		snprintf(out, STATION_CLI_TIME, "-");
}

/* ------------------------------------------------------ timeline folding */

static bool foldable(const char *event)
{
	return event && (strcmp(event, "remind") == 0 || strcmp(event, "supervise") == 0);
}

/* Passes the held run on, if any. */
static int fold_flush(station_cli_fold *f)
{
	int rc = 0;

	if (f->times) {
		station_event ev = {.seq = f->seq, .event = f->event, .by = f->by,
			.at = f->at, .note = f->note};
		rc = f->fn(f->ud, &ev, f->times, f->first);
	}
	free(f->event);
	free(f->by);
	free(f->note);
	f->event = f->by = f->note = NULL;
	f->times = 0;
	return rc;
}

int station_cli_fold_event(void *ud, const station_event *ev)
{
	station_cli_fold *f = ud;

	if (f->times && foldable(ev->event) && strcmp(f->event, ev->event) == 0) {
		/* The run's last event stands for it: its note and time. */
		char *note = ev->note ? strdup(ev->note) : NULL;
		char *by = ev->by ? strdup(ev->by) : NULL;
		if ((ev->note && !note) || (ev->by && !by)) {
			free(note);
			free(by);
			return -1;
		}
		free(f->note);
		free(f->by);
		f->note = note;
		f->by = by;
		f->seq = ev->seq;
		f->at = ev->at;
		f->times++;
		return 0;
	}
	int rc = fold_flush(f);
	if (rc)
		return rc;
	if (!foldable(ev->event))
		return f->fn(f->ud, ev, 1, ev->at);
	f->event = strdup(ev->event);
	f->by = ev->by ? strdup(ev->by) : NULL;
	f->note = ev->note ? strdup(ev->note) : NULL;
	if (!f->event || (ev->by && !f->by) || (ev->note && !f->note)) {
		fold_flush(f);
		return -1;
	}
	f->seq = ev->seq;
	f->at = f->first = ev->at;
	f->times = 1;
	return 0;
}

int station_cli_fold_end(station_cli_fold *f)
{
	return fold_flush(f);
}
