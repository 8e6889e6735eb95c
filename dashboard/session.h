/* Signed-in sessions, in memory: a random token in an HttpOnly cookie, a
 * second random token for CSRF, and an idle expiry. A hub restart signs
 * everyone out, which is the safe direction. */
#ifndef DASH_SESSION_H
#define DASH_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "protocol/code.h"

/* A user as a session knows her. */
typedef struct dash_user {
	char name[33];
	char display[129];
	char role[8];                     /* county | town | village */
	char scope[PROTO_CODE_MAX + 1];   /* station the user acts for */
	char scope_name[129];
	char csrf[65];                    /* hex */
	char stamp[33];                   /* of her password hash (users.c) */
	int64_t expires;                  /* ms (wall clock) */
} dash_user;

typedef struct dash_sessions dash_sessions;

/* Sessions live idle_ms after their last use. NULL when out of memory. */
dash_sessions *dash_sessions_create(int64_t idle_ms);
void dash_sessions_destroy(dash_sessions *s);

/* Live sessions of one account (browsers, the wall screen, a phone): a new
 * one beyond them ends the one of hers left unused longest. */
#define DASH_SESSIONS_PER_USER 8

/* Starts a session for u (its csrf and expires are filled in) and writes
 * its token (64 hex digits), ending u's least recently used session when
 * she has DASH_SESSIONS_PER_USER. False when out of room. Thread-safe. */
bool dash_session_new(dash_sessions *s, dash_user *u, char token[65], int64_t now);

/* The session of token, touched: false when unknown or expired (then it is
 * forgotten). Thread-safe. */
bool dash_session_get(dash_sessions *s, const char *token, dash_user *u, int64_t now);

/* Ends the session of token, if any. */
void dash_session_end(dash_sessions *s, const char *token);

#endif
