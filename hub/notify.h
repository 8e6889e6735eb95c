/* What the hub's core tells an observer (the dashboard) about its changes:
 * each change as it is staged, then whether the batch holding it was
 * committed, then whether it reached the disk. Called on the core's thread, so an observer must only note
 * things down; with no observer the core pays one NULL check. */
#ifndef HUB_NOTIFY_H
#define HUB_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

typedef enum hub_change {
	HUB_CHANGE_ITEM,    /* key: item id; an event was added to it */
	HUB_CHANGE_STATION, /* key: station code; n: 1 online, 0 offline */
	HUB_CHANGE_WEATHER, /* key: area code; text: its new weather */
	HUB_CHANGE_ALERT,   /* key: area code; n: the alert's row id */
} hub_change;

typedef struct hub_notify {
	/* A change staged in the open batch. */
	void (*change)(void *ud, hub_change kind, const char *key, const char *text,
		int64_t n);
	/* After each flush of the batch: ok false when it was rolled back (the
	 * changes noted since the last call did not happen). */
	void (*commit)(void *ud, bool ok);
	/* After the last batch committed is on disk (ok), or the disk failed
	 * to sync it (the hub then stops). NULL: not told. */
	void (*durable)(void *ud, bool ok);
	void *ud;
} hub_notify;

#endif
