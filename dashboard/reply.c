/* The bottom of the dashboard's handlers: how an answer is made (JSON, an
 * error naming its field, raw bytes) and how a request's query arguments
 * are read. Every handler file builds on these; they call nothing of the
 * dashboard's own. */
#include <stdlib.h>
#include <string.h>

#include "dashboard/dash-int.h"

void dash_reply_bytes(dash_req *r, unsigned status, const char *type, void *bytes,
	size_t len, bool take)
{
	if (r->resp)
		MHD_destroy_response(r->resp);
	r->resp = MHD_create_response_from_buffer(len, bytes,
		take ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	r->status = status;
	if (r->resp && type)
		MHD_add_response_header(r->resp, "Content-Type", type);
}

void dash_reply_json(dash_req *r, unsigned status, cJSON *body)
{
	char *text = body ? cJSON_PrintUnformatted(body) : NULL;

	cJSON_Delete(body);
	if (!text) {
		static const char oom[] = "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}";
		dash_reply_bytes(r, 500, "application/json", (void *)oom, sizeof oom - 1, false);
		return;
	}
	dash_reply_bytes(r, status, "application/json; charset=utf-8", text, strlen(text), true);
	if (r->resp)
		MHD_add_response_header(r->resp, "Cache-Control", "no-store");
}

static void reply_error_json(dash_req *r, unsigned status, const char *code,
	const char *message, const char *field)
{
	cJSON *o = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(o, "error");

	cJSON_AddStringToObject(e, "code", code);
	cJSON_AddStringToObject(e, "message", message);
	if (field)
		cJSON_AddStringToObject(e, "field", field);
	dash_reply_json(r, status, o);
}

void dash_reply_error(dash_req *r, unsigned status, const char *code, const char *message)
{
	reply_error_json(r, status, code, message, NULL);
}

void dash_reply_field(dash_req *r, const char *message, const char *field)
{
	reply_error_json(r, 400, "bad_request", message, field);
}

const char *dash_arg(dash_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

int64_t dash_arg_int(dash_req *r, const char *name, int64_t def, int64_t min,
	int64_t max, bool *bad)
{
	const char *s = dash_arg(r, name);
	char *end;
	long long v;

	if (!s || !*s)
		return def;
	v = strtoll(s, &end, 10);
	if (*end || v < min || v > max) {
		*bad = true;
		return def;
	}
	return v;
}
