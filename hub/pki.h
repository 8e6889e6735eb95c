/* The county's small PKI for the broker's TLS listener and the dashboard's
 * HTTPS: a CA and server certificates signed by it, P-256 keys, made with
 * OpenSSL's libcrypto; and the check of a certificate and key pair, the
 * county's or one the operator brings. */
#ifndef HUB_PKI_H
#define HUB_PKI_H

#include <stdbool.h>
#include <stddef.h>

#include "protocol/error.h"

/* Makes DIR/ca.crt and DIR/ca.key unless both exist, then DIR/server.crt
 * and DIR/server.key for host (an IP address or DNS name; 127.0.0.1 and
 * localhost are always included). Keys are written with mode 0600. */
proto_err hub_pki_ensure(const char *dir, const char *county, const char *host);

/* Makes DIR/NAME.crt and DIR/NAME.key (mode 0600), a server certificate
 * signed by the county CA (made as hub_pki_ensure does when neither of its
 * files exists) for the n hosts (IP addresses or DNS names; 127.0.0.1, ::1
 * and localhost are always included; hosts[0] is the subject's name). A
 * host that is neither an address nor a DNS name is refused, logged. */
proto_err hub_pki_issue(const char *dir, const char *county, const char *name,
	const char *const *hosts, size_t n);

/* Whether host is an IP address or a DNS name fit for a certificate. */
bool hub_pki_host_valid(const char *host);

/* Checks a PEM certificate file (the server's first, then any chain) and
 * its PEM private key: both readable, the key the certificate's, the
 * certificate valid now. PROTO_OK, with the whole days it has left in
 * *days (may be NULL), or an error with a sentence in err. */
proto_err hub_pki_check_pair(const char *cert, const char *key, int *days, char *err,
	size_t n);

/* Days left under which the hub and check-config warn of an expiry. */
#define HUB_PKI_WARN_DAYS 30

/* mosquitto's password hash of password: "$7$101$<salt>$<hash>" in out. */
proto_err hub_pki_mosquitto_hash(const char *password, char *out, size_t n);

#endif
