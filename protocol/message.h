/* The messages of the minqing protocol (PROTOCOL.md is the contract): what a
 * station sends up, what the hub sends down, and their JSON codec. Decoding
 * validates everything and names the offending field. */
#ifndef PROTO_MESSAGE_H
#define PROTO_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/code.h"
#include "protocol/error.h"

#define PROTO_VERSION 1
#define PROTO_PAYLOAD_MAX (16 * 1024) /* bytes, whole JSON payload */
#define PROTO_TITLE_MAX 100           /* code points */
#define PROTO_TEXT_MAX 4000           /* code points */
#define PROTO_NAME_MAX 32             /* code points */
#define PROTO_NOTE_MAX 2000           /* code points */
#define PROTO_PEOPLE_MAX 1000000
#define PROTO_FIELD_MAX 32            /* bytes for a field name in a fault */
#define PROTO_ITEM_ID_MAX 40          /* bytes of "<station>-<id>" plus NUL */
#define PROTO_MEMBER_ID_MAX 64        /* bytes of a service-team member's id */
#define PROTO_PLACE_MAX 96            /* code points of a station's readable name */

typedef enum proto_msg_type {
	PROTO_MSG_REPORT,  /* station -> hub: a new report */
	PROTO_MSG_ACTION,  /* station -> hub: a workflow step on an item */
	PROTO_MSG_STATUS,  /* station -> hub: birth, heartbeat, will (retained) */
	PROTO_MSG_RECEIPT, /* hub -> station: the end-to-end receipt */
	PROTO_MSG_ITEM,    /* hub -> station: an item routed to the station */
	PROTO_MSG_HUB,     /* hub -> all: the hub's own retained status */
	PROTO_MSG_MEMBER,  /* hub -> station: one service-team member it may assign */
	PROTO_MSG__COUNT
} proto_msg_type;

typedef enum proto_colour {
	PROTO_COLOUR_BLUE,   /* 蓝: ordinary, individual; the village handles it */
	PROTO_COLOUR_ORANGE, /* 橙: serious or beyond the village; the town */
	PROTO_COLOUR_RED,    /* 红: urgent, major or collective; the county */
	PROTO_COLOUR__COUNT
} proto_colour;

/* The eight service items of the 4318 model. */
typedef enum proto_category {
	PROTO_CAT_INDUSTRY,       /* 产业发展 */
	PROTO_CAT_INFRASTRUCTURE, /* 设施建设 */
	PROTO_CAT_LIVELIHOOD,     /* 民生保障 */
	PROTO_CAT_DISPUTE,        /* 矛盾调处 */
	PROTO_CAT_SECURITY,       /* 治安联防 */
	PROTO_CAT_PROXY,          /* 便民服务代理 */
	PROTO_CAT_LEFT_BEHIND,    /* 留守人员代管 */
	PROTO_CAT_CEREMONY,       /* 红白理事 */
	PROTO_CAT__COUNT
} proto_category;

typedef enum proto_receipt_status {
	PROTO_RECEIPT_ACCEPTED,  /* stored by the hub (committed) */
	PROTO_RECEIPT_DUPLICATE, /* already stored earlier; nothing changed */
	PROTO_RECEIPT_REJECTED,  /* refused; error and field say why */
	PROTO_RECEIPT__COUNT
} proto_receipt_status;

typedef struct proto_report {
	proto_colour colour;
	proto_category category;
	char *title;          /* required, 1..PROTO_TITLE_MAX code points */
	char *text;           /* required, 1..PROTO_TEXT_MAX code points */
	char *reporter_name;  /* optional personal data, NULL when absent */
	char *reporter_phone; /* optional personal data, NULL when absent */
	int people;           /* people affected, 0 when not given */
} proto_report;

typedef struct proto_action {
	char item[PROTO_ITEM_ID_MAX]; /* item acted on */
	char *action;                 /* step name, validated by the hub */
	char *note;                   /* optional free text */
	char *member;                 /* optional service-team member id */
	char *rating;                 /* optional resident's rating */
	int64_t until;                /* optional new deadline, ms; 0 if absent */
	char into[PROTO_ITEM_ID_MAX]; /* merge: the item this one joins; "" if absent */
} proto_action;

typedef struct proto_status {
	bool online;     /* false in the last will and on clean shutdown */
	int64_t session; /* birth and will of one connection share it */
	int64_t outbox;  /* messages waiting for a receipt; -1 if unknown */
	int64_t settled; /* every id below it has its receipt; 0 if unknown */
	char *agent;     /* optional "program/version" */
	char *storage;   /* optional, the hub's only: "full" while its disk is */
} proto_status;

typedef struct proto_receipt {
	int64_t ref;                   /* id of the message receipted; 0 if unknown */
	proto_receipt_status status;
	proto_err error;               /* for rejected */
	char field[PROTO_FIELD_MAX];   /* offending field, may be empty */
	char item[PROTO_ITEM_ID_MAX];  /* id of the stored item, may be empty */
	struct proto_item *snapshot;   /* optional: the item as it is now, for a
	                                  report's reporter; owned when decoded */
} proto_receipt;

typedef struct proto_item {
	char item[PROTO_ITEM_ID_MAX]; /* "<reporting station>-<report id>" */
	char origin[PROTO_CODE_MAX + 1];
	proto_colour colour;
	proto_category category;
	char *title;
	char *text;
	char *state;      /* workflow state name */
	int64_t deadline; /* ms; 0 when none */
	/* Optional below (absent: zero, NULL or ""), filled by hubs that run
	 * the workflow: a snapshot after the change `event` made. */
	char handler[PROTO_CODE_MAX + 1]; /* station handling it now */
	int64_t seq;          /* events so far; a station keeps the highest */
	int64_t created;      /* when reported, ms */
	char *event;          /* what changed: a step name, "route", "remind", "supervise",
	                         "escalate", "alert" */
	char *by;             /* who: a station code, a user name or "hub" */
	char *note;           /* feedback, reason or comment of that event */
	char *member;         /* service-team member assigned */
	char *rating;         /* resident's rating once given */
	int escalations;      /* times raised by time so far */
	int people;           /* people affected */
	char *reporter_name;  /* personal: only to the handler and the reporter */
	char *reporter_phone;
	char into[PROTO_ITEM_ID_MAX]; /* merged into this item; "" if not */
	/* Readable names of the stations above, with their town and village
	 * (回龙镇云沟村三组), for people: stations know no other names. */
	char *origin_name;
	char *handler_name;
	char *by_name;        /* when by is a station code */
} proto_item;

/* One member of the service team a station may assign (交办): a member of the
 * station itself or of a station below it. Each message is that member's
 * latest word; a station keeps, per member, the one with the highest id. */
typedef struct proto_member {
	char *member;                   /* id, 1..PROTO_MEMBER_ID_MAX bytes */
	char *name;                     /* 1..PROTO_NAME_MAX code points */
	char unit[PROTO_CODE_MAX + 1];  /* the member's station: the addressee
	                                   or a station within it */
	bool gone;                      /* left the team (or no longer the
	                                   addressee's to assign) */
} proto_member;

typedef struct proto_msg {
	int v;                             /* protocol version */
	proto_msg_type type;
	char station[PROTO_CODE_MAX + 1];  /* sender (up) or addressee (down);
	                                      county code for PROTO_MSG_HUB */
	int64_t id;                        /* message id, unique per sender,
	                                      increasing; 0 for status messages */
	int64_t ts;                        /* creation time, Unix ms */
	union {
		proto_report report;
		proto_action action;
		proto_status status;
		proto_receipt receipt;
		proto_item item;
		proto_member member;
	} u;
} proto_msg;

/* Parses and validates one payload. On PROTO_OK, *out owns heap strings that
 * proto_msg_clear frees; on error *out is cleared but for out->id (the
 * message id when the JSON had a readable one, else 0), and field names the
 * offending field ("" when the fault is in the payload as a whole). */
proto_err proto_msg_decode(const void *payload, size_t len, proto_msg *out,
	char field[PROTO_FIELD_MAX]);

/* Encodes a message as compact JSON. Returns a malloc'd NUL-terminated string
 * or NULL when out of memory or when the message is invalid. */
char *proto_msg_encode(const proto_msg *msg);

/* An item's fields as JSON without the braces: the body of its item message
 * and of a receipt's snapshot, for a hub telling several stations at once.
 * Malloc'd; NULL when out of memory. */
char *proto_item_encode(const proto_item *item);

/* As proto_msg_encode, with an item message's fields, or a receipt's
 * snapshot's, written as body (from proto_item_encode) instead. */
char *proto_msg_encode_item(const proto_msg *msg, const char *body);

/* Frees the strings a decoded or filled message owns and zeroes it. */
void proto_msg_clear(proto_msg *msg);

/* Wire names and Chinese names of enums; lookups return -1 when unknown. */
const char *proto_msg_type_name(proto_msg_type type);
int proto_msg_type_parse(const char *name);
const char *proto_colour_name(proto_colour colour);
const char *proto_colour_name_zh(proto_colour colour);
int proto_colour_parse(const char *name);
const char *proto_category_name(proto_category cat);
const char *proto_category_name_zh(proto_category cat);
int proto_category_parse(const char *name);
const char *proto_receipt_status_name(proto_receipt_status status);
int proto_receipt_status_parse(const char *name);

/* True when s is a well-formed item id: "<station code>-<1 to 16 digits,
 * no leading zero>". */
bool proto_item_id_valid(const char *s);

/* Writes the public item id of a report, "<station>-<id>", into out. */
void proto_item_id(char out[PROTO_ITEM_ID_MAX], const char *station, int64_t id);

/* True when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
bool proto_utf8_valid(const char *s, size_t len);

/* Number of code points in a valid UTF-8 string. */
size_t proto_utf8_length(const char *s);

#endif
