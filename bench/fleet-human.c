/* minqing-fleet's human pace (--human): an actor station works the items it
 * is sent as people do, not at once. Each snapshot plans one step after a
 * delay in hub time (scaled by --time-scale to the wall): most steps well
 * within the deadline, a --late-share after it; handlers sometimes return an
 * item upwards or extend it, assign most to a service-team member of the
 * --members file, and the return visit rates a few unsatisfied. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/fleet.h"
#include "protocol/clock.h"
#include "protocol/code.h"
#include "protocol/log.h"
#include "protocol/workflow.h"

#define MINUTE_MS (60 * 1000LL)
#define HOUR_MS (60 * MINUTE_MS)
/* An in-time step takes a share of the time left, but at most this much: a
 * clerk does not wait five days because the policy allows it. */
#define IN_TIME_CAP_MS (8 * HOUR_MS)

int fleet_human_load_members(fleet *f, const char *path)
{
	FILE *fp = fopen(path, "r");
	char line[512];
	int rc = -1;

	if (!fp) {
		log_error("cannot open the service team %s", path);
		return -1;
	}
	while (fgets(line, sizeof line, fp)) {
		char *id = line, *name, *station, *end;
		if (line[0] == '#' || strncmp(line, "id,", 3) == 0 || line[0] == '\n')
			continue;
		if (!(name = strchr(id, ',')) || !(station = strchr(name + 1, ',')))
			continue;
		*name = '\0';
		*station++ = '\0';
		if ((end = strchr(station, ',')))
			*end = '\0';
		if (strlen(id) >= sizeof f->members[0].id || !proto_code_valid(station))
			continue;
		if (f->n_members == f->cap_members) {
			size_t cap = f->cap_members ? f->cap_members * 2 : 256;
			fleet_member *p = realloc(f->members, cap * sizeof *p);
			if (!p)
				goto done;
			f->members = p, f->cap_members = cap;
		}
		fleet_member *m = &f->members[f->n_members++];
		snprintf(m->id, sizeof m->id, "%s", id);
		snprintf(m->station, sizeof m->station, "%s", station);
	}
	log_info("%zu service-team members from %s", f->n_members, path);
	rc = 0;
done:
	fclose(fp);
	return rc;
}

/* A member at the handling station, else one below it; NULL if none. */
static const char *pick_member(fleet *f, const char *handler)
{
	size_t here = 0, below = 0;

	for (size_t i = 0; i < f->n_members; i++) {
		if (strcmp(f->members[i].station, handler) == 0)
			here++;
		else if (proto_code_within(f->members[i].station, handler))
			below++;
	}
	bool own = here > 0;
	size_t n = own ? here : below;
	if (!n)
		return NULL;
	size_t k = (size_t)(fleet_random(f) * (double)n);
	for (size_t i = 0; i < f->n_members; i++) {
		bool fits = own ? strcmp(f->members[i].station, handler) == 0 :
				  proto_code_within(f->members[i].station, handler);
		if (fits && k-- == 0)
			return f->members[i].id;
	}
	return NULL;
}

static int64_t uniform(fleet *f, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(fleet_random(f) * (double)(hi - lo));
}

/* Hub-time delay of a handler's step on an item due at deadline. */
static int64_t handler_delay(fleet *f, const proto_item *it, int64_t hub_now)
{
	int64_t left = it->deadline > 0 ? it->deadline - hub_now : IN_TIME_CAP_MS;

	if (left > 0 && fleet_random(f) < f->o.late_share)
		return left + uniform(f, 10 * MINUTE_MS, 2 * HOUR_MS);
	if (left > IN_TIME_CAP_MS)
		left = IN_TIME_CAP_MS;
	if (left < 2 * MINUTE_MS)
		return MINUTE_MS / 2;
	return uniform(f, left / 20, left * 6 / 10);
}

static bool is_event(const proto_item *it, const char *name)
{
	return it->event && strcmp(it->event, name) == 0;
}

void fleet_human_plan(fleet_station *s, const proto_item *it, int64_t hub_now)
{
	fleet *f = s->f;
	const char *state = it->state ? it->state : "";
	bool handler = strcmp(it->handler, s->reg->code) == 0;
	bool visitor = proto_workflow_roles(s->reg->code, it->handler, it->origin) &
		       PROTO_ROLE_VISITOR;
	fleet_step st = {.hub_at = hub_now, .mono_at = proto_mono_ms()};
	int64_t delay;
	uint32_t i;

	for (i = 0; i < s->n_steps && strcmp(s->steps[i].item, it->item) != 0; i++)
		;
	/* Reminders and comments change nothing of a step already planned. */
	if (i < s->n_steps && (is_event(it, "remind") || is_event(it, "supervise") ||
			       is_event(it, "alert") || is_event(it, "comment")))
		return;
	if (i < s->n_steps) /* the item moved on: plan anew */
		s->steps[i] = s->steps[--s->n_steps];
	if (handler && strcmp(state, "reported") == 0) {
		if (proto_code_tier(it->handler) != PROTO_TIER_COUNTY &&
		    !is_event(it, "return") && !is_event(it, "escalate") &&
		    fleet_random(f) < f->o.return_share) {
			st.step = PROTO_STEP_RETURN;
			delay = uniform(f, 5 * MINUTE_MS, HOUR_MS);
		} else {
			st.step = PROTO_STEP_SIGN;
			delay = handler_delay(f, it, hub_now);
		}
	} else if (handler && (strcmp(state, "signed") == 0 || strcmp(state, "assigned") == 0)) {
		const char *member = NULL;
		if (!is_event(it, "extend") && fleet_random(f) < f->o.extend_share) {
			st.step = PROTO_STEP_EXTEND;
			delay = uniform(f, 10 * MINUTE_MS, 2 * HOUR_MS);
		} else if (strcmp(state, "signed") == 0 &&
			   fleet_random(f) < f->o.assign_share &&
			   (member = pick_member(f, it->handler))) {
			st.step = PROTO_STEP_ASSIGN;
			snprintf(st.member, sizeof st.member, "%s", member);
			delay = uniform(f, 5 * MINUTE_MS, HOUR_MS);
		} else {
			st.step = PROTO_STEP_RESOLVE;
			delay = handler_delay(f, it, hub_now);
		}
	} else if (visitor && strcmp(state, "resolved") == 0) {
		st.step = PROTO_STEP_VERIFY;
		delay = uniform(f, 10 * MINUTE_MS, 4 * HOUR_MS);
	} else if (visitor && strcmp(state, "verified") == 0) {
		double x = fleet_random(f);
		st.step = PROTO_STEP_RATE;
		st.rating = x < f->o.unsatisfied_share ? PROTO_RATING_UNSATISFIED :
			    x < f->o.unsatisfied_share + 0.15 ? PROTO_RATING_BASIC :
							      PROTO_RATING_SATISFIED;
		/* The resident's word: at the visit, or when called back. */
		delay = uniform(f, 30 * MINUTE_MS, 8 * HOUR_MS);
	} else {
		return;
	}
	snprintf(st.item, sizeof st.item, "%s", it->item);
	st.deadline = it->deadline;
	st.due = st.mono_at + (int64_t)((double)delay / f->o.time_scale);
	if (s->n_steps == s->cap_steps) {
		uint32_t cap = s->cap_steps ? s->cap_steps * 2 : 4;
		fleet_step *p = realloc(s->steps, cap * sizeof *p);
		if (!p) {
			log_error("out of memory planning a step");
			return;
		}
		s->steps = p, s->cap_steps = cap;
	}
	s->steps[s->n_steps++] = st;
}

/* The action JSON of a planned step with this id; NULL out of memory. */
static char *encode(fleet *f, const fleet_station *s, const fleet_step *st,
	int64_t id, int64_t now)
{
	static const char *const notes[PROTO_STEP__COUNT] = {
		[PROTO_STEP_RESOLVE] = "已现场核实并办结。",
		[PROTO_STEP_RETURN] = "不属本级职责范围，退回上级重新交办。",
		[PROTO_STEP_EXTEND] = "需协调相关部门，申请延期办理。",
		[PROTO_STEP_VERIFY] = "已电话回访群众。",
		[PROTO_STEP_ASSIGN] = "交服务队员上门办理。",
	};
	proto_msg m = {.v = PROTO_VERSION, .type = PROTO_MSG_ACTION, .id = id,
		       .ts = proto_now_ms()};
	proto_action *a = &m.u.action;

	snprintf(m.station, sizeof m.station, "%s", s->reg->code);
	snprintf(a->item, sizeof a->item, "%s", st->item);
	a->action = (char *)proto_step_name(st->step);
	a->note = (char *)notes[st->step];
	if (st->step == PROTO_STEP_ASSIGN)
		a->member = (char *)st->member;
	if (st->step == PROTO_STEP_RATE)
		a->rating = (char *)proto_rating_name(st->rating);
	if (st->step == PROTO_STEP_EXTEND) {
		/* The hub's clock now, from its own at the snapshot; an
		 * extension gives one to three days more than was left (or
		 * than now, past the deadline), never less. */
		int64_t hub_now = st->hub_at +
			(int64_t)((double)(now - st->mono_at) * f->o.time_scale);
		int64_t base = st->deadline > hub_now ? st->deadline : hub_now;
		a->until = base + uniform(f, 24 * HOUR_MS, 72 * HOUR_MS);
	}
	return proto_msg_encode(&m);
}

int64_t fleet_human_due(fleet_station *s, int64_t now,
	int (*queue)(fleet_station *s, char *json, int64_t id), int64_t (*next_id)(const fleet_station *s))
{
	int64_t due = INT64_MAX;

	for (uint32_t i = 0; i < s->n_steps; ) {
		fleet_step *st = &s->steps[i];
		if (st->due > now) {
			if (st->due < due)
				due = st->due;
			i++;
			continue;
		}
		int64_t id = next_id(s);
		char *json = encode(s->f, s, st, id, now);
		if (!json || queue(s, json, id))
			log_error("out of memory queueing a step");
		s->steps[i] = s->steps[--s->n_steps];
	}
	return due;
}
