/* The closed loop put together (hub/loop.h): made over the hub's store,
 * its policy replaced on a reload, freed. Its work lives in the files of
 * its layers, each importing only those below it:
 *   item.c      the base: statements, items and events rows, downbox ids,
 *               the observer's hook;
 *   downbox.c   snapshots, sealed item messages, publishing and delivery;
 *   surge.c     escalation by pattern (研判预警), weather.c the weather;
 *   rules.c     routing, the stations' steps, receipts, an event's effects;
 *   escalate.c  escalation by time: reminders, raises, supervision;
 *   members.c   the service team and its member messages.
 * The tables they use are hub/schema.c's. */
#include <stdlib.h>

#include "hub/downbox.h"
#include "hub/item.h"
#include "hub/surge.h"

hub_loop *hub_loop_create(hub_store *store, const hub_policy *policy)
{
	hub_loop *l = calloc(1, sizeof *l);

	if (!l)
		return NULL;
	l->store = store;
	l->db = hub_store_db(store);
	l->secret = hub_store_secret(store);
	l->pol = *policy;
	if (loop_base_open(l)) {
		hub_loop_destroy(l);
		return NULL;
	}
	return l;
}

void hub_loop_set_policy(hub_loop *l, const hub_policy *p)
{
	l->pol = *p;
	/* Full under the old counts and window, maybe not under these. */
	loop_surge_reset(l);
	/* A reload brings the registry with the policy: names may differ. */
	loop_down_forget(l);
}

void hub_loop_destroy(hub_loop *l)
{
	if (!l)
		return;
	loop_base_close(l);
	loop_down_forget(l);
	free(l);
}
