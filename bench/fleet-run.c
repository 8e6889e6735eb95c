/* minqing-fleet's run: picks the stations, paces connects and report
 * creation, and runs every station, each a real MQTT client, in one thread
 * and one poll() loop until the last receipts are in. fleet-main.c starts
 * it and decides the exit status. */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench/fleet.h"
#include "protocol/clock.h"
#include "protocol/code.h"
#include "protocol/log.h"
#include "protocol/signals.h"

#define PROGRESS_MS 1000
#define FD_SPARE 32     /* stdio, the signal pipe, output files, TLS files */
#define FD_PER_STATION 3 /* the socket and libmosquitto's wake-up socketpair */

/* Exponential gap of a Poisson process with this rate per second, in ms. */
static double poisson_gap(fleet *f, double rate)
{
	return -log(1.0 - fleet_random(f)) * 1000.0 / rate;
}

/* ------------------------------------------------------------ set-up */

typedef struct cred {
	char *user, *password;
} cred;

static int cmp_cred(const void *a, const void *b)
{
	return strcmp(((const cred *)a)->user, ((const cred *)b)->user);
}

/* Reads "user:password" lines ('#' comments) into a table sorted by user. */
static cred *load_creds(const char *path, size_t *n)
{
	FILE *in = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, have = 0;
	cred *v = NULL;

	*n = 0;
	if (!in) {
		log_error("cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	while (getline(&line, &cap, in) > 0) {
		char *colon = strchr(line, ':');
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || !colon)
			continue;
		*colon = '\0';
		if (*n == have) {
			size_t c = have ? have * 2 : 256;
			cred *p = realloc(v, c * sizeof *p);
			if (!p)
				goto fail;
			v = p, have = c;
		}
		v[*n].user = strdup(line);
		v[*n].password = strdup(colon + 1);
		if (!v[*n].user || !v[*n].password) {
			free(v[*n].user);
			free(v[*n].password);
			goto fail;
		}
		(*n)++;
	}
	free(line);
	fclose(in);
	if (v)
		qsort(v, *n, sizeof *v, cmp_cred);
	return v ? v : calloc(1, sizeof *v);
fail:
	log_error("out of memory reading %s", path);
	free(line);
	fclose(in);
	for (size_t i = 0; i < *n; i++) {
		free(v[i].user);
		free(v[i].password);
	}
	free(v);
	return NULL;
}

static void free_creds(cred *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].user);
		free(v[i].password);
	}
	free(v);
}

proto_registry *fleet_run_registry(const fleet_opts *o)
{
	char err[512];
	proto_registry *reg;
	char *text;

	if (o->registry) {
		reg = proto_registry_load(o->registry, err, sizeof err);
		if (!reg)
			log_error("registry: %s", err);
		return reg;
	}
	text = fleet_content_registry(o->county, o->towns, o->villages, o->groups);
	if (!text) {
		log_error("cannot make a county of %d towns, %d villages, %d groups",
			o->towns, o->villages, o->groups);
		return NULL;
	}
	reg = proto_registry_parse(text, strlen(text), err, sizeof err);
	if (!reg)
		log_error("synthetic registry: %s", err);
	if (reg && o->write_registry) {
		FILE *out = fopen(o->write_registry, "w");
		bool ok = out && fputs(text, out) >= 0;
		/* Closed once, whatever happened: fclose frees it even when it fails. */
		if (out && fclose(out) != 0)
			ok = false;
		if (!ok) {
			log_error("cannot write %s", o->write_registry);
			proto_registry_destroy(reg);
			reg = NULL;
		}
	}
	free(text);
	return reg;
}

/* 1,700 stations need 1,700 sockets: take all the descriptors we may. */
static int raise_fd_limit(size_t need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			log_warn("cannot raise the descriptor limit: %s", strerror(errno));
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		log_error("%zu stations need %zu descriptors; the limit is %llu",
			(need - FD_SPARE) / FD_PER_STATION, need, (unsigned long long)rl.rlim_cur);
		return -1;
	}
	return 0;
}

/* A mask over the stations with round(share * n) of them, chosen at random
 * (a partial Fisher-Yates shuffle of indices); NULL when out of memory. */
static bool *choose(fleet *f, double share)
{
	size_t k = (size_t)llround(share * (double)f->n_st), *ix;
	bool *mask = calloc(f->n_st, sizeof *mask);

	ix = malloc(f->n_st * sizeof *ix);
	if (!mask || !ix) {
		free(mask);
		free(ix);
		return NULL;
	}
	for (size_t i = 0; i < f->n_st; i++)
		ix[i] = i;
	for (size_t i = 0; i < k; i++) {
		size_t j = i + (size_t)(fleet_random(f) * (double)(f->n_st - i));
		size_t t = ix[i];
		ix[i] = ix[j], ix[j] = t;
		mask[ix[i]] = true;
	}
	free(ix);
	return mask;
}

/* Whether code is one of the comma list's (--skip: stations a real agent
 * runs, which would share the fleet's client id). */
static bool skipped(const char *list, const char *code)
{
	size_t n = strlen(code);

	for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (strncmp(p, code, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

int fleet_run_setup(fleet *f)
{
	const fleet_opts *o = &f->o;
	cred *creds = NULL;
	bool *droppers = NULL, *replayers = NULL, *actors = NULL;
	size_t n_creds = 0, total;
	int rc = -1;

	f->reg = fleet_run_registry(o);
	if (!f->reg)
		return -1;
	total = proto_registry_count(f->reg);
	f->st = calloc(total ? total : 1, sizeof *f->st);
	if (!f->st)
		return -1;
	if (o->user_file && !(creds = load_creds(o->user_file, &n_creds)))
		return -1;
	if (o->members && fleet_human_load_members(f, o->members))
		goto done;
	for (size_t i = 0; i < total && (!o->stations || f->n_st < o->stations); i++) {
		const proto_station *st = proto_registry_at(f->reg, i);
		proto_tier tier = proto_code_tier(st->code);
		const char *password = NULL;

		if (!proto_code_within(st->code, o->county) ||
		    (!o->all_tiers && tier != PROTO_TIER_VILLAGE && tier != PROTO_TIER_GROUP) ||
		    skipped(o->skip, st->code))
			continue;
		if (creds) {
			cred key = {.user = (char *)st->code};
			cred *c = bsearch(&key, creds, n_creds, sizeof *creds, cmp_cred);
			if (!c) {
				log_error("no password for station %s in %s", st->code,
					o->user_file);
				goto done;
			}
			password = c->password;
		}
		if (fleet_station_init(f, &f->st[f->n_st], st, password))
			goto done;
		f->n_st++;
	}
	if (!f->n_st) {
		log_error("no station of county %s to simulate", o->county);
		goto done;
	}
	if (o->stations && f->n_st < o->stations)
		log_warn("the registry has only %zu stations to simulate", f->n_st);
	if (raise_fd_limit(f->n_st * FD_PER_STATION + FD_SPARE))
		goto done;
	droppers = choose(f, o->drop_share);
	replayers = choose(f, o->resend_all_share);
	actors = choose(f, o->act_share);
	if (!droppers || !replayers || !actors)
		goto done;
	for (size_t i = 0; i < f->n_st; i++) {
		f->st[i].dropper = droppers[i];
		f->st[i].replayer = replayers[i];
		f->st[i].actor = actors[i];
	}
	rc = 0;
done:
	free(droppers);
	free(replayers);
	free(actors);
	free_creds(creds, n_creds);
	return rc;
}

/* ------------------------------------------------------------ the loop */

typedef struct loop {
	struct pollfd *pfd;
	uint32_t *owner;       /* station of pfd[k], k >= 1 */
	size_t started;        /* stations [0, started) are running */
	double next_start;     /* monotonic ms */
	double next_report;
	int64_t drain_until;
	int64_t next_progress;
	int64_t woke;          /* monotonic ms when poll() last returned */
	bool progress;         /* stderr is a terminal */
} loop;

/* Waits out the rest of the tick since the last wake-up. poll() over n
 * sockets costs O(n) however few are ready, so with thousands of stations
 * the loop gathers what a tick brings (PUBACKs, receipts, timers) into one
 * call instead of waking for each; it adds at most a tick to latencies. */
static void wait_tick(const fleet *f, const loop *l)
{
	int64_t left = l->woke + f->o.tick_ms - proto_mono_ms();
	struct timespec ts = {.tv_sec = (time_t)(left / 1000),
			      .tv_nsec = (long)(left % 1000) * 1000000L};

	if (l->woke && left > 0 && nanosleep(&ts, NULL) < 0 && errno != EINTR)
		log_debug("nanosleep: %s", strerror(errno));
}

/* With actors, the run ends once the workflow has come to rest: no step
 * waits for its receipt and no item message came for a while. */
#define LOOP_QUIET_MS 2000

static bool loop_quiet(const fleet *f, int64_t now)
{
	if (f->o.act_share <= 0)
		return true;
	return f->c.acts == f->c.acts_done + f->c.acts_refused &&
	       now - f->last_item >= LOOP_QUIET_MS;
}

/* Starts stations at the connect rate, then creates reports at the report
 * rate, then waits for the drain. */
static void advance(fleet *f, loop *l, int64_t now)
{
	while (f->phase == FLEET_CONNECTING && l->started < f->n_st &&
	       now >= l->next_start) {
		f->st[l->started++].due = now;
		l->next_start = f->o.connect_rate > 0 ?
			l->next_start + poisson_gap(f, f->o.connect_rate) : (double)now;
	}
	if (f->phase == FLEET_CONNECTING && l->started == f->n_st) {
		f->phase = FLEET_RUNNING;
		f->run_t0 = now;
		l->next_report = (double)now;
		log_info("%zu stations started; creating %.1f reports a second", f->n_st,
			f->o.rate);
	}
	while (f->phase == FLEET_RUNNING && now >= l->next_report &&
	       (!f->o.count || f->c.created < f->o.count)) {
		fleet_station *s = &f->st[(size_t)(fleet_random(f) * (double)f->n_st)];
		if (fleet_station_create_report(s, now))
			log_error("out of memory creating a report");
		l->next_report += poisson_gap(f, f->o.rate);
	}
	if (f->phase == FLEET_RUNNING &&
	    ((f->o.count && f->c.created >= f->o.count) ||
	     (f->o.duration_ms && now - f->run_t0 >= f->o.duration_ms))) {
		f->phase = FLEET_DRAINING;
		f->run_t1 = now;
		l->drain_until = now + f->o.drain_ms;
		log_info("%lld reports created; waiting up to %lld s for receipts",
			(long long)f->c.created, (long long)(f->o.drain_ms / 1000));
	}
	if (f->phase == FLEET_DRAINING &&
	    ((fleet_stats_lost(f) == 0 && loop_quiet(f, now)) || now >= l->drain_until))
		f->phase = FLEET_DONE;
}

static int64_t until(int64_t now, double at)
{
	return at <= (double)now ? 0 : (int64_t)ceil(at - (double)now);
}

int fleet_run_events(fleet *f)
{
	loop l = {.progress = isatty(STDERR_FILENO)};
	int sigfd = proto_signals_init();

	l.pfd = calloc(f->n_st + 1, sizeof *l.pfd);
	l.owner = calloc(f->n_st + 1, sizeof *l.owner);
	if (!l.pfd || !l.owner || sigfd < 0)
		goto fail;
	f->t0 = proto_mono_ms();
	l.next_start = (double)f->t0;
	l.next_progress = f->t0 + PROGRESS_MS;
	log_info("simulating %zu stations against %s", f->n_st, f->o.broker);

	while (f->phase != FLEET_DONE) {
		int64_t now, wait = PROGRESS_MS;
		nfds_t n = 1;

		wait_tick(f, &l);
		now = proto_mono_ms();
		advance(f, &l, now);
		if (f->phase == FLEET_DONE)
			break;
		l.pfd[0] = (struct pollfd){.fd = sigfd, .events = POLLIN};
		for (size_t i = 0; i < l.started; i++) {
			fleet_station *s = &f->st[i];
			int fd;
			if (now >= s->due)
				fleet_station_run(s, now);
			if (s->due - now < wait)
				wait = s->due - now;
			fd = proto_link_fd(s->link);
			if (fd >= 0) {
				l.pfd[n] = (struct pollfd){.fd = fd,
							   .events = proto_link_events(s->link)};
				l.owner[n++] = (uint32_t)i;
			}
		}
		if (f->phase == FLEET_CONNECTING && until(now, l.next_start) < wait)
			wait = until(now, l.next_start);
		if (f->phase == FLEET_RUNNING && until(now, l.next_report) < wait)
			wait = until(now, l.next_report);
		if (f->phase == FLEET_DRAINING && l.drain_until - now < wait)
			wait = l.drain_until - now;
		if (l.progress && l.next_progress - now < wait)
			wait = l.next_progress - now;
		f->c.wakeups++;
		if (poll(l.pfd, n, (int)(wait < 0 ? 0 : wait)) < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			goto fail;
		}
		if ((l.pfd[0].revents & POLLIN) && proto_signals_take() != SIGHUP) {
			log_info("interrupted: stopping without the drain");
			break;
		}
		now = l.woke = proto_mono_ms();
		for (nfds_t k = 1; k < n; k++) {
			if (!l.pfd[k].revents)
				continue;
			fleet_station *s = &f->st[l.owner[k]];
			proto_link_io(s->link, l.pfd[k].revents);
			fleet_station_run(s, now);
		}
		if (l.progress && now >= l.next_progress) {
			fleet_stats_progress(f, now);
			l.next_progress = now + PROGRESS_MS;
		}
	}
	f->phase = FLEET_DONE;
	if (l.progress) {
		fleet_stats_progress(f, proto_mono_ms());
		fputc('\n', stderr);
	}
	for (size_t i = 0; i < l.started; i++)
		fleet_station_stop(&f->st[i]);
	f->t_end = proto_mono_ms();
	free(l.pfd);
	free(l.owner);
	return 0;
fail:
	free(l.pfd);
	free(l.owner);
	return -1;
}

void fleet_run_teardown(fleet *f)
{
	for (size_t i = 0; i < f->n_st; i++)
		fleet_station_clear(&f->st[i]);
	free(f->st);
	for (size_t i = 0; i < f->n_msgs; i++)
		free(f->msgs[i].payload);
	free(f->msgs);
	free(f->lat);
	free(f->members);
	proto_registry_destroy(f->reg);
}
