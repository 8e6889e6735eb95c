/* libFuzzer target for the message codec (protocol/decode.c): proto_msg_decode
 * on arbitrary bytes, and for every payload it accepts the round trip
 * decode -> encode -> decode, which must give back the same message. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Prints what went wrong and aborts, so that libFuzzer keeps the input. */
static void fail(const char *what, const char *first, const char *second)
{
	fprintf(stderr, "fuzz-decode: %s\n", what);
	if (first)
		fprintf(stderr, "  first:  %s\n", first);
	if (second)
		fprintf(stderr, "  second: %s\n", second);
	abort();
}

static int same_str(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) == 0 : a == b;
}

/* Field by field: the encoder drops what the decoder ignores, so a byte
 * comparison of the structs would flag padding and unused union members. */
static int same_msg(const proto_msg *a, const proto_msg *b)
{
	if (a->v != b->v || a->type != b->type || strcmp(a->station, b->station) ||
	    a->id != b->id || a->ts != b->ts)
		return 0;
	switch (a->type) {
	case PROTO_MSG_REPORT: {
		const proto_report *x = &a->u.report, *y = &b->u.report;
		return x->colour == y->colour && x->category == y->category &&
		       same_str(x->title, y->title) && same_str(x->text, y->text) &&
		       same_str(x->reporter_name, y->reporter_name) &&
		       same_str(x->reporter_phone, y->reporter_phone) &&
		       x->people == y->people;
	}
	case PROTO_MSG_ACTION: {
		const proto_action *x = &a->u.action, *y = &b->u.action;
		return !strcmp(x->item, y->item) && same_str(x->action, y->action) &&
		       same_str(x->note, y->note) && same_str(x->member, y->member) &&
		       same_str(x->rating, y->rating) && x->until == y->until;
	}
	case PROTO_MSG_STATUS:
	case PROTO_MSG_HUB: {
		const proto_status *x = &a->u.status, *y = &b->u.status;
		return x->online == y->online && x->session == y->session &&
		       x->outbox == y->outbox && x->settled == y->settled &&
		       same_str(x->agent, y->agent);
	}
	case PROTO_MSG_RECEIPT: {
		const proto_receipt *x = &a->u.receipt, *y = &b->u.receipt;
		return x->ref == y->ref && x->status == y->status &&
		       x->error == y->error && !strcmp(x->field, y->field) &&
		       !strcmp(x->item, y->item);
	}
	case PROTO_MSG_ITEM: {
		const proto_item *x = &a->u.item, *y = &b->u.item;
		return !strcmp(x->item, y->item) && !strcmp(x->origin, y->origin) &&
		       x->colour == y->colour && x->category == y->category &&
		       same_str(x->title, y->title) && same_str(x->text, y->text) &&
		       same_str(x->state, y->state) && x->deadline == y->deadline;
	}
	case PROTO_MSG_MEMBER: {
		const proto_member *x = &a->u.member, *y = &b->u.member;
		return same_str(x->member, y->member) && same_str(x->name, y->name) &&
		       !strcmp(x->unit, y->unit) && x->gone == y->gone;
	}
	default:
		return 0;
	}
}

/* message.h promises that a failed decode leaves nothing behind but the
 * salvaged id, and a field name that fits its buffer. */
static void check_failure(proto_msg *m, proto_err err, const char *field)
{
	proto_msg zero;

	if (err <= PROTO_OK || err >= PROTO_ERR__COUNT)
		fail("decode returned an error code out of range", NULL, NULL);
	if (memchr(field, '\0', PROTO_FIELD_MAX) == NULL)
		fail("field name is not terminated", NULL, NULL);
	if (m->id < 0)
		fail("salvaged id is negative", NULL, NULL);
	memset(&zero, 0, sizeof zero);
	zero.id = m->id;
	if (memcmp(&zero, m, sizeof zero) != 0)
		fail("a failed decode left fields set", NULL, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	proto_msg first, second;
	char field[PROTO_FIELD_MAX], field2[PROTO_FIELD_MAX];
	char *json, *again;
	proto_err err;

	err = proto_msg_decode(data, size, &first, field);
	if (err != PROTO_OK) {
		check_failure(&first, err, field);
		proto_msg_clear(&first);
		return 0;
	}

	json = proto_msg_encode(&first);
	if (!json)
		fail("a decoded message does not encode", NULL, NULL);
	err = proto_msg_decode(json, strlen(json), &second, field2);
	/* The encoder does not bound its output: \t and \n sent raw inside a
	 * string come back escaped, and a receipt gains its "detail". Senders
	 * decode what they encode (station/store.c) and so catch this. */
	if (err == PROTO_ERR_TOO_LARGE && strlen(json) > PROTO_PAYLOAD_MAX) {
		free(json);
		proto_msg_clear(&first);
		return 0;
	}
	if (err != PROTO_OK) {
		char why[128];
		snprintf(why, sizeof why, "re-encoded message does not decode: %s on '%s'",
			proto_err_name(err), field2);
		fail(why, json, NULL);
	}
	if (!same_msg(&first, &second))
		fail("round trip changed the message", json, NULL);
	again = proto_msg_encode(&second);
	if (!again || strcmp(json, again) != 0)
		fail("encoding is not stable", json, again);

	free(again);
	free(json);
	proto_msg_clear(&second);
	proto_msg_clear(&first);
	return 0;
}
