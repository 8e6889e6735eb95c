/* libFuzzer target for the policy parser (hub/policy.c with inih):
 * hub_policy_parse on arbitrary bytes. An accepted policy must obey every
 * rule and survive hub_policy_write -> parse unchanged; a refused one must
 * leave the caller's policy alone and name a line that exists. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Prints what went wrong and aborts, so that libFuzzer keeps the input. */
static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz-policy: %s\n", what);
	if (detail)
		fprintf(stderr, "  %s\n", detail);
	abort();
}

/* Field by field: struct assignment need not copy padding. */
static int same_policy(const hub_policy *a, const hub_policy *b)
{
	for (int i = 0; i < PROTO_COLOUR__COUNT; i++) {
		const hub_policy_colour *x = &a->colour[i], *y = &b->colour[i];

		if (x->tier != y->tier || x->sign_ms != y->sign_ms ||
		    x->resolve_ms != y->resolve_ms || x->remind_pct != y->remind_pct ||
		    x->reminders != y->reminders)
			return 0;
	}
	return a->surge.count == b->surge.count &&
	       a->surge.window_ms == b->surge.window_ms &&
	       a->surge.colour == b->surge.colour &&
	       a->surge.red_count == b->surge.red_count &&
	       a->weather.many_blue == b->weather.many_blue;
}

static void check_rules(const hub_policy *p)
{
	for (int i = 0; i < PROTO_COLOUR__COUNT; i++) {
		const hub_policy_colour *c = &p->colour[i];

		if (c->tier < PROTO_TIER_COUNTY || c->tier > PROTO_TIER_GROUP)
			fail("tier out of range", NULL);
		if (i > 0 && c->tier > p->colour[i - 1].tier)
			fail("a higher colour has a lower tier", NULL);
		if (c->sign_ms <= 0 || c->resolve_ms < c->sign_ms ||
		    c->resolve_ms > HUB_POLICY_DURATION_MAX)
			fail("limits out of range", NULL);
		if (c->remind_pct < 1 || c->remind_pct > 99 || c->reminders < 0 ||
		    c->reminders > HUB_POLICY_REMINDERS_MAX)
			fail("reminders out of range", NULL);
		for (int k = 0; k < c->reminders; k++) {
			int64_t at = hub_policy_remind_at(p, (proto_colour)i, c->sign_ms, k);
			if (at <= 0 || at >= c->sign_ms)
				fail("a reminder falls outside its limit", NULL);
		}
	}
	if (p->surge.count < 2 || p->surge.count > HUB_POLICY_COUNT_MAX ||
	    p->surge.window_ms <= 0 || p->surge.window_ms > HUB_POLICY_DURATION_MAX ||
	    (p->surge.colour != PROTO_COLOUR_ORANGE &&
	     p->surge.colour != PROTO_COLOUR_RED) ||
	    (p->surge.red_count != 0 && p->surge.red_count <= p->surge.count) ||
	    p->surge.red_count > HUB_POLICY_COUNT_MAX)
		fail("surge out of range", NULL);
	if (p->weather.many_blue < 1 || p->weather.many_blue > HUB_POLICY_COUNT_MAX)
		fail("many_blue out of range", NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hub_policy p, q, sentinel;
	char err[256], err2[256];
	char *text = NULL;
	size_t len = 0, lines = 1;
	FILE *f;
	int line;

	memset(&sentinel, 0x5A, sizeof sentinel);
	p = sentinel;
	memset(err, 'x', sizeof err);
	if (hub_policy_parse(&p, (const char *)data, size, err, sizeof err) != PROTO_OK) {
		if (!memchr(err, '\0', sizeof err))
			fail("error message is not terminated", NULL);
		if (memcmp(&p, &sentinel, sizeof p) != 0)
			fail("a refused policy changed the caller's", err);
		for (size_t i = 0; i < size; i++)
			lines += data[i] == '\n';
		if (strcmp(err, "out of memory") != 0 &&
		    (sscanf(err, "line %d: ", &line) != 1 || line < 1 ||
		     (size_t)line > lines))
			fail("error does not name a line of the text", err);
		return 0;
	}
	check_rules(&p);

	f = open_memstream(&text, &len);
	if (!f)
		return 0;
	if (hub_policy_write(&p, f) != 0)
		fail("writing to memory failed", NULL);
	fclose(f);
	if (hub_policy_parse(&q, text, len, err2, sizeof err2) != PROTO_OK)
		fail("the written policy does not parse", err2);
	if (!same_policy(&p, &q))
		fail("the written policy parses to another", text);
	free(text);
	return 0;
}
