/* The echo's answer to a report, shared by minqing-echo (the throughput
 * baseline) and minqing-ingest (the instruction-count baseline), so that
 * both measure the same work. */
#ifndef BENCH_ECHO_H
#define BENCH_ECHO_H

#include <stddef.h>

/* Decodes a report's payload from station and encodes its receipt,
 * "accepted", as the hub would at the least (malloc'd); NULL when the
 * payload does not decode. */
char *echo_receipt(const char *station, const void *payload, size_t len);

#endif
