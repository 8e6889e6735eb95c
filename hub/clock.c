/* Scaled hub time: wall time at the moment the scale was set, plus the
 * monotonic time since, times the scale; and that origin kept in the
 * database for the tools that read it while the hub runs. */
#include <stddef.h>

#include "hub/clock.h"
#include "protocol/clock.h"
#include "protocol/db.h"
#include "protocol/log.h"

static int factor = 1;
static int64_t wall0, mono0;

void hub_clock_set_scale(int scale)
{
	wall0 = proto_now_ms();
	mono0 = proto_mono_ms();
	factor = scale > 0 ? scale : 1;
}

int64_t hub_clock_now(void)
{
	if (factor == 1)
		return proto_now_ms();
	return wall0 + (proto_mono_ms() - mono0) * factor;
}

proto_err hub_clock_save(sqlite3 *db)
{
	sqlite3_stmt *st = proto_db_prepare(db, "INSERT OR REPLACE INTO hub_meta(key, value) "
		"VALUES('clock_wall', ?1), ('clock_hub', ?2), ('clock_scale', ?3)");
	int64_t wall = proto_now_ms(), hub = hub_clock_now();
	int rc;

	if (!st)
		return PROTO_ERR_IO;
	/* The pair read at one moment: hub time is wall time at scale 1. */
	sqlite3_bind_int64(st, 1, wall);
	sqlite3_bind_int64(st, 2, factor == 1 ? wall : hub);
	sqlite3_bind_int(st, 3, factor);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		log_error("sqlite: saving the hub's clock: %s", sqlite3_errmsg(db));
		return PROTO_ERR_IO;
	}
	return PROTO_OK;
}

bool hub_clock_load(sqlite3 *db, hub_clock_origin *o)
{
	sqlite3_stmt *st = NULL;
	int found = 0;

	*o = (hub_clock_origin){.wall = 0, .hub = 0, .scale = 1};
	if (sqlite3_prepare_v2(db, "SELECT key, value FROM hub_meta WHERE key IN "
		    "('clock_wall', 'clock_hub', 'clock_scale')", -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return false;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		int64_t v = sqlite3_column_int64(st, 1);
		if (!k)
			continue;
		if (k[6] == 'w')
			o->wall = v;
		else if (k[6] == 'h')
			o->hub = v;
		else if (v > 0)
			o->scale = (int)v;
		found++;
	}
	sqlite3_finalize(st);
	if (found != 3) {
		*o = (hub_clock_origin){.wall = 0, .hub = 0, .scale = 1};
		return false;
	}
	return true;
}

int64_t hub_clock_hub_of(const hub_clock_origin *o, int64_t wall)
{
	return o->hub + (wall - o->wall) * o->scale;
}

int64_t hub_clock_wall_of(const hub_clock_origin *o, int64_t hub)
{
	return o->wall + (hub - o->hub) / o->scale;
}
