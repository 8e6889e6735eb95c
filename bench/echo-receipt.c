/* What a responder that stores nothing does with each report: read it,
 * answer "accepted". */
#include <stdlib.h>

#include "bench/echo.h"
#include "protocol/clock.h"
#include "protocol/message.h"
#include "protocol/str.h"

char *echo_receipt(const char *station, const void *payload, size_t len)
{
	proto_msg in, out = {.v = PROTO_VERSION, .type = PROTO_MSG_RECEIPT};

	/* Decoded like the hub does: the codec is part of any responder's
	 * cost. */
	if (proto_msg_decode(payload, len, &in, NULL))
		return NULL;
	proto_copy(out.station, sizeof out.station, station);
	out.ts = proto_now_ms();
	out.u.receipt.ref = in.id;
	out.u.receipt.status = PROTO_RECEIPT_ACCEPTED;
	proto_item_id(out.u.receipt.item, station, in.id);
	proto_msg_clear(&in);
	return proto_msg_encode(&out);
}
