/* JSON Lines output of the command-line tools (`--json`): one compact
 * object per line, which scripts and tests read line by line. */
#ifndef PROTO_JSONL_H
#define PROTO_JSONL_H

#include <cjson/cJSON.h>

/* Prints o as one line on stdout and frees it; accepts NULL (prints
 * nothing). */
void proto_jsonl_emit(cJSON *o);

#endif
