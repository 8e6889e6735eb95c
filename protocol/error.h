/* Result codes shared by every minqing module and carried on the wire in
 * rejected receipts. Library errors are converted to these at the boundary. */
#ifndef PROTO_ERROR_H
#define PROTO_ERROR_H

typedef enum proto_err {
	PROTO_OK = 0,
	PROTO_ERR_BAD_JSON,        /* payload is not a JSON object */
	PROTO_ERR_MISSING_FIELD,   /* a required field is absent */
	PROTO_ERR_BAD_TYPE,        /* a field has the wrong JSON type */
	PROTO_ERR_BAD_VALUE,       /* a field's value is out of range or unknown */
	PROTO_ERR_TOO_LARGE,       /* payload or a text field exceeds its limit */
	PROTO_ERR_BAD_UTF8,        /* payload is not valid UTF-8 */
	PROTO_ERR_BAD_VERSION,     /* protocol version we do not speak */
	PROTO_ERR_UNKNOWN_TYPE,    /* message type we do not know */
	PROTO_ERR_UNKNOWN_STATION, /* station not in the county's registry */
	PROTO_ERR_WRONG_STATION,   /* topic and payload name different stations */
	PROTO_ERR_BAD_TOPIC,       /* topic does not follow the scheme */
	PROTO_ERR_NOMEM,           /* allocation failed */
	PROTO_ERR_IO,              /* file, socket or database failure */
	PROTO_ERR_INVAL,           /* bad argument from the caller */
	PROTO_ERR_NOT_FOUND,       /* no such record */
	PROTO_ERR_REPLAY,          /* unseen id below the station's settled mark */
	PROTO_ERR_RATE_LIMITED,    /* sender over its rate: transient, send later */
	PROTO_ERR_UNKNOWN_ITEM,    /* an action names an item the hub does not have */
	PROTO_ERR_BAD_STATE,       /* the step is not legal in the item's state */
	PROTO_ERR_NOT_ALLOWED,     /* legal, but not for this station */
	PROTO_ERR__COUNT
} proto_err;

/* Wire name of a code ("bad_json", ...); never NULL. */
const char *proto_err_name(proto_err err);

/* Code for a wire name; PROTO_ERR_INVAL when the name is unknown. */
proto_err proto_err_from_name(const char *name);

/* One-line English explanation for people (CLI output, logs). */
const char *proto_err_text(proto_err err);

#endif
