/* The county's small PKI for the broker's TLS listener: a CA and one server
 * certificate signed by it, P-256 keys, made with OpenSSL's libcrypto. */
#ifndef HUB_PKI_H
#define HUB_PKI_H

#include <stddef.h>

#include "protocol/error.h"

/* Makes DIR/ca.crt and DIR/ca.key unless both exist, then DIR/server.crt
 * and DIR/server.key for host (an IP address or DNS name; 127.0.0.1 and
 * localhost are always included). Keys are written with mode 0600. */
proto_err hub_pki_ensure(const char *dir, const char *county, const char *host);

/* mosquitto's password hash of password: "$7$101$<salt>$<hash>" in out. */
proto_err hub_pki_mosquitto_hash(const char *password, char *out, size_t n);

#endif
