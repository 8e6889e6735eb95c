/* Sealing personal fields. Each value gets a fresh random nonce, so equal
 * names do not give equal blobs and the database shows no pattern. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "hub/secret.h"
#include "protocol/log.h"

struct hub_secret {
	unsigned char key[crypto_secretbox_KEYBYTES];
};

static int read_all(int fd, unsigned char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

hub_secret *hub_secret_open(const char *path, int create)
{
	hub_secret *s = NULL;
	int fd = -1;

	if (sodium_init() < 0)
		return NULL;
	s = sodium_malloc(sizeof *s);
	if (!s)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			goto fail;
		crypto_secretbox_keygen(s->key);
		if (write(fd, s->key, sizeof s->key) != (ssize_t)sizeof s->key ||
		    fsync(fd) < 0)
			goto fail;
		log_info("created a new key for personal data; back it up apart from "
			 "the database");
		close(fd);
		return s;
	}
	if (fd < 0)
		goto fail;
	struct stat st;
	if (fstat(fd, &st) == 0 && (st.st_mode & 077))
		log_warn("key file is readable by others: chmod 600 it");
	if (read_all(fd, s->key, sizeof s->key) < 0) {
		log_error("key file is shorter than %zu bytes", sizeof s->key);
		goto fail_quiet;
	}
	close(fd);
	return s;
fail:
	log_error("key file: %s", strerror(errno));
fail_quiet:
	if (fd >= 0)
		close(fd);
	hub_secret_destroy(s);
	return NULL;
}

void hub_secret_destroy(hub_secret *s)
{
	if (s)
		sodium_free(s); /* zeroes the memory */
}

unsigned char *hub_secret_seal(const hub_secret *s, const char *text, size_t *len)
{
	size_t n = strlen(text);
	unsigned char *blob;

	*len = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n;
	blob = malloc(*len);
	if (!blob)
		return NULL;
	randombytes_buf(blob, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(blob + crypto_secretbox_NONCEBYTES,
		(const unsigned char *)text, n, blob, s->key);
	return blob;
}

char *hub_secret_open_blob(const hub_secret *s, const unsigned char *blob, size_t len)
{
	const size_t over = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;
	char *text;

	if (!blob || len < over)
		return NULL;
	text = malloc(len - over + 1);
	if (!text)
		return NULL;
	if (crypto_secretbox_open_easy((unsigned char *)text,
		    blob + crypto_secretbox_NONCEBYTES, len - crypto_secretbox_NONCEBYTES,
		    blob, s->key) != 0) {
		free(text);
		return NULL;
	}
	text[len - over] = '\0';
	return text;
}
