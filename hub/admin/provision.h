/* `minqing-hub provision`: the county's broker identities. Writes the
 * mosquitto password file (PBKDF2-SHA512, mosquitto's own format), an ACL
 * pinning each station to its own topics, a runnable mosquitto.conf, the
 * hub's config, one bundle per station and, with --tls, a county CA. */
#ifndef HUB_PROVISION_H
#define HUB_PROVISION_H

/* Runs the sub-command; argv[0] is "provision". Returns an exit code. */
int hub_provision_main(int argc, char **argv);

#endif
