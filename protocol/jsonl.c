/* One object, one line. */
#include <stdio.h>
#include <stdlib.h>

#include "protocol/jsonl.h"

void proto_jsonl_emit(cJSON *o)
{
	char *line = o ? cJSON_PrintUnformatted(o) : NULL;

	if (line)
		printf("%s\n", line);
	free(line);
	cJSON_Delete(o);
}
