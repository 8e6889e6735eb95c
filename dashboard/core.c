/* A user's step on an item, taken by the hub's core. The hand-off between
 * threads: an HTTP worker validates the request, queues it under
 * queue_lock and writes the eventfd; the core (dash_core_run, on its poll
 * loop) stages it in its open batch exactly as a station's action, with
 * the user's station for the rules and "user:NAME" as the actor; once the
 * batch is committed and on disk (dash_core_committed, dash_core_durable,
 * from the hub's notices) it marks the request done and signals queue_done. The worker waits for
 * that, then answers with the item as it now is. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "dashboard/dash-int.h"
#include "hub/clock.h"
#include "protocol/log.h"
#include "protocol/workflow.h"

struct dash_action {
	proto_msg m;              /* type action; station: the user's scope */
	char by[40];              /* "user:NAME" */
	proto_err err;
	char field[PROTO_FIELD_MAX];
	bool done;
	dash_action *next;
};

static void action_free(dash_action *a)
{
	if (!a)
		return;
	free(a->m.u.action.action);
	free(a->m.u.action.note);
	free(a->m.u.action.member);
	free(a->m.u.action.rating);
	free(a);
}

/* Marks a done and wakes its worker; queue_lock held. */
static void finish(dash *d, dash_action *a, proto_err err)
{
	a->err = err;
	a->done = true;
	pthread_cond_broadcast(&d->queue_done);
}

void dash_core_run(dash *d)
{
	uint64_t count;
	dash_action *list, *a, *next;

	if (read(d->wake_fd, &count, sizeof count) < 0 && errno != EAGAIN)
		log_error("dashboard wake-up: %s", strerror(errno));
	pthread_mutex_lock(&d->queue_lock);
	list = d->queued;
	d->queued = NULL;
	pthread_mutex_unlock(&d->queue_lock);
	/* Oldest first: the list was pushed at its head. */
	dash_action *rev = NULL;
	for (a = list; a; a = next) {
		next = a->next;
		a->next = rev;
		rev = a;
	}
	for (a = rev; a; a = next) {
		proto_err err;

		next = a->next;
		err = hub_store_begin(d->store);
		if (!err)
			err = hub_store_savepoint(d->store);
		if (!err) {
			err = hub_workflow_apply_as(d->workflow, &a->m, a->by, hub_clock_now(), a->field);
			err = hub_store_release(d->store, err);
		}
		if (!err) {
			log_info("%s: %s on item %s", a->by, a->m.u.action.action,
				a->m.u.action.item);
			a->next = d->staged; /* answered after the commit */
			d->staged = a;
			continue;
		}
		pthread_mutex_lock(&d->queue_lock);
		finish(d, a, err);
		pthread_mutex_unlock(&d->queue_lock);
	}
}

/* Answers every step of list with err. */
static void finish_all(dash *d, dash_action **list, proto_err err)
{
	if (!*list)
		return;
	pthread_mutex_lock(&d->queue_lock);
	for (dash_action *a = *list, *next; a; a = next) {
		next = a->next;
		finish(d, a, err);
	}
	*list = NULL;
	pthread_mutex_unlock(&d->queue_lock);
}

void dash_core_committed(dash *d, bool ok)
{
	if (!ok) {
		finish_all(d, &d->staged, PROTO_ERR_IO);
		return;
	}
	/* Answered when on disk: the hub syncs one commit at a time, so the
	 * steps syncing are all of the last commit's. */
	while (d->staged) {
		dash_action *a = d->staged;
		d->staged = a->next;
		a->next = d->syncing;
		d->syncing = a;
	}
}

void dash_core_durable(dash *d, bool ok)
{
	finish_all(d, &d->syncing, ok ? PROTO_OK : PROTO_ERR_IO);
}

void dash_core_fail_all(dash *d)
{
	pthread_mutex_lock(&d->queue_lock);
	d->closing = true;
	for (dash_action *a = d->queued, *next; a; a = next) {
		next = a->next;
		finish(d, a, PROTO_ERR_IO);
	}
	d->queued = NULL;
	for (dash_action *a = d->staged, *next; a; a = next) {
		next = a->next;
		finish(d, a, PROTO_ERR_IO);
	}
	d->staged = NULL;
	for (dash_action *a = d->syncing, *next; a; a = next) {
		next = a->next;
		finish(d, a, PROTO_ERR_IO);
	}
	d->syncing = NULL;
	pthread_mutex_unlock(&d->queue_lock);
}

/* ------------------------------------------------------------ HTTP side */

static bool get_text(cJSON *body, const char *key, size_t max_cp, char **out,
	const char **bad)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(body, key);

	*out = NULL;
	if (!v || cJSON_IsNull(v))
		return true;
	if (!cJSON_IsString(v) || !proto_utf8_valid(v->valuestring, strlen(v->valuestring)) ||
	    proto_utf8_length(v->valuestring) > max_cp || !*v->valuestring) {
		*bad = key;
		return false;
	}
	*out = strdup(v->valuestring);
	return *out != NULL;
}

static const char *err_message(proto_err err)
{
	switch (err) {
	case PROTO_ERR_BAD_STATE: return "the item's state does not allow this step";
	case PROTO_ERR_NOT_ALLOWED: return "your station may not take this step";
	case PROTO_ERR_MISSING_FIELD: return "a field is missing";
	case PROTO_ERR_BAD_VALUE: return "a field has a bad value";
	default: return proto_err_name(err);
	}
}

void dash_api_action(dash_req *r, const char *id)
{
	dash *d = r->d;
	cJSON *body = NULL, *v, *out;
	dash_action *a = NULL;
	const char *bad = NULL;
	sqlite3 *db;

	/* Outside her scope the item does not exist for her. */
	db = dash_reader_get(d);
	out = db ? dash_item_json(d, db, &r->user, id) : NULL;
	dash_reader_put(d, db);
	if (!out) {
		dash_reply_error(r, 404, "not_found", "no such item within your scope");
		return;
	}
	cJSON_Delete(out);
	body = cJSON_ParseWithLength(r->body ? r->body : "", r->len);
	if (!cJSON_IsObject(body)) {
		dash_reply_error(r, 400, "bad_request", "the body is not a JSON object");
		goto done;
	}
	a = calloc(1, sizeof *a);
	if (!a) {
		dash_reply_error(r, 500, "internal", "out of memory");
		goto done;
	}
	a->m.v = PROTO_VERSION;
	a->m.type = PROTO_MSG_ACTION;
	snprintf(a->m.station, sizeof a->m.station, "%s", r->user.scope);
	snprintf(a->by, sizeof a->by, "user:%s", r->user.name);
	snprintf(a->m.u.action.item, sizeof a->m.u.action.item, "%s", id);
	v = cJSON_GetObjectItemCaseSensitive(body, "action");
	if (!cJSON_IsString(v) || proto_step_parse(v->valuestring) < 0) {
		dash_reply_field(r, "action: not a known step", "action");
		goto done;
	}
	a->m.u.action.action = strdup(v->valuestring);
	if (!get_text(body, "note", PROTO_NOTE_MAX, &a->m.u.action.note, &bad) ||
	    !get_text(body, "member", 64, &a->m.u.action.member, &bad) ||
	    !get_text(body, "rating", 32, &a->m.u.action.rating, &bad))
		goto bad_field;
	v = cJSON_GetObjectItemCaseSensitive(body, "until");
	if (v && !cJSON_IsNull(v)) {
		if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 9e15) {
			bad = "until";
			goto bad_field;
		}
		a->m.u.action.until = (int64_t)v->valuedouble;
	}
	v = cJSON_GetObjectItemCaseSensitive(body, "into");
	if (v && !cJSON_IsNull(v)) {
		if (!cJSON_IsString(v) || !proto_item_id_valid(v->valuestring)) {
			bad = "into";
			goto bad_field;
		}
		snprintf(a->m.u.action.into, sizeof a->m.u.action.into, "%s", v->valuestring);
		/* The item merged into must be one this user may see: otherwise
		 * the answer would tell whether a guessed id exists elsewhere. */
		char into_station[PROTO_CODE_MAX + 1];
		size_t len = strcspn(a->m.u.action.into, "-");
		snprintf(into_station, sizeof into_station, "%.*s", (int)len, a->m.u.action.into);
		if (!proto_code_within(into_station, r->user.scope)) {
			dash_reply_error(r, 404, "not_found", "no such item in your scope");
			goto done;
		}
	}
	if (!a->m.u.action.action)
		goto bad_field;

	pthread_mutex_lock(&d->queue_lock);
	if (d->closing) {
		pthread_mutex_unlock(&d->queue_lock);
		dash_reply_error(r, 503, "unavailable", "the hub is stopping");
		goto done;
	}
	a->next = d->queued;
	d->queued = a;
	uint64_t one = 1;
	if (write(d->wake_fd, &one, sizeof one) < 0)
		log_error("dashboard wake-up: %s", strerror(errno));
	while (!a->done)
		pthread_cond_wait(&d->queue_done, &d->queue_lock);
	pthread_mutex_unlock(&d->queue_lock);

	switch (a->err) {
	case PROTO_OK:
		db = dash_reader_get(d);
		out = db ? dash_item_json(d, db, &r->user, id) : NULL;
		dash_reader_put(d, db);
		if (out)
			dash_reply_json(r, 200, out);
		else
			dash_reply_error(r, 500, "internal", "the item cannot be read back");
		break;
	case PROTO_ERR_BAD_STATE:
		dash_reply_error(r, 409, "conflict", err_message(a->err));
		break;
	case PROTO_ERR_NOT_ALLOWED:
		dash_reply_error(r, 403, "forbidden", err_message(a->err));
		break;
	case PROTO_ERR_UNKNOWN_ITEM:
		dash_reply_error(r, 404, "not_found", "no such item within your scope");
		break;
	case PROTO_ERR_MISSING_FIELD:
	case PROTO_ERR_BAD_VALUE: {
		char msg[96];
		snprintf(msg, sizeof msg, "%s: %s", a->field[0] ? a->field : "body",
			a->err == PROTO_ERR_MISSING_FIELD ? "required for this step" :
			"not acceptable");
		dash_reply_field(r, msg, a->field[0] ? a->field : NULL);
		break;
	}
	default:
		dash_reply_error(r, 500, "internal", "the hub could not store the step");
		break;
	}
	goto done;
bad_field: {
		char msg[96];
		snprintf(msg, sizeof msg, "%s: bad value", bad ? bad : "body");
		dash_reply_field(r, msg, bad);
	}
done:
	action_free(a);
	cJSON_Delete(body);
}
