/* Bounded string building for the hub's per-message paths, where parsing
 * snprintf's format cost more than the copying (a tenth of the hub's work
 * per report went to snprintf). Elsewhere snprintf stays the plain way. */
#ifndef PROTO_STR_H
#define PROTO_STR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Appends src (NULL: nothing) to dst, of size n, holding at bytes: cut to
 * fit and always terminated (n > 0). Returns the length the whole text
 * would have, so that a result >= n shows a cut, as snprintf's does. */
static inline size_t proto_append(char *dst, size_t n, size_t at, const char *src)
{
	size_t len = src ? strlen(src) : 0;

	if (at < n) {
		size_t room = n - 1 - at, k = len < room ? len : room;
		if (k)
			memcpy(dst + at, src, k);
		dst[at + k] = '\0';
	}
	return at + len;
}

/* snprintf(dst, n, "%s", src) without the format. */
static inline size_t proto_copy(char *dst, size_t n, const char *src)
{
	return proto_append(dst, n, 0, src);
}

/* Appends v in decimal, as proto_append does. */
static inline size_t proto_append_int(char *dst, size_t n, size_t at, int64_t v)
{
	char num[24], *p = num + sizeof num - 1;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	*p = '\0';
	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	return proto_append(dst, n, at, p);
}

/* FNV-1a of a string: the hub's small in-memory indexes by station code. */
static inline uint32_t proto_str_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

#endif
