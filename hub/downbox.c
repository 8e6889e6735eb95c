/* The downbox: every message the hub owes a station (item messages, and
 * the service team's member messages of members.c), written in the batch
 * that caused it and published once that batch is on disk, resent on the
 * station's birth, deleted on its receipt. An item message is a snapshot of
 * the item after an event, for each station involved; it is sealed when it
 * names the resident. Builds on the base layer (hub/item.h) alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/downbox.h"
#include "hub/store.h"
#include "protocol/db.h"
#include "protocol/log.h"
#include "protocol/str.h"
#include "protocol/topic.h"

/* ------------------------------------------------------------- snapshots */

void workflow_down_forget(hub_workflow *l)
{
	for (size_t i = 0; i < WORKFLOW_PLACES; i++) {
		free(l->places[i].name);
		l->places[i].name = NULL;
		l->places[i].code[0] = '\0';
	}
	free(l->body[0].json);
	free(l->body[1].json);
	l->body[0].json = l->body[1].json = NULL;
}

/* The readable name of the station code (HUB_STATION_LABEL), cut at
 * PROTO_PLACE_MAX code points (a station refuses longer), into out; NULL
 * when the code is no registered station, or is no code ("hub", a user).
 * Kept in l->places, emptied when the registry may have changed
 * (workflow_down_forget); copied out, since the next call may evict it. */
static char *place(hub_workflow *l, const char *code, char out[4 * PROTO_PLACE_MAX + 1])
{
	sqlite3_stmt *st = l->st[LS_PLACE];
	workflow_place *slot;
	size_t at = 0, cp = 0;
	const char *s;

	if (!code || !proto_code_valid(code))
		return NULL;
	slot = &l->places[proto_str_hash(code) % WORKFLOW_PLACES];
	if (strcmp(slot->code, code) == 0) {
		proto_copy(out, 4 * PROTO_PLACE_MAX + 1, slot->name);
		return out[0] ? out : NULL;
	}
	out[0] = '\0';
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && (s = (const char *)sqlite3_column_text(st, 0))) {
		while (s[at] && cp < PROTO_PLACE_MAX) {
			size_t n = 1;
			while ((s[at + n] & 0xC0) == 0x80)
				n++;
			memcpy(out + at, s + at, n);
			at += n;
			cp++;
		}
		out[at] = '\0';
		char *kept = strdup(out);
		if (kept) { /* out of memory: looked up again next time */
			free(slot->name);
			slot->name = kept;
			proto_copy(slot->code, sizeof slot->code, code);
		}
	}
	proto_db_reset(st);
	return out[0] ? out : NULL;
}

/* The body of the item it as of its event it->seq (event, by, note), for
 * its handler and reporter (personal) or for others: made once for all of
 * them, the report's words from rep when given (a report being routed),
 * else read back. A batch rolled back may have had an event of the same
 * number. NULL when it cannot be made. */
static const workflow_body *item_body(hub_workflow *l, const workflow_item *it, bool personal,
	const char *event, const char *by, const char *note, const proto_report *rep)
{
	sqlite3_stmt *st = l->st[LS_REPORT];
	workflow_body *b = &l->body[personal];
	uint64_t undone = hub_store_undone(l->store);
	proto_item p = {0};
	bool opened = false;
	char origin_name[4 * PROTO_PLACE_MAX + 1], handler_name[4 * PROTO_PLACE_MAX + 1];
	char by_name[4 * PROTO_PLACE_MAX + 1];

	if (b->json && b->seq == it->seq && b->undone == undone &&
	    strcmp(b->item, it->id) == 0)
		return b;
	free(b->json);
	b->json = NULL;
	proto_copy(p.item, sizeof p.item, it->id);
	proto_copy(p.origin, sizeof p.origin, it->origin);
	proto_copy(p.handler, sizeof p.handler, it->handler);
	proto_copy(p.into, sizeof p.into, it->into);
	p.colour = it->colour;
	p.category = it->category;
	if (rep) {
		p.title = rep->title;
		p.text = rep->text;
		p.reporter_name = personal ? rep->reporter_name : NULL;
		p.reporter_phone = personal ? rep->reporter_phone : NULL;
		p.people = rep->people;
	} else {
		sqlite3_bind_text(st, 1, it->id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_ROW)
			goto done;
		p.title = (char *)sqlite3_column_text(st, 0);
		p.text = (char *)sqlite3_column_text(st, 1);
		if (personal && sqlite3_column_type(st, 2) == SQLITE_BLOB)
			p.reporter_name = hub_secret_open_blob(l->secret,
				sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2));
		if (personal && sqlite3_column_type(st, 3) == SQLITE_BLOB)
			p.reporter_phone = hub_secret_open_blob(l->secret,
				sqlite3_column_blob(st, 3), (size_t)sqlite3_column_bytes(st, 3));
		p.people = sqlite3_column_int(st, 4);
		opened = true;
	}
	p.state = (char *)proto_state_name(it->state);
	p.deadline = proto_state_open(it->state) ? workflow_deadline(it) : 0;
	p.seq = it->seq;
	p.created = it->created;
	p.event = (char *)event;
	p.by = (char *)by;
	p.note = (char *)(note && *note ? note : NULL);
	p.member = it->member[0] ? (char *)it->member : NULL;
	p.rating = it->rating[0] ? (char *)it->rating : NULL;
	p.escalations = it->escalations;
	/* Stations know no other station's name: they read these. */
	p.origin_name = place(l, it->origin, origin_name);
	p.handler_name = place(l, it->handler, handler_name);
	p.by_name = place(l, by, by_name);
	b->json = proto_item_encode(&p);
	b->named = p.reporter_name || p.reporter_phone;
	proto_copy(b->item, sizeof b->item, it->id);
	b->seq = it->seq;
	b->undone = undone;
	if (opened) {
		free(p.reporter_name);
		free(p.reporter_phone);
	}
done:
	proto_db_reset(st);
	return b->json ? b : NULL;
}

char *workflow_down_snapshot(hub_workflow *l, const workflow_item *it, const char *station,
	int64_t id, const char *event, const char *by, const char *note, int64_t now,
	const proto_msg *receipt, const proto_report *rep, bool *named)
{
	bool personal = proto_workflow_personal(station, it->handler, it->origin);
	const workflow_body *b = item_body(l, it, personal, event, by, note, rep);

	if (!b)
		return NULL;
	if (named)
		*named = b->named;
	/* The event's hub time, fixed in the stored message: a resend keeps it,
	 * so a station's timeline shows when things happened. */
	if (receipt) {
		proto_msg r = *receipt;
		proto_item written = {0}; /* as the body says */
		r.ts = now;
		r.u.receipt.snapshot = &written;
		return proto_msg_encode_item(&r, b->json);
	}
	proto_msg m = {.v = PROTO_VERSION, .type = PROTO_MSG_ITEM, .id = id, .ts = now};
	proto_copy(m.station, sizeof m.station, station);
	return proto_msg_encode_item(&m, b->json);
}

static proto_err enqueue(hub_workflow *l, const workflow_item *it, const char *station,
	const char *event, const char *by, const char *note, int64_t now,
	const proto_report *rep)
{
	sqlite3_stmt *st = l->st[LS_DOWN_INSERT];
	unsigned char *sealed;
	size_t len;
	int64_t id = workflow_next_down_id(l);
	bool named;
	char *json;

	json = workflow_down_snapshot(l, it, station, id, event, by, note, now, NULL, rep, &named);
	if (!json)
		return PROTO_ERR_NOMEM;
	/* Sealed (a blob) when it names the resident, as the report's own
	 * row does; else as text, like the report's title and words. */
	if (named) {
		sealed = hub_secret_seal(l->secret, json, &len);
		free(json);
		if (!sealed)
			return PROTO_ERR_NOMEM;
		sqlite3_bind_blob(st, 4, sealed, (int)len, free);
	} else {
		sqlite3_bind_text(st, 4, json, -1, free);
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, station, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, it->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, now);
	return proto_db_step(st);
}

proto_err workflow_down_put(hub_workflow *l, int64_t id, const char *station,
	proto_msg_type type, const char *key, char *json, int64_t now)
{
	sqlite3_stmt *st = l->st[LS_DOWN_INSERT];

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, station, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, json, -1, free);
	sqlite3_bind_int64(st, 5, now);
	sqlite3_bind_text(st, 6, proto_msg_type_name(type), -1, SQLITE_STATIC);
	return proto_db_step(st);
}

/* -------------------------------------------------------------- queueing */

/* Everyone involved hears of the event it->seq once: handler, reporter, a
 * former handler, and the reporters of items merged into this one. The
 * reporter learns of the route from its report's receipt, which carries
 * this snapshot (hub_workflow_receipt), also when it handles the item itself
 * (a village's own blue report). */
proto_err workflow_down_event(hub_workflow *l, const workflow_item *it, const char *kind,
	const char *by, const char *note, const char *also, int64_t now,
	const proto_report *rep)
{
	const char *sent[8];
	int n = 0;
	proto_err err = PROTO_OK;

	bool route = strcmp(kind, "route") == 0;
	if (!route || strcmp(it->origin, it->handler) != 0)
		sent[n++] = it->handler;
	if (strcmp(it->origin, it->handler) != 0 && !route)
		sent[n++] = it->origin;
	if (also && *also && strcmp(also, it->handler) && strcmp(also, it->origin))
		sent[n++] = also;
	/* A station that handled its own report does not visit it: its parent
	 * does (proto_workflow_roles) and hears of it from the resolve on, through
	 * the visit and the rating, or a reopening. */
	char visitor[PROTO_CODE_MAX + 1];
	if (strcmp(it->origin, it->handler) == 0 &&
	    (it->state == PROTO_STATE_RESOLVED || it->state == PROTO_STATE_VERIFIED ||
	     it->state == PROTO_STATE_RATED || strcmp(kind, "reopen") == 0) &&
	    proto_code_parent(it->handler, visitor) && (!also || strcmp(also, visitor)))
		sent[n++] = visitor;
	for (int i = 0; !err && i < n; i++)
		err = enqueue(l, it, sent[i], kind, by, note, now, rep);
	if (!err) {
		sqlite3_stmt *q = l->st[LS_MERGED];
		char origins[8][PROTO_CODE_MAX + 1];
		int m = 0;

		sqlite3_bind_text(q, 1, it->id, -1, SQLITE_STATIC);
		while (m < 8 && sqlite3_step(q) == SQLITE_ROW)
			proto_db_copy_text(origins[m++], sizeof origins[0], q, 0);
		proto_db_reset(q);
		for (int i = 0; !err && i < m; i++) {
			bool dup = false;
			for (int j = 0; j < n; j++)
				dup |= strcmp(origins[i], sent[j]) == 0;
			if (!dup)
				err = enqueue(l, it, origins[i], kind, by, note, now, rep);
		}
	}
	return err;
}

/* -------------------------------------------------------------- delivery */

proto_err hub_workflow_delivered(hub_workflow *l, const char *station, int64_t ref)
{
	sqlite3_stmt *st = l->st[LS_DOWN_DELETE];

	sqlite3_bind_int64(st, 1, ref);
	sqlite3_bind_text(st, 2, station, -1, SQLITE_STATIC);
	return proto_db_step(st);
}

/* Publishes the rows a query yields, but for stations offline when online
 * only; returns how many, and the last id looked at. */
static int publish_rows(hub_workflow *l, proto_link *link, sqlite3_stmt *st, int64_t *last,
	bool online)
{
	int n = 0;

	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		const char *station = (const char *)sqlite3_column_text(st, 1);
		const char *type = (const char *)sqlite3_column_text(st, 3);
		int t = type ? proto_msg_type_parse(type) : PROTO_MSG_ITEM;
		char topic[PROTO_TOPIC_MAX];

		if (last)
			*last = id;
		/* An offline station's message waits in the box for its
		 * birth (hub_ingest's redelivery): in the broker's queue it
		 * would only be sent twice. */
		if (online && (!station || !hub_store_online(l->store, station)))
			continue;
		/* Text: stored plain (enqueue); a blob: sealed. */
		char *json = sqlite3_column_type(st, 2) == SQLITE_TEXT ?
			strdup((const char *)sqlite3_column_text(st, 2)) :
			hub_secret_open_blob(l->secret, sqlite3_column_blob(st, 2),
				(size_t)sqlite3_column_bytes(st, 2));

		if (json && station &&
		    t >= 0 && proto_topic_for(topic, sizeof topic, station, (proto_msg_type)t) &&
		    proto_link_publish(link, topic, json, strlen(json), 1, false, NULL) == 0)
			n++;
		else if (!json)
			log_error("an item message cannot be unsealed (key changed?)");
		free(json);
	}
	proto_db_reset(st);
	return n;
}

/* Item messages in flight per call: the broker's queue for an offline
 * station is finite. */
#define DELIVER_WINDOW 200
/* New item messages are handed to libmosquitto only while fewer than this
 * many of the hub's messages wait there for the broker's acknowledgement:
 * its queue is a list it walks on every publish and acknowledgement, and,
 * unbounded, it grew to every item message of a burst, with receipts queued
 * behind them. The rest wait in the downbox, published as acks come in. */
#define DELIVER_QUEUE 400

/* Item messages in flight per call: the broker's queue for an offline
 * station is finite. */
#define DELIVER_WINDOW 200
/* New item messages are handed to libmosquitto only while fewer than this
 * many of the hub's messages wait there for the broker's acknowledgement:
 * its queue is a list it walks on every publish and acknowledgement, and,
 * unbounded, it grew to every item message of a burst, with receipts queued
 * behind them. The rest wait in the downbox, published as acks come in. */
#define DELIVER_QUEUE 400

void hub_workflow_deliver(hub_workflow *l, proto_link *link, const char *station,
	int64_t upto)
{
	int64_t room = DELIVER_QUEUE - proto_link_pending(link);
	sqlite3_stmt *st;

	if (!proto_link_connected(link))
		return;
	/* A station's own backlog on its birth goes whatever the queue: rare,
	 * and bounded by the window. */
	if (station) {
		st = l->st[LS_DOWN_STATION];
		sqlite3_bind_text(st, 1, station, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, DELIVER_WINDOW);
		sqlite3_bind_int64(st, 3, upto);
		publish_rows(l, link, st, NULL, false);
	}
	if (room <= 0)
		return;
	st = l->st[LS_DOWN_NEXT];
	sqlite3_bind_int64(st, 1, l->last_sent);
	sqlite3_bind_int(st, 2, room < DELIVER_WINDOW ? (int)room : DELIVER_WINDOW);
	sqlite3_bind_int64(st, 3, upto);
	publish_rows(l, link, st, &l->last_sent, true);
}
