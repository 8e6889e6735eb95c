/* `minqing-hub query`: reads the hub's database (read-only, safe beside a
 * running hub thanks to WAL) and prints reports or stations. */
#ifndef HUB_QUERY_H
#define HUB_QUERY_H

/* Runs the query sub-command; argv[0] is "query". Returns an exit code. */
int hub_query_main(int argc, char **argv);

#endif
