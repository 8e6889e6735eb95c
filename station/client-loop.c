/* The clerk's closed-loop commands (sign, assign, resolve, return, extend,
 * verify, rate, reopen, withdraw, merge, comment): each checks the step
 * against what the station knows of the item, queues an action in the
 * outbox and returns; the agent sends it when it can.
 *
 * What the station knows is the hub's latest snapshot plus its own steps
 * that the snapshot may not show yet: those still queued, and those the
 * hub accepted after the snapshot arrived. They are replayed on the
 * snapshot through the protocol's table, skipping any the table refuses:
 * a step the snapshot already shows is refused by it (signed cannot be
 * signed again), so counting one twice changes nothing. That lets a clerk
 * offline for a day sign and then assign, and still be stopped from
 * resolving an item someone else has already closed. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "protocol/clock.h"
#include "protocol/code.h"
#include "protocol/message.h"
#include "station/client.h"

/* ------------------------------------------------------------ the view */

typedef struct replay_ctx {
	station_cli_view *view;
	int64_t snapshot_at; /* local ms the snapshot arrived */
} replay_ctx;

static int replay(void *ud, const station_entry *e)
{
	replay_ctx *c = ud;
	station_cli_view *v = c->view;
	bool queued = strcmp(e->state, "queued") == 0;
	bool answered_after = !queued && strcmp(e->state, "rejected") != 0 &&
			      e->receipt_at >= c->snapshot_at;
	proto_state next;
	proto_msg m;
	int step, rating;

	v->pending += queued;
	if (!queued && !answered_after)
		return 0;
	if (proto_msg_decode(e->payload, strlen(e->payload), &m, NULL) != PROTO_OK)
		return 0;
	step = proto_step_parse(m.u.action.action);
	rating = proto_rating_parse(m.u.action.rating);
	if (step >= 0 && proto_loop_next(v->state, (proto_step)step, v->roles,
				 rating < 0 ? PROTO_RATING_SATISFIED : (proto_rating)rating,
				 &next) == PROTO_OK) {
		v->state = next;
		/* A returned item goes up to the tier above, which this
		 * station is not; merged and withdrawn ones are closed anyway. */
		if (step == PROTO_STEP_RETURN)
			v->roles &= ~PROTO_ROLE_HANDLER;
	}
	proto_msg_clear(&m);
	return 0;
}

proto_err station_cli_view_of(station_store *store, const station_cli_item *it,
	station_cli_view *out)
{
	int state = proto_state_parse(it->state);
	replay_ctx c = {.view = out, .snapshot_at = it->received};

	memset(out, 0, sizeof *out);
	out->roles = proto_loop_roles(station_store_code(store), it->handler, it->origin);
	out->known = state >= 0;
	if (!out->known)
		return station_store_actions(store, it->item, replay, &c) ? PROTO_ERR_IO
									 : PROTO_OK;
	out->state = (proto_state)state;
	return station_store_actions(store, it->item, replay, &c);
}

/* ------------------------------------------------------------ the steps */

/* What each command needs besides the item id. */
enum {
	NEED_NOTE = 1,   /* --note / --reason */
	NEED_MEMBER = 2, /* --to */
	NEED_UNTIL = 4,  /* --until */
	NEED_INTO = 8,   /* --into */
	NEED_RATING = 16 /* a second word: the rating */
};

static const struct {
	proto_step step;
	int needs;
} commands[] = {
	{PROTO_STEP_SIGN, 0},
	{PROTO_STEP_ASSIGN, NEED_MEMBER},
	{PROTO_STEP_RESOLVE, NEED_NOTE},
	{PROTO_STEP_RETURN, NEED_NOTE},
	{PROTO_STEP_EXTEND, NEED_NOTE | NEED_UNTIL},
	{PROTO_STEP_VERIFY, NEED_NOTE},
	{PROTO_STEP_RATE, NEED_RATING},
	{PROTO_STEP_REOPEN, NEED_NOTE},
	{PROTO_STEP_MERGE, NEED_INTO},
	{PROTO_STEP_WITHDRAW, NEED_NOTE},
	{PROTO_STEP_COMMENT, NEED_NOTE},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static int find_command(const char *name)
{
	int step = proto_step_parse(name);

	for (size_t i = 0; step >= 0 && i < N_COMMANDS; i++)
		if (commands[i].step == (proto_step)step)
			return (int)i;
	return -1;
}

bool station_cli_is_step(const char *name)
{
	return find_command(name) >= 0;
}

static const char *step_name(proto_step step)
{
	return station_cli_english ? proto_step_name(step) : proto_step_name_zh(step);
}

static bool parse_rating(const char *word, proto_rating *out)
{
	int r = proto_rating_parse(word);

	for (int i = 0; r < 0 && i < PROTO_RATING__COUNT; i++)
		if (strcmp(word, proto_rating_name_zh((proto_rating)i)) == 0)
			r = i;
	if (r < 0)
		return false;
	*out = (proto_rating)r;
	return true;
}

/* Parses "2026-11-25 10:00" or "2026-11-25T10:00[:00]" as local time, and
 * ISO 8601 with "Z" or an offset ("+08:00") as that instant. */
static bool parse_until(const char *text, int64_t *ms)
{
	int y, mo, d, h, mi, s = 0, oh = 0, om = 0, n = 0, used = 0;
	char sep, sign = 0, iso[PROTO_TIME_TEXT];
	const char *rest;

	if (proto_time_parse(text, ms))
		return true;
	if (sscanf(text, "%4d-%2d-%2d%c%2d:%2d%n", &y, &mo, &d, &sep, &h, &mi, &n) != 6 ||
	    (sep != ' ' && sep != 'T'))
		return false;
	rest = text + n;
	if (rest[0] == ':' && sscanf(rest, ":%2d%n", &s, &used) == 1)
		rest += used;
	if (rest[0] == '+' || rest[0] == '-') {
		if (sscanf(rest, "%c%2d:%2d%n", &sign, &oh, &om, &used) != 3 ||
		    rest[used] || oh > 23 || om > 59)
			return false;
		rest += used;
	} else if (rest[0] == 'Z' && !rest[1]) {
		sign = '+';
		rest++;
	}
	if (*rest)
		return false;
	if (sign) {
		/* The library checks the calendar; the offset is applied here. */
		snprintf(iso, sizeof iso, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, h,
			mi, s);
		if (!proto_time_parse(iso, ms))
			return false;
		*ms -= (sign == '+' ? 1 : -1) * ((int64_t)oh * 60 + om) * 60000;
		return true;
	}
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			.tm_hour = h, .tm_min = mi, .tm_sec = s, .tm_isdst = -1};
	time_t t = mktime(&tm);
	/* mktime rolls 31 November over to 1 December, and a time skipped by a
	 * daylight-saving change to the next hour: refuse, don't guess. */
	if (t == (time_t)-1 || tm.tm_mday != d || tm.tm_mon != mo - 1 ||
	    tm.tm_hour != h || tm.tm_min != mi)
		return false;
	*ms = (int64_t)t * 1000;
	return true;
}

/* Who may take a step, for the refusal message. */
static const char *whose(proto_step step)
{
	switch (step) {
	case PROTO_STEP_VERIFY:
	case PROTO_STEP_RATE:
	case PROTO_STEP_REOPEN:
	case PROTO_STEP_WITHDRAW:
		return T("上报站", "the reporting station");
	case PROTO_STEP_COMMENT:
		return T("办理站或上报站", "the handling or the reporting station");
	default:
		return T("办理站", "the handling station");
	}
}

/* Says why the step cannot succeed (an exit code), or returns 0 when it may. */
static int check_step(station_store *store, const station_cli_item *it,
	proto_step step, proto_rating rating)
{
	station_cli_view v;
	proto_state next;
	proto_err err;

	if (station_cli_view_of(store, it, &v)) {
		fprintf(stderr, "%s\n", T("无法读取本站数据", "cannot read the station's data"));
		return STATION_CLI_FAIL;
	}
	if (!v.known)
		return 0; /* a state from a newer hub: let the hub judge */
	err = proto_loop_next(v.state, step, v.roles, rating, &next);
	if (err == PROTO_ERR_BAD_STATE) {
		fprintf(stderr, T("状态不允许此操作：%s 现在是“%s”，不能%s\n",
			"not possible in this state: %s is %s, cannot %s\n"), it->item,
			station_cli_english ? proto_state_name(v.state)
					    : proto_state_name_zh(v.state),
			step_name(step));
		return STATION_CLI_USAGE;
	}
	if (err == PROTO_ERR_NOT_ALLOWED) {
		fprintf(stderr, T("本站无权执行此操作：%s只能由%s进行\n",
			"this station may not take this step: %s is for %s\n"),
			step_name(step), whose(step));
		return STATION_CLI_USAGE;
	}
	return err ? STATION_CLI_FAIL : 0;
}

typedef struct step_args {
	const char *item, *note, *member, *until_text, *into, *rating_text;
} step_args;

static int missing(const char *what, proto_step step)
{
	fprintf(stderr, T("缺少必填项：%s要写 %s\n", "missing: %s needs %s\n"),
		step_name(step), what);
	return STATION_CLI_USAGE;
}

static int parse_step_args(int argc, char **argv, proto_step step, int needs,
	step_args *a)
{
	static const struct option opts[] = {
		{"note", required_argument, NULL, 'n'},
		{"reason", required_argument, NULL, 'n'},
		{"to", required_argument, NULL, 'm'},
		{"until", required_argument, NULL, 'u'},
		{"into", required_argument, NULL, 'i'},
		{NULL, 0, NULL, 0},
	};
	int c, words = needs & NEED_RATING ? 2 : 1;

	optind = 1;
	opterr = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n': a->note = optarg; break;
		case 'm': a->member = optarg; break;
		case 'u': a->until_text = optarg; break;
		case 'i': a->into = optarg; break;
		default: return STATION_CLI_USAGE;
		}
	}
	if (argc - optind != words) {
		fprintf(stderr, "%s\n", words == 2
			? T("用法：minqing rate 编号 满意|基本满意|不满意",
			    "usage: minqing rate ID satisfied|basic|unsatisfied")
			: T("必须给出一条民情的编号", "give one item id"));
		return STATION_CLI_USAGE;
	}
	a->item = argv[optind];
	if (words == 2)
		a->rating_text = argv[optind + 1];
	if ((needs & NEED_NOTE) && (!a->note || !a->note[0]))
		return missing(T("--note（或 --reason）说明", "--note (or --reason)"), step);
	if ((needs & NEED_MEMBER) && (!a->member || !a->member[0]))
		return missing(T("--to 服务队员", "--to MEMBER"), step);
	if ((needs & NEED_UNTIL) && !a->until_text)
		return missing(T("--until 时间", "--until TIME"), step);
	if ((needs & NEED_INTO) && !a->into)
		return missing(T("--into 另一编号", "--into OTHER"), step);
	if (a->until_text && !(needs & NEED_UNTIL)) {
		fprintf(stderr, "%s\n", T("只有延期（extend）才用 --until",
			"--until is for extend only"));
		return STATION_CLI_USAGE;
	}
	if ((a->member && !(needs & NEED_MEMBER)) || (a->into && !(needs & NEED_INTO))) {
		fprintf(stderr, "%s\n", T("--to 只用于交办，--into 只用于合并",
			"--to is for assign only, --into for merge only"));
		return STATION_CLI_USAGE;
	}
	return 0;
}

int station_cli_step(station_store *store, const char *dir, int argc, char **argv)
{
	int cmd = find_command(argv[0]), rc;
	proto_step step;
	step_args a = {0};
	proto_action act = {0};
	proto_rating rating = PROTO_RATING_SATISFIED;
	station_cli_item it;
	char field[PROTO_FIELD_MAX];
	int64_t id;
	proto_err err;

	if (cmd < 0)
		return STATION_CLI_USAGE;
	step = commands[cmd].step;
	rc = parse_step_args(argc, argv, step, commands[cmd].needs, &a);
	if (rc)
		return rc;
	if (a.rating_text && !parse_rating(a.rating_text, &rating)) {
		fprintf(stderr, T("评价只能是 满意、基本满意 或 不满意（或 satisfied、basic、unsatisfied）\n",
			"the rating is satisfied, basic or unsatisfied\n"));
		return STATION_CLI_USAGE;
	}
	if (a.until_text) {
		if (!parse_until(a.until_text, &act.until)) {
			fprintf(stderr, T("时间 '%s' 看不懂：写成 2026-11-25 10:00\n",
				"cannot read the time '%s': write 2026-11-25 10:00\n"),
				a.until_text);
			return STATION_CLI_USAGE;
		}
		if (act.until <= proto_now_ms()) {
			fprintf(stderr, "%s\n", T("延期时间必须在将来",
				"the new deadline must be in the future"));
			return STATION_CLI_USAGE;
		}
	}
	if (a.into && strcmp(a.into, a.item) == 0) {
		fprintf(stderr, "%s\n", T("不能合并到自己", "an item cannot merge into itself"));
		return STATION_CLI_USAGE;
	}
	/* Ids are checked before the lookup, so that a typo is called a typo
	 * and not an unknown item. */
	if (!proto_item_id_valid(a.item) || (a.into && !proto_item_id_valid(a.into))) {
		fprintf(stderr, T("'%s' 不是民情编号（例如 611025100201-1795396542318）\n",
			"'%s' is not an item id (like 611025100201-1795396542318)\n"),
			proto_item_id_valid(a.item) ? a.into : a.item);
		return STATION_CLI_USAGE;
	}
	snprintf(act.item, sizeof act.item, "%s", a.item);
	if (a.into)
		snprintf(act.into, sizeof act.into, "%s", a.into);
	err = station_cli_load_item(store, a.item, &it);
	if (err == PROTO_ERR_NOT_FOUND) {
		fprintf(stderr, T("本站没有这条民情：%s\n", "this station has no item %s\n"),
			a.item);
		return STATION_CLI_USAGE;
	}
	if (err) {
		fprintf(stderr, "%s\n", T("无法读取本站数据", "cannot read the station's data"));
		return STATION_CLI_FAIL;
	}
	rc = check_step(store, &it, step, rating);
	station_cli_item_clear(&it);
	if (rc)
		return rc;
	act.action = (char *)proto_step_name(step);
	act.note = (char *)a.note;
	act.member = (char *)a.member;
	if (step == PROTO_STEP_RATE)
		act.rating = (char *)proto_rating_name(rating);
	err = station_store_add_action(store, &act, &id, field);
	if (err) {
		if (field[0])
			fprintf(stderr, T("未保存：%s%s\n", "not saved: %s: %s\n"),
				station_cli_field_name(field),
				station_cli_reason(proto_err_name(err)));
		else
			fprintf(stderr, T("未保存：%s\n", "not saved: %s\n"),
				proto_err_text(err));
		return field[0] ? STATION_CLI_USAGE : STATION_CLI_FAIL;
	}
	station_cli_nudge(dir);
	printf(T("已保存：%s %s（消息 %lld），联网后送县里\n",
		 "queued: %s %s (message %lld), sent when online\n"),
		step_name(step), a.item, (long long)id);
	return STATION_CLI_OK;
}
