/* Sessions in a small table under a mutex. Tokens are 32 random bytes from
 * libsodium; they are compared in constant time, so that the time of a
 * failed lookup tells nothing about how close a guess was. An account has
 * at most DASH_SESSIONS_PER_USER of the table's slots. */
#include <stdlib.h>
#include <string.h>

#include <pthread.h>
#include <sodium.h>

#include "dashboard/session.h"

#define SESSIONS_MAX 4096

typedef struct session {
	char token[65];
	dash_user user;
	int64_t last_used;
	bool used;
} session;

struct dash_sessions {
	pthread_mutex_t lock;
	int64_t idle_ms;
	session *s;
};

dash_sessions *dash_sessions_create(int64_t idle_ms)
{
	dash_sessions *s = calloc(1, sizeof *s);

	if (!s)
		return NULL;
	s->s = calloc(SESSIONS_MAX, sizeof *s->s);
	if (!s->s || sodium_init() < 0) {
		free(s->s);
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	s->idle_ms = idle_ms;
	return s;
}

void dash_sessions_destroy(dash_sessions *s)
{
	if (!s)
		return;
	sodium_memzero(s->s, SESSIONS_MAX * sizeof *s->s);
	free(s->s);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static void random_hex(char out[65])
{
	unsigned char raw[32];

	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(out, 65, raw, sizeof raw);
	sodium_memzero(raw, sizeof raw);
}

static bool expired(const dash_sessions *s, const session *x, int64_t now)
{
	return now - x->last_used > s->idle_ms;
}

bool dash_session_new(dash_sessions *s, dash_user *u, char token[65], int64_t now)
{
	session *slot = NULL, *oldest = NULL;
	int mine = 0;

	random_hex(token);
	random_hex(u->csrf);
	u->expires = now + s->idle_ms;
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < SESSIONS_MAX; i++) {
		session *x = &s->s[i];
		if (x->used && expired(s, x, now))
			sodium_memzero(x, sizeof *x);
		if (!x->used && !slot)
			slot = x;
		if (x->used && strcmp(x->user.name, u->name) == 0) {
			mine++;
			if (!oldest || x->last_used < oldest->last_used)
				oldest = x;
		}
	}
	/* One account must not fill the table (every other login would be
	 * refused for the idle time): at its cap, its session left unused
	 * longest ends, and its slot is the new one's. */
	if (mine >= DASH_SESSIONS_PER_USER) {
		sodium_memzero(oldest, sizeof *oldest);
		slot = oldest;
	}
	if (slot) {
		memcpy(slot->token, token, 65);
		slot->user = *u;
		slot->last_used = now;
		slot->used = true;
	}
	pthread_mutex_unlock(&s->lock);
	return slot != NULL;
}

static session *find(dash_sessions *s, const char *token)
{
	if (!token || strlen(token) != 64)
		return NULL;
	for (size_t i = 0; i < SESSIONS_MAX; i++)
		if (s->s[i].used && sodium_memcmp(s->s[i].token, token, 64) == 0)
			return &s->s[i];
	return NULL;
}

bool dash_session_get(dash_sessions *s, const char *token, dash_user *u, int64_t now)
{
	bool ok = false;

	pthread_mutex_lock(&s->lock);
	session *x = find(s, token);
	if (x && expired(s, x, now)) {
		sodium_memzero(x, sizeof *x);
	} else if (x) {
		x->last_used = now;
		x->user.expires = now + s->idle_ms;
		*u = x->user;
		ok = true;
	}
	pthread_mutex_unlock(&s->lock);
	return ok;
}

void dash_session_end(dash_sessions *s, const char *token)
{
	pthread_mutex_lock(&s->lock);
	session *x = find(s, token);
	if (x)
		sodium_memzero(x, sizeof *x);
	pthread_mutex_unlock(&s->lock);
}
