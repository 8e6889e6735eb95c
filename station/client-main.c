/* minqing: the village clerk's client, started. Reads the options every
 * command shares (--data, --code, --lang), opens the station's store and
 * hands it to the command named, or to the full-screen client when none
 * is. The commands are the client's library (client*.c), the screen the
 * terminal's (tui*.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/log.h"
#include "station/client.h"
#include "station/tui.h"
#include "version.h"

int main(int argc, char **argv)
{
	const char *dir = NULL, *code = NULL, *lang = getenv("MINQING_LANG");
	station_store *store = NULL;
	int i, rc = STATION_CLI_USAGE;

	proto_log_init("minqing", PROTO_LOG_WARN);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			station_cli_english = lang && strcmp(lang, "en") == 0;
			station_cli_usage(stdout);
			return STATION_CLI_OK;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("minqing %s\n", MINQING_VERSION);
			return STATION_CLI_OK;
		} else if (i + 1 < argc && strcmp(argv[i], "--data") == 0) {
			dir = argv[++i];
		} else if (i + 1 < argc && strcmp(argv[i], "--code") == 0) {
			code = argv[++i];
		} else if (i + 1 < argc && strcmp(argv[i], "--lang") == 0) {
			lang = argv[++i];
		} else {
			break;
		}
	}
	station_cli_english = lang && strcmp(lang, "en") == 0;
	if (!dir) {
		station_cli_usage(stderr);
		return STATION_CLI_USAGE;
	}
	store = station_store_open(dir, code);
	if (!store) {
		fprintf(stderr, T("无法打开站点数据 %s\n", "cannot open station data in %s\n"),
			dir);
		return STATION_CLI_FAIL;
	}
	if (i >= argc)
		rc = station_tui_run(store, dir);
	else if (strcmp(argv[i], "report") == 0)
		rc = station_cli_report(store, dir, argc - i, argv + i);
	else if (strcmp(argv[i], "import") == 0)
		rc = station_cli_import(store, dir, argc - i, argv + i);
	else if (strcmp(argv[i], "list") == 0)
		rc = station_cli_list_sent(store, argc - i, argv + i);
	else if (strcmp(argv[i], "inbox") == 0)
		rc = station_cli_inbox(store, argc - i, argv + i);
	else if (strcmp(argv[i], "show") == 0)
		rc = station_cli_show(store, argc - i, argv + i);
	else if (station_cli_is_step(argv[i]))
		rc = station_cli_step(store, dir, argc - i, argv + i);
	else
		station_cli_usage(stderr);
	station_store_close(store);
	return rc;
}
