/* The dashboard's read connections: a pool of read-only SQLite connections
 * to the hub's database, one lent to a request at a time. In WAL mode a
 * reader never blocks the core's writes and never sees half a batch. The
 * pool lives in struct dash (dash-int.h); dash_destroy closes what is left. */
#include "dashboard/dash-int.h"
#include "protocol/log.h"

sqlite3 *dash_reader_get(dash *d)
{
	sqlite3 *db = NULL;

	pthread_mutex_lock(&d->readers_lock);
	if (d->n_readers)
		db = d->readers[--d->n_readers];
	pthread_mutex_unlock(&d->readers_lock);
	if (db)
		return db;
	/* Read-only: a bug here can never write the hub's data. */
	if (sqlite3_open_v2(d->db_path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
		    NULL) != SQLITE_OK) {
		log_error("dashboard: cannot open the database: %s",
			db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 5000);
	sqlite3_exec(db, "PRAGMA cache_size = -16384", NULL, NULL, NULL);
	return db;
}

void dash_reader_put(dash *d, sqlite3 *db)
{
	if (!db)
		return;
	pthread_mutex_lock(&d->readers_lock);
	if (d->n_readers < DASH_READERS_MAX) {
		d->readers[d->n_readers++] = db;
		db = NULL;
	}
	pthread_mutex_unlock(&d->readers_lock);
	sqlite3_close(db);
}
