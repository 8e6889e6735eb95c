/* Login throttling: failures counted per user name and per client address;
 * past a threshold each further failure doubles the time until the next
 * attempt is heard (429 with Retry-After). A success clears the name's
 * count, not the address's: one valid account must not reset a guesser. */
#ifndef DASH_THROTTLE_H
#define DASH_THROTTLE_H

#include <stdint.h>

typedef struct dash_throttle dash_throttle;

dash_throttle *dash_throttle_create(void);
void dash_throttle_destroy(dash_throttle *t);

/* Milliseconds until name may try again from ip; 0 when it may now. */
int64_t dash_throttle_wait(dash_throttle *t, const char *name, const char *ip, int64_t now);

/* Records a failed or a successful login. */
void dash_throttle_failed(dash_throttle *t, const char *name, const char *ip, int64_t now);
void dash_throttle_passed(dash_throttle *t, const char *name);

#endif
