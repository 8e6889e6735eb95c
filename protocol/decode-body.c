/* The body of each message type, read after the envelope (decode.c): which
 * fields a report, an action, a status, a receipt, an item and a member
 * carry, required or not, and the rules between fields (a member's unit
 * within its station, a receipt's snapshot of the item it names). The
 * first fault wins, named by its field. */
#include <stdlib.h>
#include <string.h>

#include "protocol/decode-int.h"

static proto_err read_online(proto_reader *r, bool *online)
{
	char *s = NULL;
	proto_err err = proto_reader__string(r, "state", true, 16, false, &s);

	if (err == PROTO_OK) {
		if (strcmp(s, "online") == 0)
			*online = true;
		else if (strcmp(s, "offline") == 0)
			*online = false;
		else
			err = proto_reader__fault(r, PROTO_ERR_BAD_VALUE, "state");
	}
	free(s);
	return err;
}

proto_err proto_decode__report(proto_reader *r, proto_report *rep)
{
	int colour = 0, cat = 0;
	int64_t people = 0;
	proto_err err;

	err = proto_reader__enum(r, "colour", proto_colour_parse, &colour);
	if (!err)
		err = proto_reader__enum(r, "category", proto_category_parse, &cat);
	if (!err)
		err = proto_reader__string(r, "title", true, PROTO_TITLE_MAX, false, &rep->title);
	if (!err)
		err = proto_reader__string(r, "text", true, PROTO_TEXT_MAX, true, &rep->text);
	if (!err)
		err = proto_reader__string(r, "reporter", false, PROTO_NAME_MAX, false,
			&rep->reporter_name);
	if (!err)
		err = proto_reader__string(r, "phone", false, 20, false, &rep->reporter_phone);
	if (!err && rep->reporter_phone) {
		size_t n = strlen(rep->reporter_phone);
		if (n < 3 || strspn(rep->reporter_phone, "0123456789+- ") != n)
			err = proto_reader__fault(r, PROTO_ERR_BAD_VALUE, "phone");
	}
	if (!err)
		err = proto_reader__int(r, "people", false, 0, PROTO_PEOPLE_MAX, &people);
	rep->colour = (proto_colour)colour;
	rep->category = (proto_category)cat;
	rep->people = (int)people;
	return err;
}

proto_err proto_decode__action(proto_reader *r, proto_action *act)
{
	proto_err err = proto_reader__item_id(r, "item", true, act->item);

	if (!err)
		err = proto_reader__string(r, "action", true, 32, false, &act->action);
	if (!err && strspn(act->action, "abcdefghijklmnopqrstuvwxyz_") !=
			strlen(act->action))
		err = proto_reader__fault(r, PROTO_ERR_BAD_VALUE, "action");
	if (!err)
		err = proto_reader__string(r, "note", false, PROTO_NOTE_MAX, true, &act->note);
	if (!err)
		err = proto_reader__string(r, "member", false, 64, false, &act->member);
	if (!err)
		err = proto_reader__string(r, "rating", false, 32, false, &act->rating);
	if (!err)
		err = proto_reader__time(r, "until", false, &act->until);
	if (!err)
		err = proto_reader__item_id(r, "into", false, act->into);
	return err;
}

proto_err proto_decode__status(proto_reader *r, proto_status *st)
{
	proto_err err = read_online(r, &st->online);

	st->outbox = -1;
	if (!err)
		err = proto_reader__int(r, "session", true, 0, PROTO_SAFE_INT_MAX, &st->session);
	if (!err)
		err = proto_reader__int(r, "outbox", false, 0, PROTO_SAFE_INT_MAX, &st->outbox);
	if (!err)
		err = proto_reader__int(r, "settled", false, 1, PROTO_SAFE_INT_MAX, &st->settled);
	if (!err)
		err = proto_reader__string(r, "agent", false, 64, false, &st->agent);
	if (!err)
		err = proto_reader__string(r, "storage", false, 16, false, &st->storage);
	return err;
}

proto_err proto_decode__item(proto_reader *r, proto_item *it)
{
	int colour = 0, cat = 0;
	proto_err err = proto_reader__item_id(r, "item", true, it->item);

	if (!err)
		err = proto_reader__code(r, "origin", it->origin);
	if (!err)
		err = proto_reader__enum(r, "colour", proto_colour_parse, &colour);
	if (!err)
		err = proto_reader__enum(r, "category", proto_category_parse, &cat);
	if (!err)
		err = proto_reader__string(r, "title", true, PROTO_TITLE_MAX, false, &it->title);
	if (!err)
		err = proto_reader__string(r, "text", true, PROTO_TEXT_MAX, true, &it->text);
	if (!err)
		err = proto_reader__string(r, "state", true, 32, false, &it->state);
	if (!err)
		err = proto_reader__time(r, "deadline", false, &it->deadline);
	if (!err && cJSON_GetObjectItemCaseSensitive(r->obj, "handler"))
		err = proto_reader__code(r, "handler", it->handler);
	if (!err)
		err = proto_reader__int(r, "seq", false, 1, PROTO_SAFE_INT_MAX, &it->seq);
	if (!err)
		err = proto_reader__time(r, "created", false, &it->created);
	if (!err)
		err = proto_reader__string(r, "event", false, 32, false, &it->event);
	if (!err)
		err = proto_reader__string(r, "by", false, 64, false, &it->by);
	if (!err)
		err = proto_reader__string(r, "note", false, PROTO_NOTE_MAX, true, &it->note);
	if (!err)
		err = proto_reader__string(r, "member", false, 64, false, &it->member);
	if (!err)
		err = proto_reader__string(r, "rating", false, 32, false, &it->rating);
	if (!err)
		err = proto_reader__small(r, "escalations", 0, 1000, &it->escalations);
	if (!err)
		err = proto_reader__small(r, "people", 0, PROTO_PEOPLE_MAX, &it->people);
	if (!err)
		err = proto_reader__string(r, "reporter", false, PROTO_NAME_MAX, false,
			&it->reporter_name);
	if (!err)
		err = proto_reader__string(r, "phone", false, 32, false, &it->reporter_phone);
	if (!err)
		err = proto_reader__item_id(r, "into", false, it->into);
	if (!err)
		err = proto_reader__string(r, "origin_name", false, PROTO_PLACE_MAX, false,
			&it->origin_name);
	if (!err)
		err = proto_reader__string(r, "handler_name", false, PROTO_PLACE_MAX, false,
			&it->handler_name);
	if (!err)
		err = proto_reader__string(r, "by_name", false, PROTO_PLACE_MAX, false, &it->by_name);
	it->colour = (proto_colour)colour;
	it->category = (proto_category)cat;
	return err;
}

/* A member of the addressee's team (station): its unit must be within it,
 * since a station may assign only its own and those below it. */
proto_err proto_decode__member(proto_reader *r, const char *station,
	proto_member *mb)
{
	proto_err err = proto_reader__string(r, "member", true, PROTO_MEMBER_ID_MAX, false,
		&mb->member);

	if (!err && strlen(mb->member) > PROTO_MEMBER_ID_MAX)
		err = proto_reader__fault(r, PROTO_ERR_TOO_LARGE, "member");
	if (!err)
		err = proto_reader__string(r, "name", true, PROTO_NAME_MAX, false, &mb->name);
	if (!err)
		err = proto_reader__code(r, "unit", mb->unit);
	if (!err && !proto_code_within(mb->unit, station))
		err = proto_reader__fault(r, PROTO_ERR_BAD_VALUE, "unit");
	if (!err)
		err = proto_reader__bool(r, "gone", &mb->gone);
	return err;
}

/* A receipt's optional "snapshot": the body of an item message, read by the
 * same code as one, its faults named "snapshot.<field>". It must be the
 * snapshot of the item the receipt names. */
static proto_err decode_snapshot(proto_reader *r, proto_receipt *rc)
{
	cJSON *obj = cJSON_GetObjectItemCaseSensitive(r->obj, "snapshot");
	proto_reader in = {.obj = obj, .field = r->field, .prefix = "snapshot.",
		     .escaped = r->escaped};
	proto_err err;

	if (!obj || cJSON_IsNull(obj))
		return PROTO_OK;
	if (!cJSON_IsObject(obj))
		return proto_reader__fault(r, PROTO_ERR_BAD_TYPE, "snapshot");
	rc->snapshot = calloc(1, sizeof *rc->snapshot);
	if (!rc->snapshot)
		return PROTO_ERR_NOMEM;
	err = proto_decode__item(&in, rc->snapshot);
	if (!err && strcmp(rc->snapshot->item, rc->item) != 0)
		err = proto_reader__fault(&in, PROTO_ERR_BAD_VALUE, "item");
	return err;
}

proto_err proto_decode__receipt(proto_reader *r, proto_receipt *rc)
{
	int status = 0;
	proto_err err = proto_reader__int(r, "ref", false, 1, PROTO_SAFE_INT_MAX, &rc->ref);

	if (!err)
		err = proto_reader__enum(r, "status", proto_receipt_status_parse, &status);
	rc->status = (proto_receipt_status)status;
	if (!err && rc->status == PROTO_RECEIPT_REJECTED) {
		char *name = NULL, *fld = NULL;
		err = proto_reader__string(r, "error", true, 32, false, &name);
		if (!err) {
			rc->error = proto_err_from_name(name);
			/* A newer hub may use codes we do not know: keep it a rejection. */
			if ((rc->error == PROTO_ERR_INVAL && strcmp(name, "inval") != 0) ||
			    rc->error == PROTO_OK)
				rc->error = PROTO_ERR_BAD_VALUE;
		}
		if (!err)
			err = proto_reader__string(r, "field", false, PROTO_FIELD_MAX - 1, false, &fld);
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
		err = proto_reader__item_id(r, "item", false, rc->item);
	if (!err)
		err = decode_snapshot(r, rc);
	return err;
}

