/* The service team (党员干部服务队): a CSV "id,name,station,phone,categories"
 * loaded at start and on reload. Assignments name a member of the handling
 * station or of a station below it; phones are sealed like residents'.
 *
 * Each station is told of the members it may assign (member messages,
 * PROTOCOL.md §5.7): a member goes to its own station and to each ancestor
 * up to the county. team_sent keeps what each station was last told, so a
 * load sends only the difference: a row the load did not see again (an
 * older gen) is a member gone from that station's area. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/clock.h"
#include "hub/downbox.h"
#include "hub/item.h"
#include "protocol/db.h"
#include "protocol/log.h"
#include "protocol/str.h"

/* Splits line in place at commas into at most max fields; returns count. */
static int split(char *line, char **f, int max)
{
	int n = 0;

	line[strcspn(line, "\r\n")] = '\0';
	for (char *p = line; n < max; ) {
		f[n++] = p;
		p = strchr(p, ',');
		if (!p)
			break;
		*p++ = '\0';
	}
	return n;
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static bool categories_valid(char *s)
{
	char copy[256], *save = NULL;

	if (!*s)
		return true;
	snprintf(copy, sizeof copy, "%s", s);
	for (char *t = strtok_r(copy, ";", &save); t; t = strtok_r(NULL, ";", &save))
		if (proto_category_parse(t) < 0)
			return false;
	return true;
}

/* Reads the next line of a members file into fl (5 fields). Returns 1 for
 * a member, 0 at the end, -1 for a bad line (err says which and why; the
 * caller may read on). Comments, blank lines and the header are skipped. */
static int next_member(FILE *f, const char *path, int *lineno, char *line,
	size_t size, char **fl, char *err, size_t errlen)
{
	while (fgets(line, (int)size, f)) {
		int n;

		++*lineno;
		if (!strchr(line, '\n') && !feof(f)) {
			int ch;
			while ((ch = fgetc(f)) != EOF && ch != '\n')
				;
			snprintf(err, errlen, "%s:line %d: line too long", path, *lineno);
			return -1;
		}
		if (line[0] == '#' || line[strspn(line, " \t\r\n")] == '\0')
			continue;
		n = split(line, fl, 6);
		if (*lineno == 1 && strcmp(fl[0], "id") == 0)
			continue; /* header */
		if (n != 5) {
			snprintf(err, errlen, "%s:line %d: want id,name,station,phone,categories",
				path, *lineno);
			return -1;
		}
		/* As a member message carries them to the stations (§5.7). */
		if (!*fl[0] || strlen(fl[0]) > PROTO_MEMBER_ID_MAX || has_control(fl[0]) ||
		    !*fl[1] || !proto_utf8_valid(fl[1], strlen(fl[1])) || has_control(fl[1])) {
			snprintf(err, errlen, "%s:line %d: bad id or name", path, *lineno);
			return -1;
		}
		if (proto_utf8_length(fl[1]) > PROTO_NAME_MAX) {
			snprintf(err, errlen, "%s:line %d: name longer than %d characters",
				path, *lineno, PROTO_NAME_MAX);
			return -1;
		}
		if (!proto_code_valid(fl[2])) {
			snprintf(err, errlen, "%s:line %d: bad station code '%s'", path,
				*lineno, fl[2]);
			return -1;
		}
		if (!categories_valid(fl[4])) {
			snprintf(err, errlen, "%s:line %d: unknown service item in '%s'", path,
				*lineno, fl[4]);
			return -1;
		}
		return 1;
	}
	return 0;
}

int hub_members_check(const char *path, void (*report)(void *ud, const char *msg),
	void *ud)
{
	FILE *f = fopen(path, "r");
	char line[512], err[PATH_MAX + 128], *fl[6];
	char (*ids)[65] = NULL;
	int lineno = 0, errors = 0, rc;
	size_t n = 0;

	if (!f) {
		snprintf(err, sizeof err, "%s: %s", path, strerror(errno));
		report(ud, err);
		return -1;
	}
	while ((rc = next_member(f, path, &lineno, line, sizeof line, fl, err,
			sizeof err)) != 0) {
		if (rc < 0) {
			report(ud, err);
			errors++;
			continue;
		}
		bool seen = false;
		for (size_t i = 0; i < n && !seen; i++)
			seen = strcmp(ids[i], fl[0]) == 0;
		if (seen) {
			snprintf(err, sizeof err, "%s:line %d: member '%s' is listed twice",
				path, lineno, fl[0]);
			report(ud, err);
			errors++;
			continue;
		}
		char (*more)[65] = realloc(ids, (n + 1) * sizeof *ids);
		if (!more) {
			errors++;
			break;
		}
		ids = more;
		snprintf(ids[n++], sizeof ids[0], "%s", fl[0]);
	}
	free(ids);
	fclose(f);
	return errors;
}

/* ------------------------------------------------ telling the stations */

typedef struct team_sync {
	hub_workflow *l;
	sqlite3_stmt *get, *put, *old, *drop;
	int64_t gen, now;
	int sent; /* member messages queued */
} team_sync;

static proto_err tell(team_sync *t, const char *station, const char *member,
	const char *name, const char *unit, bool gone)
{
	proto_msg m = {.v = PROTO_VERSION, .type = PROTO_MSG_MEMBER, .ts = t->now,
		       .u.member = {.member = (char *)member, .name = (char *)name,
				    .gone = gone}};
	char *json;

	proto_copy(m.station, sizeof m.station, station);
	proto_copy(m.u.member.unit, sizeof m.u.member.unit, unit);
	m.id = workflow_next_down_id(t->l);
	json = proto_msg_encode(&m);
	if (!json)
		return PROTO_ERR_NOMEM;
	t->sent++;
	return workflow_down_put(t->l, m.id, station, PROTO_MSG_MEMBER, member, json, t->now);
}

/* The member (id, name, unit) as station must know it: told when what it
 * was last told differs, and marked seen by this load either way. */
static proto_err sync_one(team_sync *t, const char *station, const char *id,
	const char *name, const char *unit)
{
	bool same = false;
	proto_err err = PROTO_OK;

	sqlite3_bind_text(t->get, 1, station, -1, SQLITE_STATIC);
	sqlite3_bind_text(t->get, 2, id, -1, SQLITE_STATIC);
	if (sqlite3_step(t->get) == SQLITE_ROW) {
		const char *n = (const char *)sqlite3_column_text(t->get, 0);
		const char *u = (const char *)sqlite3_column_text(t->get, 1);
		same = n && u && strcmp(n, name) == 0 && strcmp(u, unit) == 0;
	}
	proto_db_reset(t->get);
	if (!same)
		err = tell(t, station, id, name, unit, false);
	if (!err) {
		sqlite3_bind_text(t->put, 1, station, -1, SQLITE_STATIC);
		sqlite3_bind_text(t->put, 2, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(t->put, 3, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(t->put, 4, unit, -1, SQLITE_STATIC);
		sqlite3_bind_int64(t->put, 5, t->gen);
		err = proto_db_step(t->put);
	}
	return err;
}

/* Queues the member messages the members table now calls for. Inside the
 * load's transaction: the team and what the stations were told of it
 * change together, or not at all. */
static proto_err sync_team(hub_workflow *l)
{
	team_sync t = {.l = l, .now = hub_clock_now()};
	sqlite3_stmt *all = NULL, *gen = NULL;
	proto_err err = PROTO_ERR_IO;

	all = proto_db_prepare(l->db, "SELECT id, name, station FROM members ORDER BY station, id");
	gen = proto_db_prepare(l->db, "SELECT coalesce(max(gen), 0) + 1 FROM team_sent");
	t.get = proto_db_prepare(l->db, "SELECT name, unit FROM team_sent WHERE station = ? "
		"AND member = ?");
	t.put = proto_db_prepare(l->db, "INSERT OR REPLACE INTO team_sent(station, member, "
		"name, unit, gen) VALUES(?, ?, ?, ?, ?)");
	t.old = proto_db_prepare(l->db, "SELECT station, member, name, unit FROM team_sent "
		"WHERE gen < ? ORDER BY station, member");
	t.drop = proto_db_prepare(l->db, "DELETE FROM team_sent WHERE gen < ?");
	if (!all || !gen || !t.get || !t.put || !t.old || !t.drop)
		goto done;
	if (sqlite3_step(gen) != SQLITE_ROW)
		goto done;
	t.gen = sqlite3_column_int64(gen, 0);
	err = PROTO_OK;
	while (!err && sqlite3_step(all) == SQLITE_ROW) {
		char id[PROTO_MEMBER_ID_MAX + 1], name[256], station[PROTO_CODE_MAX + 1];
		char unit[PROTO_CODE_MAX + 1];

		proto_db_copy_text(id, sizeof id, all, 0);
		proto_db_copy_text(name, sizeof name, all, 1);
		proto_db_copy_text(unit, sizeof unit, all, 2);
		proto_copy(station, sizeof station, unit);
		/* The member's own station, then each ancestor to the county. */
		for (bool more = true; !err && more; ) {
			char parent[PROTO_CODE_MAX + 1];
			err = sync_one(&t, station, id, name, unit);
			more = proto_code_parent(station, parent);
			if (more) /* parent is unset at the county */
				proto_copy(station, sizeof station, parent);
		}
	}
	sqlite3_bind_int64(t.old, 1, t.gen);
	while (!err && sqlite3_step(t.old) == SQLITE_ROW) {
		char station[PROTO_CODE_MAX + 1], id[PROTO_MEMBER_ID_MAX + 1], name[256];
		char unit[PROTO_CODE_MAX + 1];

		proto_db_copy_text(station, sizeof station, t.old, 0);
		proto_db_copy_text(id, sizeof id, t.old, 1);
		proto_db_copy_text(name, sizeof name, t.old, 2);
		proto_db_copy_text(unit, sizeof unit, t.old, 3);
		err = tell(&t, station, id, name, unit, true);
	}
	sqlite3_reset(t.old);
	if (!err) {
		sqlite3_bind_int64(t.drop, 1, t.gen);
		err = proto_db_step(t.drop);
	}
	if (!err && t.sent)
		log_info("service team: %d member messages for the stations", t.sent);
done:
	sqlite3_finalize(all);
	sqlite3_finalize(gen);
	sqlite3_finalize(t.get);
	sqlite3_finalize(t.put);
	sqlite3_finalize(t.old);
	sqlite3_finalize(t.drop);
	return err;
}

int hub_workflow_load_members(hub_workflow *l, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[512], *fl[6];
	int lineno = 0, count = 0, rc = -1, n;

	if (!f) {
		snprintf(err, errlen, "%s: cannot open", path);
		return -1;
	}
	if (hub_store_begin(l->store) || proto_db_step(l->st[LS_MEMBER_CLEAR])) {
		snprintf(err, errlen, "%s: database error", path);
		goto done;
	}
	while ((n = next_member(f, path, &lineno, line, sizeof line, fl, err,
			errlen)) != 0) {
		if (n < 0)
			goto done;
		sqlite3_stmt *st = l->st[LS_MEMBER_ADD];
		sqlite3_bind_text(st, 1, fl[0], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, fl[1], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, fl[2], -1, SQLITE_STATIC);
		if (*fl[3]) {
			size_t len;
			unsigned char *sealed = hub_secret_seal(l->secret, fl[3], &len);
			if (!sealed) {
				snprintf(err, errlen, "%s: out of memory", path);
				proto_db_reset(st);
				goto done;
			}
			sqlite3_bind_blob(st, 4, sealed, (int)len, free);
		}
		sqlite3_bind_text(st, 5, fl[4], -1, SQLITE_STATIC);
		if (proto_db_step(st)) {
			snprintf(err, errlen, "%s:line %d: member '%s' is listed twice", path,
				lineno, fl[0]);
			goto done;
		}
		count++;
	}
	if (sync_team(l) || hub_workflow_before_commit(l)) {
		snprintf(err, errlen, "%s: cannot queue the team for the stations", path);
		goto done;
	}
	rc = 0;
done:
	fclose(f);
	if (rc) {
		hub_store_rollback(l->store);
	} else if (hub_store_commit(l->store)) {
		snprintf(err, errlen, "%s: database error", path);
		rc = -1;
	} else {
		log_info("service team: %d members", count);
	}
	return rc;
}
