/* The downbox (downbox.c): the messages the hub owes stations, queued in
 * the open batch, published once it is on disk, deleted on the station's
 * receipt. Its public half (hub_workflow_deliver, hub_workflow_delivered) is in
 * hub/workflow.h. Over the base layer (hub/item.h) only. */
#ifndef HUB_DOWNBOX_H
#define HUB_DOWNBOX_H

#include "hub/item.h"

/* Queues the item's snapshot after its event it->seq (kind, by, note at
 * now) for everyone involved: its handler, its reporter, `also` (a former
 * handler, or NULL), the station that visits a village's own item, and the
 * reporters of items merged into it. rep: the report's words when at hand
 * (a report being routed), else read back. */
proto_err workflow_down_event(hub_workflow *l, const workflow_item *it, const char *kind,
	const char *by, const char *note, const char *also, int64_t now,
	const proto_report *rep);

/* The item message for station (id) as the item is after its latest event:
 * names and phones only for its handler and its reporter. With receipt,
 * that receipt carrying the same snapshot instead (PROTOCOL.md §5.4), its
 * ts now. *named (may be NULL): whether it names the resident. malloc'd;
 * NULL when it cannot be made. */
char *workflow_down_snapshot(hub_workflow *l, const workflow_item *it, const char *station,
	int64_t id, const char *event, const char *by, const char *note, int64_t now,
	const proto_msg *receipt, const proto_report *rep, bool *named);

/* Queues a message other than an item's (type, e.g. PROTO_MSG_MEMBER) for
 * station in the downbox, plain: json (owned, freed whatever happens) with
 * its id (workflow_next_down_id); key says what it is about (a member id).
 * Delivered, resent and deleted on the station's receipt as an item message
 * is. */
proto_err workflow_down_put(hub_workflow *l, int64_t id, const char *station,
	proto_msg_type type, const char *key, char *json, int64_t now);

/* Forgets the station names and item bodies kept between messages: on a
 * reload (the registry may have changed) and before the workflow is freed. */
void workflow_down_forget(hub_workflow *l);

#endif
