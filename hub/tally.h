/* The per-station tally of items: counters the dashboard's overview and
 * drill-down read instead of counting a county's items on every request. */
#ifndef HUB_TALLY_H
#define HUB_TALLY_H

#include <sqlite3.h>

#include "protocol/error.h"

/* Creates the table tally and the triggers that keep it in step with
 * items; fills it from the items already stored when it is new. */
proto_err hub_tally_install(sqlite3 *db);

#endif
