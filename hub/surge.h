/* The surge rule (surge.c, 研判预警): so many open reports of one service
 * item in one town within the window raise an area alert. Over the base
 * layer (hub/item.h) only. */
#ifndef HUB_SURGE_H
#define HUB_SURGE_H

#include "hub/item.h"

/* Runs the rule for a new item at hub time now: an alert row (and the
 * observer told) when its town's count reaches a level. */
proto_err workflow_surge(hub_workflow *l, const workflow_item *it, int64_t now);

/* The item left the hands of its handlers: its town's service item is no
 * longer known to be full. */
void workflow_surge_forget(hub_workflow *l, const workflow_item *it);

/* Forgets every town known to be full (a new policy: new counts, window). */
void workflow_surge_reset(hub_workflow *l);

#endif
