/* Residents' names and phones on the dashboard: in full only to the users
 * of the stations that receive them in their item messages (the handler,
 * the reporter and the station of the return visit: proto_workflow_personal,
 * the hub's rule too); masked for everyone else, in pages and in exports
 * alike: 张*, 138****5678. */
#include <stdlib.h>
#include <string.h>

#include "dashboard/dash-int.h"
#include "protocol/workflow.h"

bool dash_personal_full(const dash_user *u, const char *handler, const char *origin)
{
	return proto_workflow_personal(u->scope, handler, origin);
}

/* Byte length of the UTF-8 sequence starting with c. */
static size_t seq_len(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

static char *mask_name(const char *s)
{
	size_t first = s[0] ? seq_len((unsigned char)s[0]) : 0;
	size_t rest = 0, n = strlen(s);
	char *out;

	if (first > n)
		first = n;
	for (size_t i = first; i < n; i += seq_len((unsigned char)s[i]))
		rest++;
	if (rest == 0)
		rest = 1; /* a one-character name still shows that it was masked */
	out = malloc(first + rest + 1);
	if (!out)
		return NULL;
	memcpy(out, s, first);
	memset(out + first, '*', rest);
	out[first + rest] = '\0';
	return out;
}

static char *mask_phone(const char *s)
{
	size_t n = strlen(s);
	/* A masked phone of 8 or more digits is always 11 bytes. */
	char *out = malloc(n >= 8 ? 12 : n + 1);

	if (!out)
		return NULL;
	if (n >= 8) {
		/* 138****5678: the prefix tells the carrier, the tail lets a clerk
		 * match a call; the rest stays hidden, its length too. */
		memcpy(out, s, 3);
		memset(out + 3, '*', 4);
		memcpy(out + 7, s + n - 4, 5);
	} else {
		memcpy(out, s, n + 1);
		for (size_t i = 0; i + 2 < n; i++)
			out[i] = '*';
	}
	return out;
}

char *dash_personal(dash *d, const void *blob, int len, bool full, bool phone)
{
	char *text, *masked;

	if (!blob || len <= 0)
		return NULL;
	text = hub_secret_open_blob(d->secret, blob, (size_t)len);
	if (!text || full)
		return text;
	masked = phone ? mask_phone(text) : mask_name(text);
	free(text);
	return masked;
}
