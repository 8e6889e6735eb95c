/* The workflow's rules (rules.c): where a report goes, which step may be
 * taken by whom, and what an event does to an item. Their public half
 * (hub_workflow_route, hub_workflow_apply, hub_workflow_receipt) is in hub/workflow.h.
 * Over the base layer, the downbox, the surge rule and the weather. */
#ifndef HUB_RULES_H
#define HUB_RULES_H

#include "hub/item.h"

/* The handling station for a report of colour c from origin. */
bool workflow_route(const hub_policy *p, const char *origin, proto_colour c,
	char out[PROTO_CODE_MAX + 1]);

/* Records an event on the item (saving it) and queues the new snapshot for
 * everyone involved, plus `also` (a former handler, or NULL). */
proto_err workflow_event(hub_workflow *l, workflow_item *it, const char *kind, const char *by,
	const char *note, const char *also, int64_t now);

#endif
