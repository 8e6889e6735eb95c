/* Unit tests of the hub core, in one process, with no broker: a real hub
 * database in a temporary folder, a tiny registry, the default policy, and a
 * fake clock (every call is given its hub time `now`; nothing here waits).
 * Routing of every colour from every tier, reminders, escalation and
 * supervision (督办) each at its time and not a millisecond before, legal
 * and refused steps, the surge rule (研判预警), the weather (民情气象), and the
 * figures (统计口径). The expected values are written from the documents
 * (design brief, docs/POLICY.md, docs/FIGURES.md, PROTOCOL.md §5.5), not
 * derived from the code; the figures are recounted by SQL on the items the
 * test made. Only the hub's public headers are used (hub-core-env.h sets up
 * the core). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "hub/figures.h"
#include "protocol/log.h"

#include "check.h"
#include "hub-core-env.h"

/* ------------------------------------------------------------- routing */

/* The 4318 model's routing (design brief, "Colours, tiers"; docs/POLICY.md):
 * blue to the village, orange to the town, red straight to the county (民情
 * "直通车"), each the reporting station's ancestor at that tier; a station
 * at or above the tier handles its own report. Limits from the brief's
 * table: sign 24h/4h/30m, resolve 5d/3d/24h. */
static const struct {
	proto_colour colour;
	const char *from, *handler;
} routes[12] = {
	{PROTO_COLOUR_BLUE, GRP_A1A, VIL_A1}, {PROTO_COLOUR_BLUE, VIL_A1, VIL_A1},
	{PROTO_COLOUR_BLUE, TOWN_A, TOWN_A}, {PROTO_COLOUR_BLUE, COUNTY, COUNTY},
	{PROTO_COLOUR_ORANGE, GRP_A1A, TOWN_A}, {PROTO_COLOUR_ORANGE, VIL_A1, TOWN_A},
	{PROTO_COLOUR_ORANGE, TOWN_A, TOWN_A}, {PROTO_COLOUR_ORANGE, COUNTY, COUNTY},
	{PROTO_COLOUR_RED, GRP_A1A, COUNTY}, {PROTO_COLOUR_RED, VIL_A1, COUNTY},
	{PROTO_COLOUR_RED, TOWN_A, COUNTY}, {PROTO_COLOUR_RED, COUNTY, COUNTY},
};
static const int64_t sign_limit[3] = {24 * H, 4 * H, 30 * M};
static const int64_t resolve_limit[3] = {5 * D, 3 * D, 24 * H};

static void test_routing(void)
{
	char item[PROTO_ITEM_ID_MAX], name[64];
	env e;

	if (!env_open(&e, "routing", NULL))
		return;
	for (int i = 0; i < 12; i++) {
		proto_colour c = routes[i].colour;
		int64_t now = T0 + i * M;

		snprintf(name, sizeof name, "%s from %s", proto_colour_name(c), routes[i].from);
		check_case = name;
		report(&e, routes[i].from, c, PROTO_CAT_LIVELIHOOD, now, item);
		CHECK_STR(ITEM_TEXT(&e, item, "handler"), routes[i].handler);
		CHECK_STR(ITEM_TEXT(&e, item, "state"), "reported");
		CHECK_STR(ITEM_TEXT(&e, item, "colour"), proto_colour_name(c));
		CHECK_EQ_INT(ITEM_INT(&e, item, "sign_by"), now + sign_limit[c]);
		CHECK_EQ_INT(ITEM_INT(&e, item, "resolve_by"), now + resolve_limit[c]);
		CHECK_EQ_INT(sql_int(&e, "SELECT count(*) FROM events WHERE item = %Q", item), 1);
		CHECK_EQ_INT(EVENTS(&e, item, "route"), 1);
	}
	check_case = NULL;
	env_close(&e);
}

/* ---------------------------------------------------------- escalation */

/* Checks an item's colour, handler, state and deadlines at once. */
static void check_at(env *e, const char *item, const char *colour, const char *handler,
	const char *state, int64_t sign_by, int64_t resolve_by)
{
	CHECK_STR(ITEM_TEXT(e, item, "colour"), colour);
	CHECK_STR(ITEM_TEXT(e, item, "handler"), handler);
	CHECK_STR(ITEM_TEXT(e, item, "state"), state);
	CHECK_EQ_INT(ITEM_INT(e, item, "sign_by"), sign_by);
	CHECK_EQ_INT(ITEM_INT(e, item, "resolve_by"), resolve_by);
}

/* docs/POLICY.md's example, "a blue item nobody signs for", hour by hour
 * from Monday 09:00 (T0): each change at its time, and nothing a
 * millisecond before it; then the red item's supervision at the county. */
static void test_escalation(void)
{
	char item[PROTO_ITEM_ID_MAX];
	const int64_t fri = T0 + 96 * H; /* Fri 09:00: red at the county */
	env e;

	if (!env_open(&e, "escalation", NULL))
		return;
	check_case = "POLICY.md example";
	report(&e, GRP_A1A, PROTO_COLOUR_BLUE, PROTO_CAT_LIVELIHOOD, T0, item);
	check_at(&e, item, "blue", VIL_A1, "reported", T0 + 24 * H, T0 + 5 * D);
	/* Tue 03:00: 75% of 24h, the reminder to sign. */
	CHECK_EQ_INT(tick(&e, T0 + 18 * H - 1), 0);
	CHECK_EQ_INT(EVENTS(&e, item, "remind"), 0);
	CHECK_EQ_INT(tick(&e, T0 + 18 * H), 1);
	CHECK_EQ_INT(EVENTS(&e, item, "remind"), 1);
	check_at(&e, item, "blue", VIL_A1, "reported", T0 + 24 * H, T0 + 5 * D);
	/* Tue 09:00: not signed for, orange at the town, limits afresh. */
	CHECK_EQ_INT(tick(&e, T0 + 24 * H - 1), 0);
	CHECK_EQ_INT(tick(&e, T0 + 24 * H), 1);
	check_at(&e, item, "orange", TOWN_A, "reported", T0 + 28 * H, T0 + 24 * H + 3 * D);
	CHECK_EQ_INT(ITEM_INT(&e, item, "escalations"), 1);
	CHECK_EQ_INT(EVENTS(&e, item, "escalate"), 1);
	/* With a record of why, and the new handler, the reporter and the
	 * old handler each told (an item message in the downbox). */
	CHECK(strstr(sql_text(&e, "SELECT note FROM events WHERE item = %Q AND kind = "
		"'escalate'", item), "签收") != NULL);
	CHECK_STR(sql_text(&e, "SELECT group_concat(station, ' ') FROM (SELECT station FROM "
		"downbox WHERE item = %Q AND created = %lld ORDER BY station)", item,
		(long long)(T0 + 24 * H)), TOWN_A " " VIL_A1 " " GRP_A1A);
	/* Tue 10:30: the town signs; its 12:00 reminder is not sent. */
	CHECK_EQ_INT(act(&e, TOWN_A, item, "sign", NULL, T0 + 25 * H + 30 * M), PROTO_OK);
	CHECK_EQ_INT(tick(&e, T0 + 27 * H), 0);
	CHECK_EQ_INT(EVENTS(&e, item, "remind"), 1);
	/* Thu 15:00: 75% of 3d after Tue 09:00, the reminder to resolve. */
	CHECK_EQ_INT(tick(&e, T0 + 78 * H - 1), 0);
	CHECK_EQ_INT(tick(&e, T0 + 78 * H), 1);
	CHECK_EQ_INT(EVENTS(&e, item, "remind"), 2);
	/* Fri 09:00: not resolved, red at the county. */
	CHECK_EQ_INT(tick(&e, fri - 1), 0);
	CHECK_STR(ITEM_TEXT(&e, item, "colour"), "orange");
	CHECK_EQ_INT(tick(&e, fri), 1);
	check_at(&e, item, "red", COUNTY, "reported", fri + 30 * M, fri + 24 * H);
	CHECK_EQ_INT(ITEM_INT(&e, item, "escalations"), 2);
	CHECK(strstr(sql_text(&e, "SELECT note FROM events WHERE item = %Q AND kind = "
		"'escalate' ORDER BY seq DESC", item), "办结") != NULL);
	/* Fri 09:15 and 09:22:30: 50% and 75% of 30m. */
	CHECK_EQ_INT(tick(&e, fri + 15 * M - 1), 0);
	CHECK_EQ_INT(tick(&e, fri + 15 * M), 1);
	CHECK_EQ_INT(tick(&e, fri + 22 * M + 30 * S - 1), 0);
	CHECK_EQ_INT(tick(&e, fri + 22 * M + 30 * S), 1);
	CHECK_EQ_INT(EVENTS(&e, item, "remind"), 4);
	/* Red has nowhere higher: at its deadline it keeps it and is
	 * supervised (督办), then every 24h ([supervise] every), at most 10. */
	check_case = "supervision";
	CHECK_EQ_INT(tick(&e, fri + 30 * M - 1), 0);
	for (int k = 0; k < 10; k++) {
		int64_t at = fri + 30 * M + k * D;
		CHECK_EQ_INT(tick(&e, at - 1), 0);
		CHECK_EQ_INT(tick(&e, at), 1);
		CHECK_EQ_INT(ITEM_INT(&e, item, "supervised"), k + 1);
	}
	CHECK_EQ_INT(tick(&e, fri + 40 * D), 0);
	CHECK_EQ_INT(EVENTS(&e, item, "supervise"), 10);
	CHECK_EQ_INT(EVENTS(&e, item, "escalate"), 2);
	check_at(&e, item, "red", COUNTY, "reported", fri + 30 * M, fri + 24 * H);
	/* A late sign-for starts the resolve limit's count anew (its deadline
	 * stays): already past, supervised at the next look. */
	CHECK_EQ_INT(act(&e, COUNTY, item, "sign", NULL, fri + 41 * D), PROTO_OK);
	CHECK_EQ_INT(ITEM_INT(&e, item, "supervised"), 0);
	CHECK_EQ_INT(tick(&e, fri + 41 * D), 1);
	CHECK_EQ_INT(ITEM_INT(&e, item, "supervised"), 1);
	check_at(&e, item, "red", COUNTY, "signed", fri + 30 * M, fri + 24 * H);

	/* The example's other branch: signed Monday 15:00, the resolve limit
	 * still runs from Monday 09:00: reminded Thursday 03:00 (90h),
	 * escalated Saturday 09:00 (5d) to orange at the town. */
	check_case = "signed, not resolved";
	report(&e, GRP_A1B, PROTO_COLOUR_BLUE, PROTO_CAT_LIVELIHOOD, T0, item);
	CHECK_EQ_INT(act(&e, VIL_A1, item, "sign", NULL, T0 + 6 * H), PROTO_OK);
	run_clock(&e, T0 + 90 * H - 1);
	CHECK_EQ_INT(EVENTS(&e, item, "remind"), 0);
	run_clock(&e, T0 + 90 * H);
	CHECK_EQ_INT(EVENTS(&e, item, "remind"), 1);
	run_clock(&e, T0 + 120 * H - 1);
	check_at(&e, item, "blue", VIL_A1, "signed", T0 + 24 * H, T0 + 5 * D);
	run_clock(&e, T0 + 120 * H);
	check_at(&e, item, "orange", TOWN_A, "reported", T0 + 124 * H, T0 + 120 * H + 3 * D);

	/* An extension (延期) moves the deadline it names, and only that. */
	check_case = "extension";
	report(&e, VIL_A2, PROTO_COLOUR_BLUE, PROTO_CAT_LIVELIHOOD, T0 + 200 * H, item);
	CHECK_EQ_INT(act(&e, VIL_A2, item, "sign", NULL, T0 + 201 * H), PROTO_OK);
	CHECK_EQ_INT(act_full(&e, VIL_A2, item, "extend", "等材料", NULL, NULL,
		T0 + 200 * H + 10 * D, T0 + 202 * H), PROTO_OK);
	check_at(&e, item, "blue", VIL_A2, "signed", T0 + 224 * H, T0 + 200 * H + 10 * D);
	run_clock(&e, T0 + 200 * H + 10 * D - 1);
	CHECK_EQ_INT(EVENTS(&e, item, "escalate"), 0);
	run_clock(&e, T0 + 200 * H + 10 * D);
	CHECK_EQ_INT(EVENTS(&e, item, "escalate"), 1);
	check_case = NULL;
	env_close(&e);
}

/* ---------------------------------------------------------- the policy */

/* The policy is the county's (docs/POLICY.md): here blue and red go to the
 * town, orange's tier too, and the surge rule wants 4 and never turns red. A
 * reload changes what comes after it, not the limits already given. */
static void test_policy(void)
{
	char item[PROTO_ITEM_ID_MAX], kept[PROTO_ITEM_ID_MAX];
	hub_policy p;
	env e;

	if (!env_open(&e, "policy", "[blue]\ntier = town\n[red]\ntier = town\n"
			"[surge]\ncount = 4\nred_count = 0\n"))
		return;
	check_case = "blue at the town";
	report(&e, GRP_A1A, PROTO_COLOUR_BLUE, PROTO_CAT_LIVELIHOOD, T0, item);
	CHECK_STR(ITEM_TEXT(&e, item, "handler"), TOWN_A);
	/* Not signed for in 24h: orange, and "up one colour and one tier"
	 * (design brief), so to the county although orange's tier is the
	 * town. docs/POLICY.md's "Rules between keys" says instead that with
	 * equal tiers "an escalation may raise the colour without moving the
	 * item": the two documents disagree; this follows the brief. */
	run_clock(&e, T0 + 24 * H - 1);
	CHECK_STR(ITEM_TEXT(&e, item, "colour"), "blue");
	run_clock(&e, T0 + 24 * H);
	check_at(&e, item, "orange", COUNTY, "reported", T0 + 28 * H, T0 + 24 * H + 3 * D);

	check_case = "surge at 4, never red";
	for (int i = 0; i < 8; i++) {
		report(&e, i % 2 ? VIL_B1 : GRP_B1A, PROTO_COLOUR_BLUE, PROTO_CAT_SECURITY,
			T0 + 25 * H + i * M, item);
		CHECK_EQ_INT(sql_int(&e, "SELECT count(*) FROM alerts"), i < 3 ? 0 : 1);
	}
	CHECK_STR(sql_text(&e, "SELECT area || ' ' || colour || ' ' || count FROM alerts"),
		TOWN_B " orange 4");

	/* A red item at the town, unsigned at its deadline: supervised, and
	 * the county ([supervise] to) hears of it besides the handler and the
	 * reporter. */
	check_case = "supervised at the town";
	report(&e, VIL_A1, PROTO_COLOUR_RED, PROTO_CAT_SECURITY, T0 + 29 * H, item);
	CHECK_STR(ITEM_TEXT(&e, item, "handler"), TOWN_A);
	run_clock(&e, T0 + 29 * H + 30 * M);
	CHECK_EQ_INT(EVENTS(&e, item, "supervise"), 1);
	CHECK_STR(sql_text(&e, "SELECT group_concat(station, ' ') FROM (SELECT station FROM "
		"downbox WHERE item = %Q AND created = %lld ORDER BY station)", item,
		(long long)(T0 + 29 * H + 30 * M)), COUNTY " " TOWN_A " " VIL_A1);

	check_case = "reload";
	report(&e, VIL_A2, PROTO_COLOUR_BLUE, PROTO_CAT_LIVELIHOOD, T0 + 30 * H, kept);
	hub_policy_defaults(&p);
	p.colour[PROTO_COLOUR_BLUE].sign_ms = 2 * H;
	hub_workflow_set_policy(e.workflow, &p);
	report(&e, VIL_A2, PROTO_COLOUR_BLUE, PROTO_CAT_LIVELIHOOD, T0 + 31 * H, item);
	check_at(&e, kept, "blue", TOWN_A, "reported", T0 + 54 * H, T0 + 30 * H + 5 * D);
	check_at(&e, item, "blue", VIL_A2, "reported", T0 + 33 * H, T0 + 31 * H + 5 * D);
	check_case = NULL;
	env_close(&e);
}

/* --------------------------------------------------------------- steps */

/* A refused step changes nothing: same state, same number of events. */
static void check_refused(env *e, const char *item, proto_err got, proto_err want,
	const char *field, int64_t events, const char *state)
{
	CHECK_EQ_INT(got, want);
	CHECK_STR(last_field, field);
	CHECK_EQ_INT(sql_int(e, "SELECT count(*) FROM events WHERE item = %Q", item), events);
	CHECK_STR(ITEM_TEXT(e, item, "state"), state);
}

/* PROTOCOL.md §5.5: the table of steps, who may take them, and the order
 * in which a faulty step is refused (state before role, then the fields). */
static void test_steps(void)
{
	char item[PROTO_ITEM_ID_MAX], own[PROTO_ITEM_ID_MAX], red[PROTO_ITEM_ID_MAX];
	int64_t t = T0;
	env e;

	if (!env_open(&e, "steps", NULL))
		return;
	check_case = "the whole workflow";
	report(&e, GRP_A1A, PROTO_COLOUR_BLUE, PROTO_CAT_DISPUTE, t, item);
	check_refused(&e, item, act(&e, VIL_A1, item, "fly", NULL, t),
		PROTO_ERR_BAD_VALUE, "action", 1, "reported");
	check_refused(&e, item, act(&e, VIL_A1, "611025100201-1", "sign", NULL, t),
		PROTO_ERR_UNKNOWN_ITEM, "item", 1, "reported");
	/* A resolve without its note on a reported item: the state first. */
	check_refused(&e, item, act(&e, VIL_A1, item, "resolve", NULL, t),
		PROTO_ERR_BAD_STATE, "action", 1, "reported");
	check_refused(&e, item, act(&e, GRP_A1A, item, "sign", NULL, t),
		PROTO_ERR_NOT_ALLOWED, "action", 1, "reported");
	check_refused(&e, item, act(&e, TOWN_B, item, "sign", NULL, t),
		PROTO_ERR_NOT_ALLOWED, "action", 1, "reported");
	check_refused(&e, item, act(&e, VIL_A1, item, "verify", "看过了", t),
		PROTO_ERR_BAD_STATE, "action", 1, "reported");
	CHECK_EQ_INT(act(&e, VIL_A1, item, "sign", NULL, t += M), PROTO_OK);
	CHECK_STR(ITEM_TEXT(&e, item, "state"), "signed");
	CHECK_EQ_INT(ITEM_INT(&e, item, "signed_at"), t);
	check_refused(&e, item, act(&e, VIL_A1, item, "sign", NULL, t),
		PROTO_ERR_BAD_STATE, "action", 2, "signed");
	check_refused(&e, item, act(&e, VIL_A1, item, "assign", NULL, t),
		PROTO_ERR_MISSING_FIELD, "member", 2, "signed");
	/* A member of another town does not serve this handler. */
	check_refused(&e, item, act_full(&e, VIL_A1, item, "assign", NULL, "m-b1", NULL,
		0, t), PROTO_ERR_BAD_VALUE, "member", 2, "signed");
	CHECK_EQ_INT(act_full(&e, VIL_A1, item, "assign", NULL, "m-a1", NULL, 0, t += M),
		PROTO_OK);
	CHECK_STR(ITEM_TEXT(&e, item, "member"), "m-a1");
	check_refused(&e, item, act(&e, VIL_A1, item, "resolve", NULL, t),
		PROTO_ERR_MISSING_FIELD, "note", 3, "assigned");
	/* An ancestor of the handler acts as the handler. */
	CHECK_EQ_INT(act(&e, TOWN_A, item, "comment", "镇里知道了", t), PROTO_OK);
	CHECK_EQ_INT(act(&e, VIL_A1, item, "resolve", "已调解", t += M), PROTO_OK);
	CHECK_EQ_INT(ITEM_INT(&e, item, "resolved_at"), t);
	check_refused(&e, item, act(&e, VIL_A1, item, "verify", "看过了", t),
		PROTO_ERR_NOT_ALLOWED, "action", 5, "resolved");
	check_refused(&e, item, act(&e, GRP_A1A, item, "verify", NULL, t),
		PROTO_ERR_MISSING_FIELD, "note", 5, "resolved");
	CHECK_EQ_INT(act(&e, GRP_A1A, item, "verify", "回访满意", t += M), PROTO_OK);
	check_refused(&e, item, act(&e, GRP_A1A, item, "rate", NULL, t),
		PROTO_ERR_MISSING_FIELD, "rating", 6, "verified");
	check_refused(&e, item, act_full(&e, GRP_A1A, item, "rate", NULL, NULL, "great",
		0, t), PROTO_ERR_BAD_VALUE, "rating", 6, "verified");
	CHECK_EQ_INT(act_full(&e, GRP_A1A, item, "rate", NULL, NULL, "satisfied", 0, t += M),
		PROTO_OK);
	CHECK_STR(ITEM_TEXT(&e, item, "state"), "rated");
	CHECK_STR(ITEM_TEXT(&e, item, "rating"), "satisfied");
	CHECK_STR(sql_text(&e, "SELECT group_concat(kind, ' ') FROM (SELECT kind FROM "
		"events WHERE item = %Q ORDER BY seq)", item),
		"route sign assign comment resolve verify rate");
	check_refused(&e, item, act(&e, GRP_A1A, item, "withdraw", "不用了", t),
		PROTO_ERR_BAD_STATE, "action", 7, "rated");

	/* Nobody verifies their own work: a village's own blue report is
	 * visited by the town; unsatisfied reopens it, back to signed. */
	check_case = "own report";
	report(&e, VIL_A1, PROTO_COLOUR_BLUE, PROTO_CAT_LIVELIHOOD, t, own);
	CHECK_EQ_INT(act(&e, VIL_A1, own, "sign", NULL, t += M), PROTO_OK);
	CHECK_EQ_INT(act(&e, VIL_A1, own, "resolve", "已办", t += M), PROTO_OK);
	check_refused(&e, own, act(&e, VIL_A1, own, "verify", "自己看过", t),
		PROTO_ERR_NOT_ALLOWED, "action", 3, "resolved");
	CHECK_EQ_INT(act(&e, TOWN_A, own, "verify", "镇里回访", t += M), PROTO_OK);
	CHECK_EQ_INT(act_full(&e, TOWN_A, own, "rate", NULL, NULL, "unsatisfied", 0, t += M),
		PROTO_OK);
	CHECK_STR(ITEM_TEXT(&e, own, "state"), "signed");
	CHECK_EQ_INT(ITEM_INT(&e, own, "resolve_by"), t + 5 * D);

	/* Return (退单) goes to the handler's parent, limits afresh; the
	 * county has no one above it. Withdraw is the reporter's alone. */
	check_case = "return, withdraw";
	report(&e, GRP_A1A, PROTO_COLOUR_RED, PROTO_CAT_SECURITY, t, red);
	check_refused(&e, red, act(&e, COUNTY, red, "return", "退回", t),
		PROTO_ERR_BAD_STATE, "action", 1, "reported");
	check_refused(&e, red, act(&e, COUNTY, red, "return", NULL, t),
		PROTO_ERR_MISSING_FIELD, "note", 1, "reported");
	check_refused(&e, red, act(&e, COUNTY, red, "withdraw", "撤", t),
		PROTO_ERR_NOT_ALLOWED, "action", 1, "reported");
	CHECK_EQ_INT(act(&e, GRP_A1A, red, "withdraw", "误报", t += M), PROTO_OK);
	CHECK_STR(ITEM_TEXT(&e, red, "state"), "withdrawn");
	report(&e, GRP_A1B, PROTO_COLOUR_BLUE, PROTO_CAT_SECURITY, t, item);
	CHECK_EQ_INT(act(&e, VIL_A1, item, "return", "不属本村", t += H), PROTO_OK);
	check_at(&e, item, "blue", TOWN_A, "reported", t + 24 * H, t + 5 * D);
	check_refused(&e, item, act_full(&e, TOWN_A, item, "extend", "等", NULL, NULL,
		t - 1, t), PROTO_ERR_BAD_VALUE, "until", 2, "reported");

	/* Merge (合并) into another open item, not into itself or a closed one. */
	check_case = "merge";
	{
		char dup[PROTO_ITEM_ID_MAX];
		proto_action m = {.action = "merge"};

		report(&e, GRP_A1A, PROTO_COLOUR_BLUE, PROTO_CAT_SECURITY, t, dup);
		proto_copy(m.item, sizeof m.item, dup);
		check_refused(&e, dup, act_with(&e, TOWN_A, &m, t), PROTO_ERR_MISSING_FIELD,
			"into", 1, "reported");
		proto_copy(m.into, sizeof m.into, dup);
		check_refused(&e, dup, act_with(&e, TOWN_A, &m, t), PROTO_ERR_BAD_VALUE,
			"into", 1, "reported");
		proto_copy(m.into, sizeof m.into, red); /* withdrawn */
		check_refused(&e, dup, act_with(&e, TOWN_A, &m, t), PROTO_ERR_BAD_VALUE,
			"into", 1, "reported");
		proto_copy(m.into, sizeof m.into, item);
		check_refused(&e, dup, act_with(&e, GRP_A1A, &m, t), PROTO_ERR_NOT_ALLOWED,
			"action", 1, "reported");
		CHECK_EQ_INT(act_with(&e, TOWN_A, &m, t += M), PROTO_OK);
		CHECK_STR(ITEM_TEXT(&e, dup, "state"), "merged");
		CHECK_STR(ITEM_TEXT(&e, dup, "into_item"), item);
	}
	check_case = NULL;
	env_close(&e);
}

/* --------------------------------------------------------------- surge */

static int64_t alerts(env *e)
{
	return sql_int(e, "SELECT count(*) FROM alerts");
}

/* docs/POLICY.md, 研判预警: count 3 open reports of one category in one town
 * within 24h raise an orange alert for the town; at red_count 6, red. */
static void test_surge(void)
{
	char item[PROTO_ITEM_ID_MAX], gone[PROTO_ITEM_ID_MAX];
	env e;

	if (!env_open(&e, "surge", NULL))
		return;
	check_case = "N-1, then N";
	report(&e, VIL_A1, PROTO_COLOUR_BLUE, PROTO_CAT_DISPUTE, T0, item);
	report(&e, GRP_A1A, PROTO_COLOUR_ORANGE, PROTO_CAT_DISPUTE, T0 + H, item);
	/* Another town, another category, the county's own: none counts. */
	report(&e, VIL_B1, PROTO_COLOUR_BLUE, PROTO_CAT_DISPUTE, T0 + H, item);
	report(&e, VIL_A2, PROTO_COLOUR_BLUE, PROTO_CAT_INDUSTRY, T0 + H, item);
	report(&e, COUNTY, PROTO_COLOUR_BLUE, PROTO_CAT_DISPUTE, T0 + H, item);
	CHECK_EQ_INT(alerts(&e), 0);
	report(&e, TOWN_A, PROTO_COLOUR_BLUE, PROTO_CAT_DISPUTE, T0 + 2 * H, item);
	CHECK_EQ_INT(alerts(&e), 1);
	CHECK_STR(sql_text(&e, "SELECT area || ' ' || category || ' ' || colour || ' ' || "
		"count FROM alerts"), TOWN_A " dispute orange 3");
	check_case = "4th, 5th, then red at 6";
	report(&e, VIL_A2, PROTO_COLOUR_BLUE, PROTO_CAT_DISPUTE, T0 + 3 * H, item);
	report(&e, GRP_A2A, PROTO_COLOUR_BLUE, PROTO_CAT_DISPUTE, T0 + 3 * H, item);
	CHECK_EQ_INT(alerts(&e), 1);
	report(&e, VIL_A1, PROTO_COLOUR_BLUE, PROTO_CAT_DISPUTE, T0 + 4 * H, item);
	CHECK_EQ_INT(alerts(&e), 2);
	CHECK_STR(sql_text(&e, "SELECT area || ' ' || colour || ' ' || count FROM alerts "
		"ORDER BY id DESC"), TOWN_A " red 6");
	CHECK_EQ_INT(sql_int(&e, "SELECT json_array_length(items) FROM alerts ORDER BY id "
		"DESC"), 6);

	/* The window: three within 26h are not three within 24h. */
	check_case = "window";
	report(&e, VIL_B1, PROTO_COLOUR_BLUE, PROTO_CAT_PROXY, T0, item);
	report(&e, VIL_B2, PROTO_COLOUR_BLUE, PROTO_CAT_PROXY, T0 + 13 * H, item);
	report(&e, GRP_B1A, PROTO_COLOUR_BLUE, PROTO_CAT_PROXY, T0 + 26 * H, item);
	CHECK_EQ_INT(alerts(&e), 2);
	report(&e, VIL_B1, PROTO_COLOUR_BLUE, PROTO_CAT_PROXY, T0 + 27 * H, item);
	CHECK_EQ_INT(alerts(&e), 3);
	CHECK_STR(sql_text(&e, "SELECT area || ' ' || category || ' ' || count FROM alerts "
		"ORDER BY id DESC"), TOWN_B " proxy 3");

	/* Only open reports count: one withdrawn leaves two. */
	check_case = "open only";
	report(&e, VIL_B1, PROTO_COLOUR_BLUE, PROTO_CAT_CEREMONY, T0 + 30 * H, gone);
	report(&e, VIL_B2, PROTO_COLOUR_BLUE, PROTO_CAT_CEREMONY, T0 + 30 * H, item);
	CHECK_EQ_INT(act(&e, VIL_B1, gone, "withdraw", "重复", T0 + 31 * H), PROTO_OK);
	report(&e, GRP_B1A, PROTO_COLOUR_BLUE, PROTO_CAT_CEREMONY, T0 + 32 * H, item);
	CHECK_EQ_INT(alerts(&e), 3);
	report(&e, GRP_B1A, PROTO_COLOUR_BLUE, PROTO_CAT_CEREMONY, T0 + 33 * H, item);
	CHECK_EQ_INT(alerts(&e), 4);
	check_case = NULL;
	env_close(&e);
}

/* ------------------------------------------------------------- weather */

/* An area's stored weather; never computed reads as clear (nothing open). */
static const char *weather(env *e, const char *code)
{
	const char *w = sql_text(e, "SELECT weather FROM weather WHERE code = %Q", code);
	return *w ? w : "clear";
}

/* The weather of a group, its village, its town and the county at once. */
static void check_weather(env *e, const char *code, const char *own,
	const char *village, const char *town, const char *county)
{
	char c[PROTO_CODE_MAX + 1];

	if (own)
		CHECK_STR(weather(e, code), own);
	proto_copy(c, 13, code);
	CHECK_STR(weather(e, c), village);
	proto_copy(c, 10, code);
	CHECK_STR(weather(e, c), town);
	CHECK_STR(weather(e, COUNTY), county);
}

/* docs/POLICY.md, 民情气象: the first that holds of storm (any red), rain
 * (an orange past its first reminder), overcast (any orange, or many_blue 5
 * open blue in one village), cloudy (blue only), clear; an area shows the
 * worst of itself and the areas below it. */
static void test_weather(void)
{
	char item[PROTO_ITEM_ID_MAX], orange[PROTO_ITEM_ID_MAX], red[PROTO_ITEM_ID_MAX];
	env e;

	if (!env_open(&e, "weather", NULL))
		return;
	check_case = "clear";
	check_weather(&e, GRP_A1A, "clear", "clear", "clear", "clear");
	check_case = "cloudy";
	report(&e, GRP_A1A, PROTO_COLOUR_BLUE, PROTO_CAT_LIVELIHOOD, T0, item);
	check_weather(&e, GRP_A1A, "cloudy", "cloudy", "cloudy", "cloudy");
	CHECK_STR(weather(&e, GRP_A1B), "clear");
	CHECK_STR(weather(&e, TOWN_B), "clear");
	/* Withdrawn, nothing is open: clear again, written down. */
	CHECK_EQ_INT(act(&e, GRP_A1A, item, "withdraw", "误报", T0 + M), PROTO_OK);
	CHECK_STR(sql_text(&e, "SELECT weather FROM weather WHERE code = %Q", COUNTY), "clear");
	check_weather(&e, GRP_A1A, "clear", "clear", "clear", "clear");

	check_case = "many blue";
	for (int i = 0; i < 4; i++)
		report(&e, VIL_A1, PROTO_COLOUR_BLUE, PROTO_CAT_LIVELIHOOD, T0 + i * M, item);
	check_weather(&e, VIL_A1, "cloudy", "cloudy", "cloudy", "cloudy");
	report(&e, GRP_A1A, PROTO_COLOUR_BLUE, PROTO_CAT_LIVELIHOOD, T0 + 5 * M, item);
	check_weather(&e, GRP_A1A, "cloudy", "overcast", "overcast", "overcast");
	/* Counted per village: 3 + 3 in two villages of town B are not 5. */
	for (int i = 0; i < 3; i++) {
		report(&e, VIL_B1, PROTO_COLOUR_BLUE, PROTO_CAT_LIVELIHOOD, T0 + i * M, item);
		report(&e, VIL_B2, PROTO_COLOUR_BLUE, PROTO_CAT_LIVELIHOOD, T0 + i * M, item);
	}
	check_weather(&e, VIL_B1, NULL, "cloudy", "cloudy", "overcast");
	/* Below blue's tier a group counts its own. */
	for (int i = 0; i < 5; i++)
		report(&e, GRP_A2A, PROTO_COLOUR_BLUE, PROTO_CAT_LIVELIHOOD, T0 + i * M, item);
	check_weather(&e, GRP_A2A, "overcast", "overcast", "overcast", "overcast");

	check_case = "orange, then rain";
	report(&e, VIL_B1, PROTO_COLOUR_ORANGE, PROTO_CAT_LIVELIHOOD, T0 + H, orange);
	check_weather(&e, VIL_B1, "overcast", "overcast", "overcast", "overcast");
	CHECK_STR(weather(&e, VIL_B2), "cloudy");
	/* Its first reminder: 75% of orange's 4h. */
	CHECK_EQ_INT(tick(&e, T0 + 4 * H - 1), 0);
	check_weather(&e, VIL_B1, "overcast", "overcast", "overcast", "overcast");
	CHECK_EQ_INT(tick(&e, T0 + 4 * H), 1);
	check_weather(&e, VIL_B1, "rain", "rain", "rain", "rain");
	CHECK_STR(weather(&e, TOWN_A), "overcast");

	check_case = "storm";
	report(&e, GRP_A1B, PROTO_COLOUR_RED, PROTO_CAT_SECURITY, T0 + 4 * H, red);
	check_weather(&e, GRP_A1B, "storm", "storm", "storm", "storm");
	CHECK_STR(weather(&e, GRP_A1A), "cloudy");
	CHECK_STR(weather(&e, TOWN_B), "rain");
	/* The red resolved: the storm passes, the rest stays. */
	CHECK_EQ_INT(act(&e, COUNTY, red, "sign", NULL, T0 + 4 * H + M), PROTO_OK);
	CHECK_STR(weather(&e, TOWN_A), "storm");
	CHECK_EQ_INT(act(&e, COUNTY, red, "resolve", "已处置", T0 + 4 * H + 2 * M), PROTO_OK);
	check_weather(&e, GRP_A1B, "clear", "overcast", "overcast", "rain");
	check_case = NULL;
	env_close(&e);
}

/* ------------------------------------------------------------- figures */

/* Items through every state, on time and late, escalated and reopened,
 * across two towns and two days, with the clock run between steps; every
 * figure of every scope and period as the code counts it and as the
 * test's SQL does, and the county's as worked out by hand. */
static void test_figures(void)
{
	static const char *const scopes[] = {COUNTY, TOWN_A, TOWN_B, VIL_A1, GRP_A1B, VIL_B2};
	static const int64_t periods[][2] = {{0, INT64_MAX}, {T0, T0 + D}, {T0 + D, T0 + 2 * D}};
	char a[PROTO_ITEM_ID_MAX], b[PROTO_ITEM_ID_MAX], c[PROTO_ITEM_ID_MAX];
	char d[PROTO_ITEM_ID_MAX], f[PROTO_ITEM_ID_MAX], g[PROTO_ITEM_ID_MAX], x[PROTO_ITEM_ID_MAX];
	const int64_t now = T0 + 60 * H + 7 * M;
	hub_figures got, want;
	towns t = {0};
	env e;

#define AT(when) run_clock(&e, (when))
	if (!env_open(&e, "figures", NULL))
		return;
	check_case = "figures: the items";
	/* a: blue, the whole workflow on time, basic (基本满意); not a dispute. */
	AT(T0 + H);
	report(&e, GRP_A1A, PROTO_COLOUR_BLUE, PROTO_CAT_LIVELIHOOD, T0 + H, a);
	/* b: orange nobody signs: red at the county at T0+6h, signed late. */
	AT(T0 + 2 * H);
	report(&e, VIL_A1, PROTO_COLOUR_ORANGE, PROTO_CAT_LIVELIHOOD, T0 + 2 * H, b);
	AT(T0 + 2 * H);
	CHECK_EQ_INT(act(&e, VIL_A1, a, "sign", NULL, T0 + 2 * H), PROTO_OK);
	CHECK_EQ_INT(act_full(&e, VIL_A1, a, "assign", NULL, "m-a1", NULL, 0, T0 + 2 * H),
		PROTO_OK);
	/* c: red, signed in time, resolved late, rated unsatisfied: reopened. */
	AT(T0 + 3 * H);
	report(&e, GRP_A1B, PROTO_COLOUR_RED, PROTO_CAT_INFRASTRUCTURE, T0 + 3 * H, c);
	CHECK_EQ_INT(act(&e, VIL_A1, a, "resolve", "已调解", T0 + 3 * H), PROTO_OK);
	AT(T0 + 3 * H + 10 * M);
	CHECK_EQ_INT(act(&e, COUNTY, c, "sign", NULL, T0 + 3 * H + 10 * M), PROTO_OK);
	AT(T0 + 4 * H);
	CHECK_EQ_INT(act(&e, GRP_A1A, a, "verify", "回访", T0 + 4 * H), PROTO_OK);
	AT(T0 + 5 * H);
	CHECK_EQ_INT(act_full(&e, GRP_A1A, a, "rate", NULL, NULL, "basic", 0, T0 + 5 * H),
		PROTO_OK);
	AT(T0 + 7 * H);
	CHECK_EQ_INT(ITEM_INT(&e, b, "escalations"), 1);
	CHECK_EQ_INT(act(&e, COUNTY, b, "sign", NULL, T0 + 7 * H), PROTO_OK);
	/* d: withdrawn; x: a dispute resolved in time and visited, not rated. */
	AT(T0 + 25 * H);
	report(&e, VIL_B1, PROTO_COLOUR_BLUE, PROTO_CAT_DISPUTE, T0 + 25 * H, d);
	CHECK_EQ_INT(act(&e, VIL_B1, d, "withdraw", "误报", T0 + 25 * H + 30 * M), PROTO_OK);
	AT(T0 + 26 * H);
	report(&e, GRP_B1A, PROTO_COLOUR_BLUE, PROTO_CAT_DISPUTE, T0 + 26 * H, x);
	AT(T0 + 26 * H + 30 * M);
	CHECK_EQ_INT(act(&e, VIL_B1, x, "sign", NULL, T0 + 26 * H + 30 * M), PROTO_OK);
	/* f: orange at the town itself, signed, left to run (due T0+99h). */
	AT(T0 + 27 * H);
	report(&e, TOWN_B, PROTO_COLOUR_ORANGE, PROTO_CAT_PROXY, T0 + 27 * H, f);
	AT(T0 + 28 * H);
	CHECK_EQ_INT(act(&e, TOWN_B, f, "sign", NULL, T0 + 28 * H), PROTO_OK);
	/* g: blue nobody touches: orange at T0+52h, red at T0+56h. */
	report(&e, VIL_A2, PROTO_COLOUR_BLUE, PROTO_CAT_CEREMONY, T0 + 28 * H, g);
	AT(T0 + 30 * H);
	CHECK_EQ_INT(act(&e, VIL_B1, x, "resolve", "已调解", T0 + 30 * H), PROTO_OK);
	AT(T0 + 31 * H);
	CHECK_EQ_INT(act(&e, GRP_B1A, x, "verify", "回访", T0 + 31 * H), PROTO_OK);
	AT(T0 + 40 * H);
	CHECK_EQ_INT(act(&e, COUNTY, c, "resolve", "已修复", T0 + 40 * H), PROTO_OK);
	AT(T0 + 41 * H);
	CHECK_EQ_INT(act(&e, GRP_A1B, c, "verify", "回访", T0 + 41 * H), PROTO_OK);
	AT(T0 + 42 * H);
	CHECK_EQ_INT(act_full(&e, GRP_A1B, c, "rate", NULL, NULL, "unsatisfied", 0,
		T0 + 42 * H), PROTO_OK);
	AT(now);
	CHECK_STR(ITEM_TEXT(&e, g, "colour"), "red");
	CHECK_STR(ITEM_TEXT(&e, c, "state"), "signed");
#undef AT

	/* The county's, by hand from the story above. */
	check_case = "figures: the county by hand";
	CHECK_EQ_INT(hub_figures_count(db_of(&e), COUNTY, 0, INT64_MAX, now, &got), PROTO_OK);
	want = (hub_figures){.collected = 7, .open = {0, 1, 3}, .overdue = 2, .sign_due = 6,
		.signed_on_time = 4, .resolve_due = 3, .resolved_on_time = 2, .solved = 2,
		.mediated = 1, .visit_due = 2, .visited = 2, .rated = 2, .satisfied = 1,
		.escalated = 2};
	check_same(&got, &want);
	/* Every scope and period against the SQL recount. */
	for (size_t i = 0; i < sizeof scopes / sizeof *scopes; i++) {
		for (size_t k = 0; k < sizeof periods / sizeof *periods; k++) {
			char name[64];
			snprintf(name, sizeof name, "figures of %s, period %zu", scopes[i], k);
			check_case = name;
			recount(&e, "origin", scopes[i], periods[k][0], periods[k][1], now, &want);
			CHECK_EQ_INT(hub_figures_count(db_of(&e), scopes[i], periods[k][0],
				periods[k][1], now, &got), PROTO_OK);
			check_same(&got, &want);
			recount(&e, "handler", scopes[i], periods[k][0], periods[k][1], now, &want);
			CHECK_EQ_INT(hub_figures_count_handled(db_of(&e), scopes[i],
				periods[k][0], periods[k][1], now, &got), PROTO_OK);
			check_same(&got, &want);
		}
		/* All time from the tally and the index, as the overview reads. */
		recount(&e, "origin", scopes[i], 0, INT64_MAX, now, &want);
		CHECK_EQ_INT(hub_figures_all(db_of(&e), scopes[i], now, &got), PROTO_OK);
		check_same(&got, &want);
	}
	/* The areas' table: the towns of the county in one read. */
	check_case = "figures: the towns in one read";
	CHECK_EQ_INT(hub_figures_count_areas(db_of(&e), false, COUNTY, 9, 0, INT64_MAX, now,
		town_of, &t), PROTO_OK);
	recount(&e, "origin", TOWN_A, 0, INT64_MAX, now, &want);
	check_same(&t.f[0], &want);
	recount(&e, "origin", TOWN_B, 0, INT64_MAX, now, &want);
	check_same(&t.f[1], &want);
	/* The county's own station's reports: none here. */
	CHECK_EQ_INT(t.other, 0);
	check_case = NULL;
	env_close(&e);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");

	/* The core logs every escalation and alert: only faults matter here. */
	proto_log_init("test-hub-core", PROTO_LOG_ERROR);
	snprintf(dir, sizeof dir, "%s/minqing-hub-core-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_routing();
	test_escalation();
	test_policy();
	test_steps();
	test_surge();
	test_weather();
	test_figures();
	{
		char key[600];
		snprintf(key, sizeof key, "%s/secret.key", dir);
		unlink(key);
	}
	rmdir(dir);
	return check_finish();
}
