/* The policy file: one table of keys drives the parser, the checks and the
 * writer, so data/policy.conf, hub_policy_write and the parser cannot drift.
 * inih does the INI syntax; this file feeds it lines from memory. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "hub/policy.h"

#define SECOND_MS 1000LL
#define MINUTE_MS (60 * SECOND_MS)
#define HOUR_MS (60 * MINUTE_MS)
#define DAY_MS (24 * HOUR_MS)

/* Sections: the three colours first, at the index of their colour. */
enum { SEC_SUPERVISE = PROTO_COLOUR__COUNT, SEC_SURGE, SEC_WEATHER, SEC__COUNT };
static const char *const section_names[SEC__COUNT] = {
	"blue", "orange", "red", "supervise", "surge", "weather",
};
_Static_assert(PROTO_COLOUR_BLUE == 0 && PROTO_COLOUR_ORANGE == 1 &&
	PROTO_COLOUR_RED == 2 && PROTO_COLOUR__COUNT == 3,
	"section_names lists the colours in enum order");

typedef enum kind {
	KIND_TIER,     /* proto_tier by its English name */
	KIND_DURATION, /* int64_t ms from "30m", "24h", "5d" */
	KIND_PERCENT,  /* int from "75%" */
	KIND_COUNT,    /* int, a whole number */
	KIND_COLOUR,   /* proto_colour, orange or red */
} kind;

typedef struct key {
	int section;
	const char *name;
	kind kind;
	size_t offset; /* of the field in hub_policy */
	int min, max;  /* for KIND_PERCENT and KIND_COUNT */
	const char *comment; /* one line for hub_policy_write, or NULL */
} key;

/* The colours share their keys; the writer explains them once, at blue. */
#define ONCE(c, text) ((c) == PROTO_COLOUR_BLUE ? (text) : NULL)
#define COLOUR_KEYS(c) \
	{c, "tier", KIND_TIER, offsetof(hub_policy, colour[c].tier), 0, 0, \
		ONCE(c, "handled at: group, village, town or county")}, \
	{c, "sign", KIND_DURATION, offsetof(hub_policy, colour[c].sign_ms), 0, 0, \
		ONCE(c, "sign for (签收) within")}, \
	{c, "resolve", KIND_DURATION, offsetof(hub_policy, colour[c].resolve_ms), \
		0, 0, ONCE(c, "resolve (办结) within, at least sign")}, \
	{c, "remind", KIND_PERCENT, offsetof(hub_policy, colour[c].remind_pct), \
		1, 99, ONCE(c, "first reminder (催办) when this share of a limit "\
		"has passed")}, \
	{c, "reminders", KIND_COUNT, offsetof(hub_policy, colour[c].reminders), \
		0, HUB_POLICY_REMINDERS_MAX, ONCE(c, "reminders per limit, evenly "\
		"spaced towards it; at the limit, escalation")}

static const key keys[] = {
	COLOUR_KEYS(PROTO_COLOUR_BLUE),
	COLOUR_KEYS(PROTO_COLOUR_ORANGE),
	COLOUR_KEYS(PROTO_COLOUR_RED),
	{SEC_SUPERVISE, "every", KIND_DURATION, offsetof(hub_policy, supervise.every_ms),
		0, 0, "after the deadline, one 督办 at it and then one every"},
	{SEC_SUPERVISE, "max", KIND_COUNT, offsetof(hub_policy, supervise.max),
		0, HUB_POLICY_SUPERVISE_MAX, "at most this many per deadline; 0 = none"},
	{SEC_SUPERVISE, "to", KIND_TIER, offsetof(hub_policy, supervise.to),
		0, 0, "also told: the handler's own station at this tier, or above"},
	{SEC_SURGE, "count", KIND_COUNT, offsetof(hub_policy, surge.count),
		2, HUB_POLICY_COUNT_MAX,
		"open reports of one category in one town that raise an alert"},
	{SEC_SURGE, "window", KIND_DURATION, offsetof(hub_policy, surge.window_ms),
		0, 0, "reported within this time of each other"},
	{SEC_SURGE, "colour", KIND_COLOUR, offsetof(hub_policy, surge.colour),
		0, 0, "colour of the alert: orange or red"},
	{SEC_SURGE, "red_count", KIND_COUNT, offsetof(hub_policy, surge.red_count),
		0, HUB_POLICY_COUNT_MAX, "from this many the alert is red; 0 = never"},
	{SEC_WEATHER, "many_blue", KIND_COUNT, offsetof(hub_policy, weather.many_blue),
		1, HUB_POLICY_COUNT_MAX,
		"open blue items at one station that make it overcast (阴)"},
};
#define KEY_COUNT (sizeof keys / sizeof keys[0])

static const char *const section_comments[SEC__COUNT] = {
	"blue 蓝: an ordinary, individual matter",
	"orange 橙: serious, or beyond the village",
	"red 红: urgent, major or collective (群体性)",
	"supervise 督办: a red item past its deadline, which it keeps",
	"surge 研判预警: many reports of one kind in one town",
	"weather 民情气象 of an area from its open items",
};

typedef struct parse_ctx {
	hub_policy p;         /* built here, copied out only on success */
	const char *text;
	size_t len, pos;
	int line;             /* lines handed to inih so far */
	int set_line[KEY_COUNT]; /* where each key was set; 0 = default */
	bool failed;          /* a fault of ours was found */
	int err_line;         /* its line */
	char reason[200];
} parse_ctx;

/* Keeps the first fault only: it has the lowest line, which is the one
 * inih reports too, and later faults may be its consequences. */
__attribute__((format(printf, 3, 4)))
static void fail(parse_ctx *c, int line, const char *fmt, ...)
{
	va_list ap;

	if (c->failed)
		return;
	c->failed = true;
	c->err_line = line;
	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof c->reason, fmt, ap);
	va_end(ap);
}

/* A value or name fit for an error message: at most 40 bytes, cut on a
 * UTF-8 boundary, control bytes shown as '?'. */
static const char *shown(char out[48], const char *s)
{
	size_t n = strlen(s), i;

	if (n > 40) {
		n = 40;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7F ? '?' : s[i];
	strcpy(out + i, n < strlen(s) ? "..." : "");
	return out;
}

/* Reads the whole number at the start of s (ASCII digits, no sign) into
 * *v and points *rest past it; false when s does not start with a digit.
 * Numbers beyond 12 digits read as 10^12, above every range here. */
static bool parse_number(const char *s, int64_t *v, const char **rest)
{
	int64_t n = 0;
	int digits = 0;

	if (!isdigit((unsigned char)*s))
		return false;
	while (*s == '0' && isdigit((unsigned char)s[1]))
		s++;
	for (; isdigit((unsigned char)*s); s++)
		n = ++digits > 12 ? 1000000000000LL : n * 10 + (*s - '0');
	*v = n;
	*rest = s;
	return true;
}

static int64_t unit_ms(char unit)
{
	switch (unit) {
	case 's': return SECOND_MS;
	case 'm': return MINUTE_MS;
	case 'h': return HOUR_MS;
	default: return DAY_MS;
	}
}

/* Writes d (ms) in the unit a reader expects: whole days from two days up,
 * else hours, minutes or seconds, so that a day reads "24h" as in the brief. */
static void format_duration(char out[32], int64_t d)
{
	if (d >= 2 * DAY_MS && d % DAY_MS == 0)
		snprintf(out, 32, "%lldd", (long long)(d / DAY_MS));
	else if (d % HOUR_MS == 0)
		snprintf(out, 32, "%lldh", (long long)(d / HOUR_MS));
	else if (d % MINUTE_MS == 0)
		snprintf(out, 32, "%lldm", (long long)(d / MINUTE_MS));
	else
		snprintf(out, 32, "%llds", (long long)(d / SECOND_MS));
}

/* Sets one key of c->p from its text; on a bad value fails at line. */
static void set_value(parse_ctx *c, const key *k, const char *value, int line)
{
	char *field = (char *)&c->p + k->offset;
	char v[48];
	const char *rest;
	int64_t n;

	switch (k->kind) {
	case KIND_TIER:
		for (proto_tier t = PROTO_TIER_COUNTY; t <= PROTO_TIER_GROUP; t++) {
			if (strcmp(value, proto_tier_name(t)) == 0) {
				*(proto_tier *)field = t;
				return;
			}
		}
		fail(c, line, "key '%s': '%s' is not a tier (group, village, town "
			"or county)", k->name, shown(v, value));
		return;
	case KIND_DURATION:
		if (!parse_number(value, &n, &rest) || !*rest ||
		    !strchr("smhd", *rest) || rest[1]) {
			fail(c, line, "key '%s': '%s' is not a duration like 30m, 24h "
				"or 5d (s, m, h or d after a whole number)", k->name,
				shown(v, value));
		} else if (n == 0) {
			fail(c, line, "key '%s': '%s' is not above zero", k->name,
				shown(v, value));
		} else if (n > HUB_POLICY_DURATION_MAX / unit_ms(*rest)) {
			fail(c, line, "key '%s': '%s' is longer than 365d", k->name,
				shown(v, value));
		} else {
			*(int64_t *)field = n * unit_ms(*rest);
		}
		return;
	case KIND_PERCENT:
		if (!parse_number(value, &n, &rest) || strcmp(rest, "%") != 0 ||
		    n < k->min || n > k->max) {
			fail(c, line, "key '%s': '%s' is not a percentage from %d%% to "
				"%d%%", k->name, shown(v, value), k->min, k->max);
			return;
		}
		*(int *)field = (int)n;
		return;
	case KIND_COUNT:
		if (!parse_number(value, &n, &rest) || *rest || n < k->min ||
		    n > k->max) {
			fail(c, line, "key '%s': '%s' is not a whole number from %d to "
				"%d", k->name, shown(v, value), k->min, k->max);
			return;
		}
		*(int *)field = (int)n;
		return;
	case KIND_COLOUR:
		if (strcmp(value, "orange") == 0) {
			*(proto_colour *)field = PROTO_COLOUR_ORANGE;
		} else if (strcmp(value, "red") == 0) {
			*(proto_colour *)field = PROTO_COLOUR_RED;
		} else {
			fail(c, line, "key '%s': '%s' is not orange or red", k->name,
				shown(v, value));
		}
		return;
	}
}

/* Hands inih one line at a time from memory, as fgets would, with three
 * changes: leading blanks go, since inih would take an indented line for
 * the continuation of the key above it; a comment longer than inih's
 * buffer is cut, where inih would read its tail as a line of its own; and
 * a long or NUL-bearing line of content ends the parse as a fault. */
static char *read_line(char *buf, int n, void *stream)
{
	parse_ctx *c = stream;
	const char *s, *nl;
	size_t len;

	if (c->pos >= c->len || c->failed)
		return NULL;
	s = c->text + c->pos;
	nl = memchr(s, '\n', c->len - c->pos);
	len = nl ? (size_t)(nl - s) : c->len - c->pos;
	c->pos += len + (nl != NULL);
	c->line++;
	if (memchr(s, '\0', len)) {
		fail(c, c->line, "the line holds a NUL byte");
		return NULL;
	}
	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	if (len >= (size_t)n) {
		if (*s != '#' && *s != ';') {
			fail(c, c->line, "the line is longer than %d bytes", n - 1);
			return NULL;
		}
		len = (size_t)n - 1;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	return buf;
}

static int section_index(const char *name)
{
	for (int i = 0; i < SEC__COUNT; i++)
		if (strcmp(name, section_names[i]) == 0)
			return i;
	return -1;
}

/* Called by inih for each "key = value"; the line is c->line, since inih
 * calls it before reading the next line. Returns 0 to mark the line bad. */
static int handler(void *user, const char *section, const char *name,
	const char *value)
{
	parse_ctx *c = user;
	char sn[48], kn[48];
	int sec = section_index(section), line = c->line;
	size_t i;

	if (c->failed)
		return 0;
	if (!*name) {
		fail(c, line, "not a 'key = value' line: no key before '='");
		return 0;
	}
	if (!*section) {
		fail(c, line, "key '%s': outside a section ([blue], [orange], "
			"[red], [supervise], [surge] or [weather])", shown(kn, name));
		return 0;
	}
	if (sec < 0) {
		fail(c, line, "key '%s': in an unknown section [%s] (sections are "
			"blue, orange, red, supervise, surge and weather)", shown(kn, name),
			shown(sn, section));
		return 0;
	}
	for (i = 0; i < KEY_COUNT; i++)
		if (keys[i].section == sec && strcmp(keys[i].name, name) == 0)
			break;
	if (i == KEY_COUNT) {
		fail(c, line, "key '%s': unknown in [%s] (keys are %s)",
			shown(kn, name), section_names[sec], sec < PROTO_COLOUR__COUNT ?
			"tier, sign, resolve, remind and reminders" : sec == SEC_SURGE ?
			"count, window, colour and red_count" : sec == SEC_SUPERVISE ?
			"every, max and to" : "many_blue");
		return 0;
	}
	if (c->set_line[i]) {
		fail(c, line, "key '%s': already set in [%s] on line %d", name,
			section_names[sec], c->set_line[i]);
		return 0;
	}
	c->set_line[i] = line;
	set_value(c, &keys[i], value, line);
	return !c->failed;
}

/* Line where key name of section sec was set; 0 when it kept its default. */
static int line_of(const parse_ctx *c, int sec, const char *name)
{
	for (size_t i = 0; i < KEY_COUNT; i++)
		if (keys[i].section == sec && strcmp(keys[i].name, name) == 0)
			return c->set_line[i];
	return 0;
}

/* Rules between keys. A fault names the later of the two lines involved:
 * the defaults agree with each other, so at least one key is in the file,
 * and the later one is where the reader made them disagree. */
static void check_rules(parse_ctx *c)
{
	const hub_policy *p = &c->p;
	char a[32], b[32];
	int la, lb;

	for (int i = 0; i < PROTO_COLOUR__COUNT; i++) {
		const hub_policy_colour *pc = &p->colour[i];

		if (pc->resolve_ms < pc->sign_ms) {
			la = line_of(c, i, "sign");
			lb = line_of(c, i, "resolve");
			format_duration(a, pc->sign_ms);
			format_duration(b, pc->resolve_ms);
			if (lb > la)
				fail(c, lb, "key 'resolve': %s in [%s] is shorter than "
					"sign (%s); an item is signed for before it is "
					"resolved", b, section_names[i], a);
			else
				fail(c, la, "key 'sign': %s in [%s] is longer than "
					"resolve (%s); an item is signed for before it is "
					"resolved", a, section_names[i], b);
		}
		/* The tier enum counts down from the county: a higher tier has a
		 * smaller value, so a rising colour must not raise the value. */
		if (i > 0 && pc->tier > p->colour[i - 1].tier) {
			const char *lo = section_names[i - 1], *hi = section_names[i];
			const char *tlo = proto_tier_name(p->colour[i - 1].tier);
			const char *thi = proto_tier_name(pc->tier);

			la = line_of(c, i - 1, "tier");
			lb = line_of(c, i, "tier");
			if (lb > la)
				fail(c, lb, "key 'tier': [%s] at %s is below [%s] at %s; "
					"escalation must not go down the tiers", hi, thi,
					lo, tlo);
			else
				fail(c, la, "key 'tier': [%s] at %s is above [%s] at %s; "
					"escalation must not go down the tiers", lo, tlo,
					hi, thi);
		}
	}
	if (p->surge.red_count && p->surge.red_count <= p->surge.count) {
		la = line_of(c, SEC_SURGE, "count");
		lb = line_of(c, SEC_SURGE, "red_count");
		if (lb > la)
			fail(c, lb, "key 'red_count': %d is not above count (%d); "
				"use 0 for no red alert", p->surge.red_count,
				p->surge.count);
		else
			fail(c, la, "key 'count': %d is not below red_count (%d); "
				"raise red_count or set it to 0", p->surge.count,
				p->surge.red_count);
	}
}

void hub_policy_defaults(hub_policy *p)
{
	static const hub_policy_colour colours[PROTO_COLOUR__COUNT] = {
		[PROTO_COLOUR_BLUE] = {PROTO_TIER_VILLAGE, 24 * HOUR_MS, 5 * DAY_MS, 75, 1},
		[PROTO_COLOUR_ORANGE] = {PROTO_TIER_TOWN, 4 * HOUR_MS, 3 * DAY_MS, 75, 1},
		[PROTO_COLOUR_RED] = {PROTO_TIER_COUNTY, 30 * MINUTE_MS, 24 * HOUR_MS, 50, 2},
	};

	memset(p, 0, sizeof *p);
	memcpy(p->colour, colours, sizeof colours);
	p->supervise.every_ms = DAY_MS;
	p->supervise.max = 10;
	p->supervise.to = PROTO_TIER_COUNTY;
	p->surge.count = 3;
	p->surge.window_ms = 24 * HOUR_MS;
	p->surge.colour = PROTO_COLOUR_ORANGE;
	p->surge.red_count = 6;
	p->weather.many_blue = 5;
}

proto_err hub_policy_parse(hub_policy *p, const char *text, size_t len,
	char *err, size_t errlen)
{
	parse_ctx c = {.text = text, .len = text ? len : 0};
	int line;

	hub_policy_defaults(&c.p);
	line = ini_parse_stream(read_line, &c, handler, &c);
	if (line < 0) { /* inih's own allocation, in builds that make one */
		snprintf(err, errlen, "out of memory");
		return PROTO_ERR_NOMEM;
	}
	if (line > 0 && (!c.failed || line < c.err_line)) {
		/* a line that is no key, section or comment, found by inih */
		snprintf(err, errlen, "line %d: not a 'key = value' line, a "
			"[section] or a comment", line);
		return PROTO_ERR_BAD_VALUE;
	}
	if (!c.failed)
		check_rules(&c);
	if (c.failed) {
		snprintf(err, errlen, "line %d: %s", c.err_line, c.reason);
		return PROTO_ERR_BAD_VALUE;
	}
	*p = c.p;
	return PROTO_OK;
}

proto_err hub_policy_load(hub_policy *p, const char *path, char *err,
	size_t errlen)
{
	char why[256];
	char *buf;
	size_t n;
	proto_err rc;
	FILE *f = fopen(path, "rb");

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return PROTO_ERR_IO;
	}
	buf = malloc(HUB_POLICY_FILE_MAX + 1);
	if (!buf) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		return PROTO_ERR_NOMEM;
	}
	n = fread(buf, 1, HUB_POLICY_FILE_MAX + 1, f);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = PROTO_ERR_IO;
	} else if (n > HUB_POLICY_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %d bytes", path,
			HUB_POLICY_FILE_MAX);
		rc = PROTO_ERR_TOO_LARGE;
	} else {
		rc = hub_policy_parse(p, buf, n, why, sizeof why);
		if (rc != PROTO_OK)
			snprintf(err, errlen, "%s:%s", path, why);
	}
	free(buf);
	fclose(f);
	return rc;
}

int hub_policy_write(const hub_policy *p, FILE *f)
{
	int sec = -1;
	bool ok = true;

	ok &= fprintf(f, "# minqing escalation policy (docs/POLICY.md). Durations "
		"take s, m, h or d;\n# limits run from when an item reaches its "
		"current tier.\n") >= 0;
	for (size_t i = 0; i < KEY_COUNT; i++) {
		const key *k = &keys[i];
		const char *field = (const char *)p + k->offset;
		char v[32];

		if (k->section != sec) {
			sec = k->section;
			ok &= fprintf(f, "\n# %s\n[%s]\n", section_comments[sec],
				section_names[sec]) >= 0;
		}
		switch (k->kind) {
		case KIND_TIER:
			snprintf(v, sizeof v, "%s",
				proto_tier_name(*(const proto_tier *)field));
			break;
		case KIND_DURATION:
			format_duration(v, *(const int64_t *)field);
			break;
		case KIND_PERCENT:
			snprintf(v, sizeof v, "%d%%", *(const int *)field);
			break;
		case KIND_COUNT:
			snprintf(v, sizeof v, "%d", *(const int *)field);
			break;
		case KIND_COLOUR:
			snprintf(v, sizeof v, "%s",
				proto_colour_name(*(const proto_colour *)field));
			break;
		}
		if (k->comment)
			ok &= fprintf(f, "# %s\n", k->comment) >= 0;
		ok &= fprintf(f, "%s = %s\n", k->name, v) >= 0;
	}
	ok &= fflush(f) == 0 && !ferror(f);
	return ok ? 0 : -1;
}

int64_t hub_policy_remind_at(const hub_policy *p, proto_colour c,
	int64_t limit_ms, int k)
{
	const hub_policy_colour *pc;
	int64_t den, num;

	if ((unsigned)c >= PROTO_COLOUR__COUNT || k < 0 || limit_ms < 0)
		return -1;
	pc = &p->colour[c];
	if (k >= pc->reminders)
		return -1;
	/* share num/den of the limit, num < den; split so that no product of
	 * a long (extended) limit overflows */
	den = 100LL * pc->reminders;
	num = (int64_t)pc->remind_pct * pc->reminders + (int64_t)k * (100 - pc->remind_pct);
	return limit_ms / den * num + limit_ms % den * num / den;
}

proto_colour hub_policy_next_colour(proto_colour c)
{
	return c < PROTO_COLOUR_RED ? (proto_colour)(c + 1) : PROTO_COLOUR_RED;
}
