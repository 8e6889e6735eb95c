/* Internals of the clerk's full-screen client (`minqing` with no command):
 * tui-run.c (start-up, the loop, menu, status line, help), tui.c (the
 * drawing kit every screen uses), tui-field.c (a wide-character text
 * field), tui-form.c (the new-report form), tui-list.c (my reports, the
 * inbox, one item), tui-prompt.c (a step's questions) and tui-text.c
 * (texts).
 * Every screen's state lives in tui_app, outside any window, so that a
 * resize redraws it all from there and loses nothing typed. */
#ifndef STATION_TUI_H
#define STATION_TUI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#include "station/client.h"

/* Runs the full-screen client until the clerk quits; an exit code. */
int station_tui_run(station_store *store, const char *dir);

/* ------------------------------------------------------------ text field */

/* An editable text of wide characters, one line or several. */
typedef struct tui_field {
	wchar_t *buf;     /* NUL-terminated, malloc'd */
	size_t len, cap;  /* characters used, allocated (without the NUL) */
	size_t max;       /* most characters accepted */
	size_t cur;       /* cursor: index into buf */
	bool multiline;   /* Enter inserts a line break */
	int top;          /* first screen row shown (multiline) */
	int width;        /* columns it was last drawn in, for Up and Down */
} tui_field;

void tui_field_init(tui_field *f, size_t max, bool multiline);
void tui_field_free(tui_field *f);
void tui_field_clear(tui_field *f);

/* Replaces the text with utf8 (cursor at its end); false when out of memory. */
bool tui_field_set(tui_field *f, const char *utf8);

/* Handles a key from get_wch (is_key: KEY_CODE_YES). True when the field
 * used it; Tab, Enter on one line, Up on the first row and Down on the last
 * are left to the caller. */
bool tui_field_key(tui_field *f, bool is_key, wint_t ch);

/* Draws the field in h rows by w columns at y, x; with focus, leaves the
 * terminal cursor at the field's cursor. */
void tui_field_draw(tui_field *f, int y, int x, int h, int w, bool focus);

/* The text as malloc'd UTF-8 with leading and trailing blanks removed;
 * NULL when out of memory. */
char *tui_field_text(const tui_field *f);

/* True when the field holds nothing but blanks. */
bool tui_field_blank(const tui_field *f);

/* ------------------------------------------------------------ drawing */

/* Writes utf8 at y, x in at most w columns (wide characters count two),
 * ending in "…" where it had to be cut; returns the columns used. */
int tui_put(int y, int x, int w, const char *utf8);

/* Columns utf8 takes on screen. */
int tui_width(const char *utf8);

/* Writes utf8 wrapped to w columns from row y, at most h rows; returns the
 * rows it needs (also those beyond h), skipping the first skip rows. Lines
 * break between Chinese characters or at spaces, never inside a run of
 * ASCII (a date, a code, an English word) that fits on a line of its own. */
int tui_wrap(int y, int x, int w, int h, int skip, const char *utf8);

/* Colour pairs (when the terminal has colours). */
enum { TUI_PAIR_BLUE = 1, TUI_PAIR_ORANGE, TUI_PAIR_RED, TUI_PAIR_BAR, TUI_PAIR_ERROR,
       TUI_PAIR_OK };

/* The attribute that shows a colour tier (wire colour index). */
int tui_colour_attr(int colour);

/* ------------------------------------------------------------ the app */

typedef enum tui_screen {
	TUI_MENU, TUI_FORM, TUI_MINE, TUI_INBOX, TUI_ITEM, TUI_HELP
} tui_screen;

/* The new-report form: four steps, its fields kept until saved. */
enum { FORM_CATEGORY, FORM_COLOUR, FORM_DETAILS, FORM_CHECK };
enum { FIELD_TITLE, FIELD_TEXT, FIELD_NAME, FIELD_PHONE, FIELD_PEOPLE, FIELD_NEXT,
       FIELD__COUNT };

typedef struct tui_dup {
	char item[PROTO_ITEM_ID_MAX];
	char *title;            /* malloc'd */
	char state[40];         /* localised */
	bool queued;            /* our own report, not yet at the hub: shown only */
} tui_dup;

typedef struct tui_form {
	int step;               /* FORM_* */
	int category, colour;   /* proto enums; the cursor of steps 1 and 2 */
	tui_field fields[FIELD_NEXT];
	int focus;              /* FIELD_* in the details step */
	tui_dup *dups;          /* open items like this one (check step) */
	int n_dups;
	int choice;             /* check step: 0 save as new, i > 0 add to dups[i-1] */
	bool touched;           /* something was typed or chosen since the last save */
} tui_form;

/* A row of "my reports". */
typedef struct tui_row {
	char item[PROTO_ITEM_ID_MAX];
	int colour;             /* proto_colour, -1 when unknown */
	char state[48];         /* localised */
	int64_t deadline;
	bool overdue;
	char *title;            /* malloc'd */
} tui_row;

typedef struct tui_rows {
	tui_row *v;
	int n;
	int sel, top;
} tui_rows;

/* The prompt of a workflow step: the fields it needs, one at a time. */
typedef struct tui_prompt {
	bool open;
	char item[PROTO_ITEM_ID_MAX];
	proto_step step;
	bool verify_first;      /* rate on a resolved item: the return visit first */
	int needs[4];           /* STATION_CLI_NEED_* still to ask, in order */
	int n_needs, at;        /* how many, which one is asked now */
	tui_field note, member, until, into;
	int rating;             /* proto_rating under the cursor */
	station_cli_team team;  /* an assign's members to pick from; none: the
	                           station has no list yet, the id is typed */
	int pick, pick_top;     /* member under the cursor, first one shown */
} tui_prompt;

typedef struct tui_app {
	station_store *store;
	const char *dir;
	tui_screen screen, back;    /* back: where Esc (and help) returns */
	int menu;                   /* menu cursor */
	tui_form form;
	tui_rows mine;
	station_cli_list inbox;
	int inbox_sel, inbox_top;
	char item[PROTO_ITEM_ID_MAX];  /* the item shown in TUI_ITEM */
	tui_screen item_back;
	int item_scroll, help_scroll;
	tui_prompt prompt;
	char message[512];          /* the last result or error, shown until a key */
	bool message_error;
	bool confirm_quit;
	bool quit;
	/* the status line */
	station_link link;
	bool agent_running;
	int64_t depth;
	char name[4 * PROTO_PLACE_MAX + 1]; /* this station's, as the hub names it */
	bool named;                 /* name is the hub's, not the code */
	size_t named_at;            /* list rows when the name was last sought */
	int64_t refreshed;          /* monotonic ms of the last read */
} tui_app;

/* Sets the message line (printf-like). */
void tui_say(tui_app *app, bool error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Rows available between the header and the two bottom lines. */
int tui_body_rows(void);

/* The form (tui-form.c). */
void tui_form_init(tui_form *f);
void tui_form_free(tui_form *f);
void tui_form_draw(tui_app *app);
void tui_form_key(tui_app *app, bool is_key, wint_t ch);
const char *tui_form_keys(const tui_app *app);

/* The lists and the item (tui-list.c). */
void tui_lists_reload(tui_app *app);
void tui_lists_free(tui_app *app);
void tui_mine_draw(tui_app *app);
void tui_mine_key(tui_app *app, bool is_key, wint_t ch);
void tui_inbox_draw(tui_app *app);
void tui_inbox_key(tui_app *app, bool is_key, wint_t ch);
void tui_item_open(tui_app *app, const char *item);
void tui_item_draw(tui_app *app);
void tui_item_key(tui_app *app, bool is_key, wint_t ch);
const char *tui_item_keys(const tui_app *app);
/* The step prompt (tui-prompt.c). */
void tui_prompt_open(tui_app *app, proto_step step, bool verify_first);
void tui_prompt_key(tui_app *app, bool is_key, wint_t ch);
void tui_prompt_free(tui_prompt *p);
void tui_prompt_draw(tui_app *app);
const char *tui_prompt_keys(const tui_app *app);

/* Texts (tui-text.c). */
const char *tui_category_hint(int category);
const char *tui_colour_meaning(int colour);
const char *tui_category_label(int category);
const char *tui_colour_label(int colour);
const char *tui_help_text(void);
const char *tui_step_label(proto_step step);
char tui_step_key(proto_step step);

#endif
