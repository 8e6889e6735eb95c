/* The provision sub-command. The plain passwords live in DIR/credentials
 * (mode 0600): re-running keeps them, so bundles already installed at
 * stations stay valid; --rotate issues a new one for a single station. The
 * station's MQTT user name is its code, which is what lets one ACL pattern
 * (%u) pin every station to its own topics. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "hub/pki.h"
#include "hub/admin/provision.h"
#include "hub/store.h"
#include "protocol/log.h"
#include "protocol/registry.h"
#include "protocol/topic.h"

#define PASSWORD_BYTES 18 /* 144 bits; 24 characters of base64url */
#define USER_MAX 32
#define HTTP_HOSTS_MAX 16 /* --http-host names in the dashboard's certificate */

typedef struct cred {
	char user[USER_MAX];
	char password[64];
} cred;

typedef struct opts {
	const char *registry, *out, *host, *county, *rotate, *dropin;
	const char *db, *reset; /* the hub's database; a station whose marks go */
	int port, tls_port;
	bool tls;
	const char *http_hosts[HTTP_HOSTS_MAX]; /* the dashboard's names */
	size_t n_http_hosts;
} opts;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: minqing-hub provision --registry FILE --out DIR [--port P]\n"
		"           [--tls [--tls-port P] [--host ADDR]] [--county CODE]\n"
		"           [--rotate CODE [--db HUB.DB]] [--dropin FILE]\n"
		"           [--http-host NAME]...\n"
		"       minqing-hub provision --reset-marks CODE --db HUB.DB\n"
		"Writes the county broker's password file, ACL and mosquitto.conf,\n"
		"the hub's config and one bundle per station under DIR/stations/.\n"
		"Run it again after adding stations: existing passwords are kept.\n"
		"--dropin FILE (/etc/mosquitto/conf.d/minqing.conf) also writes the\n"
		"broker's settings as a drop-in for Debian's mosquitto service and, run\n"
		"as root, lets the groups mosquitto and minqing-hub read what their\n"
		"services need.\n"
		"--http-host NAME (an address or DNS name browsers use; repeat for\n"
		"more) makes DIR/dashboard.crt and .key, signed by the county CA, for\n"
		"NAME and loopback, and sets http_cert and http_key in hub.conf: the\n"
		"dashboard then speaks HTTPS. Without it a certificate made before is\n"
		"kept.\n"
		"--rotate CODE --db HUB.DB also resets the station's marks in the hub's\n"
		"database, as --reset-marks does alone: its replay mark and session go\n"
		"back to nothing and it shows offline until its next status. The hub\n"
		"may be running.\n");
}

static FILE *create(const char *dir, const char *name, mode_t mode)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		log_error("cannot write %s: %s", path, strerror(errno));
		return NULL;
	}
	fchmod(fd, mode); /* an existing file keeps its mode otherwise */
	return fdopen(fd, "w");
}

static bool finish(FILE *f)
{
	return f && !ferror(f) && fclose(f) == 0;
}

static void new_password(char *out, size_t n)
{
	unsigned char raw[PASSWORD_BYTES];

	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(out, n, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
}

/* Reads DIR/credentials ("user:password" lines) into creds. */
static int load_creds(const char *dir, cred **creds, size_t *n)
{
	char path[PATH_MAX], line[256];
	FILE *f;

	*creds = NULL, *n = 0;
	snprintf(path, sizeof path, "%s/credentials", dir);
	f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0 : -1;
	while (fgets(line, sizeof line, f)) {
		char *colon = strchr(line, ':');
		cred *c;
		if (line[0] == '#' || !colon)
			continue;
		*colon = '\0';
		colon[strcspn(colon + 1, "\r\n") + 1] = '\0';
		c = realloc(*creds, (*n + 1) * sizeof *c);
		if (!c) {
			fclose(f);
			return -1;
		}
		*creds = c;
		snprintf(c[*n].user, sizeof c[*n].user, "%s", line);
		snprintf(c[*n].password, sizeof c[*n].password, "%s", colon + 1);
		(*n)++;
	}
	fclose(f);
	return 0;
}

static const char *find_password(const cred *creds, size_t n, const char *user)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(creds[i].user, user) == 0)
			return creds[i].password;
	return NULL;
}

static int write_station_bundle(const opts *o, const char *absdir, const char *code,
	const char *password)
{
	char dir[PATH_MAX], src[PATH_MAX], dst[PATH_MAX];
	FILE *f;

	snprintf(dir, sizeof dir, "%s/stations/%s", absdir, code);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -1;
	f = create(dir, "station.conf", 0600);
	if (!f)
		return -1;
	fprintf(f, "# minqing-station bundle for %s, made by minqing-hub provision.\n"
		   "# Keep it secret: it holds the station's broker password.\n"
		   "code = %s\nuser = %s\npassword = %s\n", code, code, code, password);
	if (o->tls) {
		/* Relative to this file: the bundle works wherever it is copied. */
		fprintf(f, "broker = %s:%d\ncafile = ca.crt\n", o->host, o->tls_port);
	} else {
		fprintf(f, "broker = %s:%d\n", o->host, o->port);
	}
	if (!finish(f))
		return -1;
	if (o->tls) {
		/* The CA travels in the bundle: the station trusts nothing else. */
		snprintf(src, sizeof src, "%s/ca.crt", absdir);
		snprintf(dst, sizeof dst, "%s/ca.crt", dir);
		FILE *in = fopen(src, "r"), *out = fopen(dst, "w");
		char buf[4096];
		size_t n;
		bool ok = in && out;
		while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0)
			ok = fwrite(buf, 1, n, out) == n;
		if (in)
			fclose(in);
		if (out && fclose(out) != 0)
			ok = false;
		if (!ok)
			return -1;
	}
	return 0;
}

/* The settings every county broker has, as a whole config or a drop-in. */
static void write_broker_settings(FILE *f, const opts *o, const char *absdir)
{
	fprintf(f,
		"per_listener_settings false\n"
		"allow_anonymous false\n"
		"password_file %1$s/passwd\n"
		"acl_file %1$s/acl\n"
		"# A hub that is down for an hour must find its reports queued.\n"
		"max_queued_messages 100000\n"
		"# Far above the protocol's 16 KiB, so that the hub can say \"too_large\";\n"
		"# far below mosquitto's default of 256 MiB, which a station could abuse.\n"
		"max_packet_size 2097152\n"
		"# Receipts are small packets: without this each waits for the\n"
		"# peer's delayed ACK (tens of ms) before it leaves the broker.\n"
		"set_tcp_nodelay true\n"
		"\n"
		"# Plain TCP only on loopback (the hub on this machine).\n"
		"listener %2$d 127.0.0.1\n"
		"# The client id is the user name: a station cannot take over the\n"
		"# hub's or another station's session by choosing its client id.\n"
		"use_username_as_clientid true\n",
		absdir, o->port);
	if (o->tls)
		fprintf(f,
			"\n# Stations connect over TLS with the county CA.\n"
			"listener %1$d%2$s%3$s\n"
			"cafile %4$s/ca.crt\n"
			"certfile %4$s/server.crt\n"
			"keyfile %4$s/server.key\n"
			"tls_version tlsv1.2\n"
			"use_username_as_clientid true\n",
			o->tls_port, strspn(o->host, "0123456789.") == strlen(o->host) ? " " : "",
			strspn(o->host, "0123456789.") == strlen(o->host) ? o->host : "",
			absdir);
}

static FILE *create_path(const char *path, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd < 0) {
		log_error("cannot write %s: %s", path, strerror(errno));
		return NULL;
	}
	fchmod(fd, mode);
	return fdopen(fd, "w");
}

static int write_broker_files(const opts *o, const char *absdir, const char *hub_user)
{
	FILE *f = create(absdir, "acl", 0644);
	struct passwd *me = getpwuid(geteuid());

	if (!f)
		return -1;
	fprintf(f,
		"# ACL for county %1$s, made by minqing-hub provision.\n"
		"# The hub reads what stations send and writes to their inboxes.\n"
		"# It writes their report, action and receipt topics only to clear\n"
		"# what a station left retained there (mosquitto cannot refuse a\n"
		"# retained publish alone); never a station's status.\n"
		"user %2$s\n"
		"topic read " PROTO_TOPIC_ROOT "/%1$s/up/#\n"
		"topic write " PROTO_TOPIC_ROOT "/%1$s/up/+/report\n"
		"topic write " PROTO_TOPIC_ROOT "/%1$s/up/+/action\n"
		"topic write " PROTO_TOPIC_ROOT "/%1$s/up/+/receipt\n"
		"topic write " PROTO_TOPIC_ROOT "/%1$s/down/#\n"
		"topic readwrite " PROTO_TOPIC_ROOT "/%1$s/hub/status\n"
		"\n"
		"# Every station logs in with its code as user name (%%u): it may write\n"
		"# only under its own code, only the protocol's topics (no retained\n"
		"# junk under names of its choosing), and read only its own inbox.\n"
		"pattern write " PROTO_TOPIC_ROOT "/%1$s/up/%%u/report\n"
		"pattern write " PROTO_TOPIC_ROOT "/%1$s/up/%%u/action\n"
		"pattern write " PROTO_TOPIC_ROOT "/%1$s/up/%%u/status\n"
		"pattern write " PROTO_TOPIC_ROOT "/%1$s/up/%%u/receipt\n"
		"pattern read " PROTO_TOPIC_ROOT "/%1$s/down/%%u/+\n"
		"pattern read " PROTO_TOPIC_ROOT "/%1$s/hub/status\n",
		o->county, hub_user);
	if (!finish(f))
		return -1;
	f = create(absdir, "mosquitto.conf", 0644);
	if (!f)
		return -1;
	fprintf(f,
		"# mosquitto for county %1$s, made by minqing-hub provision.\n"
		"# Run as is: mosquitto -c %2$s/mosquitto.conf\n"
		"# Run as the owner of these files (a root broker would otherwise drop\n"
		"# to user mosquitto, who cannot read the 0600 password file).\n"
		"user %3$s\n"
		"persistence true\n"
		"persistence_location %2$s/\n",
		o->county, absdir, me ? me->pw_name : "mosquitto");
	write_broker_settings(f, o, absdir);
	if (!finish(f))
		return -1;
	if (!o->dropin)
		return 0;
	f = create_path(o->dropin, 0644);
	if (!f)
		return -1;
	fprintf(f,
		"# minqing: the broker of county %1$s, made by minqing-hub provision\n"
		"# --dropin. Debian's mosquitto reads it from /etc/mosquitto/conf.d/\n"
		"# (include_dir in /etc/mosquitto/mosquitto.conf, which sets the user,\n"
		"# persistence and logging). Files: %2$s/\n",
		o->county, absdir);
	write_broker_settings(f, o, absdir);
	return finish(f) ? 0 : -1;
}

/* The dashboard's certificate in hub.conf, when there is one (made now or
 * by an earlier run): re-provisioning for new stations must not turn the
 * dashboard's TLS off. */
static void write_http_tls(FILE *f, const char *absdir)
{
	char crt[PATH_MAX], key[PATH_MAX];

	snprintf(crt, sizeof crt, "%s/dashboard.crt", absdir);
	snprintf(key, sizeof key, "%s/dashboard.key", absdir);
	if (access(crt, F_OK) != 0 || access(key, F_OK) != 0)
		return;
	fprintf(f, "# The dashboard speaks HTTPS with this certificate from the county\n"
		   "# CA (ca.crt: install it in the browsers). Remade by provision\n"
		   "# --http-host NAME; a certificate of your own goes in /etc/minqing/hub.conf.\n"
		   "http_cert = %s\nhttp_key = %s\n", crt, key);
}

/* Run as root for Debian's services: the broker (group mosquitto) reads
 * the password file, the ACL and the TLS key, the hub (group minqing-hub)
 * its config; the directory lets them through without a listing. The plain
 * credentials and the CA key stay root's alone. */
static void share_with_services(const char *absdir, bool tls)
{
	static const struct { const char *file, *group; } files[] = {
		{"passwd", "mosquitto"}, {"acl", "mosquitto"}, {"server.key", "mosquitto"},
		{"hub.conf", "minqing-hub"}, {"dashboard.key", "minqing-hub"},
	};
	char path[PATH_MAX];

	if (geteuid() != 0)
		return;
	chmod(absdir, 0711);
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		struct group *g = getgrnam(files[i].group);
		if (!tls && strcmp(files[i].file, "server.key") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", absdir, files[i].file);
		if (access(path, F_OK) != 0 && strcmp(files[i].file, "dashboard.key") == 0)
			continue;
		if (!g) {
			log_warn("no group %s: %s stays readable by root only",
				files[i].group, path);
			continue;
		}
		if (chown(path, 0, g->gr_gid) < 0 || chmod(path, 0640) < 0)
			log_warn("cannot give %s to group %s: %s", path, files[i].group,
				strerror(errno));
	}
}

/* Resets a station's marks in the hub's database; an exit code. */
static int reset_marks(const char *db, const char *code)
{
	bool found = false;

	if (!proto_code_valid(code)) {
		fprintf(stderr, "minqing-hub provision: %s is not a station code\n", code);
		return 2;
	}
	if (hub_store_reset_marks(db, code, &found))
		return 1;
	if (!found) {
		fprintf(stderr, "minqing-hub provision: %s has no row in %s\n", code, db);
		return 1;
	}
	printf("marks of %s reset: its replay mark and session start again from its "
	       "next status\n", code);
	return 0;
}

static int parse(int argc, char **argv, opts *o)
{
	static const struct option lo[] = {
		{"registry", required_argument, NULL, 'r'},
		{"out", required_argument, NULL, 'o'},
		{"port", required_argument, NULL, 'p'},
		{"tls", no_argument, NULL, 't'},
		{"tls-port", required_argument, NULL, 'T'},
		{"host", required_argument, NULL, 'H'},
		{"county", required_argument, NULL, 'c'},
		{"rotate", required_argument, NULL, 'R'},
		{"dropin", required_argument, NULL, 'D'},
		{"db", required_argument, NULL, 'd'},
		{"reset-marks", required_argument, NULL, 'M'},
		{"http-host", required_argument, NULL, 'W'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'r': o->registry = optarg; break;
		case 'o': o->out = optarg; break;
		case 'p': o->port = atoi(optarg); break;
		case 't': o->tls = true; break;
		case 'T': o->tls_port = atoi(optarg); break;
		case 'H': o->host = optarg; break;
		case 'c': o->county = optarg; break;
		case 'R': o->rotate = optarg; break;
		case 'D': o->dropin = optarg; break;
		case 'd': o->db = optarg; break;
		case 'M': o->reset = optarg; break;
		case 'W':
			if (o->n_http_hosts == HTTP_HOSTS_MAX || !hub_pki_host_valid(optarg)) {
				fprintf(stderr, "minqing-hub provision: --http-host '%s': %s\n",
					optarg, o->n_http_hosts == HTTP_HOSTS_MAX ?
					"too many names" : "not an IP address or DNS name");
				return 2;
			}
			o->http_hosts[o->n_http_hosts++] = optarg;
			break;
		case 'h': usage(stdout); return 1;
		default: usage(stderr); return 2;
		}
	}
	if (o->reset) {
		if (!o->db || optind < argc || o->rotate) {
			usage(stderr);
			return 2;
		}
		return 0;
	}
	if ((o->db && !o->rotate) || !o->registry || !o->out || optind < argc || o->port < 1 || o->port > 65535 ||
	    o->tls_port < 1 || o->tls_port > 65535 || strchr(o->host, ' ')) {
		usage(stderr);
		return 2;
	}
	return 0;
}

int hub_provision_main(int argc, char **argv)
{
	opts o = {.port = 1883, .tls_port = 8883, .host = "127.0.0.1"};
	char absdir[PATH_MAX], err[512], hub_user[USER_MAX], hash[160], sdir[PATH_MAX];
	proto_registry *reg = NULL;
	cred *creds = NULL, *next = NULL;
	size_t n_creds = 0, n_next = 0, total;
	FILE *pw = NULL, *cf = NULL, *hc = NULL;
	int rc = parse(argc, argv, &o);

	if (rc)
		return rc == 1 ? 0 : 2;
	if (o.reset)
		return reset_marks(o.db, o.reset);
	if (sodium_init() < 0)
		return 1;
	rc = 1;
	reg = proto_registry_load(o.registry, err, sizeof err);
	if (!reg) {
		fprintf(stderr, "minqing-hub provision: %s\n", err);
		return 2;
	}
	if (!o.county) {
		const proto_station *first = proto_registry_at(reg, 0);
		o.county = first && proto_code_tier(first->code) == PROTO_TIER_COUNTY ?
			first->code : NULL;
	}
	if (!o.county || proto_code_tier(o.county) != PROTO_TIER_COUNTY) {
		fprintf(stderr, "minqing-hub provision: give --county CODE (6 digits)\n");
		goto done;
	}
	if (o.rotate && !proto_registry_find(reg, o.rotate)) {
		fprintf(stderr, "minqing-hub provision: %s is not in the registry\n", o.rotate);
		goto done;
	}
	if ((mkdir(o.out, 0700) < 0 && errno != EEXIST) || !realpath(o.out, absdir)) {
		fprintf(stderr, "minqing-hub provision: %s: %s\n", o.out, strerror(errno));
		goto done;
	}
	chmod(absdir, 0700);
	snprintf(sdir, sizeof sdir, "%s/stations", absdir);
	if (mkdir(sdir, 0700) < 0 && errno != EEXIST)
		goto done;
	if (load_creds(absdir, &creds, &n_creds) < 0) {
		fprintf(stderr, "minqing-hub provision: cannot read %s/credentials\n", absdir);
		goto done;
	}
	if (o.tls && hub_pki_ensure(absdir, o.county, o.host))
		goto done;
	if (o.n_http_hosts &&
	    hub_pki_issue(absdir, o.county, "dashboard", o.http_hosts, o.n_http_hosts))
		goto done;
	snprintf(hub_user, sizeof hub_user, "hub-%s", o.county);
	total = proto_registry_count(reg) + 1;
	next = calloc(total, sizeof *next);
	if (!next)
		goto done;
	/* The hub first, then every station of the county in code order. */
	for (size_t i = 0; i < total; i++) {
		const proto_station *st = i ? proto_registry_at(reg, i - 1) : NULL;
		const char *user = st ? st->code : hub_user, *old;
		if (st && !proto_code_within(st->code, o.county))
			continue;
		cred *c = &next[n_next++];
		snprintf(c->user, sizeof c->user, "%s", user);
		old = find_password(creds, n_creds, user);
		if (old && !(o.rotate && strcmp(o.rotate, user) == 0))
			snprintf(c->password, sizeof c->password, "%s", old);
		else
			new_password(c->password, sizeof c->password);
	}
	pw = create(absdir, "passwd", 0600);
	cf = create(absdir, "credentials", 0600);
	if (!pw || !cf)
		goto done;
	fprintf(cf, "# user:password for county %s; keep secret (mode 0600)\n", o.county);
	for (size_t i = 0; i < n_next; i++) {
		if (hub_pki_mosquitto_hash(next[i].password, hash, sizeof hash))
			goto done;
		fprintf(pw, "%s:%s\n", next[i].user, hash);
		fprintf(cf, "%s:%s\n", next[i].user, next[i].password);
		if (i && write_station_bundle(&o, absdir, next[i].user, next[i].password)) {
			fprintf(stderr, "minqing-hub provision: cannot write the bundle of %s\n",
				next[i].user);
			goto done;
		}
	}
	if (!finish(pw) || !finish(cf)) {
		pw = cf = NULL;
		goto done;
	}
	pw = cf = NULL;
	hc = create(absdir, "hub.conf", 0600);
	if (!hc)
		goto done;
	fprintf(hc, "# minqing-hub for county %s, made by minqing-hub provision.\n"
		    "broker = 127.0.0.1:%d\ncounty = %s\nuser = %s\npassword = %s\n"
		    "# Seals residents' names and phones in the database; created on\n"
		    "# first start. Back it up, but never beside the database.\n"
		    "keyfile = %s/hub.key\n"
		    "# A county's real deadlines: --time-scale (tests, demo) is refused.\n"
		    "production = 1\n",
		o.county, o.port, o.county, hub_user, next[0].password, absdir);
	write_http_tls(hc, absdir);
	if (!finish(hc)) {
		hc = NULL;
		goto done;
	}
	hc = NULL;
	if (write_broker_files(&o, absdir, hub_user))
		goto done;
	if (o.dropin)
		share_with_services(absdir, o.tls);
	printf("provisioned county %s: %zu stations, broker files and bundles in %s\n",
		o.county, n_next - 1, absdir);
	if (o.n_http_hosts)
		printf("dashboard certificate for %s%s and loopback: %s/dashboard.crt; browsers "
		       "trust it through %s/ca.crt\n", o.http_hosts[0],
			o.n_http_hosts > 1 ? " and more" : "", absdir, absdir);
	if (o.rotate)
		printf("new password for %s; install %s/stations/%s/station.conf there and "
		       "reload the broker (SIGHUP)\n", o.rotate, absdir, o.rotate);
	/* After the new password is written: whoever held the old one may have
	 * forged the marks, and from here on cannot again. */
	rc = o.rotate && o.db ? reset_marks(o.db, o.rotate) : 0;
done:
	if (pw)
		fclose(pw);
	if (cf)
		fclose(cf);
	if (hc)
		fclose(hc);
	if (creds)
		sodium_memzero(creds, n_creds * sizeof *creds);
	if (next)
		sodium_memzero(next, total * sizeof *next);
	free(creds);
	free(next);
	proto_registry_destroy(reg);
	return rc;
}
