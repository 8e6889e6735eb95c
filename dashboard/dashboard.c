/* The top of the dashboard: its life cycle on the core's side. Creates the
 * users table, reads the TLS files, makes the live feed, registers the
 * callbacks by which the core tells of its changes, commits and syncs
 * (hub_notify), and starts the HTTP server; ends them in reverse. Nothing
 * else in dashboard/ calls into this file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <sodium.h>

#include "dashboard/dash-int.h"
#include "dashboard/users.h"
#include "protocol/db.h"
#include "protocol/log.h"

/* ------------------------------------------------------------ observer */

static void on_change(void *ud, hub_change kind, const char *key, const char *text,
	int64_t n)
{
	dash *d = ud;
	dash_sse_note(d->events, kind, key, text, n);
}

static void on_commit(void *ud, bool ok)
{
	dash *d = ud;
	dash_core_committed(d, ok);
	dash_sse_commit(d->events, ok);
}

static void on_durable(void *ud, bool ok)
{
	dash_core_durable(ud, ok);
}

/* ------------------------------------------------------------ TLS files */

/* The whole of a PEM file, NUL-terminated (libmicrohttpd takes text), or
 * NULL, logged. */
static char *read_pem(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL, *p;
	size_t n = 0, cap = 0, got;

	if (!f) {
		log_error("dashboard: cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	do {
		if (cap - n < 4096) {
			/* A certificate chain is a few kB; a larger file is not one. */
			if (cap >= 1024 * 1024 || !(p = realloc(buf, cap + 8192)))
				goto fail;
			buf = p, cap += 8192;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
	} while (got);
	if (ferror(f))
		goto fail;
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	log_error("dashboard: cannot read %s (larger than 1 MiB, or a read error)", path);
	fclose(f);
	if (buf)
		sodium_memzero(buf, cap);
	free(buf);
	return NULL;
}

/* ------------------------------------------------------------ lifecycle */

dash *dash_create(const dash_opts *o)
{
	dash *d = calloc(1, sizeof *d);

	if (!d)
		return NULL;
	pthread_mutex_init(&d->readers_lock, NULL);
	pthread_mutex_init(&d->queue_lock, NULL);
	pthread_cond_init(&d->queue_done, NULL);
	d->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	d->db_path = strdup(o->db);
	snprintf(d->county, sizeof d->county, "%s", o->county);
	d->session_idle_ms = (o->session_idle > 0 ? o->session_idle : 8 * 3600) * 1000;
	d->store = o->store;
	d->workflow = o->workflow;
	d->secret = hub_store_secret(o->store);
	d->sessions = dash_sessions_create(d->session_idle_ms);
	d->throttle = dash_throttle_create();
	d->events = dash_sse_create(d);
	if (d->wake_fd < 0 || !d->db_path || !d->sessions || !d->throttle || !d->events)
		goto fail;
	if (o->tls_cert && *o->tls_cert && o->tls_key && *o->tls_key) {
		size_t len;
		d->tls = true;
		d->tls_cert = read_pem(o->tls_cert, &len);
		d->tls_key = d->tls_cert ? read_pem(o->tls_key, &d->tls_key_len) : NULL;
		if (!d->tls_key)
			goto fail;
	}
	hub_workflow_set_notify(d->workflow, &(hub_notify){.change = on_change,
		.commit = on_commit, .durable = on_durable, .ud = d});
	d->mhd = dash_http_start(d, o->listen);
	if (!d->mhd)
		goto fail;
	return d;
fail:
	dash_destroy(d);
	return NULL;
}

void dash_destroy(dash *d)
{
	if (!d)
		return;
	if (d->workflow)
		hub_workflow_set_notify(d->workflow, NULL);
	dash_core_fail_all(d);
	if (d->events)
		dash_sse_close(d->events);
	if (d->mhd)
		MHD_stop_daemon(d->mhd);
	/* After the server: it closes its connections through the watcher. */
	dash_watch_destroy(d->watch);
	for (size_t i = 0; i < d->n_readers; i++)
		sqlite3_close(d->readers[i]);
	dash_sse_destroy(d->events);
	dash_throttle_destroy(d->throttle);
	dash_sessions_destroy(d->sessions);
	free(d->tls_cert);
	if (d->tls_key)
		sodium_memzero(d->tls_key, d->tls_key_len);
	free(d->tls_key);
	if (d->wake_fd >= 0)
		close(d->wake_fd);
	free(d->db_path);
	pthread_cond_destroy(&d->queue_done);
	pthread_mutex_destroy(&d->queue_lock);
	pthread_mutex_destroy(&d->readers_lock);
	free(d);
}

int dash_wait_ms(dash *d, int64_t mono)
{
	return d ? dash_sse_wait(d->events, mono) : -1;
}

int dash_fd(const dash *d)
{
	return d ? d->wake_fd : -1;
}
