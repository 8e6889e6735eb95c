/* The service team (党员干部服务队): a CSV "id,name,station,phone,categories"
 * loaded at start. Assignments name a member of the handling station or of a
 * station below it; phones are sealed like residents'. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/loop-int.h"
#include "protocol/db.h"
#include "protocol/log.h"

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
		if (!*fl[0] || strlen(fl[0]) > 64 || !*fl[1] || !proto_utf8_valid(fl[1], strlen(fl[1]))) {
			snprintf(err, errlen, "%s:line %d: bad id or name", path, *lineno);
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

int hub_loop_load_members(hub_loop *l, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[512], *fl[6];
	int lineno = 0, count = 0, rc = -1, n;

	if (!f) {
		snprintf(err, errlen, "%s: cannot open", path);
		return -1;
	}
	if (hub_store_begin(l->store) || loop_step(l, l->st[LS_MEMBER_CLEAR])) {
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
				sqlite3_reset(st);
				sqlite3_clear_bindings(st);
				goto done;
			}
			sqlite3_bind_blob(st, 4, sealed, (int)len, free);
		}
		sqlite3_bind_text(st, 5, fl[4], -1, SQLITE_STATIC);
		if (loop_step(l, st)) {
			snprintf(err, errlen, "%s:line %d: member '%s' is listed twice", path,
				lineno, fl[0]);
			goto done;
		}
		count++;
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
