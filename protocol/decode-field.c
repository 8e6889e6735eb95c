/* The field readers of the decoder: each reads one member of a message's
 * JSON object (a string, an integer, a name from a fixed set, a time, a
 * station code, an item id, a boolean), checks its presence, type and
 * range, and names the field in the caller's buffer at the first fault.
 * What a well-formed field is, for every message, is decided here; the
 * message bodies (decode-body.c) only say which fields, in which order. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/clock.h"
#include "protocol/decode-int.h"

proto_err proto_reader__fault(proto_reader *r, proto_err err, const char *key)
{
	snprintf(r->field, PROTO_FIELD_MAX, "%s%s", r->prefix, key);
	return err;
}

/* Reads an optional or required string; checks UTF-8, length in code points
 * and, unless multiline, the absence of control characters. */
proto_err proto_reader__string(proto_reader *r, const char *key, bool required,
	size_t max_cp, bool multiline, char **out)
{
	cJSON *it = cJSON_GetObjectItemCaseSensitive(r->obj, key);
	const char *s;
	size_t len, cp = 0;
	bool control = false;

	*out = NULL;
	if (!it || cJSON_IsNull(it))
		return required ? proto_reader__fault(r, PROTO_ERR_MISSING_FIELD, key) : PROTO_OK;
	if (!cJSON_IsString(it) || !it->valuestring)
		return proto_reader__fault(r, PROTO_ERR_BAD_TYPE, key);
	s = it->valuestring;
	/* Code points and control characters in one pass. */
	for (len = 0; s[len]; len++) {
		unsigned char c = (unsigned char)s[len];
		cp += (c & 0xC0) != 0x80;
		control |= (c < 0x20 && !(multiline && (c == '\n' || c == '\t'))) ||
			   c == 0x7f;
	}
	/* \u escapes can produce bytes the raw payload check never saw;
	 * without them every byte here was in the payload, checked whole. */
	if (r->escaped && !proto_utf8_valid(s, len))
		return proto_reader__fault(r, PROTO_ERR_BAD_UTF8, key);
	if (cp > max_cp)
		return proto_reader__fault(r, PROTO_ERR_TOO_LARGE, key);
	if ((required && cp == 0) || control)
		return proto_reader__fault(r, PROTO_ERR_BAD_VALUE, key);
	*out = malloc(len + 1);
	if (!*out)
		return PROTO_ERR_NOMEM;
	memcpy(*out, s, len + 1);
	return PROTO_OK;
}

proto_err proto_reader__int(proto_reader *r, const char *key, bool required,
	int64_t min, int64_t max, int64_t *out)
{
	cJSON *it = cJSON_GetObjectItemCaseSensitive(r->obj, key);
	double d;

	if (!it || cJSON_IsNull(it))
		return required ? proto_reader__fault(r, PROTO_ERR_MISSING_FIELD, key) : PROTO_OK;
	if (!cJSON_IsNumber(it))
		return proto_reader__fault(r, PROTO_ERR_BAD_TYPE, key);
	d = it->valuedouble;
	if (!isfinite(d) || d != floor(d) || d < (double)min || d > (double)max)
		return proto_reader__fault(r, PROTO_ERR_BAD_VALUE, key);
	*out = (int64_t)d;
	return PROTO_OK;
}

/* An optional int field that fits an int. */
proto_err proto_reader__small(proto_reader *r, const char *key, int min, int max,
	int *out)
{
	int64_t v = 0;
	proto_err err = proto_reader__int(r, key, false, min, max, &v);

	*out = (int)v;
	return err;
}

/* Reads a string field that must be one of a fixed set of names. */
proto_err proto_reader__enum(proto_reader *r, const char *key,
	int (*parse)(const char *), int *out)
{
	char *s = NULL;
	proto_err err = proto_reader__string(r, key, true, 64, false, &s);

	if (err == PROTO_OK) {
		*out = parse(s);
		if (*out < 0)
			err = proto_reader__fault(r, PROTO_ERR_BAD_VALUE, key);
	}
	free(s);
	return err;
}

proto_err proto_reader__time(proto_reader *r, const char *key, bool required,
	int64_t *out)
{
	char *s = NULL;
	proto_err err = proto_reader__string(r, key, required, 32, false, &s);

	if (err == PROTO_OK && s && !proto_time_parse(s, out))
		err = proto_reader__fault(r, PROTO_ERR_BAD_VALUE, key);
	free(s);
	return err;
}

proto_err proto_reader__code(proto_reader *r, const char *key,
	char out[PROTO_CODE_MAX + 1])
{
	char *s = NULL;
	proto_err err = proto_reader__string(r, key, true, PROTO_CODE_MAX + 1, false, &s);

	/* A code too long is not a code: the same fault as any other bad one. */
	if (err == PROTO_ERR_TOO_LARGE)
		err = PROTO_ERR_BAD_VALUE;
	if (err == PROTO_OK) {
		if (proto_code_valid(s))
			memcpy(out, s, strlen(s) + 1);
		else
			err = proto_reader__fault(r, PROTO_ERR_BAD_VALUE, key);
	}
	free(s);
	return err;
}

/* An item id is "<station code>-<decimal id>". */
bool proto_item_id_valid(const char *s)
{
	const char *dash = strchr(s, '-');
	char code[PROTO_CODE_MAX + 1];
	size_t n;

	if (!dash || (size_t)(dash - s) > PROTO_CODE_MAX)
		return false;
	memcpy(code, s, (size_t)(dash - s));
	code[dash - s] = '\0';
	n = strlen(dash + 1);
	if (!proto_code_valid(code) || n == 0 || n > 16 || dash[1] == '0')
		return false;
	return strspn(dash + 1, "0123456789") == n;
}

proto_err proto_reader__item_id(proto_reader *r, const char *key, bool required,
	char out[PROTO_ITEM_ID_MAX])
{
	char *s = NULL;
	proto_err err = proto_reader__string(r, key, required, PROTO_ITEM_ID_MAX, false, &s);

	if (err == PROTO_OK && s) {
		if (proto_item_id_valid(s))
			memcpy(out, s, strlen(s) + 1);
		else
			err = proto_reader__fault(r, PROTO_ERR_BAD_VALUE, key);
	}
	free(s);
	return err;
}

/* An optional JSON boolean; absent or null is false. */
proto_err proto_reader__bool(proto_reader *r, const char *key, bool *out)
{
	cJSON *it = cJSON_GetObjectItemCaseSensitive(r->obj, key);

	*out = false;
	if (!it || cJSON_IsNull(it))
		return PROTO_OK;
	if (!cJSON_IsBool(it))
		return proto_reader__fault(r, PROTO_ERR_BAD_TYPE, key);
	*out = cJSON_IsTrue(it);
	return PROTO_OK;
}

