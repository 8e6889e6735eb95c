/* The workflow's rules as data: one row per step saying in which states it
 * is legal, who may take it, and where it leads. Keeping them in one table
 * lets the hub, the client and PROTOCOL.md agree by construction. */
#include <stdio.h>
#include <string.h>

#include "protocol/code.h"
#include "protocol/workflow.h"

#define S(x) (1u << PROTO_STATE_##x)
#define OPEN (S(REPORTED) | S(SIGNED) | S(ASSIGNED))
#define SAME PROTO_STATE__COUNT /* "next" meaning: the state does not change */

static const struct {
	unsigned from;    /* states in which the step is legal */
	int roles;        /* any of these roles may take it */
	proto_state next; /* SAME when the state stays */
} rules[PROTO_STEP__COUNT] = {
	[PROTO_STEP_SIGN] = {S(REPORTED), PROTO_ROLE_HANDLER, PROTO_STATE_SIGNED},
	[PROTO_STEP_ASSIGN] = {S(SIGNED) | S(ASSIGNED), PROTO_ROLE_HANDLER,
			       PROTO_STATE_ASSIGNED},
	[PROTO_STEP_RESOLVE] = {S(SIGNED) | S(ASSIGNED), PROTO_ROLE_HANDLER,
				PROTO_STATE_RESOLVED},
	/* Returned items go up to be dispatched again: reported, not signed. */
	[PROTO_STEP_RETURN] = {OPEN, PROTO_ROLE_HANDLER, PROTO_STATE_REPORTED},
	[PROTO_STEP_EXTEND] = {OPEN, PROTO_ROLE_HANDLER, SAME},
	[PROTO_STEP_VERIFY] = {S(RESOLVED), PROTO_ROLE_VISITOR, PROTO_STATE_VERIFIED},
	[PROTO_STEP_RATE] = {S(VERIFIED), PROTO_ROLE_VISITOR, PROTO_STATE_RATED},
	/* Back to the handler, who has already signed for it once: the return
	 * visit found it not done. */
	[PROTO_STEP_REOPEN] = {S(RESOLVED) | S(VERIFIED), PROTO_ROLE_VISITOR,
			       PROTO_STATE_SIGNED},
	[PROTO_STEP_MERGE] = {OPEN, PROTO_ROLE_HANDLER, PROTO_STATE_MERGED},
	[PROTO_STEP_WITHDRAW] = {OPEN, PROTO_ROLE_REPORTER, PROTO_STATE_WITHDRAWN},
	[PROTO_STEP_COMMENT] = {~0u, PROTO_ROLE_HANDLER | PROTO_ROLE_REPORTER |
				PROTO_ROLE_VISITOR, SAME},
};

static const char *const state_names[PROTO_STATE__COUNT][2] = {
	[PROTO_STATE_REPORTED] = {"reported", "已上报"},
	[PROTO_STATE_SIGNED] = {"signed", "已签收"},
	[PROTO_STATE_ASSIGNED] = {"assigned", "已交办"},
	[PROTO_STATE_RESOLVED] = {"resolved", "已办结"},
	[PROTO_STATE_VERIFIED] = {"verified", "已回访"},
	[PROTO_STATE_RATED] = {"rated", "已评价"},
	[PROTO_STATE_WITHDRAWN] = {"withdrawn", "已撤回"},
	[PROTO_STATE_MERGED] = {"merged", "已合并"},
};

static const char *const step_names[PROTO_STEP__COUNT][2] = {
	[PROTO_STEP_SIGN] = {"sign", "签收"},
	[PROTO_STEP_ASSIGN] = {"assign", "交办"},
	[PROTO_STEP_RESOLVE] = {"resolve", "办结"},
	[PROTO_STEP_RETURN] = {"return", "退单"},
	[PROTO_STEP_EXTEND] = {"extend", "延期"},
	[PROTO_STEP_VERIFY] = {"verify", "回访"},
	[PROTO_STEP_RATE] = {"rate", "评价"},
	[PROTO_STEP_REOPEN] = {"reopen", "重办"},
	[PROTO_STEP_MERGE] = {"merge", "合并"},
	[PROTO_STEP_WITHDRAW] = {"withdraw", "撤回"},
	[PROTO_STEP_COMMENT] = {"comment", "备注"},
};

static const char *const rating_names[PROTO_RATING__COUNT][2] = {
	[PROTO_RATING_SATISFIED] = {"satisfied", "满意"},
	[PROTO_RATING_BASIC] = {"basic", "基本满意"},
	[PROTO_RATING_UNSATISFIED] = {"unsatisfied", "不满意"},
};

int proto_workflow_roles(const char *actor, const char *handler, const char *origin)
{
	int roles = 0;

	if (!actor || !proto_code_valid(actor))
		return 0;
	if (handler && proto_code_valid(handler) && proto_code_within(handler, actor))
		roles |= PROTO_ROLE_HANDLER;
	if (origin && strcmp(actor, origin) == 0)
		roles |= PROTO_ROLE_REPORTER;
	if (origin && handler && proto_code_valid(handler)) {
		char visitor[PROTO_CODE_MAX + 1];
		if (strcmp(handler, origin) != 0 || !proto_code_parent(handler, visitor))
			snprintf(visitor, sizeof visitor, "%s", origin);
		if (strcmp(actor, visitor) == 0)
			roles |= PROTO_ROLE_VISITOR;
	}
	return roles;
}

bool proto_workflow_personal(const char *actor, const char *handler, const char *origin)
{
	return actor && handler && origin &&
	       (strcmp(actor, handler) == 0 || strcmp(actor, origin) == 0 ||
		(proto_workflow_roles(actor, handler, origin) & PROTO_ROLE_VISITOR));
}

proto_err proto_workflow_next(proto_state state, proto_step step, int roles,
	proto_rating rating, proto_state *next)
{
	if ((unsigned)state >= PROTO_STATE__COUNT || (unsigned)step >= PROTO_STEP__COUNT)
		return PROTO_ERR_INVAL;
	if (!(rules[step].from & (1u << state)))
		return PROTO_ERR_BAD_STATE;
	if (!(rules[step].roles & roles))
		return PROTO_ERR_NOT_ALLOWED;
	*next = rules[step].next == SAME ? state : rules[step].next;
	if (step == PROTO_STEP_RATE && rating == PROTO_RATING_UNSATISFIED)
		*next = PROTO_STATE_SIGNED;
	return PROTO_OK;
}

bool proto_state_open(proto_state state)
{
	return (unsigned)state < PROTO_STATE__COUNT && (OPEN & (1u << state));
}

static int parse(const char *const (*names)[2], int n, const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < n; i++)
		if (strcmp(names[i][0], name) == 0)
			return i;
	return -1;
}

#define NAME(table, n, i, lang) ((unsigned)(i) < (unsigned)(n) ? table[i][lang] : "?")

const char *proto_state_name(proto_state s) { return NAME(state_names, PROTO_STATE__COUNT, s, 0); }
const char *proto_state_name_zh(proto_state s) { return NAME(state_names, PROTO_STATE__COUNT, s, 1); }
int proto_state_parse(const char *name) { return parse(state_names, PROTO_STATE__COUNT, name); }
const char *proto_step_name(proto_step s) { return NAME(step_names, PROTO_STEP__COUNT, s, 0); }
const char *proto_step_name_zh(proto_step s) { return NAME(step_names, PROTO_STEP__COUNT, s, 1); }
int proto_step_parse(const char *name) { return parse(step_names, PROTO_STEP__COUNT, name); }
const char *proto_rating_name(proto_rating r) { return NAME(rating_names, PROTO_RATING__COUNT, r, 0); }
const char *proto_rating_name_zh(proto_rating r) { return NAME(rating_names, PROTO_RATING__COUNT, r, 1); }
int proto_rating_parse(const char *name) { return parse(rating_names, PROTO_RATING__COUNT, name); }
