/* The CSV registry reader. Kept sorted by code so that lookups are a binary
 * search and a parent check is a lookup of a prefix. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/message.h"
#include "protocol/registry.h"

#define REGISTRY_FILE_MAX (64 * 1024 * 1024)

/* A station and the line it came from, so that the checks made after sorting
 * (duplicates, parents) can still name the line, as the header promises. */
typedef struct entry {
	proto_station st; /* first: an entry is also a proto_station */
	size_t line;
} entry;

struct proto_registry {
	entry *e;
	size_t n, cap;
};

static int by_code(const void *a, const void *b)
{
	return strcmp(((const entry *)a)->st.code, ((const entry *)b)->st.code);
}

static bool parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	errno = 0;
	*out = strtod(s, &end);
	return !errno && end != s && *end == '\0' && *out >= min && *out <= max;
}

/* Parses one data line (already NUL-terminated, no newline) into st. */
static bool parse_line(char *line, proto_station *st, char *why, size_t n)
{
	char *f[5] = {0}; /* gcc -O3 cannot see that nf == 4 set f[3] */
	int nf = 0;

	for (char *p = line;; ) {
		if (nf == 5) {
			snprintf(why, n, "too many fields");
			return false;
		}
		f[nf++] = p;
		p = strchr(p, ',');
		if (!p)
			break;
		*p++ = '\0';
	}
	if (nf != 2 && nf != 4) {
		snprintf(why, n, "expected code,name or code,name,lat,lon");
		return false;
	}
	if (!proto_code_valid(f[0])) {
		snprintf(why, n, "'%.20s' is not a station code", f[0]);
		return false;
	}
	strcpy(st->code, f[0]);
	if (f[1][0] == '\0' || strlen(f[1]) >= sizeof st->name ||
	    !proto_utf8_valid(f[1], strlen(f[1]))) {
		snprintf(why, n, "station name missing, too long or not UTF-8");
		return false;
	}
	strcpy(st->name, f[1]);
	st->has_position = nf == 4;
	if (nf == 4 && (!parse_double(f[2], -90, 90, &st->lat) ||
			!parse_double(f[3], -180, 180, &st->lon))) {
		snprintf(why, n, "bad latitude or longitude");
		return false;
	}
	return true;
}

proto_registry *proto_registry_parse(const char *text, size_t len, char *err,
	size_t errlen)
{
	proto_registry *reg = calloc(1, sizeof *reg);
	char *buf = malloc(len + 1), why[128];
	size_t lineno = 0;
	char *line, *next;

	if (!reg || !buf) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (strlen(buf) != len) {
		snprintf(err, errlen, "file contains a NUL byte");
		goto fail;
	}
	for (line = buf; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		size_t l = strlen(line);
		if (l && line[l - 1] == '\r')
			line[--l] = '\0';
		if (lineno == 1 && strncmp(line, "\xEF\xBB\xBF", 3) == 0)
			line += 3; /* spreadsheet programs like to add a BOM */
		if (line[0] == '\0' || line[0] == '#' || strncmp(line, "code,", 5) == 0)
			continue;
		if (reg->n == reg->cap) {
			size_t cap = reg->cap ? reg->cap * 2 : 256;
			entry *e = realloc(reg->e, cap * sizeof *e);
			if (!e) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			reg->e = e, reg->cap = cap;
		}
		if (!parse_line(line, &reg->e[reg->n].st, why, sizeof why)) {
			snprintf(err, errlen, "line %zu: %s", lineno, why);
			goto fail;
		}
		reg->e[reg->n++].line = lineno;
	}
	if (reg->n)
		qsort(reg->e, reg->n, sizeof *reg->e, by_code);
	for (size_t i = 0; i < reg->n; i++) {
		const entry *e = &reg->e[i];
		char parent[PROTO_CODE_MAX + 1];
		if (i && strcmp(e->st.code, e[-1].st.code) == 0) {
			/* qsort is not stable: name the later line, and the other. */
			size_t a = e[-1].line, b = e->line;
			snprintf(err, errlen, "line %zu: station %s is listed twice "
				"(also on line %zu)", a > b ? a : b, e->st.code, a > b ? b : a);
			goto fail;
		}
		if (proto_code_parent(e->st.code, parent) &&
		    !proto_registry_find(reg, parent)) {
			snprintf(err, errlen, "line %zu: station %s has no parent %s in "
				"the registry", e->line, e->st.code, parent);
			goto fail;
		}
	}
	free(buf);
	return reg;
fail:
	free(buf);
	proto_registry_destroy(reg);
	return NULL;
}

proto_registry *proto_registry_load(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	proto_registry *reg = NULL;
	char *text = NULL, why[192];
	long size;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		snprintf(err, errlen, "%s: cannot read", path);
		goto done;
	}
	if (size > REGISTRY_FILE_MAX) {
		snprintf(err, errlen, "%s: file too large", path);
		goto done;
	}
	text = malloc((size_t)size + 1);
	if (!text || fread(text, 1, (size_t)size, f) != (size_t)size) {
		snprintf(err, errlen, "%s: cannot read", path);
		goto done;
	}
	reg = proto_registry_parse(text, (size_t)size, why, sizeof why);
	if (!reg)
		snprintf(err, errlen, "%s:%s", path, why);
done:
	free(text);
	fclose(f);
	return reg;
}

void proto_registry_destroy(proto_registry *reg)
{
	if (!reg)
		return;
	free(reg->e);
	free(reg);
}

const proto_station *proto_registry_find(const proto_registry *reg, const char *code)
{
	const entry *found;
	entry key;

	if (!reg || !reg->n || strlen(code) > PROTO_CODE_MAX)
		return NULL;
	strcpy(key.st.code, code);
	found = bsearch(&key, reg->e, reg->n, sizeof key, by_code);
	return found ? &found->st : NULL;
}

size_t proto_registry_count(const proto_registry *reg)
{
	return reg ? reg->n : 0;
}

const proto_station *proto_registry_at(const proto_registry *reg, size_t i)
{
	return reg && i < reg->n ? &reg->e[i].st : NULL;
}

size_t proto_registry_index(const proto_registry *reg, const proto_station *st)
{
	/* st is the first member of its entry (see entry). */
	return (size_t)((const entry *)(const void *)st - reg->e);
}
