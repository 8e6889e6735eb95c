/* The county's escalation policy (docs/POLICY.md): per colour the handling
 * tier, the sign-for (签收) and resolve (办结) limits and the reminders (催办)
 * before them; the surge rule (研判预警); the weather (民情气象) threshold. */
#ifndef HUB_POLICY_H
#define HUB_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "protocol/code.h"
#include "protocol/error.h"
#include "protocol/message.h"

#define HUB_POLICY_DURATION_MAX (365LL * 24 * 3600 * 1000) /* ms, any limit */
#define HUB_POLICY_REMINDERS_MAX 10
#define HUB_POLICY_SUPERVISE_MAX 100 /* 督办 per deadline */
#define HUB_POLICY_COUNT_MAX 1000     /* surge counts and many_blue */
#define HUB_POLICY_FILE_MAX (64 * 1024) /* bytes of a policy file */

typedef struct hub_policy_colour {
	proto_tier tier;    /* the tier whose station handles this colour */
	int64_t sign_ms;    /* sign for (签收) within this, ms, > 0 */
	int64_t resolve_ms; /* resolve (办结) within this, ms, >= sign_ms */
	int remind_pct;     /* first reminder (催办) when this % of a limit has
	                       passed, 1..99 */
	int reminders;      /* reminders per limit, 0..HUB_POLICY_REMINDERS_MAX,
	                       evenly spaced from remind_pct towards 100% */
} hub_policy_colour;

typedef struct hub_policy {
	hub_policy_colour colour[PROTO_COLOUR__COUNT];
	/* A red item past its deadline has nowhere higher to go: it keeps the
	 * deadline, stays overdue (超期) until done, and is supervised (督办). */
	struct {
		int64_t every_ms;   /* one at the deadline, then one every this */
		int max;            /* at most this many per deadline, 0..100 */
		proto_tier to;      /* also told: the handler's ancestor at this
		                       tier (the handler itself at or above it) */
	} supervise;
	struct {
		int count;          /* open reports of one category in one town
		                       within window that raise an alert, >= 2 */
		int64_t window_ms;  /* ms, > 0 */
		proto_colour colour; /* of that alert: orange or red */
		int red_count;      /* from this many the alert is red; 0 = never;
		                       else > count. Unused when colour is red. */
	} surge;
	struct {
		int many_blue; /* this many open blue items at one station of blue's
		                  tier make it (and the areas above) overcast 阴 */
	} weather;
} hub_policy;

/* Fills p with the defaults of the design brief (data/policy.conf). */
void hub_policy_defaults(hub_policy *p);

/* Parses policy text (len bytes, need not be NUL-terminated; NULL reads as
 * empty) over the defaults: keys missing from text keep their default, not
 * p's old value. On success *p is the result; on error *p is unchanged (a
 * reload keeps the running policy), err reads "line N: key 'k': reason" or,
 * where no key is involved, "line N: reason", and PROTO_ERR_BAD_VALUE is
 * returned. Line numbers count from 1, as an editor does. */
proto_err hub_policy_parse(hub_policy *p, const char *text, size_t len,
	char *err, size_t errlen);

/* Reads and parses a file; err reads "FILE:line N: ..." on a bad policy
 * (PROTO_ERR_BAD_VALUE), "FILE: reason" when it cannot be read
 * (PROTO_ERR_IO, or PROTO_ERR_TOO_LARGE beyond HUB_POLICY_FILE_MAX). */
proto_err hub_policy_load(hub_policy *p, const char *path, char *err,
	size_t errlen);

/* Writes p as a policy file that hub_policy_parse reads back to p: every
 * key, in the order of data/policy.conf, with short comments. Returns 0, or
 * -1 when writing to f failed. */
int hub_policy_write(const hub_policy *p, FILE *f);

/* Time from the start of a limit (when the item reached its current tier)
 * to reminder k (0-based) of colour c's policy; -1 when k is not below the
 * colour's reminder count. Reminder k falls at
 * remind_pct + k * (100 - remind_pct) / reminders percent of limit_ms. */
int64_t hub_policy_remind_at(const hub_policy *p, proto_colour c,
	int64_t limit_ms, int k);

/* The colour an item of colour c escalates to when a limit passes; c itself
 * for red, which has nowhere higher to go. */
proto_colour hub_policy_next_colour(proto_colour c);

#endif
