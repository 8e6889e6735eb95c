/* minqing-ingest: the hub's per-report work without the network, for
 * counting instructions (bench/run --only ingest runs it under callgrind,
 * whose counts repeat whatever else the machine does). N reports from the
 * first 500 village and group stations of the registry go through
 * hub_ingest_message in batches into a fresh database; with --echo, only
 * what minqing-echo does per report (decode it, encode a receipt): the
 * baseline. Both make their reports the same way. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mosquitto.h>
#include <sqlite3.h>

#include "bench/echo.h"
#include "hub/group-commit.h"
#include "hub/ingest.h"
#include "hub/workflow.h"
#include "hub/policy.h"
#include "hub/secret.h"
#include "hub/store.h"
#include "protocol/clock.h"
#include "protocol/log.h"
#include "protocol/registry.h"
#include "protocol/str.h"
#include "protocol/topic.h"

#define STATIONS 500

/* A report from code with this id: the fleet's colour mix (80/15/5), any
 * service item, three in ten naming the resident (seed runs on). */
static char *report(const char *code, int64_t id, unsigned *seed)
{
	proto_msg m = {.v = PROTO_VERSION, .type = PROTO_MSG_REPORT, .id = id, .ts = id};
	proto_report *r = &m.u.report;
	unsigned x = *seed = *seed * 1103515245u + 12345u;
	int c = (int)((x >> 16) % 100);

	proto_copy(m.station, sizeof m.station, code);
	r->colour = c < 80 ? PROTO_COLOUR_BLUE : c < 95 ? PROTO_COLOUR_ORANGE :
			     PROTO_COLOUR_RED;
	r->category = (proto_category)((x >> 8) % PROTO_CAT__COUNT);
	r->title = "通组道路塌方";
	r->text = "孙家湾村二组：连日降雨致通组道路约二十米塌方，车辆无法通行。"
		  "涉及3户8人，请村里办理。";
	r->people = 8;
	if ((x >> 20) % 10 < 3) {
		r->reporter_name = "王先生";
		r->reporter_phone = "13800001234";
	}
	return proto_msg_encode(&m);
}

/* What minqing-echo does with a report: its receipt and the topic. */
static void echo(const char *code, const char *json)
{
	char topic[PROTO_TOPIC_MAX];

	free(echo_receipt(code, json, strlen(json)));
	proto_topic_for(topic, sizeof topic, code, PROTO_MSG_RECEIPT);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"registry", required_argument, NULL, 'r'},
		{"dir", required_argument, NULL, 'd'},
		{"reports", required_argument, NULL, 'n'},
		{"batch", required_argument, NULL, 'b'},
		{"echo", no_argument, NULL, 'e'},
		{NULL, 0, NULL, 0},
	};
	const char *registry = NULL, *dir = NULL;
	int n = 20000, batch = 500, c, rc = 1;
	bool only_echo = false;
	char err[256], db[4096], key[4096];
	const char *codes[STATIONS];
	size_t nc = 0;
	unsigned seed = 1;
	proto_registry *reg = NULL;
	hub_secret *sec = NULL;
	hub_store *store = NULL;
	hub_workflow *workflow = NULL;
	hub_ingest *in = NULL;
	hub_group_commit *commit = NULL;
	proto_link *link = NULL;
	hub_policy pol;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': registry = optarg; break;
		case 'd': dir = optarg; break;
		case 'n': n = atoi(optarg); break;
		case 'b': batch = atoi(optarg); break;
		case 'e': only_echo = true; break;
		default:
			fprintf(stderr, "usage: minqing-ingest --registry FILE --dir DIR "
					"[--reports N] [--batch B] [--echo]\n");
			return 2;
		}
	}
	if (!registry || !dir || n < 1 || batch < 1) {
		fprintf(stderr, "minqing-ingest: need --registry and --dir, and "
				"--reports and --batch above 0\n");
		return 2;
	}
	proto_log_init("minqing-ingest", PROTO_LOG_ERROR);
	/* As minqing-hub configures SQLite (hub/hub-main.c). */
	sqlite3_config(SQLITE_CONFIG_PAGECACHE, (void *)NULL, 0, 0);
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	mosquitto_lib_init();
	reg = proto_registry_load(registry, err, sizeof err);
	if (!reg) {
		fprintf(stderr, "minqing-ingest: %s\n", err);
		goto done;
	}
	for (size_t i = 0; i < proto_registry_count(reg) && nc < STATIONS; i++) {
		const proto_station *st = proto_registry_at(reg, i);
		if (proto_code_tier(st->code) >= PROTO_TIER_VILLAGE)
			codes[nc++] = st->code;
	}
	if (!nc) {
		fprintf(stderr, "minqing-ingest: %s has no village or group station\n",
			registry);
		goto done;
	}
	if (!only_echo) {
		snprintf(db, sizeof db, "%s/ingest.db", dir);
		snprintf(key, sizeof key, "%s/ingest.key", dir);
		unlink(db);
		unlink(key);
		hub_policy_defaults(&pol);
		sec = hub_secret_open(key, true);
		store = sec ? hub_store_open(db, sec) : NULL;
		if (!store || hub_store_sync_registry(store, reg))
			goto done;
		workflow = hub_workflow_create(store, &pol);
		/* No sync thread: each commit syncs itself. */
		commit = workflow ? hub_group_commit_create(store, workflow, NULL) : NULL;
		in = commit ? hub_ingest_create(store, workflow, commit, reg, "611025", 0, 1) :
			NULL;
		/* Never connected: receipts and item messages go nowhere. */
		link = proto_link_create(&(proto_link_opts){.broker = "127.0.0.1:1",
			.client_id = "minqing-ingest"}, NULL, NULL);
		if (!in || !link)
			goto done;
	}
	int64_t base = proto_now_ms();
	for (int i = 0; i < n; i++) {
		const char *code = codes[(size_t)i % nc];
		char topic[PROTO_TOPIC_MAX], *json = report(code, base + i, &seed);

		if (!json)
			goto done;
		if (only_echo) {
			echo(code, json);
		} else {
			proto_topic_up_for(topic, sizeof topic, code, PROTO_MSG_REPORT);
			hub_ingest_message(in, link, topic, json, strlen(json), false);
			if ((i + 1) % batch == 0 && hub_group_commit_flush(commit, link))
				goto done;
		}
		free(json);
	}
	if (in && hub_group_commit_flush(commit, link))
		goto done;
	if (in) {
		const hub_ingest_stats *st = hub_ingest_get_stats(in);
		printf("%lld accepted in %lld batches\n", (long long)st->accepted,
			(long long)hub_group_commit_get_stats(commit)->batches);
		/* Every report stored, or the count measured something else. */
		if (st->accepted != n || st->rejected || st->duplicates)
			goto done;
	}
	rc = 0;
done:
	proto_link_destroy(link);
	hub_ingest_destroy(in);
	hub_group_commit_destroy(commit);
	hub_workflow_destroy(workflow);
	hub_store_close(store);
	hub_secret_destroy(sec);
	proto_registry_destroy(reg);
	mosquitto_lib_cleanup();
	return rc;
}
