/* JSON encoding and decoding of protocol messages with cJSON. Decoding is the
 * validation: every field is checked for presence, type and range, and the
 * first fault is returned with the name of the field that caused it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "protocol/clock.h"
#include "protocol/message.h"
#include "protocol/str.h"

#define MAX_SAFE_INT 9007199254740991LL /* 2^53 - 1: exact in a JSON double */

/* ---------------------------------------------------------------- decoding */

typedef struct reader {
	cJSON *obj;
	char *field;        /* caller's buffer for the offending field's name */
	const char *prefix; /* "snapshot." inside a receipt's item, else "" */
	bool escaped;       /* the payload has \u escapes: strings' UTF-8 unchecked */
} reader;

static proto_err fault(reader *r, proto_err err, const char *key)
{
	snprintf(r->field, PROTO_FIELD_MAX, "%s%s", r->prefix, key);
	return err;
}

/* Reads an optional or required string; checks UTF-8, length in code points
 * and, unless multiline, the absence of control characters. */
static proto_err read_string(reader *r, const char *key, bool required,
	size_t max_cp, bool multiline, char **out)
{
	cJSON *it = cJSON_GetObjectItemCaseSensitive(r->obj, key);
	const char *s;
	size_t len, cp = 0;
	bool control = false;

	*out = NULL;
	if (!it || cJSON_IsNull(it))
		return required ? fault(r, PROTO_ERR_MISSING_FIELD, key) : PROTO_OK;
	if (!cJSON_IsString(it) || !it->valuestring)
		return fault(r, PROTO_ERR_BAD_TYPE, key);
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
		return fault(r, PROTO_ERR_BAD_UTF8, key);
	if (cp > max_cp)
		return fault(r, PROTO_ERR_TOO_LARGE, key);
	if ((required && cp == 0) || control)
		return fault(r, PROTO_ERR_BAD_VALUE, key);
	*out = malloc(len + 1);
	if (!*out)
		return PROTO_ERR_NOMEM;
	memcpy(*out, s, len + 1);
	return PROTO_OK;
}

static proto_err read_int(reader *r, const char *key, bool required,
	int64_t min, int64_t max, int64_t *out)
{
	cJSON *it = cJSON_GetObjectItemCaseSensitive(r->obj, key);
	double d;

	if (!it || cJSON_IsNull(it))
		return required ? fault(r, PROTO_ERR_MISSING_FIELD, key) : PROTO_OK;
	if (!cJSON_IsNumber(it))
		return fault(r, PROTO_ERR_BAD_TYPE, key);
	d = it->valuedouble;
	if (!isfinite(d) || d != floor(d) || d < (double)min || d > (double)max)
		return fault(r, PROTO_ERR_BAD_VALUE, key);
	*out = (int64_t)d;
	return PROTO_OK;
}

/* An optional int field that fits an int. */
static proto_err read_small(reader *r, const char *key, int min, int max, int *out)
{
	int64_t v = 0;
	proto_err err = read_int(r, key, false, min, max, &v);

	*out = (int)v;
	return err;
}

/* Reads a string field that must be one of a fixed set of names. */
static proto_err read_enum(reader *r, const char *key, int (*parse)(const char *),
	int *out)
{
	char *s = NULL;
	proto_err err = read_string(r, key, true, 64, false, &s);

	if (err == PROTO_OK) {
		*out = parse(s);
		if (*out < 0)
			err = fault(r, PROTO_ERR_BAD_VALUE, key);
	}
	free(s);
	return err;
}

static proto_err read_time(reader *r, const char *key, bool required, int64_t *out)
{
	char *s = NULL;
	proto_err err = read_string(r, key, required, 32, false, &s);

	if (err == PROTO_OK && s && !proto_time_parse(s, out))
		err = fault(r, PROTO_ERR_BAD_VALUE, key);
	free(s);
	return err;
}

static proto_err read_code(reader *r, const char *key, char out[PROTO_CODE_MAX + 1])
{
	char *s = NULL;
	proto_err err = read_string(r, key, true, PROTO_CODE_MAX + 1, false, &s);

	/* A code too long is not a code: the same fault as any other bad one. */
	if (err == PROTO_ERR_TOO_LARGE)
		err = PROTO_ERR_BAD_VALUE;
	if (err == PROTO_OK) {
		if (proto_code_valid(s))
			memcpy(out, s, strlen(s) + 1);
		else
			err = fault(r, PROTO_ERR_BAD_VALUE, key);
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

static proto_err read_item_id(reader *r, const char *key, bool required,
	char out[PROTO_ITEM_ID_MAX])
{
	char *s = NULL;
	proto_err err = read_string(r, key, required, PROTO_ITEM_ID_MAX, false, &s);

	if (err == PROTO_OK && s) {
		if (proto_item_id_valid(s))
			memcpy(out, s, strlen(s) + 1);
		else
			err = fault(r, PROTO_ERR_BAD_VALUE, key);
	}
	free(s);
	return err;
}

/* An optional JSON boolean; absent or null is false. */
static proto_err read_bool(reader *r, const char *key, bool *out)
{
	cJSON *it = cJSON_GetObjectItemCaseSensitive(r->obj, key);

	*out = false;
	if (!it || cJSON_IsNull(it))
		return PROTO_OK;
	if (!cJSON_IsBool(it))
		return fault(r, PROTO_ERR_BAD_TYPE, key);
	*out = cJSON_IsTrue(it);
	return PROTO_OK;
}

static proto_err read_online(reader *r, bool *online)
{
	char *s = NULL;
	proto_err err = read_string(r, "state", true, 16, false, &s);

	if (err == PROTO_OK) {
		if (strcmp(s, "online") == 0)
			*online = true;
		else if (strcmp(s, "offline") == 0)
			*online = false;
		else
			err = fault(r, PROTO_ERR_BAD_VALUE, "state");
	}
	free(s);
	return err;
}

static proto_err decode_report(reader *r, proto_report *rep)
{
	int colour = 0, cat = 0;
	int64_t people = 0;
	proto_err err;

	err = read_enum(r, "colour", proto_colour_parse, &colour);
	if (!err)
		err = read_enum(r, "category", proto_category_parse, &cat);
	if (!err)
		err = read_string(r, "title", true, PROTO_TITLE_MAX, false, &rep->title);
	if (!err)
		err = read_string(r, "text", true, PROTO_TEXT_MAX, true, &rep->text);
	if (!err)
		err = read_string(r, "reporter", false, PROTO_NAME_MAX, false,
			&rep->reporter_name);
	if (!err)
		err = read_string(r, "phone", false, 20, false, &rep->reporter_phone);
	if (!err && rep->reporter_phone) {
		size_t n = strlen(rep->reporter_phone);
		if (n < 3 || strspn(rep->reporter_phone, "0123456789+- ") != n)
			err = fault(r, PROTO_ERR_BAD_VALUE, "phone");
	}
	if (!err)
		err = read_int(r, "people", false, 0, PROTO_PEOPLE_MAX, &people);
	rep->colour = (proto_colour)colour;
	rep->category = (proto_category)cat;
	rep->people = (int)people;
	return err;
}

static proto_err decode_action(reader *r, proto_action *act)
{
	proto_err err = read_item_id(r, "item", true, act->item);

	if (!err)
		err = read_string(r, "action", true, 32, false, &act->action);
	if (!err && strspn(act->action, "abcdefghijklmnopqrstuvwxyz_") !=
			strlen(act->action))
		err = fault(r, PROTO_ERR_BAD_VALUE, "action");
	if (!err)
		err = read_string(r, "note", false, PROTO_NOTE_MAX, true, &act->note);
	if (!err)
		err = read_string(r, "member", false, 64, false, &act->member);
	if (!err)
		err = read_string(r, "rating", false, 32, false, &act->rating);
	if (!err)
		err = read_time(r, "until", false, &act->until);
	if (!err)
		err = read_item_id(r, "into", false, act->into);
	return err;
}

static proto_err decode_status(reader *r, proto_status *st)
{
	proto_err err = read_online(r, &st->online);

	st->outbox = -1;
	if (!err)
		err = read_int(r, "session", true, 0, MAX_SAFE_INT, &st->session);
	if (!err)
		err = read_int(r, "outbox", false, 0, MAX_SAFE_INT, &st->outbox);
	if (!err)
		err = read_int(r, "settled", false, 1, MAX_SAFE_INT, &st->settled);
	if (!err)
		err = read_string(r, "agent", false, 64, false, &st->agent);
	if (!err)
		err = read_string(r, "storage", false, 16, false, &st->storage);
	return err;
}

static proto_err decode_item(reader *r, proto_item *it)
{
	int colour = 0, cat = 0;
	proto_err err = read_item_id(r, "item", true, it->item);

	if (!err)
		err = read_code(r, "origin", it->origin);
	if (!err)
		err = read_enum(r, "colour", proto_colour_parse, &colour);
	if (!err)
		err = read_enum(r, "category", proto_category_parse, &cat);
	if (!err)
		err = read_string(r, "title", true, PROTO_TITLE_MAX, false, &it->title);
	if (!err)
		err = read_string(r, "text", true, PROTO_TEXT_MAX, true, &it->text);
	if (!err)
		err = read_string(r, "state", true, 32, false, &it->state);
	if (!err)
		err = read_time(r, "deadline", false, &it->deadline);
	if (!err && cJSON_GetObjectItemCaseSensitive(r->obj, "handler"))
		err = read_code(r, "handler", it->handler);
	if (!err)
		err = read_int(r, "seq", false, 1, MAX_SAFE_INT, &it->seq);
	if (!err)
		err = read_time(r, "created", false, &it->created);
	if (!err)
		err = read_string(r, "event", false, 32, false, &it->event);
	if (!err)
		err = read_string(r, "by", false, 64, false, &it->by);
	if (!err)
		err = read_string(r, "note", false, PROTO_NOTE_MAX, true, &it->note);
	if (!err)
		err = read_string(r, "member", false, 64, false, &it->member);
	if (!err)
		err = read_string(r, "rating", false, 32, false, &it->rating);
	if (!err)
		err = read_small(r, "escalations", 0, 1000, &it->escalations);
	if (!err)
		err = read_small(r, "people", 0, PROTO_PEOPLE_MAX, &it->people);
	if (!err)
		err = read_string(r, "reporter", false, PROTO_NAME_MAX, false,
			&it->reporter_name);
	if (!err)
		err = read_string(r, "phone", false, 32, false, &it->reporter_phone);
	if (!err)
		err = read_item_id(r, "into", false, it->into);
	if (!err)
		err = read_string(r, "origin_name", false, PROTO_PLACE_MAX, false,
			&it->origin_name);
	if (!err)
		err = read_string(r, "handler_name", false, PROTO_PLACE_MAX, false,
			&it->handler_name);
	if (!err)
		err = read_string(r, "by_name", false, PROTO_PLACE_MAX, false, &it->by_name);
	it->colour = (proto_colour)colour;
	it->category = (proto_category)cat;
	return err;
}

/* A member of the addressee's team (station): its unit must be within it,
 * since a station may assign only its own and those below it. */
static proto_err decode_member(reader *r, const char *station, proto_member *mb)
{
	proto_err err = read_string(r, "member", true, PROTO_MEMBER_ID_MAX, false,
		&mb->member);

	if (!err && strlen(mb->member) > PROTO_MEMBER_ID_MAX)
		err = fault(r, PROTO_ERR_TOO_LARGE, "member");
	if (!err)
		err = read_string(r, "name", true, PROTO_NAME_MAX, false, &mb->name);
	if (!err)
		err = read_code(r, "unit", mb->unit);
	if (!err && !proto_code_within(mb->unit, station))
		err = fault(r, PROTO_ERR_BAD_VALUE, "unit");
	if (!err)
		err = read_bool(r, "gone", &mb->gone);
	return err;
}

/* A receipt's optional "snapshot": the body of an item message, read by the
 * same code as one, its faults named "snapshot.<field>". It must be the
 * snapshot of the item the receipt names. */
static proto_err decode_snapshot(reader *r, proto_receipt *rc)
{
	cJSON *obj = cJSON_GetObjectItemCaseSensitive(r->obj, "snapshot");
	reader in = {.obj = obj, .field = r->field, .prefix = "snapshot.",
		     .escaped = r->escaped};
	proto_err err;

	if (!obj || cJSON_IsNull(obj))
		return PROTO_OK;
	if (!cJSON_IsObject(obj))
		return fault(r, PROTO_ERR_BAD_TYPE, "snapshot");
	rc->snapshot = calloc(1, sizeof *rc->snapshot);
	if (!rc->snapshot)
		return PROTO_ERR_NOMEM;
	err = decode_item(&in, rc->snapshot);
	if (!err && strcmp(rc->snapshot->item, rc->item) != 0)
		err = fault(&in, PROTO_ERR_BAD_VALUE, "item");
	return err;
}

static proto_err decode_receipt(reader *r, proto_receipt *rc)
{
	int status = 0;
	proto_err err = read_int(r, "ref", false, 1, MAX_SAFE_INT, &rc->ref);

	if (!err)
		err = read_enum(r, "status", proto_receipt_status_parse, &status);
	rc->status = (proto_receipt_status)status;
	if (!err && rc->status == PROTO_RECEIPT_REJECTED) {
		char *name = NULL, *fld = NULL;
		err = read_string(r, "error", true, 32, false, &name);
		if (!err) {
			rc->error = proto_err_from_name(name);
			/* A newer hub may use codes we do not know: keep it a rejection. */
			if ((rc->error == PROTO_ERR_INVAL && strcmp(name, "inval") != 0) ||
			    rc->error == PROTO_OK)
				rc->error = PROTO_ERR_BAD_VALUE;
		}
		if (!err)
			err = read_string(r, "field", false, PROTO_FIELD_MAX - 1, false, &fld);
		if (!err && fld) {
			/* 31 code points need not fit in 31 bytes: cut before a
			 * partial character so that the copy stays valid UTF-8. */
			size_t n = strlen(fld);
			if (n >= sizeof rc->field) {
				n = sizeof rc->field - 1;
				while (n > 0 && ((unsigned char)fld[n] & 0xC0) == 0x80)
					n--;
			}
			memcpy(rc->field, fld, n);
			rc->field[n] = '\0';
		}
		free(name);
		free(fld);
	}
	if (!err)
		err = read_item_id(r, "item", false, rc->item);
	if (!err)
		err = decode_snapshot(r, rc);
	return err;
}

/* Value of four hex digits at s, or -1 when there are not four. */
static long hex4(const char *s, size_t avail)
{
	long v = 0;

	if (avail < 4)
		return -1;
	for (int k = 0; k < 4; k++) {
		char c = s[k];
		int d = c >= '0' && c <= '9' ? c - '0' :
			c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* The raw bytes are valid UTF-8, but \u escapes can still spell text that is
 * not: cJSON rejects an unpaired surrogate as a syntax error (bad_json would
 * be wrong) and turns \u0000 into a NUL that silently cuts the string short.
 * Both are refused here as bad_utf8, like their raw forms. A backslash outside
 * a string is a syntax error anyway, so strings need not be tracked. */
static bool escapes_valid(const char *s, size_t len, bool *any)
{
	*any = false;
	for (size_t i = 0; i < len; i++) {
		long cp;

		if (s[i] != '\\')
			continue;
		if (++i == len || s[i] != 'u')
			continue; /* a one-character escape, \\ included */
		*any = true;
		cp = hex4(s + i + 1, len - i - 1);
		if (cp < 0)
			continue; /* malformed: the parser will say so */
		i += 4;
		if (cp == 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
			return false;
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			if (len - i - 1 < 6 || s[i + 1] != '\\' || s[i + 2] != 'u')
				return false;
			cp = hex4(s + i + 3, len - i - 3);
			if (cp < 0xDC00 || cp > 0xDFFF)
				return false;
			i += 6;
		}
	}
	return true;
}

/* True when [s, end) is JSON whitespace only. */
static bool only_space(const char *s, const char *end)
{
	for (; s < end; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return false;
	return true;
}

proto_err proto_msg_decode(const void *payload, size_t len, proto_msg *out,
	char field[PROTO_FIELD_MAX])
{
	const char *end = NULL;
	char dummy[PROTO_FIELD_MAX];
	reader r = {.field = field ? field : dummy, .prefix = ""};
	int64_t v = 0, salvaged = 0;
	int type = 0;
	proto_err err;

	memset(out, 0, sizeof *out);
	r.field[0] = '\0';
	if (!payload || len == 0)
		return PROTO_ERR_BAD_JSON;
	if (len > PROTO_PAYLOAD_MAX)
		return PROTO_ERR_TOO_LARGE;
	if (!proto_utf8_valid(payload, len) || !escapes_valid(payload, len, &r.escaped))
		return PROTO_ERR_BAD_UTF8;
	/* cJSON stops after the first value and would ignore what follows. */
	r.obj = cJSON_ParseWithLengthOpts(payload, len, &end, false);
	if (!r.obj || !cJSON_IsObject(r.obj) ||
	    !only_space(end, (const char *)payload + len)) {
		err = PROTO_ERR_BAD_JSON;
		goto done;
	}
	/* Peek at the id first, so that a rejection can quote it whatever the
	 * fault: the sender then marks that message instead of resending it. */
	if (read_int(&r, "id", true, 1, MAX_SAFE_INT, &salvaged) != PROTO_OK)
		salvaged = 0;
	r.field[0] = '\0';
	/* PROTOCOL.md: any number that is not 1 (-1, 1.5, 2) is bad_version;
	 * a bad value here would otherwise turn into unknown_type below. */
	err = read_int(&r, "v", true, 0, MAX_SAFE_INT, &v);
	if (err == PROTO_ERR_BAD_VALUE || (!err && v != PROTO_VERSION))
		err = fault(&r, PROTO_ERR_BAD_VERSION, "v");
	if (!err)
		err = read_enum(&r, "type", proto_msg_type_parse, &type);
	if (err == PROTO_ERR_BAD_VALUE || err == PROTO_ERR_TOO_LARGE)
		err = PROTO_ERR_UNKNOWN_TYPE;
	out->v = (int)v;
	out->type = (proto_msg_type)type;
	if (!err)
		err = read_code(&r, "station", out->station);
	if (err)
		goto done;
	switch (out->type) {
	case PROTO_MSG_REPORT:
	case PROTO_MSG_ACTION:
	case PROTO_MSG_ITEM:
	case PROTO_MSG_MEMBER:
		err = read_int(&r, "id", true, 1, MAX_SAFE_INT, &out->id);
		if (!err)
			err = read_time(&r, "ts", true, &out->ts);
		break;
	default:
		err = read_int(&r, "id", false, 1, MAX_SAFE_INT, &out->id);
		if (!err)
			err = read_time(&r, "ts", false, &out->ts);
		break;
	}
	if (err)
		goto done;
	switch (out->type) {
	case PROTO_MSG_REPORT:
		err = decode_report(&r, &out->u.report);
		break;
	case PROTO_MSG_ACTION:
		err = decode_action(&r, &out->u.action);
		break;
	case PROTO_MSG_STATUS:
	case PROTO_MSG_HUB:
		err = decode_status(&r, &out->u.status);
		if (!err && out->type == PROTO_MSG_HUB &&
		    proto_code_tier(out->station) != PROTO_TIER_COUNTY)
			err = fault(&r, PROTO_ERR_BAD_VALUE, "station");
		break;
	case PROTO_MSG_RECEIPT:
		err = decode_receipt(&r, &out->u.receipt);
		break;
	case PROTO_MSG_ITEM:
		err = decode_item(&r, &out->u.item);
		break;
	case PROTO_MSG_MEMBER:
		err = decode_member(&r, out->station, &out->u.member);
		break;
	default:
		err = PROTO_ERR_UNKNOWN_TYPE;
	}
done:
	cJSON_Delete(r.obj);
	if (err) {
		proto_msg_clear(out);
		out->id = salvaged;
		if (err == PROTO_ERR_BAD_JSON)
			r.field[0] = '\0';
	}
	return err;
}

static void item_clear(proto_item *it)
{
	if (!it)
		return;
	free(it->title);
	free(it->text);
	free(it->state);
	free(it->event);
	free(it->by);
	free(it->note);
	free(it->member);
	free(it->rating);
	free(it->reporter_name);
	free(it->reporter_phone);
	free(it->origin_name);
	free(it->handler_name);
	free(it->by_name);
}

void proto_msg_clear(proto_msg *m)
{
	if (!m)
		return;
	switch (m->type) {
	case PROTO_MSG_REPORT:
		free(m->u.report.title);
		free(m->u.report.text);
		free(m->u.report.reporter_name);
		free(m->u.report.reporter_phone);
		break;
	case PROTO_MSG_ACTION:
		free(m->u.action.action);
		free(m->u.action.note);
		free(m->u.action.member);
		free(m->u.action.rating);
		break;
	case PROTO_MSG_STATUS:
	case PROTO_MSG_HUB:
		free(m->u.status.agent);
		free(m->u.status.storage);
		break;
	case PROTO_MSG_RECEIPT:
		item_clear(m->u.receipt.snapshot);
		free(m->u.receipt.snapshot);
		break;
	case PROTO_MSG_ITEM:
		item_clear(&m->u.item);
		break;
	case PROTO_MSG_MEMBER:
		free(m->u.member.member);
		free(m->u.member.name);
		break;
	default:
		break;
	}
	memset(m, 0, sizeof *m);
}

/* ---------------------------------------------------------------- encoding */

/* Messages are written straight into a buffer rather than built as a cJSON
 * tree and printed: the hub encodes two or three per report, and the tree's
 * allocations, printing and freeing were a fifth of its work. The output is
 * what cJSON prints for the same tree: keys in the same order, the same
 * escapes, other UTF-8 as it is, integers as digits. */
typedef struct writer {
	char *p;       /* the text so far */
	size_t len, cap;
	bool heap;     /* p was malloc'd (outgrew the caller's buffer) */
	bool ok;       /* false after an allocation failed */
	bool first;    /* no member yet in the innermost object */
} writer;

static void grow(writer *w, size_t more)
{
	size_t cap = w->cap;
	char *p;

	if (!w->ok || w->len + more <= w->cap)
		return;
	while (cap < w->len + more)
		cap *= 2;
	p = w->heap ? realloc(w->p, cap) : malloc(cap);
	if (!p) {
		w->ok = false;
		return;
	}
	if (!w->heap)
		memcpy(p, w->p, w->len);
	w->p = p, w->cap = cap, w->heap = true;
}

static void raw(writer *w, const char *s, size_t n)
{
	grow(w, n);
	if (!w->ok)
		return;
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

static void key(writer *w, const char *k)
{
	size_t n = strlen(k);

	grow(w, n + 4);
	if (!w->ok)
		return;
	if (!w->first)
		w->p[w->len++] = ',';
	w->first = false;
	w->p[w->len++] = '"';
	memcpy(w->p + w->len, k, n);
	w->len += n;
	w->p[w->len++] = '"';
	w->p[w->len++] = ':';
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void string(writer *w, const char *v)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)v;

	/* At most six bytes for one: \u00XX. */
	grow(w, strlen(v) * 6 + 2);
	if (!w->ok)
		return;
	char *o = w->p + w->len;
	*o++ = '"';
	for (; *s; s++) {
		unsigned char c = *s;
		if (c >= 0x20 && c != '"' && c != '\\') {
			*o++ = (char)c;
			continue;
		}
		*o++ = '\\';
		switch (c) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '\b': *o++ = 'b'; break;
		case '\f': *o++ = 'f'; break;
		case '\n': *o++ = 'n'; break;
		case '\r': *o++ = 'r'; break;
		case '\t': *o++ = 't'; break;
		default:
			*o++ = 'u', *o++ = '0', *o++ = '0';
			*o++ = hex[c >> 4], *o++ = hex[c & 15];
		}
	}
	*o++ = '"';
	w->len = (size_t)(o - w->p);
}

static void put_string(writer *w, const char *k, const char *val)
{
	if (!val)
		return;
	key(w, k);
	string(w, val);
}

/* Digits, never a double: a double's 15 significant digits turned the id
 * 2^53 - 1 into 9007199254740990. */
static void put_int(writer *w, const char *k, int64_t val)
{
	char num[24];
	size_t n = proto_append_int(num, sizeof num, 0, val);

	key(w, k);
	raw(w, num, n);
}

static void put_time(writer *w, const char *k, int64_t ms)
{
	char text[PROTO_TIME_TEXT];

	proto_time_format(ms, text);
	put_string(w, k, text);
}

static void open_object(writer *w)
{
	raw(w, "{", 1);
	w->first = true;
}

static void close_object(writer *w)
{
	raw(w, "}", 1);
	w->first = false;
}

/* The body of an item message, also a receipt's snapshot. */
static void put_item(writer *w, const proto_item *it)
{
	put_string(w, "item", it->item);
	put_string(w, "origin", it->origin);
	put_string(w, "colour", proto_colour_name(it->colour));
	put_string(w, "category", proto_category_name(it->category));
	put_string(w, "title", it->title);
	put_string(w, "text", it->text);
	put_string(w, "state", it->state);
	if (it->deadline > 0)
		put_time(w, "deadline", it->deadline);
	if (it->handler[0])
		put_string(w, "handler", it->handler);
	if (it->seq > 0)
		put_int(w, "seq", it->seq);
	if (it->created > 0)
		put_time(w, "created", it->created);
	put_string(w, "event", it->event);
	put_string(w, "by", it->by);
	put_string(w, "note", it->note);
	put_string(w, "member", it->member);
	put_string(w, "rating", it->rating);
	if (it->escalations > 0)
		put_int(w, "escalations", it->escalations);
	if (it->people > 0)
		put_int(w, "people", it->people);
	put_string(w, "reporter", it->reporter_name);
	put_string(w, "phone", it->reporter_phone);
	if (it->into[0])
		put_string(w, "into", it->into);
	put_string(w, "origin_name", it->origin_name);
	put_string(w, "handler_name", it->handler_name);
	put_string(w, "by_name", it->by_name);
}

/* The text written so far, NUL-terminated, as a string of its own (the
 * writer's heap block or a copy of its stack buffer); NULL on failure. */
static char *finish(writer *w)
{
	char *out = NULL;

	raw(w, "", 1);
	if (w->ok && w->heap) {
		out = w->p;
		w->heap = false;
	} else if (w->ok) {
		out = malloc(w->len);
		if (out)
			memcpy(out, w->p, w->len);
	}
	if (w->heap)
		free(w->p);
	return out;
}

char *proto_item_encode(const proto_item *it)
{
	char buf[4096];
	writer w = {.p = buf, .cap = sizeof buf, .ok = true, .first = true};

	put_item(&w, it);
	return finish(&w);
}

/* The item's fields: its body when given (proto_item_encode), else put. */
static void item_fields(writer *w, const proto_item *it, const char *body)
{
	if (!body) {
		put_item(w, it);
	} else if (*body) {
		if (!w->first)
			raw(w, ",", 1);
		raw(w, body, strlen(body));
		w->first = false;
	}
}

static char *encode(const proto_msg *m, const char *body)
{
	/* Most messages fit the stack; a long text moves to the heap. */
	char buf[4096];
	writer w = {.p = buf, .cap = sizeof buf, .ok = true};

	if ((unsigned)m->type >= PROTO_MSG__COUNT || !proto_code_valid(m->station))
		return NULL;
	open_object(&w);
	put_int(&w, "v", PROTO_VERSION);
	put_string(&w, "type", proto_msg_type_name(m->type));
	put_string(&w, "station", m->station);
	if (m->id > 0)
		put_int(&w, "id", m->id);
	/* Where ts is required, 0 is the epoch itself, which decodes as a valid
	 * ts: left out, it would make the message undecodable. */
	if (m->ts > 0 || m->type == PROTO_MSG_REPORT || m->type == PROTO_MSG_ACTION ||
	    m->type == PROTO_MSG_ITEM || m->type == PROTO_MSG_MEMBER)
		put_time(&w, "ts", m->ts);
	switch (m->type) {
	case PROTO_MSG_REPORT: {
		const proto_report *r = &m->u.report;
		put_string(&w, "colour", proto_colour_name(r->colour));
		put_string(&w, "category", proto_category_name(r->category));
		put_string(&w, "title", r->title);
		put_string(&w, "text", r->text);
		put_string(&w, "reporter", r->reporter_name);
		put_string(&w, "phone", r->reporter_phone);
		if (r->people > 0)
			put_int(&w, "people", r->people);
		break;
	}
	case PROTO_MSG_ACTION: {
		const proto_action *a = &m->u.action;
		put_string(&w, "item", a->item);
		put_string(&w, "action", a->action);
		put_string(&w, "note", a->note);
		put_string(&w, "member", a->member);
		put_string(&w, "rating", a->rating);
		if (a->until > 0)
			put_time(&w, "until", a->until);
		if (a->into[0])
			put_string(&w, "into", a->into);
		break;
	}
	case PROTO_MSG_STATUS:
	case PROTO_MSG_HUB: {
		const proto_status *s = &m->u.status;
		put_string(&w, "state", s->online ? "online" : "offline");
		put_int(&w, "session", s->session);
		if (s->outbox >= 0)
			put_int(&w, "outbox", s->outbox);
		if (s->settled > 0)
			put_int(&w, "settled", s->settled);
		put_string(&w, "agent", s->agent);
		put_string(&w, "storage", s->storage);
		break;
	}
	case PROTO_MSG_RECEIPT: {
		const proto_receipt *rc = &m->u.receipt;
		if (rc->ref > 0) {
			put_int(&w, "ref", rc->ref);
		} else {
			key(&w, "ref");
			raw(&w, "null", 4);
		}
		put_string(&w, "status", proto_receipt_status_name(rc->status));
		if (rc->status == PROTO_RECEIPT_REJECTED) {
			put_string(&w, "error", proto_err_name(rc->error));
			put_string(&w, "field", rc->field);
			put_string(&w, "detail", proto_err_text(rc->error));
		}
		if (rc->item[0])
			put_string(&w, "item", rc->item);
		if (rc->snapshot) {
			key(&w, "snapshot");
			open_object(&w);
			item_fields(&w, rc->snapshot, body);
			close_object(&w);
		}
		break;
	}
	case PROTO_MSG_ITEM:
		item_fields(&w, &m->u.item, body);
		break;
	case PROTO_MSG_MEMBER: {
		const proto_member *mb = &m->u.member;
		/* Only what decodes: a hub must not send what stations refuse. */
		if (!mb->member || !*mb->member || strlen(mb->member) > PROTO_MEMBER_ID_MAX ||
		    !mb->name || !*mb->name ||
		    proto_utf8_length(mb->name) > PROTO_NAME_MAX || !proto_code_within(mb->unit, m->station))
			w.ok = false;
		put_string(&w, "member", mb->member);
		put_string(&w, "name", mb->name);
		put_string(&w, "unit", mb->unit);
		if (mb->gone) {
			key(&w, "gone");
			raw(&w, "true", 4);
		}
		break;
	}
	default:
		w.ok = false;
	}
	close_object(&w);
	return finish(&w);
}

char *proto_msg_encode(const proto_msg *m)
{
	return encode(m, NULL);
}

char *proto_msg_encode_item(const proto_msg *m, const char *body)
{
	return encode(m, body);
}
