/* minqing-fleet: many simulated stations in one process. Reads the command
 * line, seeds the generator, writes a made-up registry alone when asked, or
 * runs the fleet (fleet-run.c) and decides the exit status: 0 only when
 * every report was receipted, none refused and none stored twice. */
#include <stdint.h>
#include <unistd.h>

#include <mosquitto.h>

#include "bench/fleet.h"
#include "protocol/clock.h"
#include "protocol/log.h"

int main(int argc, char **argv)
{
	fleet f = {0};
	const char *level_name = "info";
	int rc = fleet_opts_parse(argc, argv, &f.o, &level_name), level;

	if (rc)
		return rc == 1 ? 0 : 2;
	level = proto_log_level_parse(level_name);
	proto_log_init("minqing-fleet", level < 0 ? PROTO_LOG_INFO : level);
	/* 53 bits, so that the seed survives the JSON summary as a number */
	f.rng = f.o.seed ? f.o.seed :
		((uint64_t)proto_now_ms() ^ ((uint64_t)getpid() << 40)) & ((1ULL << 53) - 1);
	f.o.seed = f.rng;
	if (f.o.write_only) {
		proto_registry *reg = fleet_run_registry(&f.o);
		rc = reg ? 0 : 1;
		proto_registry_destroy(reg);
		return rc;
	}
	mosquitto_lib_init();
	rc = 1;
	if (fleet_run_setup(&f) == 0 && fleet_run_events(&f) == 0 && fleet_stats_finish(&f, f.t_end) == 0 &&
	    fleet_stats_lost(&f) == 0 && f.c.rejected == 0 && f.c.reaccepted == 0)
		rc = 0;
	fleet_run_teardown(&f);
	mosquitto_lib_cleanup();
	return rc;
}
