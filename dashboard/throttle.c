/* A fixed table of counters under a mutex; when full, the entry idle the
 * longest gives way. Names and addresses are keys of their own kind. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include "dashboard/throttle.h"

#define ENTRIES 4096
#define NAME_FREE 5            /* failures of a name before it waits */
#define ADDR_FREE 20           /* failures from one address before it waits */
#define BASE_MS 15000          /* the first wait; doubled by each failure */
#define MAX_MS (3600 * 1000)   /* longest wait */
#define FORGET_MS (24 * 3600 * 1000LL) /* an entry without failures for this long */

typedef struct entry {
	char key[80];
	int failures;
	int64_t last, until;
} entry;

struct dash_throttle {
	pthread_mutex_t lock;
	entry e[ENTRIES];
};

dash_throttle *dash_throttle_create(void)
{
	dash_throttle *t = calloc(1, sizeof *t);

	if (t)
		pthread_mutex_init(&t->lock, NULL);
	return t;
}

void dash_throttle_destroy(dash_throttle *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static entry *find(dash_throttle *t, const char *key, bool create, int64_t now)
{
	entry *old = &t->e[0];

	for (size_t i = 0; i < ENTRIES; i++) {
		entry *x = &t->e[i];
		if (x->key[0] && now - x->last > FORGET_MS)
			memset(x, 0, sizeof *x);
		if (x->key[0] && strcmp(x->key, key) == 0)
			return x;
		if (x->last < old->last)
			old = x;
	}
	if (!create)
		return NULL;
	memset(old, 0, sizeof *old);
	snprintf(old->key, sizeof old->key, "%s", key);
	return old;
}

static int64_t wait_of(const entry *x, int64_t now)
{
	return x && x->until > now ? x->until - now : 0;
}

int64_t dash_throttle_wait(dash_throttle *t, const char *name, const char *ip, int64_t now)
{
	char kn[80], ka[80];
	int64_t a, b;

	snprintf(kn, sizeof kn, "n:%s", name);
	snprintf(ka, sizeof ka, "a:%s", ip);
	pthread_mutex_lock(&t->lock);
	a = wait_of(find(t, kn, false, now), now);
	b = wait_of(find(t, ka, false, now), now);
	pthread_mutex_unlock(&t->lock);
	return a > b ? a : b;
}

static void fail(dash_throttle *t, const char *key, int free_, int64_t now)
{
	entry *x = find(t, key, true, now);
	int over;

	x->failures++;
	x->last = now;
	over = x->failures - free_;
	if (over >= 0) {
		int64_t ms = BASE_MS;
		for (int i = 0; i < over && ms < MAX_MS; i++)
			ms *= 2;
		x->until = now + (ms < MAX_MS ? ms : MAX_MS);
	}
}

void dash_throttle_failed(dash_throttle *t, const char *name, const char *ip, int64_t now)
{
	char key[80];

	pthread_mutex_lock(&t->lock);
	snprintf(key, sizeof key, "n:%s", name);
	fail(t, key, NAME_FREE, now);
	snprintf(key, sizeof key, "a:%s", ip);
	fail(t, key, ADDR_FREE, now);
	pthread_mutex_unlock(&t->lock);
}

void dash_throttle_passed(dash_throttle *t, const char *name)
{
	char key[80];

	pthread_mutex_lock(&t->lock);
	snprintf(key, sizeof key, "n:%s", name);
	entry *x = find(t, key, false, 0);
	if (x)
		memset(x, 0, sizeof *x);
	pthread_mutex_unlock(&t->lock);
}
