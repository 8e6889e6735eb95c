/* Encoding protocol messages as JSON: proto_msg_encode, proto_item_encode
 * and proto_msg_encode_item (a message around an item body encoded once).
 * The output is what the decoder (decode.c) takes back. */
#include <stdlib.h>
#include <string.h>

#include "protocol/clock.h"
#include "protocol/message.h"
#include "protocol/str.h"

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
