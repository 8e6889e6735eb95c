/* `minqing-hub backup --to FILE`: an online backup of the hub's database
 * with SQLite's backup API, taken while the hub runs. The copy is one read
 * transaction of the WAL database: consistent as of its start (every report
 * receipted before it is in), and the hub goes on writing meanwhile. The
 * key file that unseals residents' names is not in the database: the output
 * says so, and --key-to copies it to a separate place. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "hub/admin/admin.h"
#include "protocol/clock.h"
#include "protocol/db.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: minqing-hub backup --to FILE [--key-to FILE] [--db FILE]\n"
		"                          [--keyfile FILE] [--config FILE]...\n"
		"Copies the hub's database to FILE while the hub runs (SQLite online\n"
		"backup: consistent as of the moment it starts). The database and its\n"
		"key come from --db, --keyfile or the config, as for the hub. The key is NOT in the\n"
		"backup: without it residents' names and phones cannot be read. Back\n"
		"it up separately, once (it never changes): --key-to FILE copies it.\n");
}

/* fsync of a file, then of its directory, so that a rename survives. */
static int sync_path(const char *path, bool dir)
{
	int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static int64_t count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;

	/* st stays NULL when the prepare fails: -1 then. */
	sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	return proto_db_int(st, -1);
}

/* The copy into tmp; on success the counts of the copy. */
static int copy_db(const char *db, const char *tmp, int64_t *reports, int64_t *items)
{
	sqlite3 *src = NULL, *dst = NULL;
	sqlite3_backup *b;
	int rc = -1;

	if (sqlite3_open_v2(db, &src, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		fprintf(stderr, "minqing-hub backup: cannot open %s: %s\n", db,
			sqlite3_errmsg(src));
		goto done;
	}
	sqlite3_busy_timeout(src, 10000);
	if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
		    NULL) != SQLITE_OK) {
		fprintf(stderr, "minqing-hub backup: cannot create %s: %s\n", tmp,
			sqlite3_errmsg(dst));
		goto done;
	}
	/* All pages in one step: one read transaction, one snapshot. In WAL
	 * mode it does not hold the hub's writes back. */
	b = sqlite3_backup_init(dst, "main", src, "main");
	if (!b || sqlite3_backup_step(b, -1) != SQLITE_DONE) {
		fprintf(stderr, "minqing-hub backup: %s\n", sqlite3_errmsg(dst));
		sqlite3_backup_finish(b);
		goto done;
	}
	if (sqlite3_backup_finish(b) != SQLITE_OK) {
		fprintf(stderr, "minqing-hub backup: %s\n", sqlite3_errmsg(dst));
		goto done;
	}
	sqlite3_stmt *st = NULL;
	bool ok = sqlite3_prepare_v2(dst, "PRAGMA quick_check", -1, &st, NULL) == SQLITE_OK &&
		sqlite3_step(st) == SQLITE_ROW &&
		strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
	sqlite3_finalize(st);
	if (!ok) {
		fprintf(stderr, "minqing-hub backup: the copy fails its check\n");
		goto done;
	}
	*reports = count(dst, "SELECT count(*) FROM reports");
	*items = count(dst, "SELECT count(*) FROM items");
	/* A single file to carry away: no WAL beside the copy. */
	if (sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK)
		goto done;
	rc = 0;
done:
	sqlite3_close(dst);
	sqlite3_close(src);
	return rc;
}

static int copy_key(const char *from, const char *to)
{
	char buf[4096];
	ssize_t n;
	int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, rc = -1;

	if (in < 0) {
		fprintf(stderr, "minqing-hub backup: cannot read the key %s: %s\n", from,
			strerror(errno));
		return -1;
	}
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0) {
		fprintf(stderr, "minqing-hub backup: cannot write %s: %s\n", to,
			strerror(errno));
		goto done;
	}
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n)
			goto done;
	if (n == 0 && fsync(out) == 0)
		rc = 0;
done:
	if (out >= 0 && close(out) != 0)
		rc = -1;
	close(in);
	return rc;
}

int hub_backup_main(int argc, char **argv, const proto_conf_key *keys, size_t size)
{
	static const struct option opts[] = {
		{"to", required_argument, NULL, 't'},
		{"key-to", required_argument, NULL, 'k'},
		{"db", required_argument, NULL, 'd'},
		{"keyfile", required_argument, NULL, 'K'},
		{"config", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *to = NULL, *key_to = NULL, *db = NULL, *keyfile = NULL;
	char tmp[PATH_MAX], dir[PATH_MAX], key[PATH_MAX], when[PROTO_TIME_TEXT];
	int64_t reports = 0, items = 0, started;
	void *cfg = NULL;
	int opt, rc = 1;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 't': to = optarg; break;
		case 'k': key_to = optarg; break;
		case 'd': db = optarg; break;
		case 'K': keyfile = optarg; break;
		case 'f': break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!to || optind < argc) {
		usage(stderr);
		return 2;
	}
	cfg = hub_admin_config(argc, argv, keys, size);
	if (!cfg)
		return 2;
	if (!db)
		db = proto_config_get(keys, cfg, "db");
	if (!db) {
		fprintf(stderr, "minqing-hub backup: no database: give --db FILE or "
				"--config FILE\n");
		goto done;
	}
	/* As the hub finds it: the flag, the config, else beside the database. */
	hub_admin_keyfile(keyfile ? keyfile : proto_config_get(keys, cfg, "keyfile"), db,
		key, sizeof key);
	if (access(db, F_OK) != 0) {
		fprintf(stderr, "minqing-hub backup: %s: %s\n", db, strerror(errno));
		goto done;
	}
	if (key_to && strcmp(key_to, to) == 0) {
		fprintf(stderr, "minqing-hub backup: the key and the backup must be two "
				"files, kept apart\n");
		goto done;
	}
	/* The backup holds complaints: the hub's own rule for its files. */
	umask(077);
	snprintf(tmp, sizeof tmp, "%s.tmp", to);
	unlink(tmp);
	started = proto_now_ms();
	if (copy_db(db, tmp, &reports, &items)) {
		unlink(tmp);
		goto done;
	}
	proto_path_dir(to, dir, sizeof dir);
	if (sync_path(tmp, false) || rename(tmp, to) < 0 || sync_path(dir, true)) {
		fprintf(stderr, "minqing-hub backup: cannot write %s: %s\n", to,
			strerror(errno));
		unlink(tmp);
		goto done;
	}
	proto_time_format(started, when);
	printf("backup of %s written to %s: %lld reports, %lld items, as of %s\n", db, to,
		(long long)reports, (long long)items, when);
	if (key_to) {
		if (copy_key(key, key_to))
			goto done;
		printf("key file %s copied to %s: keep it apart from the database "
		       "backups\n", key, key_to);
	} else {
		printf("NOTE: the key file %s is not in this backup. Without it the\n"
		       "residents' names and phones in the backup cannot be read. Back it\n"
		       "up once, separately (it never changes): --key-to FILE copies it.\n",
			key);
	}
	rc = 0;
done:
	hub_admin_config_free(keys, cfg);
	return rc;
}
