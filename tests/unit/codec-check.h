/* Helpers shared by the codec's unit tests (test-decode.c,
 * test-decode-body.c, test-encode.c): two station codes, decoding a string
 * literal as an exactly sized payload, and the encode -> decode -> encode
 * round trip. Static inline so that a program that uses only some of them
 * builds without unused-function warnings. Include after check.h. */
#ifndef CODEC_CHECK_H
#define CODEC_CHECK_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/message.h"

#include "check.h"

#define GROUP "611025100201001"
#define VILLAGE "611025100201"

/* Decodes a C string literal as a payload, without its NUL. */
static inline proto_err decode_str(const char *json, proto_msg *out, char *field)
{
	size_t len = strlen(json);
	char *copy = malloc(len ? len : 1);
	proto_err err;

	if (!copy)
		return PROTO_ERR_NOMEM;
	memcpy(copy, json, len);
	err = proto_msg_decode(copy, len, out, field);
	free(copy);
	return err;
}

/* After a failed decode everything but the salvaged id must be zero. */
static inline bool is_cleared(const proto_msg *m)
{
	static const proto_msg zero;
	proto_msg copy = *m;

	copy.id = 0;
	return memcmp(&copy, &zero, sizeof zero) == 0;
}

/* Encodes in, decodes the result into out and checks that encoding out again
 * gives the same bytes. The caller compares the fields and clears out. */
static inline bool round_trip(const proto_msg *in, proto_msg *out)
{
	char field[PROTO_FIELD_MAX];
	char *json = proto_msg_encode(in), *again;
	proto_err err;

	memset(out, 0, sizeof *out);
	if (!CHECK(json != NULL))
		return false;
	err = decode_str(json, out, field);
	CHECK_EQ_INT(err, PROTO_OK);
	if (err) {
		fprintf(stderr, "\t%s (field '%s') in %s\n", proto_err_name(err),
			field, json);
		free(json);
		return false;
	}
	CHECK_STR(field, "");
	again = proto_msg_encode(out);
	CHECK_STR(again, json);
	free(again);
	free(json);
	return true;
}

static inline void check_header(const proto_msg *in, const proto_msg *out)
{
	CHECK_EQ_INT(out->v, PROTO_VERSION);
	CHECK_EQ_INT(out->type, in->type);
	CHECK_STR(out->station, in->station);
	CHECK_EQ_INT(out->id, in->id);
	CHECK_EQ_INT(out->ts, in->ts);
}

#endif
