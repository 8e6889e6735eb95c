/* Decoding a message: the payload as a whole (size, UTF-8, \u escapes, one
 * JSON object and nothing after it), then the envelope every message has
 * (v, type, station, id, ts), then its body by type (decode-body.c).
 * Decoding is the validation: every field is checked for presence, type
 * and range (decode-field.c), and the first fault is returned with the name
 * of the field that caused it. Also proto_msg_clear, which frees what a
 * decode allocated. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "protocol/decode-int.h"

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
	proto_reader r = {.field = field ? field : dummy, .prefix = ""};
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
	if (proto_reader__int(&r, "id", true, 1, PROTO_SAFE_INT_MAX, &salvaged) != PROTO_OK)
		salvaged = 0;
	r.field[0] = '\0';
	/* PROTOCOL.md: any number that is not 1 (-1, 1.5, 2) is bad_version;
	 * a bad value here would otherwise turn into unknown_type below. */
	err = proto_reader__int(&r, "v", true, 0, PROTO_SAFE_INT_MAX, &v);
	if (err == PROTO_ERR_BAD_VALUE || (!err && v != PROTO_VERSION))
		err = proto_reader__fault(&r, PROTO_ERR_BAD_VERSION, "v");
	if (!err)
		err = proto_reader__enum(&r, "type", proto_msg_type_parse, &type);
	if (err == PROTO_ERR_BAD_VALUE || err == PROTO_ERR_TOO_LARGE)
		err = PROTO_ERR_UNKNOWN_TYPE;
	out->v = (int)v;
	out->type = (proto_msg_type)type;
	if (!err)
		err = proto_reader__code(&r, "station", out->station);
	if (err)
		goto done;
	switch (out->type) {
	case PROTO_MSG_REPORT:
	case PROTO_MSG_ACTION:
	case PROTO_MSG_ITEM:
	case PROTO_MSG_MEMBER:
		err = proto_reader__int(&r, "id", true, 1, PROTO_SAFE_INT_MAX, &out->id);
		if (!err)
			err = proto_reader__time(&r, "ts", true, &out->ts);
		break;
	default:
		err = proto_reader__int(&r, "id", false, 1, PROTO_SAFE_INT_MAX, &out->id);
		if (!err)
			err = proto_reader__time(&r, "ts", false, &out->ts);
		break;
	}
	if (err)
		goto done;
	switch (out->type) {
	case PROTO_MSG_REPORT:
		err = proto_decode__report(&r, &out->u.report);
		break;
	case PROTO_MSG_ACTION:
		err = proto_decode__action(&r, &out->u.action);
		break;
	case PROTO_MSG_STATUS:
	case PROTO_MSG_HUB:
		err = proto_decode__status(&r, &out->u.status);
		if (!err && out->type == PROTO_MSG_HUB &&
		    proto_code_tier(out->station) != PROTO_TIER_COUNTY)
			err = proto_reader__fault(&r, PROTO_ERR_BAD_VALUE, "station");
		break;
	case PROTO_MSG_RECEIPT:
		err = proto_decode__receipt(&r, &out->u.receipt);
		break;
	case PROTO_MSG_ITEM:
		err = proto_decode__item(&r, &out->u.item);
		break;
	case PROTO_MSG_MEMBER:
		err = proto_decode__member(&r, out->station, &out->u.member);
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

