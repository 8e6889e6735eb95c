/* The workflow's table: the whole path from report to rating, every step
 * in every state (legal or bad_state), roles (not_allowed), names. */
#include "check.h"
#include "protocol/workflow.h"

#define COUNTY "611025"
#define TOWN "611025100"
#define VILLAGE "611025100201"
#define GROUP "611025100201001"
#define OTHER_VILLAGE "611025100202"

static proto_state step(proto_state s, proto_step st, int roles, proto_err want)
{
	proto_state next = s;

	CHECK_STR(proto_err_name(proto_workflow_next(s, st, roles, PROTO_RATING_SATISFIED,
		&next)), proto_err_name(want));
	return next;
}

static void test_roles(void)
{
	/* A village's blue item reported by one of its groups. */
	CHECK_EQ_INT(proto_workflow_roles(VILLAGE, VILLAGE, GROUP), PROTO_ROLE_HANDLER);
	CHECK_EQ_INT(proto_workflow_roles(TOWN, VILLAGE, GROUP), PROTO_ROLE_HANDLER);
	CHECK_EQ_INT(proto_workflow_roles(COUNTY, VILLAGE, GROUP), PROTO_ROLE_HANDLER);
	CHECK_EQ_INT(proto_workflow_roles(GROUP, VILLAGE, GROUP),
		PROTO_ROLE_REPORTER | PROTO_ROLE_VISITOR);
	CHECK_EQ_INT(proto_workflow_roles(OTHER_VILLAGE, VILLAGE, GROUP), 0);
	/* A village reporting its own blue item handles it too, and its town
	 * does the return visit: nobody verifies their own work. */
	CHECK_EQ_INT(proto_workflow_roles(VILLAGE, VILLAGE, VILLAGE),
		PROTO_ROLE_HANDLER | PROTO_ROLE_REPORTER);
	CHECK_EQ_INT(proto_workflow_roles(TOWN, VILLAGE, VILLAGE),
		PROTO_ROLE_HANDLER | PROTO_ROLE_VISITOR);
	CHECK_EQ_INT(proto_workflow_roles(COUNTY, VILLAGE, VILLAGE), PROTO_ROLE_HANDLER);
	/* Escalated away from the village that reported it: the village
	 * visits again. */
	CHECK_EQ_INT(proto_workflow_roles(VILLAGE, TOWN, VILLAGE),
		PROTO_ROLE_REPORTER | PROTO_ROLE_VISITOR);
	CHECK_EQ_INT(proto_workflow_roles(TOWN, TOWN, VILLAGE), PROTO_ROLE_HANDLER);
	/* The county's own item: nobody above it. */
	CHECK_EQ_INT(proto_workflow_roles(COUNTY, COUNTY, COUNTY),
		PROTO_ROLE_HANDLER | PROTO_ROLE_REPORTER | PROTO_ROLE_VISITOR);
	CHECK_EQ_INT(proto_workflow_roles("junk", VILLAGE, GROUP), 0);
	CHECK_EQ_INT(proto_workflow_roles(NULL, VILLAGE, GROUP), 0);
}

static void test_whole_workflow(void)
{
	int h = PROTO_ROLE_HANDLER, r = PROTO_ROLE_VISITOR;
	proto_state s = PROTO_STATE_REPORTED, next;

	s = step(s, PROTO_STEP_SIGN, h, PROTO_OK);
	CHECK_EQ_INT(s, PROTO_STATE_SIGNED);
	s = step(s, PROTO_STEP_ASSIGN, h, PROTO_OK);
	CHECK_EQ_INT(s, PROTO_STATE_ASSIGNED);
	s = step(s, PROTO_STEP_ASSIGN, h, PROTO_OK); /* reassign */
	s = step(s, PROTO_STEP_EXTEND, h, PROTO_OK);
	CHECK_EQ_INT(s, PROTO_STATE_ASSIGNED);
	s = step(s, PROTO_STEP_RESOLVE, h, PROTO_OK);
	CHECK_EQ_INT(s, PROTO_STATE_RESOLVED);
	step(s, PROTO_STEP_VERIFY, h, PROTO_ERR_NOT_ALLOWED); /* only the visitor */
	step(s, PROTO_STEP_VERIFY, h | PROTO_ROLE_REPORTER, PROTO_ERR_NOT_ALLOWED);
	s = step(s, PROTO_STEP_VERIFY, r, PROTO_OK);
	CHECK_EQ_INT(s, PROTO_STATE_VERIFIED);
	/* Unsatisfied: back to the handler, signed. */
	CHECK_EQ_INT(proto_workflow_next(s, PROTO_STEP_RATE, r, PROTO_RATING_UNSATISFIED,
		&next), PROTO_OK);
	CHECK_EQ_INT(next, PROTO_STATE_SIGNED);
	s = step(s, PROTO_STEP_RATE, r, PROTO_OK);
	CHECK_EQ_INT(s, PROTO_STATE_RATED);
	CHECK(!proto_state_open(s));
	/* Closed: only comments. */
	for (int st = 0; st < PROTO_STEP__COUNT; st++)
		step(s, (proto_step)st, h | r, st == PROTO_STEP_COMMENT ? PROTO_OK :
			PROTO_ERR_BAD_STATE);
}

/* The table written out by hand once more: any change to the rules must
 * change this too, on purpose. 1 = legal for the right role. */
static void test_every_cell(void)
{
	static const char legal[PROTO_STEP__COUNT][PROTO_STATE__COUNT + 1] = {
		/*                  RSAVDTWM  (reported signed assigned resolved
		 *                   verified raTed withdrawn merged) */
		[PROTO_STEP_SIGN] =     "10000000",
		[PROTO_STEP_ASSIGN] =   "01100000",
		[PROTO_STEP_RESOLVE] =  "01100000",
		[PROTO_STEP_RETURN] =   "11100000",
		[PROTO_STEP_EXTEND] =   "11100000",
		[PROTO_STEP_VERIFY] =   "00010000",
		[PROTO_STEP_RATE] =     "00001000",
		[PROTO_STEP_REOPEN] =   "00011000",
		[PROTO_STEP_MERGE] =    "11100000",
		[PROTO_STEP_WITHDRAW] = "11100000",
		[PROTO_STEP_COMMENT] =  "11111111",
	};
	proto_state next;

	for (int st = 0; st < PROTO_STEP__COUNT; st++)
		for (int s = 0; s < PROTO_STATE__COUNT; s++) {
			check_case = proto_step_name((proto_step)st);
			proto_err e = proto_workflow_next((proto_state)s, (proto_step)st,
				PROTO_ROLE_HANDLER | PROTO_ROLE_REPORTER |
				PROTO_ROLE_VISITOR, PROTO_RATING_BASIC, &next);
			CHECK_EQ_INT(e == PROTO_OK, legal[st][s] == '1');
			/* Nobody in particular may do nothing anywhere. */
			e = proto_workflow_next((proto_state)s, (proto_step)st, 0,
				PROTO_RATING_BASIC, &next);
			CHECK(e != PROTO_OK);
		}
	check_case = NULL;
	CHECK_EQ_INT(proto_workflow_next(PROTO_STATE__COUNT, PROTO_STEP_SIGN,
		PROTO_ROLE_HANDLER, 0, &next), PROTO_ERR_INVAL);
}

static void test_names(void)
{
	for (int s = 0; s < PROTO_STATE__COUNT; s++)
		CHECK_EQ_INT(proto_state_parse(proto_state_name((proto_state)s)), s);
	for (int s = 0; s < PROTO_STEP__COUNT; s++)
		CHECK_EQ_INT(proto_step_parse(proto_step_name((proto_step)s)), s);
	for (int s = 0; s < PROTO_RATING__COUNT; s++)
		CHECK_EQ_INT(proto_rating_parse(proto_rating_name((proto_rating)s)), s);
	CHECK_STR(proto_state_name_zh(PROTO_STATE_SIGNED), "已签收");
	CHECK_STR(proto_step_name_zh(PROTO_STEP_RETURN), "退单");
	CHECK_STR(proto_rating_name_zh(PROTO_RATING_BASIC), "基本满意");
	CHECK_EQ_INT(proto_step_parse("SIGN"), -1);
	CHECK_EQ_INT(proto_state_parse(NULL), -1);
	CHECK_STR(proto_state_name(PROTO_STATE__COUNT), "?");
}

int main(void)
{
	test_roles();
	test_whole_workflow();
	test_every_cell();
	test_names();
	return check_finish();
}
