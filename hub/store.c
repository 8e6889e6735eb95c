/* The hub store on SQLite: WAL, synchronous=FULL (the running hub hands its
 * syncs to durable.c), statements prepared once.
 * (station, id) is the idempotence key: a report's in `reports` (its item
 * id), any other message's in `inbound`, so redeliveries and resends after
 * a crash are recognised, never stored twice. */
#include <stdlib.h>
#include <string.h>

#include "hub/schema.h"
#include "hub/store.h"
#include "protocol/clock.h"
#include "protocol/db.h"
#include "protocol/log.h"
#include "protocol/str.h"

enum {
	ST_INBOUND, ST_UNMARK, ST_REPORT, ST_UNREPORT, ST_SEEN, ST_STATUS, ST_STATION,
	ST_MARKS, ST_SETTLED, ST_CLAMP, ST_DATA_VERSION, ST_SAVEPOINT, ST_RELEASE,
	ST_ROLLBACK_TO, ST__COUNT
};

/* last_seen is written at most this often per station (ms): the dashboard
 * shows it to the minute, and a write per message was a statement per
 * report. */
#define SEEN_EVERY 1000
/* How far a station's session may run ahead of the hub's clock (ms): the
 * reference takes its sessions from its clock, so a session further ahead
 * is a station's clock far wrong or a forgery, and must not order the
 * statuses that follow it (PROTOCOL.md §8). */
#define MARK_AHEAD_MS (10 * 60 * 1000)

static const char *const sql[ST__COUNT] = {
	[ST_INBOUND] = "INSERT OR IGNORE INTO inbound(station, id, type, received_at) "
		       "VALUES(?, ?, ?, ?)",
	[ST_UNMARK] = "DELETE FROM inbound WHERE station = ? AND id = ?",
	/* The report's own row is its idempotence mark. */
	[ST_REPORT] = "INSERT INTO reports(item, station, id, colour, category, title, "
		      "text, reporter, phone, people, created, received_at) "
		      "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
		      "ON CONFLICT(item) DO NOTHING",
	[ST_UNREPORT] = "DELETE FROM reports WHERE item = ?",
	[ST_SEEN] = "UPDATE stations SET last_seen = ?1 WHERE code = ?2",
	/* Applied when its session is not older than the stored one, when
	 * it says online (an older connection that still speaks is alive: the
	 * stored session was never the station's), or when the stored one is
	 * ahead of the hub's clock (?3). Only a late will is ignored. The
	 * session is stored no further ahead than ?9; ?8 is already bounded
	 * (hub_store_status). */
	[ST_STATUS] = "UPDATE stations SET online = ?1, session = min(?2, ?9), "
		      "last_seen = ?3, outbox = coalesce(?4, outbox), "
		      "agent = coalesce(?5, agent), "
		      "settled = max(coalesce(settled, 0), coalesce(?8, 0)) "
		      "WHERE code = ?6 AND (session <= ?7 OR ?1 OR session > ?3)",
	[ST_STATION] = "INSERT INTO stations(code, name, lat, lon) VALUES(?, ?, ?, ?) "
		       "ON CONFLICT(code) DO UPDATE SET name = excluded.name, "
		       "lat = excluded.lat, lon = excluded.lon",
	/* With the highest id stored from each station: one pass over
	 * reports, at start and on a reload only. */
	[ST_MARKS] = "SELECT s.code, coalesce(s.settled, 0), s.online, "
		     "max(coalesce(r.high, 0), coalesce(i.high, 0)) FROM stations s "
		     "LEFT JOIN (SELECT station, max(id) AS high FROM reports "
		     "GROUP BY station) r ON r.station = s.code "
		     "LEFT JOIN (SELECT station, max(id) AS high FROM inbound "
		     "GROUP BY station) i ON i.station = s.code",
	/* After another connection's commit (a reset of marks beside the
	 * running hub): the marks as stored, without the pass over reports. */
	[ST_SETTLED] = "SELECT code, coalesce(settled, 0), online FROM stations",
	[ST_CLAMP] = "UPDATE stations SET settled = ?1 WHERE code = ?2 AND settled > ?1",
	[ST_DATA_VERSION] = "PRAGMA data_version",
	/* For the timer's and the dashboard's changes, one item at a time,
	 * and a message that failed before: prepared once, not parsed anew. */
	[ST_SAVEPOINT] = "SAVEPOINT msg",
	[ST_RELEASE] = "RELEASE msg",
	[ST_ROLLBACK_TO] = "ROLLBACK TO msg",
};

/* What the store keeps of a station in memory, so that a message costs no
 * statement on `stations`: its replay mark (as stored, and raised by its
 * statuses) and when its last_seen was last written. */
typedef struct station_mark {
	char code[PROTO_CODE_MAX + 1]; /* "": a free slot */
	int64_t settled;
	int64_t high;    /* the highest id taken from it: stored, or seen since start */
	int64_t seen_at;
	bool online; /* as its last status applied said */
} station_mark;

struct hub_store {
	sqlite3 *db;
	const hub_secret *secret;
	sqlite3_stmt *st[ST__COUNT];
	station_mark *marks; /* open addressing, a power of two slots */
	size_t n_marks;
	bool in_batch;
	int64_t data_version; /* of the last look at the marks as stored */
	uint64_t undone; /* rollbacks so far, whole or to a savepoint */
	bool full;       /* a rollback since the last look was for a full disk */
};

hub_store *hub_store_open(const char *path, const hub_secret *secret)
{
	hub_store *s = calloc(1, sizeof *s);

	if (!s)
		return NULL;
	s->secret = secret;
	s->db = proto_db_open(path, NULL);
	if (!s->db || hub_schema_migrate(s->db, path))
		goto fail;
	/* A county's items and indexes stay in memory: 64 MiB of page cache
	 * instead of SQLite's default 2. Temporary storage in memory too: a
	 * savepoint journals the pages it changes, past the 64 KiB SQLite
	 * keeps in memory, and the rest went to a temporary file, two pwrites
	 * a page (once most of the hub's writes, not the WAL). */
	if (proto_db_exec(s->db, "PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY"))
		goto fail;
	for (int i = 0; i < ST__COUNT; i++) {
		s->st[i] = proto_db_prepare(s->db, sql[i]);
		if (!s->st[i])
			goto fail;
	}
	return s;
fail:
	hub_store_close(s);
	return NULL;
}

void hub_store_close(hub_store *s)
{
	if (!s)
		return;
	if (s->in_batch)
		proto_db_exec(s->db, "ROLLBACK");
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(s->st[i]);
	proto_db_close(s->db);
	free(s->marks);
	free(s);
}

static proto_err refresh_marks(hub_store *s);

proto_err hub_store_begin(hub_store *s)
{
	if (s->in_batch)
		return PROTO_OK;
	if (proto_db_exec(s->db, "BEGIN IMMEDIATE"))
		return PROTO_ERR_IO;
	s->in_batch = true;
	/* Inside the batch: what another connection reset stays reset. */
	if (refresh_marks(s)) {
		hub_store_rollback(s);
		return PROTO_ERR_IO;
	}
	return PROTO_OK;
}

proto_err hub_store_commit(hub_store *s)
{
	if (!s->in_batch)
		return PROTO_OK;
	if (proto_db_exec(s->db, "COMMIT")) {
		hub_store_rollback(s);
		return PROTO_ERR_IO;
	}
	s->in_batch = false;
	return PROTO_OK;
}

bool hub_store_in_batch(const hub_store *s)
{
	return s->in_batch;
}

/* The slot of code: where it is, or the free slot where it would go. */
static station_mark *slot(station_mark *marks, size_t n, const char *code)
{
	for (size_t i = proto_str_hash(code) & (n - 1);; i = (i + 1) & (n - 1))
		if (!marks[i].code[0] || strcmp(marks[i].code, code) == 0)
			return &marks[i];
}

/* The station's mark, NULL for a code the stations table does not hold. */
static station_mark *mark_of(hub_store *s, const char *code)
{
	station_mark *m = s->n_marks && code ? slot(s->marks, s->n_marks, code) : NULL;

	return m && m->code[0] ? m : NULL;
}

/* SQLite's count of commits by other connections: the marks are read
 * again when it moves. */
static proto_err data_version(hub_store *s, int64_t *v)
{
	sqlite3_stmt *st = s->st[ST_DATA_VERSION];
	int rc = sqlite3_step(st);

	*v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW) {
		log_error("sqlite: %s", sqlite3_errmsg(s->db));
		return PROTO_ERR_IO;
	}
	return PROTO_OK;
}

/* The most a station's settled mark may be (PROTOCOL.md §5.2): it promises
 * only ids the hub has had from it, so one past the highest of those, and
 * never beyond the hub's clock and the margin. */
static int64_t settled_bound(const station_mark *m, int64_t now)
{
	int64_t bound = m->high + 1;

	return bound < now + MARK_AHEAD_MS ? bound : now + MARK_AHEAD_MS;
}

/* Lowers the stored marks that run ahead of what the hub has had from
 * their stations (a forged status kept by an older hub): lowering one
 * never refuses a message the station may still send. */
static proto_err clamp_marks(hub_store *s)
{
	sqlite3_stmt *st = s->st[ST_CLAMP];
	int64_t now = proto_now_ms();
	proto_err err = PROTO_OK;

	for (size_t i = 0; !err && i < s->n_marks; i++) {
		station_mark *m = &s->marks[i];
		int64_t bound = settled_bound(m, now);

		if (!m->code[0] || m->settled <= bound)
			continue;
		log_warn("station %s: settled mark %lld is beyond the ids it has sent; "
			 "lowered to %lld", m->code, (long long)m->settled,
			(long long)bound);
		m->settled = bound;
		sqlite3_bind_int64(st, 1, bound);
		sqlite3_bind_text(st, 2, m->code, -1, SQLITE_STATIC);
		err = proto_db_step(st);
	}
	return err;
}

/* Reads every station's replay mark and the highest id stored from it,
 * after the registry's rows are in. */
static proto_err load_marks(hub_store *s, size_t stations)
{
	sqlite3_stmt *st = s->st[ST_MARKS];
	size_t n = 16;
	station_mark *marks;
	int rc;

	/* Every registered station and any older row: at most half full. */
	while (n < 2 * stations + 64)
		n *= 2;
	for (;;) {
		marks = calloc(n, sizeof *marks);
		if (!marks)
			return PROTO_ERR_NOMEM;
		size_t used = 0;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW && used < n / 2) {
			const char *code = (const char *)sqlite3_column_text(st, 0);
			if (!code || !proto_code_valid(code))
				continue;
			station_mark *m = slot(marks, n, code);
			proto_copy(m->code, sizeof m->code, code);
			m->settled = sqlite3_column_int64(st, 1);
			m->online = sqlite3_column_int(st, 2) != 0;
			m->high = sqlite3_column_int64(st, 3);
			used++;
		}
		sqlite3_reset(st);
		if (rc == SQLITE_DONE)
			break;
		free(marks);
		if (rc != SQLITE_ROW) {
			log_error("sqlite: %s", sqlite3_errmsg(s->db));
			return PROTO_ERR_IO;
		}
		n *= 2; /* more rows than room: again, larger */
	}
	free(s->marks);
	s->marks = marks;
	s->n_marks = n;
	proto_err err = clamp_marks(s);
	return err ? err : data_version(s, &s->data_version);
}

/* Takes the stored settled marks and states again when another connection
 * has committed since the last look (minqing-hub provision --reset-marks
 * beside the running hub). Costs a pragma per batch, a read of `stations`
 * per such commit. */
static proto_err refresh_marks(hub_store *s)
{
	sqlite3_stmt *st = s->st[ST_SETTLED];
	int64_t v;
	int rc;

	if (!s->n_marks || data_version(s, &v))
		return s->n_marks ? PROTO_ERR_IO : PROTO_OK;
	if (v == s->data_version)
		return PROTO_OK;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		station_mark *m = mark_of(s, (const char *)sqlite3_column_text(st, 0));
		if (!m)
			continue;
		m->settled = sqlite3_column_int64(st, 1);
		m->online = sqlite3_column_int(st, 2) != 0;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_error("sqlite: %s", sqlite3_errmsg(s->db));
		return PROTO_ERR_IO;
	}
	s->data_version = v;
	return PROTO_OK;
}

proto_err hub_store_sync_registry(hub_store *s, const proto_registry *reg)
{
	sqlite3_stmt *st = s->st[ST_STATION];
	proto_err err = hub_store_begin(s);

	for (size_t i = 0; !err && i < proto_registry_count(reg); i++) {
		const proto_station *p = proto_registry_at(reg, i);
		sqlite3_bind_text(st, 1, p->code, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, p->name, -1, SQLITE_STATIC);
		if (p->has_position) {
			sqlite3_bind_double(st, 3, p->lat);
			sqlite3_bind_double(st, 4, p->lon);
		}
		err = proto_db_step(st);
	}
	if (err) {
		hub_store_rollback(s);
		return err;
	}
	err = hub_store_commit(s);
	return err ? err : load_marks(s, proto_registry_count(reg));
}

static proto_err mark_inbound(hub_store *s, const proto_msg *m, int64_t now, bool *dup)
{
	sqlite3_stmt *st = s->st[ST_INBOUND];
	proto_err err;

	sqlite3_bind_text(st, 1, m->station, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, m->id);
	sqlite3_bind_text(st, 3, proto_msg_type_name(m->type), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	err = proto_db_step(st);
	*dup = !err && sqlite3_changes(s->db) == 0;
	return err;
}

static proto_err unmark(hub_store *s, const proto_msg *m)
{
	sqlite3_stmt *st = s->st[ST_UNMARK];

	sqlite3_bind_text(st, 1, m->station, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, m->id);
	return proto_db_step(st);
}

/* Marks the station seen; PROTO_ERR_REPLAY when a new id is below the mark
 * the station itself reported as settled: it has a receipt for everything
 * below it and never resends. */
static proto_err advance(hub_store *s, const proto_msg *m, int64_t now)
{
	sqlite3_stmt *st = s->st[ST_SEEN];
	station_mark *mark = mark_of(s, m->station);

	if (mark && m->id < mark->settled)
		return PROTO_ERR_REPLAY;
	if (mark && m->id > mark->high)
		mark->high = m->id;
	if (mark && now >= mark->seen_at && now - mark->seen_at < SEEN_EVERY)
		return PROTO_OK;
	if (mark)
		mark->seen_at = now;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, m->station, -1, SQLITE_STATIC);
	return proto_db_step(st);
}

static proto_err savepoint(hub_store *s)
{
	return proto_db_step(s->st[ST_SAVEPOINT]);
}

static proto_err release(hub_store *s, proto_err err)
{
	if (err) {
		proto_db_step(s->st[ST_ROLLBACK_TO]);
		s->undone++;
	}
	if (proto_db_step(s->st[ST_RELEASE]) && !err)
		err = PROTO_ERR_IO;
	return err;
}

/* Binds the sealed form of a personal field (NULL stays NULL). */
static proto_err bind_sealed(hub_store *s, sqlite3_stmt *st, int col, const char *text)
{
	unsigned char *blob;
	size_t len;

	if (!text)
		return PROTO_OK;
	blob = hub_secret_seal(s->secret, text, &len);
	if (!blob)
		return PROTO_ERR_NOMEM;
	sqlite3_bind_blob(st, col, blob, (int)len, free);
	return PROTO_OK;
}

proto_err hub_store_stage_report(hub_store *s, const proto_msg *m, int64_t now, bool *dup)
{
	const proto_report *r = &m->u.report;
	sqlite3_stmt *st = s->st[ST_REPORT];
	char item[PROTO_ITEM_ID_MAX];
	proto_err err;

	proto_item_id(item, m->station, m->id);
	sqlite3_bind_text(st, 1, item, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, m->station, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, m->id);
	sqlite3_bind_text(st, 4, proto_colour_name(r->colour), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, proto_category_name(r->category), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, r->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, r->text, -1, SQLITE_STATIC);
	if (bind_sealed(s, st, 8, r->reporter_name) || bind_sealed(s, st, 9, r->reporter_phone)) {
		proto_db_reset(st);
		return PROTO_ERR_NOMEM;
	}
	sqlite3_bind_int(st, 10, r->people);
	sqlite3_bind_int64(st, 11, m->ts);
	sqlite3_bind_int64(st, 12, now);
	err = proto_db_step(st);
	*dup = !err && sqlite3_changes(s->db) == 0;
	if (err || *dup)
		return err;
	/* A replay's row is taken back at once: nothing of it stays. */
	err = advance(s, m, now);
	if (err == PROTO_ERR_REPLAY) {
		sqlite3_stmt *un = s->st[ST_UNREPORT];
		sqlite3_bind_text(un, 1, item, -1, SQLITE_STATIC);
		if (proto_db_step(un))
			err = PROTO_ERR_IO;
	}
	return err;
}

proto_err hub_store_status(hub_store *s, const proto_msg *m, int64_t now)
{
	const proto_status *p = &m->u.status;
	sqlite3_stmt *st = s->st[ST_STATUS];
	station_mark *mark = mark_of(s, m->station);
	int64_t settled = p->settled;

	/* Marks that cannot run ahead of reality (PROTOCOL.md §5.2, §8): the
	 * part of a claim beyond them is refused, the rest applies. */
	if (p->session > now + MARK_AHEAD_MS)
		log_warn("status from %s: session %lld is ahead of the hub's clock; "
			 "it orders nothing", m->station, (long long)p->session);
	if (mark && settled > settled_bound(mark, now)) {
		int64_t bound = settled_bound(mark, now);
		/* With messages waiting, an honest station may promise ids the
		 * hub has not had yet: that is only worth a debug line. */
		if (p->outbox == 0 || settled > now + MARK_AHEAD_MS)
			log_warn("status from %s: settled %lld is beyond the ids it has "
				 "sent; the mark rises only to %lld", m->station,
				(long long)settled, (long long)bound);
		else
			log_debug("status from %s: settled %lld bounded to %lld",
				m->station, (long long)settled, (long long)bound);
		settled = bound;
	}
	sqlite3_bind_int(st, 1, p->online);
	sqlite3_bind_int64(st, 2, p->session);
	sqlite3_bind_int64(st, 3, now);
	if (p->outbox >= 0)
		sqlite3_bind_int64(st, 4, p->outbox);
	if (p->agent)
		sqlite3_bind_text(st, 5, p->agent, -1, SQLITE_STATIC);
	if (settled > 0)
		sqlite3_bind_int64(st, 8, settled);
	sqlite3_bind_text(st, 6, m->station, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, p->session);
	sqlite3_bind_int64(st, 9, now + MARK_AHEAD_MS);
	proto_err err = proto_db_step(st);
	if (!err && mark && sqlite3_changes(s->db) > 0) {
		if (settled > mark->settled)
			mark->settled = settled;
		mark->seen_at = now;
		mark->online = p->online;
	}
	return err;
}

proto_err hub_store_reset_marks(const char *path, const char *code, bool *found)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	proto_err err = PROTO_ERR_IO;

	*found = false;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		goto done;
	/* The running hub holds the write lock for a batch at a time. */
	sqlite3_busy_timeout(db, 10000);
	if (sqlite3_prepare_v2(db, "UPDATE stations SET settled = NULL, session = 0, "
			"online = 0 WHERE code = ?", -1, &st, NULL) != SQLITE_OK)
		goto done;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto done;
	*found = sqlite3_changes(db) > 0;
	err = PROTO_OK;
done:
	if (err)
		log_error("cannot reset the marks of %s in %s: %s", code, path,
			db ? sqlite3_errmsg(db) : "out of memory");
	sqlite3_finalize(st);
	sqlite3_close(db);
	return err;
}

bool hub_store_online(hub_store *s, const char *code)
{
	station_mark *mark = mark_of(s, code);

	return mark && mark->online;
}

void hub_store_rollback(hub_store *s)
{
	/* What failed last, before ROLLBACK replaces it: SQLite's word for
	 * ENOSPC, the one failure that passes when space comes back. */
	if ((sqlite3_extended_errcode(s->db) & 0xff) == SQLITE_FULL)
		s->full = true;
	/* SQLite may have rolled the batch back itself (disk full, I/O). */
	if (!sqlite3_get_autocommit(s->db))
		proto_db_exec(s->db, "ROLLBACK");
	s->in_batch = false;
	s->undone++;
}

bool hub_store_take_full(hub_store *s)
{
	bool full = s->full;

	s->full = false;
	return full;
}

uint64_t hub_store_undone(const hub_store *s)
{
	return s->undone;
}

sqlite3 *hub_store_db(hub_store *s)
{
	return s->db;
}

const hub_secret *hub_store_secret(const hub_store *s)
{
	return s->secret;
}

proto_err hub_store_savepoint(hub_store *s)
{
	return savepoint(s);
}

proto_err hub_store_release(hub_store *s, proto_err err)
{
	return release(s, err);
}

/* A replay's mark is taken back at once: nothing of it stays in the batch. */
proto_err hub_store_inbound(hub_store *s, const proto_msg *m, int64_t now, bool *dup)
{
	proto_err err = mark_inbound(s, m, now, dup);

	if (!err && !*dup)
		err = advance(s, m, now);
	if (err == PROTO_ERR_REPLAY && unmark(s, m))
		err = PROTO_ERR_IO;
	return err;
}

proto_err hub_store_unmark(hub_store *s, const proto_msg *m)
{
	return unmark(s, m);
}
