/* Accounts: the password check of the login, and `minqing-hub user`, which
 * may run while the hub runs (WAL and the busy timeout let both write). A
 * scope must be a registered station of the role's tier. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "dashboard/dashboard.h"
#include "dashboard/users.h"
#include "hub/schema.h"
#include "protocol/clock.h"
#include "protocol/db.h"
#include "protocol/log.h"
#include "protocol/message.h"

bool dash_user_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 32)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* A hash to verify against when the name is unknown, so that an unknown
 * name costs the same time as a wrong password. Made once. */
static char dummy_hash[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy(void)
{
	if (crypto_pwhash_str(dummy_hash, "not a password", 14,
		    crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE))
		dummy_hash[0] = '\0';
}

/* A digest of the stored hash: sessions keep this, not the hash. */
static void stamp_of(const char *hash, char out[33])
{
	unsigned char d[16];

	crypto_generichash(d, sizeof d, (const unsigned char *)hash, strlen(hash), NULL, 0);
	sodium_bin2hex(out, 33, d, sizeof d);
}

bool dash_users_current(sqlite3 *db, const dash_user *u)
{
	sqlite3_stmt *st = proto_db_prepare(db, "SELECT hash FROM users WHERE name = ?");
	char stamp[33] = "";

	if (!st)
		return false;
	sqlite3_bind_text(st, 1, u->name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		stamp_of((const char *)sqlite3_column_text(st, 0), stamp);
	sqlite3_finalize(st);
	return stamp[0] && sodium_memcmp(stamp, u->stamp, 32) == 0;
}

bool dash_users_check(sqlite3 *db, const char *name, const char *password,
	dash_user *u)
{
	sqlite3_stmt *st = proto_db_prepare(db,
		"SELECT u.display, u.role, u.scope, u.hash, s.name FROM users u "
		"LEFT JOIN stations s ON s.code = u.scope WHERE u.name = ?");
	char hash[crypto_pwhash_STRBYTES] = "";
	bool found = false, ok;

	memset(u, 0, sizeof *u);
	if (st) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			found = true;
			snprintf(u->name, sizeof u->name, "%s", name);
			proto_db_copy_text(u->display, sizeof u->display, st, 0);
			proto_db_copy_text(u->role, sizeof u->role, st, 1);
			proto_db_copy_text(u->scope, sizeof u->scope, st, 2);
			proto_db_copy_text(hash, sizeof hash, st, 3);
			proto_db_copy_text(u->scope_name, sizeof u->scope_name, st, 4);
		}
		sqlite3_finalize(st);
	}
	if (!found) {
		pthread_once(&dummy_once, make_dummy);
		snprintf(hash, sizeof hash, "%s", dummy_hash);
	}
	ok = hash[0] && crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
	if (found && ok)
		stamp_of(hash, u->stamp);
	sodium_memzero(hash, sizeof hash);
	return found && ok;
}

/* ------------------------------------------------------------ the CLI */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: minqing-hub user add NAME --role county|town|village --scope CODE\n"
		"                        --db FILE [--display TEXT]\n"
		"       minqing-hub user passwd NAME --db FILE\n"
		"       minqing-hub user del NAME --db FILE\n"
		"       minqing-hub user list --db FILE\n"
		"The password is read from standard input (a prompt on a terminal).\n");
}

/* Reads a password: prompted without echo on a terminal, else one line. */
static int read_password(char *buf, size_t n)
{
	bool tty = isatty(STDIN_FILENO);
	struct termios old, quiet;

	if (tty) {
		fprintf(stderr, "password: ");
		if (tcgetattr(STDIN_FILENO, &old) == 0) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		}
	}
	char *got = fgets(buf, (int)n, stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	if (!got)
		return -1;
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

static const char *const roles[] = {"county", "town", "village"};

/* The checks of `user add` that need no write: role, scope, display. */
static int check_add(sqlite3 *db, const char *role, const char *scope,
	const char *display)
{
	sqlite3_stmt *st;
	int tier = -1;

	for (int i = 0; i < 3; i++)
		if (role && strcmp(role, roles[i]) == 0)
			tier = i;
	if (tier < 0) {
		fprintf(stderr, "minqing-hub user: --role must be county, town or village\n");
		return 2;
	}
	if (!scope || proto_code_tier(scope) != (proto_tier)tier) {
		fprintf(stderr, "minqing-hub user: --scope must be a %s station's code "
			"(%zu digits)\n", role, proto_tier_digits((proto_tier)tier));
		return 2;
	}
	st = proto_db_prepare(db, "SELECT name FROM stations WHERE code = ?");
	if (!st)
		return 1;
	sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
	bool known = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (!known) {
		fprintf(stderr, "minqing-hub user: %s is not a registered station "
			"(has the hub run once with this database?)\n", scope);
		return 2;
	}
	if (display && (!proto_utf8_valid(display, strlen(display)) ||
			proto_utf8_length(display) > 32)) {
		fprintf(stderr, "minqing-hub user: --display must be UTF-8, at most "
			"32 characters\n");
		return 2;
	}
	return 0;
}

/* Reads the password and hashes it into hash. */
static int hash_password(char hash[crypto_pwhash_STRBYTES])
{
	char password[256];
	int rc = 0;

	if (read_password(password, sizeof password) || strlen(password) < 8) {
		fprintf(stderr, "minqing-hub user: a password of at least 8 characters "
			"is needed on standard input\n");
		rc = 2;
	} else if (crypto_pwhash_str(hash, password, strlen(password),
			   crypto_pwhash_OPSLIMIT_INTERACTIVE,
			   crypto_pwhash_MEMLIMIT_INTERACTIVE)) {
		fprintf(stderr, "minqing-hub user: out of memory hashing the password\n");
		rc = 1;
	}
	sodium_memzero(password, sizeof password);
	return rc;
}

static int add_or_passwd(sqlite3 *db, const char *name, const char *role,
	const char *scope, const char *display, const char *hash, bool add)
{
	sqlite3_stmt *st = proto_db_prepare(db, add ?
		"INSERT INTO users(name, display, role, scope, hash, created) "
		"VALUES(?1, coalesce(?2, ?1), ?3, ?4, ?5, ?6)" :
		"UPDATE users SET hash = ?5 WHERE name = ?1");
	int rc = 1;

	if (!st)
		return 1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (display)
		sqlite3_bind_text(st, 2, display, -1, SQLITE_STATIC);
	if (add) {
		sqlite3_bind_text(st, 3, role, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, scope, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, proto_now_ms());
	}
	sqlite3_bind_text(st, 5, hash, -1, SQLITE_STATIC);
	int step = sqlite3_step(st);
	if (step == SQLITE_CONSTRAINT) {
		fprintf(stderr, "minqing-hub user: %s exists (use `user passwd`)\n", name);
		rc = 2;
	} else if (step != SQLITE_DONE) {
		fprintf(stderr, "minqing-hub user: %s\n", sqlite3_errmsg(db));
	} else if (!add && sqlite3_changes(db) == 0) {
		fprintf(stderr, "minqing-hub user: no user %s\n", name);
		rc = 2;
	} else {
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

static int list(sqlite3 *db)
{
	sqlite3_stmt *st = proto_db_prepare(db,
		"SELECT name, role, scope, display FROM users ORDER BY name");

	if (!st)
		return 1;
	while (sqlite3_step(st) == SQLITE_ROW)
		printf("%s\t%s\t%s\t%s\n", sqlite3_column_text(st, 0),
			sqlite3_column_text(st, 1), sqlite3_column_text(st, 2),
			sqlite3_column_text(st, 3));
	sqlite3_finalize(st);
	return 0;
}

static int del(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st = proto_db_prepare(db, "DELETE FROM users WHERE name = ?");
	int rc = 1;

	if (!st)
		return 1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_DONE)
		rc = sqlite3_changes(db) ? 0 : 2;
	if (rc == 2)
		fprintf(stderr, "minqing-hub user: no user %s\n", name);
	sqlite3_finalize(st);
	return rc;
}

int dash_user_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"role", required_argument, NULL, 'r'},
		{"scope", required_argument, NULL, 's'},
		{"db", required_argument, NULL, 'd'},
		{"display", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *role = NULL, *scope = NULL, *path = NULL, *display = NULL, *cmd, *name = NULL;
	sqlite3 *db;
	int c, rc;

	proto_log_init("minqing-hub", PROTO_LOG_WARN);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': role = optarg; break;
		case 's': scope = optarg; break;
		case 'd': path = optarg; break;
		case 'n': display = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc)
		name = argv[optind++];
	bool needs_name = strcmp(cmd, "list") != 0;
	if (!path || optind < argc || (needs_name && !name) ||
	    (strcmp(cmd, "add") && strcmp(cmd, "passwd") && strcmp(cmd, "del") &&
	     strcmp(cmd, "list"))) {
		usage(stderr);
		return 2;
	}
	if (name && !dash_user_name_valid(name)) {
		fprintf(stderr, "minqing-hub user: a name is 1 to 32 of a-z 0-9 . _ -\n");
		return 2;
	}
	if (access(path, F_OK) != 0) {
		fprintf(stderr, "minqing-hub user: %s: %s\n", path, strerror(errno));
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	/* The database holds sealed personal data: its -wal and -shm too. */
	umask(077);
	/* At the schema's version, as the hub would bring it: an older
	 * database gets the table, a newer one is refused. */
	db = proto_db_open(path, NULL);
	if (!db || hub_schema_migrate(db, path)) {
		proto_db_close(db);
		return 1;
	}
	bool add = strcmp(cmd, "add") == 0, passwd = strcmp(cmd, "passwd") == 0;
	bool write = strcmp(cmd, "list") != 0;
	char hash[crypto_pwhash_STRBYTES] = "";
	rc = add ? check_add(db, role, scope, display) : 0;
	/* Checked and hashed (a quarter of a second) before the write lock
	 * is taken: while it is held the hub's core waits for it, and with
	 * the core every station's receipts. */
	if (!rc && (add || passwd))
		rc = hash_password(hash);
	if (rc)
		goto done;
	/* The write lock first (waiting on the busy timeout while the hub
	 * commits, a few milliseconds): a deferred transaction would fail on
	 * a snapshot the hub moved on from meanwhile. */
	if (write && sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "minqing-hub user: the database stays locked: %s\n",
			sqlite3_errmsg(db));
		rc = 1;
		goto done;
	}
	if (add || passwd)
		rc = add_or_passwd(db, name, role, scope, display, hash, add);
	else if (strcmp(cmd, "del") == 0)
		rc = del(db, name);
	else
		rc = list(db);
	if (write && proto_db_exec(db, rc == 0 ? "COMMIT" : "ROLLBACK") && rc == 0)
		rc = 1;
done:
	sodium_memzero(hash, sizeof hash);
	proto_db_close(db);
	return rc;
}
