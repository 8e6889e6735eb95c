/* Signing in and out, and the check every other call starts with: the
 * session cookie, and for a change the CSRF token in X-CSRF-Token (a page
 * of another site can make the browser send the cookie, never the header;
 * SameSite=Strict is the second lock on the same door). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "dashboard/dash-int.h"
#include "dashboard/users.h"
#include "protocol/clock.h"
#include "protocol/log.h"

static cJSON *me_json(const dash_user *u)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "user", u->name);
	cJSON_AddStringToObject(o, "display", u->display);
	cJSON_AddStringToObject(o, "role", u->role);
	cJSON_AddStringToObject(o, "scope", u->scope);
	cJSON_AddStringToObject(o, "scope_name", u->scope_name);
	cJSON_AddStringToObject(o, "csrf", u->csrf);
	cJSON_AddNumberToObject(o, "expires", (double)u->expires);
	return o;
}

static void set_cookie(dash_req *r, const char *token, int64_t max_age)
{
	char c[192];

	/* Secure over TLS: the browser never sends it over plain HTTP, where
	 * anyone on the path would read it. */
	snprintf(c, sizeof c, "mq_session=%s; HttpOnly; SameSite=Strict; Path=/; Max-Age=%lld%s",
		token, (long long)max_age, r->d->tls ? "; Secure" : "");
	if (r->resp)
		MHD_add_response_header(r->resp, "Set-Cookie", c);
}

/* Whether the request says its body is JSON. A page of another site can
 * only post a form (urlencoded, multipart or text/plain) without asking
 * the hub first, which it does not allow: a text/plain form can still
 * spell valid JSON, and would log the browser in as someone else (login
 * CSRF). */
static bool says_json(dash_req *r)
{
	const char *t = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
		MHD_HTTP_HEADER_CONTENT_TYPE);
	size_t n = strlen("application/json");

	return t && strncasecmp(t, "application/json", n) == 0 &&
	       (t[n] == '\0' || t[n] == ';' || t[n] == ' ');
}

void dash_api_login(dash_req *r)
{
	dash *d = r->d;
	cJSON *body = cJSON_ParseWithLength(r->body ? r->body : "", r->len);
	cJSON *user = cJSON_GetObjectItemCaseSensitive(body, "user");
	cJSON *pass = cJSON_GetObjectItemCaseSensitive(body, "password");
	int64_t now = proto_now_ms(), wait;
	char token[65];
	dash_user u;
	sqlite3 *db;
	bool ok;

	if (!says_json(r)) {
		dash_reply_error(r, 415, "unsupported_media_type",
			"send the login as Content-Type: application/json");
		goto done;
	}
	if (!cJSON_IsObject(body) || !cJSON_IsString(user) || !cJSON_IsString(pass) ||
	    strlen(user->valuestring) > 64 || strlen(pass->valuestring) > 1024) {
		dash_reply_error(r, 400, "bad_request",
			"want {\"user\": \"...\", \"password\": \"...\"}");
		goto done;
	}
	wait = dash_throttle_wait(d->throttle, user->valuestring, r->ip, now);
	if (wait > 0) {
		char msg[96], secs[24];
		cJSON *o = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(o, "error");
		snprintf(msg, sizeof msg, "too many failed logins; try again in %lld s",
			(long long)((wait + 999) / 1000));
		cJSON_AddStringToObject(e, "code", "throttled");
		cJSON_AddStringToObject(e, "message", msg);
		cJSON_AddNumberToObject(e, "retry_after", (double)((wait + 999) / 1000));
		cJSON_AddNumberToObject(o, "retry_after", (double)((wait + 999) / 1000));
		dash_reply_json(r, 429, o);
		snprintf(secs, sizeof secs, "%lld", (long long)((wait + 999) / 1000));
		if (r->resp)
			MHD_add_response_header(r->resp, "Retry-After", secs);
		goto done;
	}
	db = dash_reader_get(d);
	ok = db && dash_user_name_valid(user->valuestring) &&
	     dash_users_check(db, user->valuestring, pass->valuestring, &u);
	dash_reader_put(d, db);
	if (!ok) {
		dash_throttle_failed(d->throttle, user->valuestring, r->ip, now);
		log_warn("failed login from %s", r->ip);
		dash_reply_error(r, 401, "bad_login", "wrong user name or password");
		goto done;
	}
	dash_throttle_passed(d->throttle, u.name);
	if (!dash_session_new(d->sessions, &u, token, now)) {
		dash_reply_error(r, 503, "unavailable", "too many sessions");
		goto done;
	}
	log_info("user %s signed in", u.name);
	dash_reply_json(r, 200, me_json(&u));
	set_cookie(r, token, d->session_idle_ms / 1000);
	sodium_memzero(token, sizeof token);
done:
	if (cJSON_IsString(pass))
		sodium_memzero(pass->valuestring, strlen(pass->valuestring));
	cJSON_Delete(body);
}

void dash_api_logout(dash_req *r)
{
	dash_session_end(r->d->sessions, r->token);
	log_info("user %s signed out", r->user.name);
	dash_reply_bytes(r, 204, NULL, NULL, 0, false);
	set_cookie(r, "", 0);
}

void dash_api_me(dash_req *r)
{
	dash_reply_json(r, 200, me_json(&r->user));
}

bool dash_user_still(dash *d, const char *token, const dash_user *u)
{
	sqlite3 *db = dash_reader_get(d);
	bool current = db && dash_users_current(db, u);

	dash_reader_put(d, db);
	if (!current) {
		dash_session_end(d->sessions, token);
		log_info("user %s signed out: account deleted or password changed", u->name);
	}
	return current;
}

bool dash_auth(dash_req *r)
{
	const char *token = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, "mq_session");

	snprintf(r->token, sizeof r->token, "%s", token ? token : "");
	if (!token || !dash_session_get(r->d->sessions, token, &r->user, proto_now_ms()) ||
	    !dash_user_still(r->d, token, &r->user)) {
		dash_reply_error(r, 401, "unauthorized", "not signed in, or the session expired");
		return false;
	}
	if (strcmp(r->method, "POST") == 0) {
		const char *csrf = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
			"X-CSRF-Token");
		if (!csrf || strlen(csrf) != 64 || sodium_memcmp(csrf, r->user.csrf, 64) != 0) {
			dash_reply_error(r, 403, "forbidden", "missing or wrong CSRF token");
			return false;
		}
	}
	r->authed = true;
	return true;
}
