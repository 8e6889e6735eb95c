/* Certificates and password hashes with libcrypto. The CA is kept across
 * runs (stations trust it); the server certificate is remade each run so a
 * new broker address takes effect. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

proto_err hub_pki_ensure(const char *dir, const char *county, const char *host)
{
	char ca_crt[4096], ca_key[4096], srv_crt[4096], srv_key[4096], cn[64], san[512];
	EVP_PKEY *cakey = NULL, *key = NULL;
	X509 *ca = NULL, *srv = NULL;
	proto_err err = PROTO_ERR_IO;
	unsigned char addr[16];
	bool is_ip;

	snprintf(ca_crt, sizeof ca_crt, "%s/ca.crt", dir);
	snprintf(ca_key, sizeof ca_key, "%s/ca.key", dir);
	snprintf(srv_crt, sizeof srv_crt, "%s/server.crt", dir);
	snprintf(srv_key, sizeof srv_key, "%s/server.key", dir);
	ca = read_cert(ca_crt);
	cakey = read_key(ca_key);
	if (!ca || !cakey) {
		X509_free(ca);
		EVP_PKEY_free(cakey);
		ca = NULL, cakey = NULL;
		/* Half a CA is a lost one: a new CA would silently cut off every
		 * station whose bundle trusts the old certificate. */
		if (access(ca_crt, F_OK) == 0 || access(ca_key, F_OK) == 0) {
			log_error("%s or %s is missing or unreadable; restore the county CA "
				  "from its backup (or remove both to start a new CA and "
				  "re-issue every bundle)", ca_crt, ca_key);
			goto done;
		}
		snprintf(cn, sizeof cn, "minqing county %s CA", county);
		cakey = EVP_EC_gen("P-256");
		ca = cakey ? make_cert(cakey, cn, NULL, NULL, NULL) : NULL;
		if (!ca || write_key(ca_key, cakey) || write_cert(ca_crt, ca)) {
			log_error("cannot create the county CA in %s", dir);
			goto done;
		}
	}
	is_ip = inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
	snprintf(san, sizeof san, "IP:127.0.0.1,IP:::1,DNS:localhost%s%s",
		strcmp(host, "127.0.0.1") && strcmp(host, "localhost") ?
			(is_ip ? ",IP:" : ",DNS:") : "",
		strcmp(host, "127.0.0.1") && strcmp(host, "localhost") ? host : "");
	key = EVP_EC_gen("P-256");
	srv = key ? make_cert(key, host, ca, cakey, san) : NULL;
	if (!srv || write_key(srv_key, key) || write_cert(srv_crt, srv)) {
		log_error("cannot create the broker certificate in %s", dir);
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
