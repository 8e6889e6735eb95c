/* Internals shared by the files of the clerk's client `minqing`:
 * client-report.c (report, list, the items' rows, the usage text),
 * client-import.c (import), client-inbox.c (inbox, show), client-workflow.c
 * (the workflow steps) and client-text.c (localised names);
 * client-main.c starts the program and hands out the commands, and the
 * full-screen client (tui.h) uses them. */
#ifndef STATION_CLIENT_H
#define STATION_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "protocol/workflow.h"
#include "station/store.h"

/* Exit codes of every command. */
enum {
	STATION_CLI_OK = 0,
	STATION_CLI_FAIL = 1,  /* the store could not be read or written */
	STATION_CLI_USAGE = 2, /* bad usage, or refused before queueing */
};

#define STATION_CLI_TIME 24 /* bytes for a local "YYYY-MM-DD HH:MM" */

/* The user's language: Chinese unless --lang en or MINQING_LANG=en. */
extern bool station_cli_english;

/* Picks the user's language; both texts are literals. */
#define T(zh, en) (station_cli_english ? (en) : (zh))

/* An inbox row copied out of the store, so that other queries can run. */
typedef struct station_cli_item {
	char item[PROTO_ITEM_ID_MAX];
	char origin[PROTO_CODE_MAX + 1];
	char handler[PROTO_CODE_MAX + 1];
	char origin_name[4 * PROTO_PLACE_MAX + 1]; /* readable; "" if the hub */
	char handler_name[4 * PROTO_PLACE_MAX + 1]; /* sent none */
	char colour[16];
	char category[16];
	char state[40];
	char *title;          /* malloc'd */
	char *snapshot;       /* malloc'd item message JSON */
	int64_t seq, deadline, updated, received;
} station_cli_item;

/* Where an item stands for this station once the steps it has sent, or
 * still has to send, are counted in. */
typedef struct station_cli_view {
	bool known;           /* the snapshot's state is one this client knows */
	proto_state state;    /* after this station's unanswered steps */
	int roles;            /* PROTO_ROLE_* of this station, after them too */
	int pending;          /* this station's steps still queued */
} station_cli_view;

/* Tells a running agent that there is something new; harmless if none. */
void station_cli_nudge(const char *dir);

/* Formats Unix ms as local time "YYYY-MM-DD HH:MM". */
void station_cli_time(int64_t ms, char out[STATION_CLI_TIME]);

/* Localised names of a field, an error (by wire name: why the hub refused
 * a message), a workflow state and a timeline event (wire names; the
 * name itself when unknown). */
const char *station_cli_field_name(const char *field);
const char *station_cli_reason(const char *error);
const char *station_cli_state_name(const char *state);
const char *station_cli_event_name(const char *event);
/* Who took a step, as a clerk reads it: the hub's own steps (route, remind,
 * supervise) are the system's (系统), a dashboard user "user:NAME" is NAME,
 * a station code its readable name when the hub sent one (else the code):
 * item's own names first (item may be NULL), the store's otherwise;
 * "-" for NULL. Static, by or buf (n bytes). */
const char *station_cli_actor(station_store *store, const station_cli_item *item,
	const char *by, char *buf, size_t n);

/* The readable name of station code: known (the name the hub sent with an
 * item, else the one the store has seen), else the code itself. */
const char *station_cli_place(station_store *store, const char *code, const char *known,
	char *buf, size_t n);

/* Folds each run of reminders (催办) or supervisions (督办) in a timeline
 * into its last event, so that ten days of daily 督办 read as one line:
 * fn gets every other event as it is (times 1), and a run as its last
 * event with the run's length and first time. Give station_cli_fold_event (a
 * station_event_fn) to station_store_timeline with a zeroed fold whose fn
 * and ud are set, then call station_cli_fold_end, which passes on the run
 * still held and frees it (also after an error). Either returns fn's
 * non-zero result, or -1 when out of memory. */
typedef int (*station_cli_fold_fn)(void *ud, const station_event *ev, int times,
	int64_t first);
typedef struct station_cli_fold {
	station_cli_fold_fn fn;
	void *ud;
	/* the run held: */
	char *event, *by, *note;
	int64_t seq, at, first;
	int times;
} station_cli_fold;
int station_cli_fold_event(void *fold, const station_event *ev);
int station_cli_fold_end(station_cli_fold *f);

/* Copies the inbox row of item into *out. PROTO_ERR_NOT_FOUND when the
 * station has no such item. Free with station_cli_item_clear. */
proto_err station_cli_load_item(station_store *store, const char *item,
	station_cli_item *out);
void station_cli_item_clear(station_cli_item *it);

/* Items of the inbox with their views, soonest deadline first. */
typedef struct station_cli_list {
	station_cli_item *v;
	station_cli_view *views; /* views[i] is the view of v[i] */
	size_t n, cap;
	bool oom;
} station_cli_list;

/* Loads the items waiting on this station (all of them with all) into *l;
 * free with station_cli_list_clear. On error *l is empty. */
proto_err station_cli_items(station_store *store, bool all, station_cli_list *l);
void station_cli_list_clear(station_cli_list *l);

/* Computes the view of an item for this station (client-workflow.c). */
proto_err station_cli_view_of(station_store *store, const station_cli_item *it,
	station_cli_view *out);

/* True when name is a workflow command (sign, assign, ...). */
bool station_cli_is_step(const char *name);

/* What a step needs besides the item id (bits). */
enum {
	STATION_CLI_NEED_NOTE = 1,   /* a note or reason */
	STATION_CLI_NEED_MEMBER = 2, /* the service-team member */
	STATION_CLI_NEED_UNTIL = 4,  /* the new deadline */
	STATION_CLI_NEED_INTO = 8,   /* the item to merge into */
	STATION_CLI_NEED_RATING = 16 /* the resident's rating */
};
int station_cli_step_needs(proto_step step);

/* A workflow step as the clerk asks for it, from flags or from a screen. */
typedef struct station_cli_request {
	proto_step step;
	const char *item, *note, *member, *until_text, *into, *rating_text;
} station_cli_request;

/* Checks the step against what the station knows of the item, queues it
 * and nudges the agent. Returns an exit code; msg gets the one sentence to
 * show the clerk (why not, or what was queued); *id the message id when
 * queued (id may be NULL). */
int station_cli_request_step(station_store *store, const char *dir,
	const station_cli_request *req, char *msg, size_t len, int64_t *id);

/* The station's service team as the clerk picks from it (client-workflow.c). */
#define STATION_CLI_TEAM_MAX 200 /* members offered; more are cut (said) */

typedef struct station_cli_member {
	char id[PROTO_MEMBER_ID_MAX + 1];
	char name[4 * PROTO_NAME_MAX + 1];
	char unit[PROTO_CODE_MAX + 1];
} station_cli_member;

typedef struct station_cli_team {
	station_cli_member *m; /* malloc'd; NULL when the team is empty */
	int n;                 /* members read, at most STATION_CLI_TEAM_MAX */
	bool more;             /* the team has more than were read */
} station_cli_team;

/* Reads the current team; false on a store error or out of memory. */
bool station_cli_team_read(station_store *store, station_cli_team *t);
void station_cli_team_free(station_cli_team *t);

/* The member's label for a clerk: the name, with the id only when another
 * member has the same name. */
void station_cli_member_label(const station_cli_team *t, int i, char *out, size_t n);

/* The member id as the clerk reads it: the member's label when the team
 * lists it, else the id itself ("-" for none). Static, id or buf. */
const char *station_cli_member_of(station_store *store, const char *id, char *buf, size_t n);

/* Reads a rating (wire or Chinese name) and a time the clerk typed
 * ("2026-11-25 10:00" local, or ISO 8601); false when unreadable. */
bool station_cli_parse_rating(const char *word, proto_rating *out);
bool station_cli_parse_until(const char *text, int64_t *ms);

/* Prints the usage of the program and its commands to f, in the user's
 * language. */
void station_cli_usage(FILE *f);

/* The commands; argv[0] is the command's name. Return an exit code. */
int station_cli_report(station_store *store, const char *dir, int argc, char **argv);
int station_cli_list_sent(station_store *store, int argc, char **argv);
int station_cli_step(station_store *store, const char *dir, int argc, char **argv);
int station_cli_inbox(station_store *store, int argc, char **argv);
int station_cli_show(station_store *store, int argc, char **argv);

/* Copies a stored item row (and its snapshot when asked); false when out of
 * memory (the copy is then partial: free it as usual). */
bool station_cli_item_copy(station_cli_item *out, const station_item *it,
	bool snapshot);

/* Validates and queues a report and nudges the agent: 0 with the item id
 * in item, or an exit code; msg gets the sentence to show either way. */
int station_cli_add_report(station_store *store, const char *dir,
	const proto_report *r, char item[PROTO_ITEM_ID_MAX], char *msg, size_t len);

/* `import FILE|-`: reports from JSON lines, all or none (client-import.c). */
int station_cli_import(station_store *store, const char *dir, int argc, char **argv);

#endif
