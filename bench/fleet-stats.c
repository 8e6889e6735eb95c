/* The run in numbers: latencies, the terminal's progress line, the summary on
 * stdout, the --json file that benchmarks and tests read, and the --ids file
 * of every report created ("<station>-<id>" lines, as the hub names items). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bench/fleet.h"
#include "protocol/log.h"

void fleet_stats_latency(fleet *f, int64_t ms)
{
	if (f->n_lat == f->cap_lat) {
		size_t cap = f->cap_lat ? f->cap_lat * 2 : 4096;
		int32_t *p = realloc(f->lat, cap * sizeof *p);
		if (!p)
			return; /* a missing sample is no reason to stop the run */
		f->lat = p, f->cap_lat = cap;
	}
	f->lat[f->n_lat++] = ms > INT32_MAX ? INT32_MAX : (int32_t)ms;
}

int64_t fleet_stats_lost(const fleet *f)
{
	return f->c.created - f->c.receipted - f->c.rejected;
}

static int64_t reconnects(const fleet *f)
{
	int64_t n = 0;

	for (size_t i = 0; i < f->n_st; i++) {
		int64_t c = proto_link_connects(f->st[i].link);
		if (c > 1)
			n += c - 1;
	}
	return n;
}

void fleet_stats_progress(const fleet *f, int64_t now)
{
	static const char *phases[] = {"connecting", "running", "draining", "done"};

	fprintf(stderr, "\r%6.1fs %-10s connected %zu/%zu  created %lld  receipted %lld"
		"  waiting %lld  dup %lld  rejected %lld  drops %lld \033[K",
		(double)(now - f->t0) / 1000.0, phases[f->phase], f->n_connected, f->n_st,
		(long long)f->c.created, (long long)f->c.receipted,
		(long long)fleet_stats_lost(f), (long long)f->c.duplicates,
		(long long)f->c.rejected, (long long)f->c.drops);
	fflush(stderr);
}

static int cmp_int32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

/* Nearest-rank percentile of the sorted samples. */
static int32_t percentile(const int32_t *v, size_t n, double p)
{
	size_t rank;

	if (!n)
		return 0;
	rank = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	return v[(rank > n ? n : rank) - 1];
}

static int write_ids(const fleet *f)
{
	FILE *out = fopen(f->o.ids, "w");
	char item[PROTO_ITEM_ID_MAX];

	if (!out) {
		log_error("cannot write %s: %s", f->o.ids, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < f->n_msgs; i++) {
		if (f->msgs[i].action)
			continue;
		proto_item_id(item, f->st[f->msgs[i].station].reg->code, f->msgs[i].id);
		fprintf(out, "%s\n", item);
	}
	if (ferror(out) | (fclose(out) != 0)) {
		log_error("cannot write %s", f->o.ids);
		return -1;
	}
	return 0;
}

typedef struct figures {
	double elapsed, running, rate, connected; /* s, s, /s, s (-1: never) */
	int64_t reconnects;
	int32_t p50, p90, p99, max;
} figures;

static figures figure(const fleet *f, int64_t now, const int32_t *sorted)
{
	figures g = {.elapsed = (double)(now - f->t0) / 1000.0, .connected = -1};

	g.running = (double)((f->run_t1 ? f->run_t1 : now) -
			     (f->run_t0 ? f->run_t0 : now)) / 1000.0;
	g.rate = g.running > 0 ? (double)f->c.created / g.running : 0;
	if (f->all_connected)
		g.connected = (double)(f->all_connected - f->t0) / 1000.0;
	g.reconnects = reconnects(f);
	g.p50 = percentile(sorted, f->n_lat, 50);
	g.p90 = percentile(sorted, f->n_lat, 90);
	g.p99 = percentile(sorted, f->n_lat, 99);
	g.max = f->n_lat ? sorted[f->n_lat - 1] : 0;
	return g;
}

static cJSON *summary(const fleet *f, const figures *g)
{
	cJSON *o = cJSON_CreateObject(), *lat;
	const struct {
		const char *key;
		double value;
	} nums[] = {
		{"stations", (double)f->n_st},
		{"rate", f->o.rate},
		{"created", (double)f->c.created},
		{"sent", (double)f->c.sent},
		{"publishes", (double)f->c.publishes},
		{"receipted", (double)f->c.receipted},
		{"duplicates", (double)f->c.duplicates},
		{"rejected", (double)f->c.rejected},
		{"lost", (double)fleet_stats_lost(f)},
		{"reaccepted", (double)f->c.reaccepted},
		{"rate_limited", (double)f->c.rate_limited},
		{"unmatched", (double)f->c.unmatched},
		{"repeated_receipts", (double)f->c.repeats},
		{"replays", (double)f->c.replays},
		{"reconnects", (double)g->reconnects},
		{"drops", (double)f->c.drops},
		{"wakeups", (double)f->c.wakeups},
		{"items", (double)f->c.items},
		{"members", (double)f->c.members},
		{"actions", (double)f->c.acts},
		{"actions_accepted", (double)f->c.acts_done},
		{"actions_refused", (double)f->c.acts_refused},
		{"running_s", g->running},
		{"achieved_rate", g->rate},
		{"elapsed_s", g->elapsed},
		{"seed", (double)f->o.seed},
	};

	if (!o)
		return NULL;
	for (size_t i = 0; i < sizeof nums / sizeof *nums; i++)
		if (!cJSON_AddNumberToObject(o, nums[i].key, nums[i].value))
			goto fail;
	if (!(g->connected >= 0 ? cJSON_AddNumberToObject(o, "connected_s", g->connected)
				: cJSON_AddNullToObject(o, "connected_s")))
		goto fail;
	lat = cJSON_AddObjectToObject(o, "latency_ms");
	if (!lat || !cJSON_AddNumberToObject(lat, "p50", g->p50) ||
	    !cJSON_AddNumberToObject(lat, "p90", g->p90) ||
	    !cJSON_AddNumberToObject(lat, "p99", g->p99) ||
	    !cJSON_AddNumberToObject(lat, "max", g->max))
		goto fail;
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

static int write_json(const char *path, const cJSON *o)
{
	char *text = cJSON_Print(o);
	FILE *out;
	int rc = -1;

	if (!text)
		return -1;
	out = fopen(path, "w");
	if (!out) {
		log_error("cannot write %s: %s", path, strerror(errno));
	} else {
		fprintf(out, "%s\n", text);
		rc = ferror(out) | (fclose(out) != 0) ? -1 : 0;
		if (rc)
			log_error("cannot write %s", path);
	}
	free(text);
	return rc;
}

/* Logs a few stations still holding reports, to start a search from. */
static void name_laggards(const fleet *f)
{
	int shown = 0;

	for (size_t i = 0; i < f->n_st && shown < 5; i++) {
		const fleet_station *s = &f->st[i];
		if (!s->n_queue)
			continue;
		log_warn("station %s still holds %u reports (%lld connects)",
			s->reg->code, s->n_queue, (long long)proto_link_connects(s->link));
		shown++;
	}
}

int fleet_stats_finish(fleet *f, int64_t now)
{
	int32_t *sorted = NULL;
	char connected[32] = "never";
	figures g;
	cJSON *o;
	int rc = 0;

	if (f->n_lat) {
		sorted = malloc(f->n_lat * sizeof *sorted);
		if (!sorted)
			return -1;
		memcpy(sorted, f->lat, f->n_lat * sizeof *sorted);
		qsort(sorted, f->n_lat, sizeof *sorted, cmp_int32);
	}
	g = figure(f, now, sorted);
	free(sorted);
	if (fleet_stats_lost(f))
		name_laggards(f);
	if (g.connected >= 0)
		snprintf(connected, sizeof connected, "%.1f s", g.connected);
	printf("minqing-fleet: %zu stations, %lld reports created (%.1f/s), %lld receipted, "
	       "%lld lost, %lld rejected, %lld duplicate receipts, %lld reaccepted\n"
	       "  %lld reconnects, %lld drops, %lld rate_limited, %lld replays, "
	       "%lld publishes; all connected after %s\n"
	       "  %lld items and %lld team members answered; "
	       "%lld steps taken, %lld accepted, %lld refused\n"
	       "  latency ms (first publish to receipt): p50 %d p90 %d p99 %d max %d; "
	       "%.1f s in all\n",
		f->n_st, (long long)f->c.created, g.rate, (long long)f->c.receipted,
		(long long)fleet_stats_lost(f), (long long)f->c.rejected,
		(long long)f->c.duplicates, (long long)f->c.reaccepted,
		(long long)g.reconnects, (long long)f->c.drops,
		(long long)f->c.rate_limited, (long long)f->c.replays,
		(long long)f->c.publishes, connected, (long long)f->c.items,
		(long long)f->c.members,
		(long long)f->c.acts, (long long)f->c.acts_done,
		(long long)f->c.acts_refused, g.p50, g.p90, g.p99, g.max,
		g.elapsed);
	fflush(stdout);
	o = summary(f, &g);
	if (!o || (f->o.json && write_json(f->o.json, o)))
		rc = -1;
	if (f->o.ids && write_ids(f))
		rc = -1;
	cJSON_Delete(o);
	return rc;
}
