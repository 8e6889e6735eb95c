/* The dashboard's accounts, in the hub's database: a name, a role (the
 * tier she works at), the station she acts for, and an argon2id hash of
 * her password (libsodium crypto_pwhash_str). The table is hub/schema.c's. */
#ifndef DASH_USERS_H
#define DASH_USERS_H

#include <stdbool.h>

#include <sqlite3.h>

#include "dashboard/session.h"

/* Checks name and password against the table (always spending one hash
 * verification, also for an unknown name). On success fills u but for its
 * session fields. */
bool dash_users_check(sqlite3 *db, const char *name, const char *password,
	dash_user *u);

/* True while u's account is as it was at her login: not deleted, password
 * not changed (a session must not outlive either). */
bool dash_users_current(sqlite3 *db, const dash_user *u);

/* True when name is an acceptable user name: 1 to 32 of [a-z0-9._-]. */
bool dash_user_name_valid(const char *name);

#endif
