/* The dashboard's system figures (GET /api/system): the hub's storage as
 * operators need to see it, read from the health file that hub/durable.c
 * rewrites after every checkpoint and every full-disk recovery
 * (hub/health.h). Not personal data and the same for every scope: any
 * signed-in user gets it. */
#include <stdio.h>
#include <sys/stat.h>

#include "dashboard/dash-int.h"
#include "hub/health.h"

void dash_api_system(dash_req *r)
{
	hub_health h;
	cJSON *o = cJSON_CreateObject(), *s;
	char wal[4096];
	struct stat st;

	if (!o || !(s = cJSON_AddObjectToObject(o, "storage"))) {
		cJSON_Delete(o);
		dash_reply_error(r, 500, "internal", "out of memory");
		return;
	}
	/* No file: no hub has run a checkpoint here yet (or an older hub). */
	if (!hub_health_read(r->d->db_path, &h)) {
		cJSON_AddBoolToObject(s, "known", false);
		dash_reply_json(r, 200, o);
		return;
	}
	cJSON_AddBoolToObject(s, "known", true);
	/* The WAL's size now; the health file's is as of the last checkpoint. */
	if (snprintf(wal, sizeof wal, "%s-wal", r->d->db_path) < (int)sizeof wal)
		cJSON_AddNumberToObject(s, "wal_bytes",
			stat(wal, &st) == 0 ? (double)st.st_size : 0);
	cJSON_AddStringToObject(s, "disk", h.full ? "full" : "ok");
	if (h.full)
		cJSON_AddNumberToObject(s, "full_since", (double)h.full_since);
	cJSON_AddNumberToObject(s, "wal_bytes_at_checkpoint", (double)h.wal_bytes);
	cJSON_AddStringToObject(s, "checkpoint", h.ckpt_ok ? "ok" : "failed");
	cJSON_AddNumberToObject(s, "checkpoint_at", (double)h.at_ms);
	cJSON_AddNumberToObject(s, "frames", (double)h.frames);
	cJSON_AddNumberToObject(s, "copied", (double)h.copied);
	cJSON_AddNumberToObject(s, "checkpoints", (double)h.checkpoints);
	cJSON_AddNumberToObject(s, "failed", (double)h.failed);
	dash_reply_json(r, 200, o);
}
