/* The clerk's workflow commands (sign, assign, resolve, return, extend,
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
	if (step >= 0 && proto_workflow_next(v->state, (proto_step)step, v->roles,
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
	out->roles = proto_workflow_roles(station_store_code(store), it->handler, it->origin);
	out->known = state >= 0;
	if (!out->known)
		return station_store_actions(store, it->item, replay, &c) ? PROTO_ERR_IO
									 : PROTO_OK;
	out->state = (proto_state)state;
	return station_store_actions(store, it->item, replay, &c);
}

/* ------------------------------------------------------------ the steps */

static const struct {
	proto_step step;
	int needs;
} commands[] = {
	{PROTO_STEP_SIGN, 0},
	{PROTO_STEP_ASSIGN, STATION_CLI_NEED_MEMBER},
	{PROTO_STEP_RESOLVE, STATION_CLI_NEED_NOTE},
	{PROTO_STEP_RETURN, STATION_CLI_NEED_NOTE},
	{PROTO_STEP_EXTEND, STATION_CLI_NEED_NOTE | STATION_CLI_NEED_UNTIL},
	{PROTO_STEP_VERIFY, STATION_CLI_NEED_NOTE},
	{PROTO_STEP_RATE, STATION_CLI_NEED_RATING},
	{PROTO_STEP_REOPEN, STATION_CLI_NEED_NOTE},
	{PROTO_STEP_MERGE, STATION_CLI_NEED_INTO},
	{PROTO_STEP_WITHDRAW, STATION_CLI_NEED_NOTE},
	{PROTO_STEP_COMMENT, STATION_CLI_NEED_NOTE},
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

int station_cli_step_needs(proto_step step)
{
	int cmd = find_command(proto_step_name(step));

	return cmd < 0 ? 0 : commands[cmd].needs;
}

static const char *step_name(proto_step step)
{
	return station_cli_english ? proto_step_name(step) : proto_step_name_zh(step);
}

bool station_cli_parse_rating(const char *word, proto_rating *out)
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
bool station_cli_parse_until(const char *text, int64_t *ms)
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

/* Says why the step cannot succeed (an exit code, the sentence in msg), or
 * returns 0 when it may. */
static int check_step(station_store *store, const station_cli_item *it,
	proto_step step, proto_rating rating, char *msg, size_t len)
{
	station_cli_view v;
	proto_state next;
	proto_err err;

	if (station_cli_view_of(store, it, &v)) {
		snprintf(msg, len, "%s", T("无法读取本站数据", "cannot read the station's data"));
		return STATION_CLI_FAIL;
	}
	if (!v.known)
		return 0; /* a state from a newer hub: let the hub judge */
	err = proto_workflow_next(v.state, step, v.roles, rating, &next);
	if (err == PROTO_ERR_BAD_STATE) {
		snprintf(msg, len, T("状态不允许此操作：%s 现在是“%s”，不能%s",
			"not possible in this state: %s is %s, cannot %s"), it->item,
			station_cli_english ? proto_state_name(v.state)
					    : proto_state_name_zh(v.state),
			step_name(step));
		return STATION_CLI_USAGE;
	}
	if (err == PROTO_ERR_NOT_ALLOWED) {
		snprintf(msg, len, T("本站无权执行此操作：%s只能由%s进行",
			"this station may not take this step: %s is for %s"),
			step_name(step), whose(step));
		return STATION_CLI_USAGE;
	}
	if (err)
		snprintf(msg, len, "%s", proto_err_text(err));
	return err ? STATION_CLI_FAIL : 0;
}

typedef struct step_args {
	const char *item, *note, *member, *until_text, *into, *rating_text;
} step_args;

/* ----------------------------------------------------- the service team */

static int team_add(void *ud, const station_member *mb)
{
	station_cli_team *t = ud;

	if (t->n == STATION_CLI_TEAM_MAX) {
		t->more = true;
		return 1;
	}
	station_cli_member *m = &t->m[t->n++];
	snprintf(m->id, sizeof m->id, "%s", mb->member);
	snprintf(m->name, sizeof m->name, "%s", mb->name);
	snprintf(m->unit, sizeof m->unit, "%s", mb->unit);
	return 0;
}

bool station_cli_team_read(station_store *store, station_cli_team *t)
{
	memset(t, 0, sizeof *t);
	t->m = calloc(STATION_CLI_TEAM_MAX, sizeof *t->m);
	if (!t->m)
		return false;
	if (station_store_team(store, team_add, t)) {
		station_cli_team_free(t);
		return false;
	}
	return true;
}

void station_cli_team_free(station_cli_team *t)
{
	free(t->m);
	memset(t, 0, sizeof *t);
}

void station_cli_member_label(const station_cli_team *t, int i, char *out, size_t n)
{
	bool twin = false;

	for (int j = 0; j < t->n && !twin; j++)
		twin = j != i && strcmp(t->m[j].name, t->m[i].name) == 0;
	if (twin)
		snprintf(out, n, "%s（%s）", t->m[i].name, t->m[i].id);
	else
		snprintf(out, n, "%s", t->m[i].name);
}

const char *station_cli_member_of(station_store *store, const char *id, char *buf, size_t n)
{
	station_cli_team t;
	const char *out = id;

	if (!id || !*id)
		return "-";
	if (station_cli_team_read(store, &t)) {
		for (int i = 0; i < t.n; i++)
			if (strcmp(t.m[i].id, id) == 0) {
				station_cli_member_label(&t, i, buf, n);
				out = buf;
				break;
			}
	}
	station_cli_team_free(&t);
	return out;
}

/* The team's labels, "、"-separated, into out. */
static void team_names(const station_cli_team *t, char *out, size_t n)
{
	size_t at = 0;

	out[0] = '\0';
	for (int i = 0; i < t->n && at + 1 < n; i++) {
		char label[256];
		station_cli_member_label(t, i, label, sizeof label);
		int w = snprintf(out + at, n - at, "%s%s", i ? T("、", ", ") : "", label);
		if (w < 0 || (size_t)w >= n - at)
			break;
		at += (size_t)w;
	}
	if (t->more && at + 8 < n)
		snprintf(out + at, n - at, "%s", T("……", "..."));
}

/* What the clerk typed after --to (or picked): a member's id, or the name
 * of exactly one member, resolved to its id in id_out. *ans: what the team
 * says of it. */
static proto_err resolve_member(station_store *store, const station_cli_team *t,
	const char *typed, char id_out[PROTO_MEMBER_ID_MAX + 1], station_team_answer *ans)
{
	int named = -1, names = 0;

	snprintf(id_out, PROTO_MEMBER_ID_MAX + 1, "%s", typed);
	for (int i = 0; i < t->n; i++)
		if (strcmp(t->m[i].name, typed) == 0) {
			named = i;
			names++;
		}
	if (names == 1 && strcmp(typed, t->m[named].id) != 0) {
		station_team_answer by_id;
		/* An id wins over a name that happens to equal it. */
		if (station_store_team_check(store, typed, &by_id))
			return PROTO_ERR_IO;
		if (by_id != STATION_TEAM_LISTED)
			snprintf(id_out, PROTO_MEMBER_ID_MAX + 1, "%s", t->m[named].id);
	}
	return station_store_team_check(store, id_out, ans);
}

/* Prints the members an assign may name, for a clerk who gave none. */
static void print_team(station_store *store)
{
	station_cli_team t;

	if (!station_cli_team_read(store, &t))
		return;
	if (!t.n) {
		fprintf(stderr, "%s\n", T("本站还没有收到服务队名单（县里的系统可能还是旧版本），"
			"请直接写队员编号。", "This station has no service-team list yet (the hub "
			"may be an older version): give the member's id."));
	} else {
		fprintf(stderr, "%s\n", T("可以交办的服务队员（--to 后写名字）：",
			"Members you can assign (give the name after --to):"));
		for (int i = 0; i < t.n; i++) {
			char label[256];
			station_cli_member_label(&t, i, label, sizeof label);
			fprintf(stderr, "  %s\n", label);
		}
		if (t.more)
			fprintf(stderr, "  %s\n", T("……（只列出前 200 位）", "... (the first 200 only)"));
	}
	station_cli_team_free(&t);
}

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
	int c, words = needs & STATION_CLI_NEED_RATING ? 2 : 1;

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
	if ((needs & STATION_CLI_NEED_NOTE) && (!a->note || !a->note[0]))
		return missing(T("--note（或 --reason）说明", "--note (or --reason)"), step);
	if ((needs & STATION_CLI_NEED_MEMBER) && (!a->member || !a->member[0]))
		return missing(T("--to 服务队员", "--to MEMBER"), step);
	if ((needs & STATION_CLI_NEED_UNTIL) && !a->until_text)
		return missing(T("--until 时间", "--until TIME"), step);
	if ((needs & STATION_CLI_NEED_INTO) && !a->into)
		return missing(T("--into 另一编号", "--into OTHER"), step);
	if (a->until_text && !(needs & STATION_CLI_NEED_UNTIL)) {
		fprintf(stderr, "%s\n", T("只有延期（extend）才用 --until",
			"--until is for extend only"));
		return STATION_CLI_USAGE;
	}
	if ((a->member && !(needs & STATION_CLI_NEED_MEMBER)) || (a->into && !(needs & STATION_CLI_NEED_INTO))) {
		fprintf(stderr, "%s\n", T("--to 只用于交办，--into 只用于合并",
			"--to is for assign only, --into for merge only"));
		return STATION_CLI_USAGE;
	}
	return 0;
}

/* Says which field a step lacks, or returns 0 when it has all it needs. */
static int lacks(const station_cli_request *req, char *msg, size_t len)
{
	int needs = station_cli_step_needs(req->step);
	const char *field = NULL;

	if ((needs & STATION_CLI_NEED_NOTE) && (!req->note || !req->note[0]))
		field = "note";
	else if ((needs & STATION_CLI_NEED_MEMBER) && (!req->member || !req->member[0]))
		field = "member";
	else if ((needs & STATION_CLI_NEED_UNTIL) && (!req->until_text || !req->until_text[0]))
		field = "until";
	else if ((needs & STATION_CLI_NEED_INTO) && (!req->into || !req->into[0]))
		field = "into";
	else if ((needs & STATION_CLI_NEED_RATING) && (!req->rating_text || !req->rating_text[0]))
		field = "rating";
	if (!field)
		return 0;
	snprintf(msg, len, T("缺少必填项：%s要写%s", "missing: %s needs the %s"),
		step_name(req->step), station_cli_field_name(field));
	return STATION_CLI_USAGE;
}

/* The first STEP_TITLE_MAX code points of title, with "…" when cut, for a
 * one-line confirmation. */
#define STEP_TITLE_MAX 16
static void short_title(const char *title, char *out, size_t n)
{
	size_t at = 0, chars = 0;

	if (!title)
		title = "";
	while (title[at] && chars < STEP_TITLE_MAX) {
		at++;
		while ((title[at] & 0xC0) == 0x80)
			at++;
		chars++;
	}
	snprintf(out, n, "%.*s%s", (int)at, title, title[at] ? "…" : "");
}

int station_cli_request_step(station_store *store, const char *dir,
	const station_cli_request *req, char *msg, size_t len, int64_t *id_out)
{
	proto_step step = req->step;
	proto_action act = {0};
	proto_rating rating = PROTO_RATING_SATISFIED;
	station_cli_item it;
	char field[PROTO_FIELD_MAX], title[4 * STEP_TITLE_MAX + 4];
	int64_t id;
	proto_err err;
	int rc;

	msg[0] = '\0';
	if ((rc = lacks(req, msg, len)))
		return rc;
	if (req->rating_text && !station_cli_parse_rating(req->rating_text, &rating)) {
		snprintf(msg, len, "%s", T("评价只能是 满意、基本满意 或 不满意（或 satisfied、basic、unsatisfied）",
			"the rating is satisfied, basic or unsatisfied"));
		return STATION_CLI_USAGE;
	}
	if (req->until_text && station_cli_step_needs(step) & STATION_CLI_NEED_UNTIL) {
		if (!station_cli_parse_until(req->until_text, &act.until)) {
			snprintf(msg, len, T("时间 '%s' 看不懂：写成 2026-11-25 10:00",
				"cannot read the time '%s': write 2026-11-25 10:00"),
				req->until_text);
			return STATION_CLI_USAGE;
		}
		if (act.until <= proto_now_ms()) {
			snprintf(msg, len, "%s", T("延期时间必须在将来",
				"the new deadline must be in the future"));
			return STATION_CLI_USAGE;
		}
	}
	if (req->into && strcmp(req->into, req->item) == 0) {
		snprintf(msg, len, "%s", T("不能合并到自己", "an item cannot merge into itself"));
		return STATION_CLI_USAGE;
	}
	/* Ids are checked before the lookup, so that a typo is called a typo
	 * and not an unknown item. */
	if (!proto_item_id_valid(req->item) || (req->into && !proto_item_id_valid(req->into))) {
		snprintf(msg, len, T("'%s' 不是民情编号（例如 611025100201-1795396542318）",
			"'%s' is not an item id (like 611025100201-1795396542318)"),
			proto_item_id_valid(req->item) ? req->into : req->item);
		return STATION_CLI_USAGE;
	}
	snprintf(act.item, sizeof act.item, "%s", req->item);
	if (req->into)
		snprintf(act.into, sizeof act.into, "%s", req->into);
	err = station_cli_load_item(store, req->item, &it);
	if (err == PROTO_ERR_NOT_FOUND) {
		snprintf(msg, len, T("本站没有这条民情：%s", "this station has no item %s"),
			req->item);
		return STATION_CLI_USAGE;
	}
	if (err) {
		snprintf(msg, len, "%s", T("无法读取本站数据", "cannot read the station's data"));
		return STATION_CLI_FAIL;
	}
	rc = check_step(store, &it, step, rating, msg, len);
	short_title(it.title, title, sizeof title);
	station_cli_item_clear(&it);
	if (rc)
		return rc;
	act.action = (char *)proto_step_name(step);
	act.note = (char *)req->note;
	act.member = (char *)req->member;
	/* A member the hub would refuse is refused here, before anything is
	 * saved; without a list (an older hub) the id goes as typed. */
	char member_id[PROTO_MEMBER_ID_MAX + 1];
	station_team_answer ans = STATION_TEAM_NONE;
	if (step == PROTO_STEP_ASSIGN && req->member) {
		station_cli_team t;
		if (!station_cli_team_read(store, &t) ||
		    resolve_member(store, &t, req->member, member_id, &ans)) {
			station_cli_team_free(&t);
			snprintf(msg, len, "%s", T("无法读取本站数据", "cannot read the station's data"));
			return STATION_CLI_FAIL;
		}
		if (ans == STATION_TEAM_NOT_LISTED) {
			char names[320];
			team_names(&t, names, sizeof names);
			snprintf(msg, len, T("未保存：“%s”不是本站服务队的队员。可以交办的队员：%s",
				"not saved: \"%s\" is not a member of this station's service team. "
				"Members you can assign: %s"), req->member, names);
			station_cli_team_free(&t);
			return STATION_CLI_USAGE;
		}
		station_cli_team_free(&t);
		act.member = member_id;
	}
	if (step == PROTO_STEP_RATE)
		act.rating = (char *)proto_rating_name(rating);
	err = station_store_add_action(store, &act, &id, field);
	if (err) {
		if (field[0])
			snprintf(msg, len, T("未保存：%s%s", "not saved: %s: %s"),
				station_cli_field_name(field),
				station_cli_reason(proto_err_name(err)));
		else
			snprintf(msg, len, T("未保存：%s", "not saved: %s"),
				proto_err_text(err));
		return field[0] ? STATION_CLI_USAGE : STATION_CLI_FAIL;
	}
	station_cli_nudge(dir);
	if (id_out)
		*id_out = id;
	/* The item's number and title, as the clerk knows it: the message
	 * id beside them read as one more number to make sense of. */
	snprintf(msg, len, T("已保存：%s %s“%s”，联网后送县里",
		 "queued: %s %s \"%s\", sent when online"),
		step_name(step), req->item, title);
	if (step == PROTO_STEP_ASSIGN && ans == STATION_TEAM_NONE) {
		size_t at = strlen(msg);
		snprintf(msg + at, len - at, "%s", T("。本站还没有收到服务队名单，队员编号由县里核对",
			". This station has no service-team list yet: the hub checks the member id"));
	}
	return STATION_CLI_OK;
}

int station_cli_step(station_store *store, const char *dir, int argc, char **argv)
{
	int cmd = find_command(argv[0]), rc;
	step_args a = {0};
	char msg[512];

	if (cmd < 0)
		return STATION_CLI_USAGE;
	rc = parse_step_args(argc, argv, commands[cmd].step, commands[cmd].needs, &a);
	if (rc) {
		/* An assign without --to: the members to pick from. */
		if ((commands[cmd].needs & STATION_CLI_NEED_MEMBER) && a.item && !a.member)
			print_team(store);
		return rc;
	}
	rc = station_cli_request_step(store, dir, &(station_cli_request){
		.step = commands[cmd].step, .item = a.item, .note = a.note,
		.member = a.member, .until_text = a.until_text, .into = a.into,
		.rating_text = a.rating_text}, msg, sizeof msg, NULL);
	fprintf(rc ? stderr : stdout, "%s\n", msg);
	return rc;
}
