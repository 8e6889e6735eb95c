/* Unit tests of hub/policy.c: the defaults, every key and value form, every
 * fault with the line and key it names, the writer's round trip, and the
 * shipped data/policy.conf being exactly the defaults. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hub/policy.h"

#include "check.h"

#define S 1000LL
#define M (60 * S)
#define H (60 * M)
#define D (24 * H)

static bool same_policy(const hub_policy *a, const hub_policy *b)
{
	for (int i = 0; i < PROTO_COLOUR__COUNT; i++) {
		const hub_policy_colour *x = &a->colour[i], *y = &b->colour[i];

		if (x->tier != y->tier || x->sign_ms != y->sign_ms ||
		    x->resolve_ms != y->resolve_ms || x->remind_pct != y->remind_pct ||
		    x->reminders != y->reminders)
			return false;
	}
	return a->supervise.every_ms == b->supervise.every_ms &&
	       a->supervise.max == b->supervise.max &&
	       a->supervise.to == b->supervise.to &&
	       a->surge.count == b->surge.count &&
	       a->surge.window_ms == b->surge.window_ms &&
	       a->surge.colour == b->surge.colour &&
	       a->surge.red_count == b->surge.red_count &&
	       a->weather.many_blue == b->weather.many_blue;
}

static proto_err parse(hub_policy *p, const char *text, char *err, size_t n)
{
	err[0] = '\0';
	return hub_policy_parse(p, text, strlen(text), err, n);
}

static void test_defaults(void)
{
	hub_policy p, q;
	char err[256];

	memset(&p, 0xAB, sizeof p);
	hub_policy_defaults(&p);
	CHECK_EQ_INT(p.colour[PROTO_COLOUR_BLUE].tier, PROTO_TIER_VILLAGE);
	CHECK_EQ_INT(p.colour[PROTO_COLOUR_BLUE].sign_ms, 24 * H);
	CHECK_EQ_INT(p.colour[PROTO_COLOUR_BLUE].resolve_ms, 5 * D);
	CHECK_EQ_INT(p.colour[PROTO_COLOUR_BLUE].remind_pct, 75);
	CHECK_EQ_INT(p.colour[PROTO_COLOUR_BLUE].reminders, 1);
	CHECK_EQ_INT(p.colour[PROTO_COLOUR_ORANGE].tier, PROTO_TIER_TOWN);
	CHECK_EQ_INT(p.colour[PROTO_COLOUR_ORANGE].sign_ms, 4 * H);
	CHECK_EQ_INT(p.colour[PROTO_COLOUR_ORANGE].resolve_ms, 3 * D);
	CHECK_EQ_INT(p.colour[PROTO_COLOUR_ORANGE].remind_pct, 75);
	CHECK_EQ_INT(p.colour[PROTO_COLOUR_ORANGE].reminders, 1);
	CHECK_EQ_INT(p.colour[PROTO_COLOUR_RED].tier, PROTO_TIER_COUNTY);
	CHECK_EQ_INT(p.colour[PROTO_COLOUR_RED].sign_ms, 30 * M);
	CHECK_EQ_INT(p.colour[PROTO_COLOUR_RED].resolve_ms, 24 * H);
	CHECK_EQ_INT(p.colour[PROTO_COLOUR_RED].remind_pct, 50);
	CHECK_EQ_INT(p.colour[PROTO_COLOUR_RED].reminders, 2);
	CHECK_EQ_INT(p.surge.count, 3);
	CHECK_EQ_INT(p.surge.window_ms, 24 * H);
	CHECK_EQ_INT(p.surge.colour, PROTO_COLOUR_ORANGE);
	CHECK_EQ_INT(p.surge.red_count, 6);
	CHECK_EQ_INT(p.weather.many_blue, 5);

	/* Empty text, comments only, and no text at all: the defaults. */
	memset(&q, 0, sizeof q);
	CHECK_EQ_INT(parse(&q, "", err, sizeof err), PROTO_OK);
	CHECK(same_policy(&p, &q));
	memset(&q, 0, sizeof q);
	CHECK_EQ_INT(parse(&q, "# nothing\n; here\n\n[blue]\n[weather]\n", err,
		sizeof err), PROTO_OK);
	CHECK_STR(err, "");
	CHECK(same_policy(&p, &q));
	memset(&q, 0, sizeof q);
	CHECK_EQ_INT(hub_policy_parse(&q, NULL, 0, err, sizeof err), PROTO_OK);
	CHECK(same_policy(&p, &q));
}

/* Each key on its own over the defaults: only its field changes. */
static void test_every_key(void)
{
	static const struct {
		const char *text;
		size_t off;  /* field in hub_policy */
		int size;    /* 4 (int, enum) or 8 (int64_t) */
		int64_t want;
	} cases[] = {
#define C(c, f) offsetof(hub_policy, colour[c].f)
		{"[blue]\ntier = group\n", C(0, tier), 4, PROTO_TIER_GROUP},
		{"[blue]\nsign = 12h\n", C(0, sign_ms), 8, 12 * H},
		{"[blue]\nresolve = 7d\n", C(0, resolve_ms), 8, 7 * D},
		{"[blue]\nremind = 50%\n", C(0, remind_pct), 4, 50},
		{"[blue]\nreminders = 3\n", C(0, reminders), 4, 3},
		{"[orange]\ntier = village\n", C(1, tier), 4, PROTO_TIER_VILLAGE},
		{"[orange]\ntier = county\n", C(1, tier), 4, PROTO_TIER_COUNTY},
		{"[orange]\nsign = 2h\n", C(1, sign_ms), 8, 2 * H},
		{"[orange]\nresolve = 2d\n", C(1, resolve_ms), 8, 2 * D},
		{"[orange]\nremind = 99%\n", C(1, remind_pct), 4, 99},
		{"[orange]\nreminders = 0\n", C(1, reminders), 4, 0},
		{"[red]\nsign = 15m\n", C(2, sign_ms), 8, 15 * M},
		{"[red]\nresolve = 12h\n", C(2, resolve_ms), 8, 12 * H},
		{"[red]\nremind = 1%\n", C(2, remind_pct), 4, 1},
		{"[red]\nreminders = 10\n", C(2, reminders), 4, 10},
#undef C
		{"[supervise]\nevery = 12h\n", offsetof(hub_policy, supervise.every_ms), 8,
			12 * H},
		{"[supervise]\nmax = 0\n", offsetof(hub_policy, supervise.max), 4, 0},
		{"[supervise]\nto = town\n", offsetof(hub_policy, supervise.to), 4,
			PROTO_TIER_TOWN},
		{"[surge]\ncount = 4\n", offsetof(hub_policy, surge.count), 4, 4},
		{"[surge]\ncount = 2\n", offsetof(hub_policy, surge.count), 4, 2},
		{"[surge]\nwindow = 48h\n", offsetof(hub_policy, surge.window_ms), 8, 2 * D},
		{"[surge]\ncolour = red\n", offsetof(hub_policy, surge.colour), 4,
			PROTO_COLOUR_RED},
		{"[surge]\ncolour = orange\n", offsetof(hub_policy, surge.colour), 4,
			PROTO_COLOUR_ORANGE},
		{"[surge]\nred_count = 0\n", offsetof(hub_policy, surge.red_count), 4, 0},
		{"[surge]\nred_count = 1000\n", offsetof(hub_policy, surge.red_count), 4,
			1000},
		{"[weather]\nmany_blue = 1\n", offsetof(hub_policy, weather.many_blue), 4, 1},
		{"[weather]\nmany_blue = 1000\n", offsetof(hub_policy, weather.many_blue),
			4, 1000},
	};
	hub_policy def, p;
	char err[256];

	hub_policy_defaults(&def);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *field = (const char *)&p + cases[i].off;
		int64_t got;

		check_case = cases[i].text;
		CHECK_EQ_INT(parse(&p, cases[i].text, err, sizeof err), PROTO_OK);
		CHECK_STR(err, "");
		if (cases[i].size == 8) {
			memcpy(&got, field, 8);
		} else {
			int v;
			memcpy(&v, field, 4);
			got = v;
		}
		CHECK_EQ_INT(got, cases[i].want);
		/* and nothing else moved */
		memcpy((char *)&p + cases[i].off, (const char *)&def + cases[i].off,
			(size_t)cases[i].size);
		CHECK(same_policy(&p, &def));
	}
	check_case = NULL;

	/* All together, with the freedoms of the syntax: indentation (which
	 * inih alone would read as a continuation), CRLF, a UTF-8 BOM, inline
	 * ';' comments, a section given twice, and long Chinese comments. */
	char text[2048];
	snprintf(text, sizeof text,
		"\xEF\xBB\xBF# 镇安县 民情气象 policy\r\n"
		"[blue]\r\n"
		"  tier = group\r\n"
		"  sign = 12h ; 签收\r\n"
		"\tresolve = 4d\n"
		"# %s\n"
		"[red]\n"
		"sign=20m\n"
		"[blue]\n"
		"remind = 60%%\n"
		"   ; indented comment\n"
		"[surge]\n"
		"count = 4\n"
		"red_count = 0\n"
		"[weather]\n"
		"many_blue = 8",  /* no newline at the end */
		"这是一行很长的中文注释，用来检验超过解析器行缓冲区的注释不会被误读为设置。"
		"这是一行很长的中文注释，用来检验超过解析器行缓冲区的注释不会被误读为设置。"
		" sign = 1s");
	CHECK(strlen(text) < sizeof text - 1);
	CHECK_EQ_INT(parse(&p, text, err, sizeof err), PROTO_OK);
	CHECK_STR(err, "");
	CHECK_EQ_INT(p.colour[PROTO_COLOUR_BLUE].tier, PROTO_TIER_GROUP);
	CHECK_EQ_INT(p.colour[PROTO_COLOUR_BLUE].sign_ms, 12 * H);
	CHECK_EQ_INT(p.colour[PROTO_COLOUR_BLUE].resolve_ms, 4 * D);
	CHECK_EQ_INT(p.colour[PROTO_COLOUR_BLUE].remind_pct, 60);
	CHECK_EQ_INT(p.colour[PROTO_COLOUR_RED].sign_ms, 20 * M);
	CHECK_EQ_INT(p.colour[PROTO_COLOUR_RED].resolve_ms, 24 * H);
	CHECK_EQ_INT(p.surge.count, 4);
	CHECK_EQ_INT(p.surge.red_count, 0);
	CHECK_EQ_INT(p.weather.many_blue, 8);
}

static void test_durations(void)
{
	static const struct {
		const char *v;
		int64_t ms; /* 0: rejected */
		const char *reason;
	} cases[] = {
		{"1s", 1 * S, NULL},
		{"90s", 90 * S, NULL},
		{"30m", 30 * M, NULL},
		{"24h", 24 * H, NULL},
		{"5d", 5 * D, NULL},
		{"365d", 365 * D, NULL},
		{"8760h", 365 * D, NULL},
		{"525600m", 365 * D, NULL},
		{"31536000s", 365 * D, NULL},
		{"0024h", 24 * H, NULL},
		{"366d", 0, "'366d' is longer than 365d"},
		{"8761h", 0, "is longer than 365d"},
		{"31536001s", 0, "is longer than 365d"},
		{"99999999999999999999999d", 0, "is longer than 365d"},
		{"0h", 0, "'0h' is not above zero"},
		{"000s", 0, "is not above zero"},
		{"24", 0, "'24' is not a duration like 30m, 24h or 5d"},
		{"h", 0, "is not a duration"},
		{"24 h", 0, "is not a duration"},
		{"24H", 0, "is not a duration"},
		{"1w", 0, "is not a duration"},
		{"24hh", 0, "is not a duration"},
		{"1.5h", 0, "is not a duration"},
		{"-1h", 0, "is not a duration"},
		{"+1h", 0, "is not a duration"},
		{"1h30m", 0, "is not a duration"},
		{"", 0, "'' is not a duration"},
		{"二十四h", 0, "'二十四h' is not a duration"},
	};
	char text[128], err[256];
	hub_policy p;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		check_case = cases[i].v;
		/* window has no partner key, so only the value itself is judged */
		snprintf(text, sizeof text, "[surge]\nwindow = %s\n", cases[i].v);
		hub_policy_defaults(&p);
		p.surge.window_ms = -1;
		if (cases[i].ms) {
			CHECK_EQ_INT(parse(&p, text, err, sizeof err), PROTO_OK);
			CHECK_EQ_INT(p.surge.window_ms, cases[i].ms);
		} else {
			CHECK_EQ_INT(parse(&p, text, err, sizeof err), PROTO_ERR_BAD_VALUE);
			CHECK(strncmp(err, "line 2: key 'window': ", 22) == 0);
			if (!CHECK(strstr(err, cases[i].reason) != NULL))
				fprintf(stderr, "\tgot \"%s\"\n", err);
			CHECK_EQ_INT(p.surge.window_ms, -1); /* untouched */
		}
	}
	check_case = NULL;
}

/* Every bad policy names its line, and its key where one is involved. */
static void test_errors(void)
{
	static const struct {
		const char *text;
		const char *want; /* err starts with this */
		const char *also; /* and contains this, if not NULL */
	} cases[] = {
		/* where keys may be */
		{"tier = town\n", "line 1: key 'tier': outside a section", NULL},
		{"# c\n[bleu]\nsign = 1h\n", "line 3: key 'sign': in an unknown "
			"section [bleu]", "blue, orange, red, supervise, surge and weather"},
		{"[supervise]\nevery = 0h\n", "line 2: key 'every': '0h' is not above "
			"zero", NULL},
		{"[supervise]\nmax = 101\n", "line 2: key 'max': '101' is not a whole "
			"number from 0 to 100", NULL},
		{"[supervise]\nto = city\n", "line 2: key 'to': 'city' is not a tier", NULL},
		{"[supervise]\nsign = 1h\n", "line 2: key 'sign': unknown in [supervise] "
			"(keys are every, max and to)", NULL},
		{"[Blue]\nsign = 1h\n", "line 2: key 'sign': in an unknown section "
			"[Blue]", NULL},
		{"[ blue ]\nsign = 1h\n", "line 2: key 'sign': in an unknown section "
			"[ blue ]", NULL},
		{"[blue]\nsgin = 1h\n", "line 2: key 'sgin': unknown in [blue] "
			"(keys are tier, sign, resolve, remind and reminders)", NULL},
		{"[blue]\ncount = 3\n", "line 2: key 'count': unknown in [blue]", NULL},
		{"[surge]\ntier = town\n", "line 2: key 'tier': unknown in [surge] "
			"(keys are count, window, colour and red_count)", NULL},
		{"[weather]\nmany_orange = 1\n", "line 2: key 'many_orange': unknown "
			"in [weather] (keys are many_blue)", NULL},
		{"[blue]\nSign = 1h\n", "line 2: key 'Sign': unknown in [blue]", NULL},
		{"[blue]\n签收 = 1h\n", "line 2: key '签收': unknown in [blue]", NULL},
		/* duplicates, also across a repeated section */
		{"[blue]\nsign = 1h\n\nsign = 2h\n", "line 4: key 'sign': already set "
			"in [blue] on line 2", NULL},
		{"[red]\nsign = 1m\n[blue]\n[red]\nsign = 1m\n", "line 5: key 'sign': "
			"already set in [red] on line 2", NULL},
		/* values */
		{"[blue]\ntier = 村\n", "line 2: key 'tier': '村' is not a tier "
			"(group, village, town or county)", NULL},
		{"[blue]\ntier = Village\n", "line 2: key 'tier': 'Village' is not a tier",
			NULL},
		{"[blue]\ntier =\n", "line 2: key 'tier': '' is not a tier", NULL},
		{"[red]\nremind = 0%\n", "line 2: key 'remind': '0%' is not a "
			"percentage from 1% to 99%", NULL},
		{"[red]\nremind = 100%\n", "line 2: key 'remind': '100%' is not a "
			"percentage", NULL},
		{"[red]\nremind = 75\n", "line 2: key 'remind': '75' is not a percentage",
			NULL},
		{"[red]\nremind = 75 %\n", "line 2: key 'remind': '75 %' is not a "
			"percentage", NULL},
		{"[red]\nremind = -5%\n", "line 2: key 'remind': '-5%' is not a "
			"percentage", NULL},
		{"[red]\nreminders = 11\n", "line 2: key 'reminders': '11' is not a "
			"whole number from 0 to 10", NULL},
		{"[red]\nreminders = -1\n", "line 2: key 'reminders': '-1' is not a "
			"whole number", NULL},
		{"[red]\nreminders = 1.0\n", "line 2: key 'reminders': '1.0' is not a "
			"whole number", NULL},
		{"[surge]\ncount = 1\n", "line 2: key 'count': '1' is not a whole "
			"number from 2 to 1000", NULL},
		{"[surge]\nred_count = 1001\n", "line 2: key 'red_count': '1001' is not "
			"a whole number from 0 to 1000", NULL},
		{"[surge]\ncolour = blue\n", "line 2: key 'colour': 'blue' is not "
			"orange or red", NULL},
		{"[surge]\ncolour = 红\n", "line 2: key 'colour': '红' is not orange "
			"or red", NULL},
		{"[weather]\nmany_blue = 0\n", "line 2: key 'many_blue': '0' is not a "
			"whole number from 1 to 1000", NULL},
		{"[blue]\nsign = 400d\n", "line 2: key 'sign': '400d' is longer than "
			"365d", NULL},
		{"[orange]\nresolve = 0m\n", "line 2: key 'resolve': '0m' is not above "
			"zero", NULL},
		/* a long value is cut in the message, on a character boundary */
		{"[blue]\ntier = 村村村村村村村村村村村村村村村村村村村村\n",
			"line 2: key 'tier': '村村村村村村村村村村村村村...' is not a tier", NULL},
		/* tiers must not fall as colours rise; the later line is named */
		{"[orange]\ntier = group\n", "line 2: key 'tier': [orange] at group is "
			"below [blue] at village", NULL},
		{"[red]\ntier = town\n[orange]\ntier = county\n", "line 4: key 'tier': "
			"[orange] at county is above [red] at town", NULL},
		{"[orange]\ntier = county\n[red]\ntier = town\n", "line 4: key 'tier': "
			"[red] at town is below [orange] at county", NULL},
		{"[blue]\ntier = town\n[orange]\ntier = village\n", "line 4: key "
			"'tier': [orange] at village is below [blue] at town", NULL},
		{"[blue]\ntier = county\n", "line 2: key 'tier': [blue] at county is "
			"above [orange] at town", NULL},
		/* resolve >= sign, within a colour */
		{"[blue]\nresolve = 12h\n", "line 2: key 'resolve': 12h in [blue] is "
			"shorter than sign (24h)", NULL},
		{"[red]\nsign = 2d\n", "line 2: key 'sign': 2d in [red] is longer than "
			"resolve (24h)", NULL},
		{"[orange]\nsign = 1h\nresolve = 30m\n", "line 3: key 'resolve': 30m in "
			"[orange] is shorter than sign (1h)", NULL},
		{"[orange]\nresolve = 30m\nsign = 1h\n", "line 3: key 'sign': 1h in "
			"[orange] is longer than resolve (30m)", NULL},
		/* red_count above count */
		{"[surge]\ncount = 6\n", "line 2: key 'count': 6 is not below red_count "
			"(6)", NULL},
		{"[surge]\nred_count = 2\n", "line 2: key 'red_count': 2 is not above "
			"count (3)", NULL},
		{"[surge]\nred_count = 9\ncount = 10\n", "line 3: key 'count': 10 is not "
			"below red_count (9)", NULL},
		{"[surge]\ncount = 10\nred_count = 9\n", "line 3: key 'red_count': 9 is "
			"not above count (10)", NULL},
		/* syntax, as inih sees it */
		{"[blue]\nsign 24h\n", "line 2: not a 'key = value' line", NULL},
		{"[blue\nsign = 24h\n", "line 1: not a 'key = value' line", NULL},
		{"[blue]\n= 24h\n", "line 2: not a 'key = value' line", NULL},
		/* the first fault is the one reported, whoever finds it */
		{"[blue]\nsign = 0h\nbad line\n", "line 2: key 'sign'", NULL},
		{"[blue]\nbad line\nsign = 0h\n", "line 2: not a 'key = value'", NULL},
		{"[blue]\nsign = 1h\nnope = 1\nsign = 0h\n", "line 3: key 'nope'", NULL},
		/* a fault between keys waits for the keys to be read, but is
		 * reported only when the lines themselves are good */
		{"[red]\nsign = 2d\nbad line\n", "line 3: not a 'key = value'", NULL},
	};
	char err[256];
	hub_policy p, def;

	hub_policy_defaults(&def);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		check_case = cases[i].text;
		/* p must be left as it was: a reload keeps the running policy */
		hub_policy_defaults(&p);
		p.weather.many_blue = 77;
		CHECK_EQ_INT(parse(&p, cases[i].text, err, sizeof err),
			PROTO_ERR_BAD_VALUE);
		if (!CHECK(strncmp(err, cases[i].want, strlen(cases[i].want)) == 0 &&
			   (!cases[i].also || strstr(err, cases[i].also))))
			fprintf(stderr, "\twant \"%s\"\n\tgot  \"%s\"\n", cases[i].want, err);
		CHECK_EQ_INT(p.weather.many_blue, 77);
		p.weather.many_blue = def.weather.many_blue;
		CHECK(same_policy(&p, &def));
	}
	check_case = NULL;

	/* Faults inih cannot see: a NUL byte, and a line of content longer
	 * than its buffer, whose tail it would read as a line of its own. */
	static const char nul[] = "[blue]\nsign = 1h\ntier\0 = town\n";
	CHECK_EQ_INT(hub_policy_parse(&p, nul, sizeof nul - 1, err, sizeof err),
		PROTO_ERR_BAD_VALUE);
	CHECK_STR(err, "line 3: the line holds a NUL byte");
	char longline[400];
	snprintf(longline, sizeof longline, "[blue]\nsign = 1h%0250d\n", 0);
	CHECK_EQ_INT(parse(&p, longline, err, sizeof err), PROTO_ERR_BAD_VALUE);
	CHECK_STR(err, "line 2: the line is longer than 199 bytes");

	/* Only len bytes are read: the text need not end in NUL. */
	CHECK_EQ_INT(hub_policy_parse(&p, "[red]\nsign = 5mXXXX", 15, err, sizeof err),
		PROTO_OK);
	CHECK_EQ_INT(p.colour[PROTO_COLOUR_RED].sign_ms, 5 * M);

	/* A tiny err buffer is cut, not overrun. */
	char tiny[8];
	memset(tiny, 'x', sizeof tiny);
	CHECK_EQ_INT(parse(&p, "[blue]\nsign = 0h\n", tiny, sizeof tiny),
		PROTO_ERR_BAD_VALUE);
	CHECK_STR(tiny, "line 2:");
}

/* Reads a whole file into a NUL-terminated heap string. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = malloc(HUB_POLICY_FILE_MAX + 1);
	if (!buf) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, HUB_POLICY_FILE_MAX, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* The lines of text that are neither blank nor comments, in order. */
static void settings_only(char *text)
{
	char *out = text, *line = text;

	while (*line) {
		char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line + 1) : strlen(line);

		if (*line != '#' && *line != '\n') {
			memmove(out, line, len);
			out += len;
		}
		line += len;
	}
	*out = '\0';
}

/* hub_policy_write as a string, or NULL. */
static char *written(const hub_policy *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	if (!f)
		return NULL;
	rc = hub_policy_write(p, f);
	fclose(f);
	if (rc != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void test_write(void)
{
	hub_policy def, p, q;
	char err[256], *text;

	hub_policy_defaults(&def);
	text = written(&def);
	if (CHECK(text != NULL)) {
		CHECK_EQ_INT(parse(&p, text, err, sizeof err), PROTO_OK);
		CHECK_STR(err, "");
		CHECK(same_policy(&p, &def));
		CHECK(strstr(text, "\nsign = 24h\n") != NULL); /* a day reads 24h */
		CHECK(strstr(text, "\nresolve = 5d\n") != NULL);
		CHECK(strstr(text, "\nsign = 30m\n") != NULL);
		CHECK(strstr(text, "\nremind = 50%\n") != NULL);
		free(text);
	}

	/* Odd values survive the round trip in some unit. */
	hub_policy_defaults(&q);
	q.colour[PROTO_COLOUR_BLUE].tier = PROTO_TIER_GROUP;
	q.colour[PROTO_COLOUR_BLUE].sign_ms = 90 * S;
	q.colour[PROTO_COLOUR_BLUE].resolve_ms = 36 * H;
	q.colour[PROTO_COLOUR_ORANGE].sign_ms = 90 * M;
	q.colour[PROTO_COLOUR_ORANGE].resolve_ms = 365 * D;
	q.colour[PROTO_COLOUR_RED].tier = PROTO_TIER_TOWN;
	q.colour[PROTO_COLOUR_RED].resolve_ms = 25 * H + 1 * S;
	q.colour[PROTO_COLOUR_RED].reminders = 0;
	q.surge.colour = PROTO_COLOUR_RED;
	q.surge.red_count = 0;
	q.surge.window_ms = 2 * D;
	q.weather.many_blue = 1;
	text = written(&q);
	if (CHECK(text != NULL)) {
		CHECK_EQ_INT(parse(&p, text, err, sizeof err), PROTO_OK);
		CHECK_STR(err, "");
		CHECK(same_policy(&p, &q));
		CHECK(strstr(text, "\nresolve = 90001s\n") != NULL);
		CHECK(strstr(text, "\nwindow = 2d\n") != NULL);
		free(text);
	}

	/* A stream that fails is reported. */
	FILE *ro = fopen("/dev/null", "r");
	if (CHECK(ro != NULL)) {
		CHECK_EQ_INT(hub_policy_write(&def, ro), -1);
		fclose(ro);
	}
}

/* data/policy.conf is the defaults, and shows the keys exactly as
 * hub_policy_write prints them, so the shipped file and the code agree. */
static void test_shipped(const char *fixtures)
{
	char path[1024], err[1200];
	hub_policy def, p;
	char *file, *mine;

	snprintf(path, sizeof path, "%s/../../data/policy.conf", fixtures);
	hub_policy_defaults(&def);
	memset(&p, 0, sizeof p);
	CHECK_EQ_INT(hub_policy_load(&p, path, err, sizeof err), PROTO_OK);
	CHECK(same_policy(&p, &def));

	file = slurp(path);
	mine = written(&def);
	if (CHECK(file && mine)) {
		settings_only(file);
		settings_only(mine);
		CHECK_STR(file, mine);
	}
	free(file);
	free(mine);
}

/* Writes text to a fresh temporary file; its name goes into path. */
static bool write_temp(char path[64], const char *text, size_t len)
{
	FILE *f;
	int fd;

	strcpy(path, "/tmp/minqing-policy-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return false;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(path);
		return false;
	}
	if (fwrite(text, 1, len, f) != len) {
		fclose(f);
		unlink(path);
		return false;
	}
	return fclose(f) == 0;
}

static void test_load(void)
{
	char path[64], want[128], err[512];
	hub_policy p;
	char *big;

	/* The file's name comes first, then the line. */
	const char *bad = "[blue]\nsign = 2h\n\n[orange]\ntier = group\n";
	if (CHECK(write_temp(path, bad, strlen(bad)))) {
		CHECK_EQ_INT(hub_policy_load(&p, path, err, sizeof err),
			PROTO_ERR_BAD_VALUE);
		snprintf(want, sizeof want, "%s:line 5: key 'tier': [orange] at "
			"group is below [blue] at village", path);
		CHECK(strncmp(err, want, strlen(want)) == 0);
		unlink(path);
	}

	const char *good = "[red]\nsign = 10m\n";
	if (CHECK(write_temp(path, good, strlen(good)))) {
		CHECK_EQ_INT(hub_policy_load(&p, path, err, sizeof err), PROTO_OK);
		CHECK_EQ_INT(p.colour[PROTO_COLOUR_RED].sign_ms, 10 * M);
		unlink(path);
	}

	CHECK_EQ_INT(hub_policy_load(&p, "/nonexistent/policy.conf", err,
		sizeof err), PROTO_ERR_IO);
	CHECK(strncmp(err, "/nonexistent/policy.conf: ", 26) == 0);

	/* A file beyond the limit is refused whole, not read in part. */
	big = malloc(HUB_POLICY_FILE_MAX + 2);
	if (CHECK(big != NULL)) {
		memset(big, '#', HUB_POLICY_FILE_MAX + 1);
		big[HUB_POLICY_FILE_MAX] = '\n';
		if (CHECK(write_temp(path, big, HUB_POLICY_FILE_MAX + 1))) {
			CHECK_EQ_INT(hub_policy_load(&p, path, err, sizeof err),
				PROTO_ERR_TOO_LARGE);
			CHECK(strstr(err, "larger than 65536 bytes") != NULL);
			unlink(path);
		}
		/* exactly at the limit is fine */
		if (CHECK(write_temp(path, big, HUB_POLICY_FILE_MAX))) {
			CHECK_EQ_INT(hub_policy_load(&p, path, err, sizeof err), PROTO_OK);
			unlink(path);
		}
		free(big);
	}
}

static void test_reminders(void)
{
	hub_policy p;

	hub_policy_defaults(&p);
	/* the timeline of docs/POLICY.md: blue at 75% of 24h is 18h */
	CHECK_EQ_INT(hub_policy_remind_at(&p, PROTO_COLOUR_BLUE, 24 * H, 0), 18 * H);
	CHECK_EQ_INT(hub_policy_remind_at(&p, PROTO_COLOUR_BLUE, 5 * D, 0), 90 * H);
	CHECK_EQ_INT(hub_policy_remind_at(&p, PROTO_COLOUR_BLUE, 24 * H, 1), -1);
	CHECK_EQ_INT(hub_policy_remind_at(&p, PROTO_COLOUR_ORANGE, 4 * H, 0), 3 * H);
	/* red: two from halfway, 15 and 22.5 minutes */
	CHECK_EQ_INT(hub_policy_remind_at(&p, PROTO_COLOUR_RED, 30 * M, 0), 15 * M);
	CHECK_EQ_INT(hub_policy_remind_at(&p, PROTO_COLOUR_RED, 30 * M, 1),
		22 * M + 30 * S);
	CHECK_EQ_INT(hub_policy_remind_at(&p, PROTO_COLOUR_RED, 30 * M, 2), -1);
	CHECK_EQ_INT(hub_policy_remind_at(&p, PROTO_COLOUR_RED, 30 * M, -1), -1);
	CHECK_EQ_INT(hub_policy_remind_at(&p, PROTO_COLOUR__COUNT, 30 * M, 0), -1);
	CHECK_EQ_INT(hub_policy_remind_at(&p, PROTO_COLOUR_RED, -1, 0), -1);

	/* three from 40%: 40, 60, 80% */
	p.colour[PROTO_COLOUR_ORANGE].remind_pct = 40;
	p.colour[PROTO_COLOUR_ORANGE].reminders = 3;
	CHECK_EQ_INT(hub_policy_remind_at(&p, PROTO_COLOUR_ORANGE, 10 * H, 0), 4 * H);
	CHECK_EQ_INT(hub_policy_remind_at(&p, PROTO_COLOUR_ORANGE, 10 * H, 1), 6 * H);
	CHECK_EQ_INT(hub_policy_remind_at(&p, PROTO_COLOUR_ORANGE, 10 * H, 2), 8 * H);
	/* every reminder falls before the limit, even for a huge one */
	p.colour[PROTO_COLOUR_ORANGE].remind_pct = 99;
	p.colour[PROTO_COLOUR_ORANGE].reminders = HUB_POLICY_REMINDERS_MAX;
	CHECK(hub_policy_remind_at(&p, PROTO_COLOUR_ORANGE, INT64_MAX,
		HUB_POLICY_REMINDERS_MAX - 1) < INT64_MAX);
	CHECK(hub_policy_remind_at(&p, PROTO_COLOUR_ORANGE, INT64_MAX, 0) > 0);
	/* no reminders at all */
	p.colour[PROTO_COLOUR_BLUE].reminders = 0;
	CHECK_EQ_INT(hub_policy_remind_at(&p, PROTO_COLOUR_BLUE, 24 * H, 0), -1);

	CHECK_EQ_INT(hub_policy_next_colour(PROTO_COLOUR_BLUE), PROTO_COLOUR_ORANGE);
	CHECK_EQ_INT(hub_policy_next_colour(PROTO_COLOUR_ORANGE), PROTO_COLOUR_RED);
	CHECK_EQ_INT(hub_policy_next_colour(PROTO_COLOUR_RED), PROTO_COLOUR_RED);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s FIXTURES_DIR\n", argv[0]);
		return 2;
	}
	test_defaults();
	test_every_key();
	test_durations();
	test_errors();
	test_write();
	test_shipped(argv[1]);
	test_load();
	test_reminders();
	return check_finish();
}
