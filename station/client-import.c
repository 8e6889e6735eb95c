/* `minqing import FILE|-`: many reports at once from JSON lines (each with
 * the fields of a report message: colour, category, title, text, reporter,
 * phone, people), e.g. paper ledgers typed in later. All or nothing: one bad
 * line saves none and names the line, so that a corrected file can be
 * imported again without doubles. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "protocol/clock.h"
#include "protocol/message.h"
#include "station/client.h"

#define IMPORT_MAX 100000 /* lines, a bound on one transaction */

/* Decodes one line with the hub's own decoder, as the report it will be. */
static proto_err parse_line(const char *code, const char *line, proto_msg *m,
	char field[PROTO_FIELD_MAX])
{
	cJSON *o = cJSON_Parse(line);
	char *json = NULL;
	proto_err err = PROTO_ERR_BAD_JSON;

	memset(m, 0, sizeof *m);
	field[0] = '\0';
	if (!o || !cJSON_IsObject(o))
		goto done;
	/* The envelope is the station's to write, not the file's. */
	cJSON_DeleteItemFromObjectCaseSensitive(o, "v");
	cJSON_DeleteItemFromObjectCaseSensitive(o, "type");
	cJSON_DeleteItemFromObjectCaseSensitive(o, "station");
	cJSON_DeleteItemFromObjectCaseSensitive(o, "id");
	cJSON_DeleteItemFromObjectCaseSensitive(o, "ts");
	if (!cJSON_AddNumberToObject(o, "v", PROTO_VERSION) ||
	    !cJSON_AddStringToObject(o, "type", "report") ||
	    !cJSON_AddStringToObject(o, "station", code) ||
	    !cJSON_AddNumberToObject(o, "id", 1) ||
	    !cJSON_AddStringToObject(o, "ts", "2000-01-01T00:00:00.000Z")) {
		err = PROTO_ERR_NOMEM;
		goto done;
	}
	json = cJSON_PrintUnformatted(o);
	err = json ? proto_msg_decode(json, strlen(json), m, field) : PROTO_ERR_NOMEM;
done:
	free(json);
	cJSON_Delete(o);
	return err;
}

int station_cli_import(station_store *store, const char *dir, int argc, char **argv)
{
	FILE *f;
	char *line = NULL, field[PROTO_FIELD_MAX], item[PROTO_ITEM_ID_MAX];
	size_t cap = 0, n = 0, lineno = 0;
	int64_t *ids = NULL;
	int rc = STATION_CLI_FAIL;
	proto_err err = PROTO_OK;

	if (argc != 2) {
		fprintf(stderr, "%s", T("用法: minqing --data 目录 import 文件|-\n",
			"usage: minqing --data DIR import FILE|-\n"));
		return STATION_CLI_USAGE;
	}
	f = strcmp(argv[1], "-") == 0 ? stdin : fopen(argv[1], "r");
	if (!f) {
		fprintf(stderr, T("无法打开 %s\n", "cannot open %s\n"), argv[1]);
		return STATION_CLI_USAGE;
	}
	ids = calloc(IMPORT_MAX, sizeof *ids);
	if (!ids || station_store_begin(store))
		goto done;
	while (getline(&line, &cap, f) > 0) {
		proto_msg m;
		lineno++;
		if (line[strspn(line, " \t\r\n")] == '\0')
			continue;
		if (n == IMPORT_MAX) {
			fprintf(stderr, T("第 %zu 行：一次最多导入 %d 条\n",
				"line %zu: at most %d reports at once\n"), lineno, IMPORT_MAX);
			rc = STATION_CLI_USAGE;
			goto done;
		}
		err = parse_line(station_store_code(store), line, &m, field);
		if (!err)
			err = station_store_add_report(store, &m.u.report, &ids[n], field);
		proto_msg_clear(&m);
		if (err) {
			fprintf(stderr, T("第 %zu 行：%s%s%s；全部未保存\n",
				"line %zu: %s%s%s; nothing saved\n"), lineno,
				field[0] ? station_cli_field_name(field) : "",
				field[0] ? " " : "", station_cli_reason(proto_err_name(err)));
			rc = err == PROTO_ERR_IO || err == PROTO_ERR_NOMEM ?
				STATION_CLI_FAIL : STATION_CLI_USAGE;
			goto done;
		}
		n++;
	}
	if (ferror(f) || station_store_commit(store)) {
		fprintf(stderr, "%s", T("读取或保存失败；全部未保存\n",
			"read or save failed; nothing saved\n"));
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		proto_item_id(item, station_store_code(store), ids[i]);
		printf("%s\n", item);
	}
	station_cli_nudge(dir);
	rc = 0;
done:
	station_store_rollback(store);
	if (f != stdin)
		fclose(f);
	free(line);
	free(ids);
	return rc;
}
