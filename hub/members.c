/* The service team (党员干部服务队): a CSV "id,name,station,phone,categories"
 * loaded at start. Assignments name a member of the handling station or of a
 * station below it; phones are sealed like residents'. */
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

int hub_loop_load_members(hub_loop *l, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int lineno = 0, count = 0, rc = -1;

	if (!f) {
		snprintf(err, errlen, "%s: cannot open", path);
		return -1;
	}
	if (hub_store_begin(l->store) || loop_step(l, l->st[LS_MEMBER_CLEAR])) {
		snprintf(err, errlen, "%s: database error", path);
		goto done;
	}
	while (fgets(line, sizeof line, f)) {
		char *fl[6];
		int n;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:line %d: line too long", path, lineno);
			goto done;
		}
		if (line[0] == '#' || line[strspn(line, " \t\r\n")] == '\0')
			continue;
		n = split(line, fl, 6);
		if (lineno == 1 && strcmp(fl[0], "id") == 0)
			continue; /* header */
		if (n != 5) {
			snprintf(err, errlen, "%s:line %d: want id,name,station,phone,categories",
				path, lineno);
			goto done;
		}
		if (!*fl[0] || strlen(fl[0]) > 64 || !*fl[1] || !proto_utf8_valid(fl[1], strlen(fl[1]))) {
			snprintf(err, errlen, "%s:line %d: bad id or name", path, lineno);
			goto done;
		}
		if (!proto_code_valid(fl[2])) {
			snprintf(err, errlen, "%s:line %d: bad station code '%s'", path, lineno, fl[2]);
			goto done;
		}
		if (!categories_valid(fl[4])) {
			snprintf(err, errlen, "%s:line %d: unknown service item in '%s'", path,
				lineno, fl[4]);
			goto done;
		}
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
		proto_db_exec(l->db, "ROLLBACK");
		hub_store_abandon(l->store);
	} else if (hub_store_commit(l->store)) {
		snprintf(err, errlen, "%s: database error", path);
		rc = -1;
	} else {
		log_info("service team: %d members", count);
	}
	return rc;
}
