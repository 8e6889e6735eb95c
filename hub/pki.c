/* Certificates and password hashes with libcrypto. The CA is kept across
 * runs (stations and browsers trust it); a server certificate is remade
 * each time it is asked for, so that a new address takes effect. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "hub/pki.h"
#include "protocol/log.h"

#define VALID_DAYS 3650

static FILE *open_private(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return NULL;
	fchmod(fd, 0600);
	return fdopen(fd, "w");
}

static proto_err write_key(const char *path, EVP_PKEY *key)
{
	FILE *f = open_private(path);
	int ok;

	if (!f)
		return PROTO_ERR_IO;
	ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	return fclose(f) == 0 && ok ? PROTO_OK : PROTO_ERR_IO;
}

static proto_err write_cert(const char *path, X509 *cert)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f)
		return PROTO_ERR_IO;
	ok = PEM_write_X509(f, cert);
	return fclose(f) == 0 && ok ? PROTO_OK : PROTO_ERR_IO;
}

static bool add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	bool ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return false;
	ok = X509_add_ext(cert, ext, -1) == 1;
	X509_EXTENSION_free(ext);
	return ok;
}

/* A certificate for key with subject cn, signed by issuer (self if NULL). */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer,
	EVP_PKEY *issuer_key, const char *san)
{
	X509 *c = X509_new();
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	X509_NAME *name;

	if (!c || RAND_bytes(serial, sizeof serial) != 1)
		goto fail;
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof serial, NULL);
	if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c)))
		goto fail;
	X509_set_version(c, 2);
	X509_gmtime_adj(X509_getm_notBefore(c), -3600);
	X509_gmtime_adj(X509_getm_notAfter(c), (long)VALID_DAYS * 86400);
	X509_set_pubkey(c, key);
	name = X509_get_subject_name(c);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
		(const unsigned char *)"minqing", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
		(const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name);
	if (!issuer) {
		if (!add_ext(c, c, NID_basic_constraints, "critical,CA:TRUE") ||
		    !add_ext(c, c, NID_key_usage, "critical,keyCertSign,cRLSign") ||
		    !add_ext(c, c, NID_subject_key_identifier, "hash"))
			goto fail;
	} else {
		if (!add_ext(c, issuer, NID_basic_constraints, "critical,CA:FALSE") ||
		    !add_ext(c, issuer, NID_ext_key_usage, "serverAuth") ||
		    !add_ext(c, issuer, NID_subject_alt_name, san))
			goto fail;
	}
	if (!X509_sign(c, issuer_key ? issuer_key : key, EVP_sha256()))
		goto fail;
	BN_free(bn);
	return c;
fail:
	BN_free(bn);
	X509_free(c);
	return NULL;
}

static X509 *read_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *c = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	return c;
}

static EVP_PKEY *read_key(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	return k;
}

/* The county CA from dir, made there when neither of its files exists. */
static proto_err county_ca(const char *dir, const char *county, X509 **ca,
	EVP_PKEY **cakey)
{
	char ca_crt[4096], ca_key[4096], cn[64];

	snprintf(ca_crt, sizeof ca_crt, "%s/ca.crt", dir);
	snprintf(ca_key, sizeof ca_key, "%s/ca.key", dir);
	*ca = read_cert(ca_crt);
	*cakey = read_key(ca_key);
	if (*ca && *cakey)
		return PROTO_OK;
	X509_free(*ca);
	EVP_PKEY_free(*cakey);
	*ca = NULL, *cakey = NULL;
	/* Half a CA is a lost one: a new CA would silently cut off every
	 * station whose bundle trusts the old certificate. */
	if (access(ca_crt, F_OK) == 0 || access(ca_key, F_OK) == 0) {
		log_error("%s or %s is missing or unreadable; restore the county CA "
			  "from its backup (or remove both to start a new CA and "
			  "re-issue every bundle)", ca_crt, ca_key);
		return PROTO_ERR_IO;
	}
	snprintf(cn, sizeof cn, "minqing county %s CA", county);
	*cakey = EVP_EC_gen("P-256");
	*ca = *cakey ? make_cert(*cakey, cn, NULL, NULL, NULL) : NULL;
	if (!*ca || write_key(ca_key, *cakey) || write_cert(ca_crt, *ca)) {
		log_error("cannot create the county CA in %s", dir);
		return PROTO_ERR_IO;
	}
	return PROTO_OK;
}

static bool is_ip(const char *host)
{
	unsigned char addr[16];

	return inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
}

bool hub_pki_host_valid(const char *host)
{
	size_t n = strlen(host);

	if (is_ip(host))
		return true;
	/* Letters, digits, '-' and '.' (a leading "*." for a wildcard): nothing
	 * that could end the subjectAltName list early. */
	if (n == 0 || n > 253 || host[0] == '.' || host[0] == '-')
		return false;
	if (strncmp(host, "*.", 2) == 0)
		host += 2;
	return *host && strspn(host, "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") == strlen(host);
}

/* "IP:127.0.0.1,IP:::1,DNS:localhost" and each host not already in it. */
static bool san_of(const char *const *hosts, size_t n, char *out, size_t size)
{
	size_t len = (size_t)snprintf(out, size, "IP:127.0.0.1,IP:::1,DNS:localhost");

	for (size_t i = 0; i < n; i++) {
		char entry[300];
		if (!hub_pki_host_valid(hosts[i])) {
			log_error("'%s' is neither an IP address nor a DNS name", hosts[i]);
			return false;
		}
		snprintf(entry, sizeof entry, "%s:%s", is_ip(hosts[i]) ? "IP" : "DNS",
			hosts[i]);
		if (strcmp(entry, "IP:127.0.0.1") == 0 || strcmp(entry, "IP:::1") == 0 ||
		    strcmp(entry, "DNS:localhost") == 0)
			continue;
		len += (size_t)snprintf(out + len, len < size ? size - len : 0, ",%s", entry);
		if (len >= size) {
			log_error("too many host names for one certificate");
			return false;
		}
	}
	return true;
}

proto_err hub_pki_issue(const char *dir, const char *county, const char *name,
	const char *const *hosts, size_t n)
{
	char crt[4096], keyp[4096], san[4096];
	EVP_PKEY *cakey = NULL, *key = NULL;
	X509 *ca = NULL, *srv = NULL;
	proto_err err = PROTO_ERR_INVAL;

	snprintf(crt, sizeof crt, "%s/%s.crt", dir, name);
	snprintf(keyp, sizeof keyp, "%s/%s.key", dir, name);
	if (!san_of(hosts, n, san, sizeof san))
		goto done;
	err = county_ca(dir, county, &ca, &cakey);
	if (err)
		goto done;
	err = PROTO_ERR_IO;
	key = EVP_EC_gen("P-256");
	srv = key ? make_cert(key, n ? hosts[0] : "localhost", ca, cakey, san) : NULL;
	if (!srv || write_key(keyp, key) || write_cert(crt, srv)) {
		log_error("cannot create the certificate %s", crt);
		goto done;
	}
	err = PROTO_OK;
done:
	X509_free(ca);
	X509_free(srv);
	EVP_PKEY_free(cakey);
	EVP_PKEY_free(key);
	return err;
}

proto_err hub_pki_ensure(const char *dir, const char *county, const char *host)
{
	return hub_pki_issue(dir, county, "server", &host, 1);
}

proto_err hub_pki_check_pair(const char *cert, const char *key, int *days, char *err,
	size_t n)
{
	int left = 0, secs = 0;

	X509 *c = read_cert(cert);
	EVP_PKEY *k = NULL;
	proto_err rc = PROTO_ERR_BAD_VALUE;

	if (!c) {
		snprintf(err, n, "%s cannot be read as a PEM certificate", cert);
		goto done;
	}
	k = read_key(key);
	if (!k) {
		snprintf(err, n, "%s cannot be read as a PEM private key (unencrypted)", key);
		goto done;
	}
	if (X509_check_private_key(c, k) != 1) {
		snprintf(err, n, "the key %s is not the key of the certificate %s", key, cert);
		goto done;
	}
	if (X509_cmp_current_time(X509_get0_notAfter(c)) <= 0) {
		snprintf(err, n, "the certificate %s has expired", cert);
		goto done;
	}
	if (X509_cmp_current_time(X509_get0_notBefore(c)) >= 0) {
		snprintf(err, n, "the certificate %s is not valid yet (is the clock right?)",
			cert);
		goto done;
	}
	if (days && ASN1_TIME_diff(&left, &secs, NULL, X509_get0_notAfter(c)) == 1)
		*days = left;
	rc = PROTO_OK;
done:
	ERR_clear_error();
	X509_free(c);
	EVP_PKEY_free(k);
	return rc;
}

proto_err hub_pki_mosquitto_hash(const char *password, char *out, size_t n)
{
	unsigned char salt[12], hash[64];
	char salt64[24], hash64[92];

	if (RAND_bytes(salt, sizeof salt) != 1 ||
	    PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, sizeof salt, 101,
		    EVP_sha512(), sizeof hash, hash) != 1)
		return PROTO_ERR_IO;
	EVP_EncodeBlock((unsigned char *)salt64, salt, sizeof salt);
	EVP_EncodeBlock((unsigned char *)hash64, hash, sizeof hash);
	if ((size_t)snprintf(out, n, "$7$101$%s$%s", salt64, hash64) >= n)
		return PROTO_ERR_INVAL;
	return PROTO_OK;
}
