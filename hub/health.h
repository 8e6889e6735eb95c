/* The hub's health file (hub.db-health beside the database): one line of
 * key=value words that hub/durable.c rewrites in place after every
 * checkpoint and every recovery from a full disk, for those outside the
 * hub's core to read: `minqing-hub stats` and the dashboard. A reader that
 * finds no file (no hub has run yet, or an older one) says it does not
 * know. The line, with its fields in this order:
 *
 * | key         | value                                                  |
 * | ----------- | ------------------------------------------------------ |
 * | disk        | ok, or full (the hub stores and receipts nothing)      |
 * | full_since  | wall ms the disk was found full, 0 when ok             |
 * | wal_bytes   | the WAL's size then                                    |
 * | checkpoint  | ok, or failed: the last checkpoint's result            |
 * | frames      | the WAL's frames as SQLite counted them (-1: could not)|
 * | copied      | of those, in the database after it                     |
 * | at          | wall ms the last checkpoint ended, 0: none yet         |
 * | checkpoints | checkpoints since the hub started                      |
 * | failed      | of those, failed                                       |
 * | reserve     | bytes held for a checkpoint on a full disk             |
 *
 * Header only: the dashboard and the hub's commands read it alike. */
#ifndef HUB_HEALTH_H
#define HUB_HEALTH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct hub_health {
	bool known;             /* the file was there and read */
	bool full, ckpt_ok;
	int64_t full_since, wal_bytes, at_ms, checkpoints, failed, reserve;
	int64_t frames, copied;
} hub_health;

/* Reads the health file of the database db_path into *h; false (h->known
 * false) when there is none. */
static inline bool hub_health_read(const char *db_path, hub_health *h)
{
	char path[4096], line[512], *save = NULL;

	memset(h, 0, sizeof *h);
	if (snprintf(path, sizeof path, "%s-health", db_path) >= (int)sizeof path)
		return false;
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	h->known = fgets(line, sizeof line, f) != NULL;
	fclose(f);
	for (char *w = strtok_r(line, " \n", &save); h->known && w;
	     w = strtok_r(NULL, " \n", &save)) {
		char *v = strchr(w, '=');
		if (!v)
			continue;
		*v++ = '\0';
		int64_t n = strtoll(v, NULL, 10);
		if (strcmp(w, "disk") == 0) h->full = strcmp(v, "full") == 0;
		else if (strcmp(w, "checkpoint") == 0) h->ckpt_ok = strcmp(v, "ok") == 0;
		else if (strcmp(w, "full_since") == 0) h->full_since = n;
		else if (strcmp(w, "wal_bytes") == 0) h->wal_bytes = n;
		else if (strcmp(w, "frames") == 0) h->frames = n;
		else if (strcmp(w, "copied") == 0) h->copied = n;
		else if (strcmp(w, "at") == 0) h->at_ms = n;
		else if (strcmp(w, "checkpoints") == 0) h->checkpoints = n;
		else if (strcmp(w, "failed") == 0) h->failed = n;
		else if (strcmp(w, "reserve") == 0) h->reserve = n;
	}
	return h->known;
}

#endif
