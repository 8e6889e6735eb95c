/* The workflow at the hub: every accepted report becomes an item routed
 * to the station of its colour's tier; stations' steps move it through the
 * table of protocol/workflow.h; time and patterns escalate it; every change is
 * an append-only event and a snapshot delivered, durably, to each station
 * involved. All writes happen inside the store's open batch.
 *
 * Its files, each importing only those above it in this list:
 *   item.c      the base: the statements, items and events rows, the
 *               downbox's ids, the observer's hook;
 *   downbox.c   snapshots, sealed item messages, publishing and delivery;
 *   surge.c     escalation by pattern (研判预警); weather.c the weather;
 *   rules.c     the workflow made and its policy replaced; routing, the
 *               stations' steps, receipts, what an event does;
 *   escalate.c  escalation by time: reminders, raises, supervision (督办);
 *   members.c   the service team and its member messages.
 * Their tables are hub/schema.c's. */
#ifndef HUB_WORKFLOW_H
#define HUB_WORKFLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "hub/notify.h"
#include "hub/policy.h"
#include "hub/schema.h" /* HUB_URGENT_WHERE */
#include "hub/store.h"
#include "protocol/link.h"
#include "protocol/message.h"

typedef struct hub_workflow hub_workflow;

/* Over an open store (not owned) and a policy (copied). NULL on error. */
hub_workflow *hub_workflow_create(hub_store *store, const hub_policy *policy);

void hub_workflow_destroy(hub_workflow *l);

/* Replaces the service team from a CSV file "id,name,station,phone,categories"
 * (categories ';'-separated service items, may be empty), and in the same
 * transaction queues a member message (PROTOCOL.md §5.7) for each station
 * whose members changed since it was last told: new, renamed, moved or gone.
 * Errors name the line; 0 on success. */
int hub_workflow_load_members(hub_workflow *l, const char *path, char *err, size_t errlen);

/* Checks a service-team file as hub_workflow_load_members would read it,
 * without a database: report is called with each error ("FILE:line N:
 * reason"). Returns the number of errors, -1 when it cannot be read. */
int hub_members_check(const char *path, void (*report)(void *ud, const char *msg),
	void *ud);

/* Replaces the policy (copied) for what happens from now on: items keep
 * the limits they were given, new limits and reminders follow p. */
void hub_workflow_set_policy(hub_workflow *l, const hub_policy *p);

/* Whether a report can be routed at all (its origin has a tier). */
bool hub_workflow_routable(const hub_workflow *l, const proto_msg *report);

/* Makes the item of a report just staged (not a duplicate) at hub time now,
 * and *json its receipt as hub_workflow_receipt would (malloc'd). */
proto_err hub_workflow_route(hub_workflow *l, const proto_msg *report, int64_t now,
	const proto_msg *receipt, char **json);

/* The receipt (accepted or duplicate) for a report whose item exists, with
 * the item's current snapshot for its reporter; its ts is then that of the
 * latest event. *json is malloc'd, NULL (with PROTO_OK) for an unknown item. */
proto_err hub_workflow_receipt(hub_workflow *l, const proto_msg *receipt, char **json);

/* Applies a station's step. On error field names what is wrong; a step
 * refused writes nothing, while PROTO_ERR_IO or PROTO_ERR_NOMEM may leave
 * the batch half-written (roll it back). */
proto_err hub_workflow_apply(hub_workflow *l, const proto_msg *action, int64_t now,
	char field[PROTO_FIELD_MAX]);

/* Like hub_workflow_apply, but the event names `by` as its actor (a dashboard
 * user, "user:NAME") while action->station decides what is allowed. */
proto_err hub_workflow_apply_as(hub_workflow *l, const proto_msg *action, const char *by,
	int64_t now, char field[PROTO_FIELD_MAX]);

/* Sets (copies) the observer of changes; NULL removes it. */
void hub_workflow_set_notify(hub_workflow *l, const hub_notify *n);

/* Tells the observer, if any, of a change or of the batch's fate. */
void hub_workflow_notify(hub_workflow *l, hub_change kind, const char *key, const char *text,
	int64_t n);
void hub_workflow_notify_commit(hub_workflow *l, bool ok);
void hub_workflow_notify_durable(hub_workflow *l, bool ok);

/* A station's receipt for an item message: that delivery is done. */
proto_err hub_workflow_delivered(hub_workflow *l, const char *station, int64_t ref);

/* Sends reminders and escalates what is overdue at hub time now. Returns
 * the number of items it changed (they are in the open batch). */
int hub_workflow_tick(hub_workflow *l, int64_t now);

/* Publishes undelivered item messages with ids up to upto (those on disk):
 * new ones to stations online, and those of station again when it
 * (re)connects (NULL: none). At most a window at a time; call after each
 * commit is durable. */
void hub_workflow_deliver(hub_workflow *l, proto_link *link, const char *station,
	int64_t upto);

/* Writes what the batch must hold besides its messages' rows (the last
 * item message id); call right before each commit of the hub's batch. */
proto_err hub_workflow_before_commit(hub_workflow *l);

/* The id of the newest item message queued, committed or not. */
int64_t hub_workflow_last_down_id(const hub_workflow *l);

/* Recomputes the weather (晴 多云 阴 雨 雷暴: clear cloudy overcast rain
 * storm) of the areas changed since the last call, at most every few
 * hundred ms unless force, and stores what changed. In the open batch. */
proto_err hub_workflow_weather_flush(hub_workflow *l, int64_t now, bool force);

#endif
