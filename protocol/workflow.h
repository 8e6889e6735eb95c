/* The workflow (闭环) every item follows, as a table of who may take which
 * step in which state. The hub enforces it; stations use the same table to
 * offer only the steps that will be accepted. Wire names are in PROTOCOL.md. */
#ifndef PROTO_WORKFLOW_H
#define PROTO_WORKFLOW_H

#include <stdbool.h>

#include "protocol/error.h"

typedef enum proto_state {
	PROTO_STATE_REPORTED,  /* 已上报: waiting for the handler to sign for it */
	PROTO_STATE_SIGNED,    /* 已签收: the handler has taken it on */
	PROTO_STATE_ASSIGNED,  /* 已交办: a service-team member works on it */
	PROTO_STATE_RESOLVED,  /* 已办结: the handler says done, with feedback */
	PROTO_STATE_VERIFIED,  /* 已回访: the reporting station visited the resident */
	PROTO_STATE_RATED,     /* 已评价: the resident's rating is in; closed */
	PROTO_STATE_WITHDRAWN, /* 已撤回: the reporting station withdrew it */
	PROTO_STATE_MERGED,    /* 已合并: a duplicate of another open item */
	PROTO_STATE__COUNT
} proto_state;

typedef enum proto_step {
	PROTO_STEP_SIGN,     /* 签收 */
	PROTO_STEP_ASSIGN,   /* 交办, to a service-team member */
	PROTO_STEP_RESOLVE,  /* 办结, with feedback */
	PROTO_STEP_RETURN,   /* 退单, with a reason: back up for re-dispatch */
	PROTO_STEP_EXTEND,   /* 延期, with a reason and a new deadline */
	PROTO_STEP_VERIFY,   /* 回访 after the return visit */
	PROTO_STEP_RATE,     /* 评价: satisfied | basic | unsatisfied */
	PROTO_STEP_REOPEN,   /* 重办: the resident is not satisfied */
	PROTO_STEP_MERGE,    /* 合并 into another open item */
	PROTO_STEP_WITHDRAW, /* 撤回 by the reporting station */
	PROTO_STEP_COMMENT,  /* 备注: no change of state */
	PROTO_STEP__COUNT
} proto_step;

typedef enum proto_rating {
	PROTO_RATING_SATISFIED,   /* 满意 */
	PROTO_RATING_BASIC,       /* 基本满意 */
	PROTO_RATING_UNSATISFIED, /* 不满意: the item is reopened */
	PROTO_RATING__COUNT
} proto_rating;

/* Who a station is to an item; a station may be both. */
enum {
	PROTO_ROLE_HANDLER = 1,  /* the handling station or one of its ancestors */
	PROTO_ROLE_REPORTER = 2, /* the station that reported the item */
	PROTO_ROLE_VISITOR = 4,  /* does the return visit (回访) and records the
	                            rating: the reporting station, unless it
	                            handled the item itself; then the handler's
	                            parent (nobody verifies their own work) */
};

/* The roles of station `actor` for an item handled by `handler` and reported
 * by `origin` (codes; an ancestor of the handler acts as the handler). The
 * visitor is decided by the handler at hand: once resolved, an item's
 * handler is the one that resolved it. A county station reporting and
 * handling its own item has no one above it and visits it itself. */
int proto_workflow_roles(const char *actor, const char *handler, const char *origin);

/* Whether station `actor` may see the resident's name and phone of such an
 * item: it handles it (itself, not an ancestor), reported it, or does its
 * return visit, for which it calls the resident. */
bool proto_workflow_personal(const char *actor, const char *handler, const char *origin);

/* Checks step in state for a station with roles. On PROTO_OK *next is the
 * state after the step (for a rating, an unsatisfied one reopens the item:
 * pass the rating; it is ignored for other steps). PROTO_ERR_BAD_STATE when
 * the step is not legal in this state, PROTO_ERR_NOT_ALLOWED when it is but
 * not for these roles. */
proto_err proto_workflow_next(proto_state state, proto_step step, int roles,
	proto_rating rating, proto_state *next);

/* True while the item waits on its handler (counts for deadlines, weather). */
bool proto_state_open(proto_state state);

/* Wire names (English) and Chinese names; parsers return -1 when unknown. */
const char *proto_state_name(proto_state state);
const char *proto_state_name_zh(proto_state state);
int proto_state_parse(const char *name);
const char *proto_step_name(proto_step step);
const char *proto_step_name_zh(proto_step step);
int proto_step_parse(const char *name);
const char *proto_rating_name(proto_rating rating);
const char *proto_rating_name_zh(proto_rating rating);
int proto_rating_parse(const char *name);

#endif
