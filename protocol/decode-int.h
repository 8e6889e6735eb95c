/* Internals of the decoder shared by its files (decode.c: the payload and
 * the envelope; decode-field.c: the field readers; decode-body.c: each
 * message type's body). Not for other modules: they call proto_msg_decode
 * (protocol/message.h). */
#ifndef PROTO_DECODE_INT_H
#define PROTO_DECODE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "protocol/message.h"

#define PROTO_SAFE_INT_MAX 9007199254740991LL /* 2^53 - 1: exact in a JSON double */

/* The object being read and where its first fault is named. */
typedef struct proto_reader {
	cJSON *obj;
	char *field;        /* caller's buffer for the offending field's name */
	const char *prefix; /* "snapshot." inside a receipt's item, else "" */
	bool escaped;       /* the payload has \u escapes: strings' UTF-8 unchecked */
} proto_reader;

/* Names key (after r's prefix) as the faulty field; returns err. */
proto_err proto_reader__fault(proto_reader *r, proto_err err, const char *key);

/* Each reader below reads member key of r->obj. Absent or null is
 * PROTO_OK, out left as it was (NULL for a string, false for a bool),
 * unless required: PROTO_ERR_MISSING_FIELD. Otherwise PROTO_OK or the
 * first fault (BAD_TYPE, BAD_VALUE, TOO_LARGE, BAD_UTF8), named in
 * r->field; PROTO_ERR_NOMEM unnamed. */

/* A string of at most max_cp code points, valid UTF-8, no control
 * characters (but LF and tab when multiline), not empty when required.
 * *out is a malloc'd copy the caller frees. */
proto_err proto_reader__string(proto_reader *r, const char *key, bool required,
	size_t max_cp, bool multiline, char **out);

/* An integer number in [min, max]. */
proto_err proto_reader__int(proto_reader *r, const char *key, bool required,
	int64_t min, int64_t max, int64_t *out);

/* An optional integer in [min, max] that fits an int; *out is 0 when absent. */
proto_err proto_reader__small(proto_reader *r, const char *key, int min, int max,
	int *out);

/* A required name that parse maps to a value >= 0. */
proto_err proto_reader__enum(proto_reader *r, const char *key,
	int (*parse)(const char *), int *out);

/* A time in the protocol's text form, as Unix ms. */
proto_err proto_reader__time(proto_reader *r, const char *key, bool required,
	int64_t *out);

/* A required station code; too long is BAD_VALUE, as any other bad code. */
proto_err proto_reader__code(proto_reader *r, const char *key,
	char out[PROTO_CODE_MAX + 1]);

/* An item id ("<station code>-<decimal id>"). */
proto_err proto_reader__item_id(proto_reader *r, const char *key, bool required,
	char out[PROTO_ITEM_ID_MAX]);

/* An optional JSON boolean; absent or null is false. */
proto_err proto_reader__bool(proto_reader *r, const char *key, bool *out);

/* The bodies (decode-body.c), read after the envelope into the message's
 * union member; what they allocate proto_msg_clear frees, on error too. */
proto_err proto_decode__report(proto_reader *r, proto_report *rep);
proto_err proto_decode__action(proto_reader *r, proto_action *act);
/* A status or a hub message's body. */
proto_err proto_decode__status(proto_reader *r, proto_status *st);
proto_err proto_decode__receipt(proto_reader *r, proto_receipt *rc);
proto_err proto_decode__item(proto_reader *r, proto_item *it);
/* A member of station's team: its unit must be within station. */
proto_err proto_decode__member(proto_reader *r, const char *station,
	proto_member *mb);

#endif
