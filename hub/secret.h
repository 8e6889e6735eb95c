/* Encryption of residents' personal fields (names, phones) at rest: a copy
 * of the hub's database alone reveals none of them. libsodium secretbox
 * (XSalsa20-Poly1305) with a 32-byte key kept in a file outside the database. */
#ifndef HUB_SECRET_H
#define HUB_SECRET_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/error.h"

typedef struct hub_secret hub_secret;

/* Loads the key from path, creating it (mode 0600) when create is set and
 * the file does not exist. NULL on error, logged. */
hub_secret *hub_secret_open(const char *path, int create);

/* Wipes the key and frees; accepts NULL. */
void hub_secret_destroy(hub_secret *s);

/* Encrypts text into a malloc'd blob (nonce + ciphertext) of *len bytes. */
unsigned char *hub_secret_seal(const hub_secret *s, const char *text, size_t *len);

/* Decrypts a blob into a malloc'd NUL-terminated string; NULL when the blob
 * was not sealed with this key or was altered. */
char *hub_secret_open_blob(const hub_secret *s, const unsigned char *blob, size_t len);

#endif
