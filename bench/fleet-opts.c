/* minqing-fleet's command line: the options, their defaults (those of
 * minqing-station for everything a station does) and their checks. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/fleet.h"
#include "protocol/code.h"
#include "version.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: minqing-fleet --towns T --villages V --groups G --write-registry FILE\n"
		"       minqing-fleet --broker HOST:PORT[,HOST:PORT...] (--registry FILE | --towns T\n"
		"           --villages V --groups G [--write-registry FILE])\n"
		"           --rate R (--count N | --duration S) [--json OUT] [--ids FILE]\n"
		"           [--user-file F] [--cafile F] [--stations N|all] [--all-tiers]\n"
		"           [--colours blue=80,orange=15,red=5] [--categories NAME=W,...]\n"
		"           [--personal-share F] [--connect-rate R] [--drop-share F]\n"
		"           [--drop-every S] [--resend-all-share F] [--act-share F]\n"
		"           [--county CODE] [--skip CODE,...]\n"
		"           [--human [--time-scale S] [--members FILE] [--assign-share F]\n"
		"            [--late-share F] [--return-share F] [--extend-share F]\n"
		"            [--unsatisfied-share F]]\n"
		"           [--seed N] [--drain S] [--window N] [--resend S] [--pace R]\n"
		"           [--burst N] [--heartbeat S] [--keepalive S] [--backoff-max S]\n"
		"           [--tick MS] [--log-level L]\n"
		"Simulates the village and group stations of a registry (the first N, or\n"
		"every station with --all-tiers) as MQTT clients st-<code>, each keeping\n"
		"its reports until the hub's receipt, and creates R reports a second in\n"
		"all. --user-file is the provisioning's credentials file (user:password).\n"
		"Faults: a --drop-share of the stations cut their socket every\n"
		"--drop-every S (mean) while reports are created; a --resend-all-share\n"
		"send every receipted report again after each connect and every --resend S.\n"
		"An --act-share of the stations work the items the hub sends them: sign\n"
		"and resolve as handler, verify and rate as the visiting station; at once,\n"
		"or with --human after human delays in hub time (--time-scale, the hub's):\n"
		"most steps in time, a --late-share (0.1) after the deadline, a\n"
		"--return-share (0.05) returned, an --extend-share (0.05) extended, an\n"
		"--assign-share (0.7) assigned to a member of --members, an\n"
		"--unsatisfied-share (0.08) rated unsatisfied. --skip leaves out stations\n"
		"run by real agents.\n"
		"Without --broker, writes the made-up county's registry and exits (to\n"
		"provision a broker and a hub for it, then run with --registry FILE).\n"
		"Exits 0 when every report was receipted and none rejected, else 1.\n");
}

static const char *colour_key(int i)
{
	return proto_colour_name((proto_colour)i);
}

static const char *category_key(int i)
{
	return proto_category_name((proto_category)i);
}

static bool number(const char *flag, const char *text, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (errno || end == text || *end || !(v >= lo && v <= hi)) {
		fprintf(stderr, "minqing-fleet: --%s wants a number from %g to %g\n", flag,
			lo, hi);
		return false;
	}
	*out = v;
	return true;
}

int fleet_opts_parse(int argc, char **argv, fleet_opts *o, const char **level)
{
	static const struct option lo[] = {
		{"broker", required_argument, NULL, 'b'},
		{"registry", required_argument, NULL, 'r'},
		{"user-file", required_argument, NULL, 'u'},
		{"cafile", required_argument, NULL, 'C'},
		{"rate", required_argument, NULL, 'R'},
		{"count", required_argument, NULL, 'n'},
		{"duration", required_argument, NULL, 'd'},
		{"json", required_argument, NULL, 'j'},
		{"ids", required_argument, NULL, 'i'},
		{"stations", required_argument, NULL, 's'},
		{"all-tiers", no_argument, NULL, 'A'},
		{"towns", required_argument, NULL, 'T'},
		{"villages", required_argument, NULL, 'V'},
		{"groups", required_argument, NULL, 'G'},
		{"write-registry", required_argument, NULL, 'W'},
		{"colours", required_argument, NULL, 'c'},
		{"categories", required_argument, NULL, 'k'},
		{"personal-share", required_argument, NULL, 'p'},
		{"connect-rate", required_argument, NULL, 'q'},
		{"drop-share", required_argument, NULL, 'x'},
		{"drop-every", required_argument, NULL, 'X'},
		{"resend-all-share", required_argument, NULL, 'a'},
		{"act-share", required_argument, NULL, 'g'},
		{"county", required_argument, NULL, 'y'},
		{"skip", required_argument, NULL, 'Z'},
		{"human", no_argument, NULL, 'U'},
		{"time-scale", required_argument, NULL, 'z'},
		{"members", required_argument, NULL, 'm'},
		{"assign-share", required_argument, NULL, '1'},
		{"late-share", required_argument, NULL, '2'},
		{"return-share", required_argument, NULL, '3'},
		{"extend-share", required_argument, NULL, '4'},
		{"unsatisfied-share", required_argument, NULL, '5'},
		{"seed", required_argument, NULL, 'S'},
		{"drain", required_argument, NULL, 'D'},
		{"window", required_argument, NULL, 'w'},
		{"resend", required_argument, NULL, 'e'},
		{"pace", required_argument, NULL, 'P'},
		{"burst", required_argument, NULL, 'B'},
		{"heartbeat", required_argument, NULL, 'H'},
		{"keepalive", required_argument, NULL, 'K'},
		{"backoff-max", required_argument, NULL, 'M'},
		{"tick", required_argument, NULL, 't'},
		{"log-level", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'v'},
		{NULL, 0, NULL, 0},
	};
	const char *broker = NULL;
	char err[400];
	double v = 0; /* set by number() before each use; gcc -O3 cannot tell */
	int c;

	/* The per-station defaults are minqing-station's, so that a fleet loads
	 * the hub and broker the way the real stations would. */
	*o = (fleet_opts){
		.county = "611025", .drain_ms = 30000, .personal_share = 0.3,
		.connect_rate = 200, .drop_every_ms = 10000, .window = 32,
		.resend_ms = 20000, .heartbeat_ms = 60000, .keepalive = 30,
		.backoff_max_ms = 30000, .pace = 10, .burst = 100, .tick_ms = 10,
		.colours = {80, 15, 5},
		/* livelihood and infrastructure lead what villages report */
		.categories = {8, 20, 25, 15, 6, 12, 10, 4},
		.time_scale = 1, .assign_share = 0.7, .late_share = 0.1,
		.return_share = 0.05, .extend_share = 0.05, .unsatisfied_share = 0.08,
	};
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		bool ok = true;
		switch (c) {
		case 'b': broker = optarg; break;
		case 'r': o->registry = optarg; break;
		case 'u': o->user_file = optarg; break;
		case 'C': o->cafile = optarg; break;
		case 'j': o->json = optarg; break;
		case 'i': o->ids = optarg; break;
		case 'W': o->write_registry = optarg; break;
		case 'y': o->county = optarg; break;
		case 'Z': o->skip = optarg; break;
		case 'U': o->human = true; break;
		case 'm': o->members = optarg; break;
		case 'z': ok = number("time-scale", optarg, 1, 1e6, &o->time_scale); break;
		case '1': ok = number("assign-share", optarg, 0, 1, &o->assign_share); break;
		case '2': ok = number("late-share", optarg, 0, 1, &o->late_share); break;
		case '3': ok = number("return-share", optarg, 0, 1, &o->return_share); break;
		case '4': ok = number("extend-share", optarg, 0, 1, &o->extend_share); break;
		case '5':
			ok = number("unsatisfied-share", optarg, 0, 1, &o->unsatisfied_share);
			break;
		case 'l': *level = optarg; break;
		case 'A': o->all_tiers = true; break;
		case 'R': ok = number("rate", optarg, 0.001, 1e6, &o->rate); break;
		case 'n':
			ok = number("count", optarg, 1, 1e9, &v);
			o->count = (int64_t)v;
			break;
		case 'd':
			ok = number("duration", optarg, 0.001, 1e7, &v);
			o->duration_ms = (int64_t)(v * 1000);
			break;
		case 's':
			if (strcmp(optarg, "all") == 0) {
				o->stations = 0;
				break;
			}
			ok = number("stations", optarg, 1, 1e6, &v);
			o->stations = (size_t)v;
			break;
		case 'T':
			ok = number("towns", optarg, 1, 99, &v);
			o->towns = (int)v;
			break;
		case 'V':
			ok = number("villages", optarg, 1, 799, &v);
			o->villages = (int)v;
			break;
		case 'G':
			ok = number("groups", optarg, 0, 999, &v);
			o->groups = (int)v;
			break;
		case 'c':
		case 'k':
			ok = c == 'c' ?
				fleet_content_parse_mix(optarg, colour_key, PROTO_COLOUR__COUNT,
					o->colours, err, sizeof err) :
				fleet_content_parse_mix(optarg, category_key, PROTO_CAT__COUNT,
					o->categories, err, sizeof err);
			if (!ok)
				fprintf(stderr, "minqing-fleet: --%s: %s\n",
					c == 'c' ? "colours" : "categories", err);
			break;
		case 'p': ok = number("personal-share", optarg, 0, 1, &o->personal_share); break;
		case 'q': ok = number("connect-rate", optarg, 0, 1e6, &o->connect_rate); break;
		case 'x': ok = number("drop-share", optarg, 0, 1, &o->drop_share); break;
		case 'X':
			ok = number("drop-every", optarg, 0.1, 86400, &v);
			o->drop_every_ms = (int64_t)(v * 1000);
			break;
		case 'a':
			ok = number("resend-all-share", optarg, 0, 1, &o->resend_all_share);
			break;
		case 'g': ok = number("act-share", optarg, 0, 1, &o->act_share); break;
		case 'S':
			ok = number("seed", optarg, 0, 9007199254740991.0, &v);
			o->seed = (uint64_t)v;
			break;
		case 'D':
			ok = number("drain", optarg, 0, 86400, &v);
			o->drain_ms = (int64_t)(v * 1000);
			break;
		case 'w':
			ok = number("window", optarg, 1, 1000, &v);
			o->window = (int)v;
			break;
		case 'e':
			ok = number("resend", optarg, 1, 86400, &v);
			o->resend_ms = (int)(v * 1000);
			break;
		case 'P': ok = number("pace", optarg, 0, 1e6, &o->pace); break;
		case 'B': ok = number("burst", optarg, 1, 1e6, &o->burst); break;
		case 'H':
			ok = number("heartbeat", optarg, 1, 86400, &v);
			o->heartbeat_ms = (int)(v * 1000);
			break;
		case 'K':
			ok = number("keepalive", optarg, 5, 3600, &v);
			o->keepalive = (int)v;
			break;
		case 'M':
			ok = number("backoff-max", optarg, 0.25, 3600, &v);
			o->backoff_max_ms = (int)(v * 1000);
			break;
		case 't':
			ok = number("tick", optarg, 0, 1000, &v);
			o->tick_ms = (int)v;
			break;
		case 'h': usage(stdout); return 1;
		case 'v': printf("minqing-fleet %s\n", MINQING_VERSION); return 1;
		default: usage(stderr); return 2;
		}
		if (!ok)
			return 2;
	}
	/* Only a registry to write. */
	o->write_only = !broker && o->towns && o->write_registry;
	if (optind < argc || (!o->write_only && (!broker || !o->rate ||
	    (!o->count && !o->duration_ms))) ||
	    (!o->registry == !o->towns) || (o->towns && !o->villages)) {
		usage(stderr);
		return 2;
	}
	if (proto_code_tier(o->county) != PROTO_TIER_COUNTY) {
		fprintf(stderr, "minqing-fleet: '%s' is not a 6-digit county code\n",
			o->county);
		return 2;
	}
	if (!o->write_only && !proto_link_check_brokers(broker, err, sizeof err)) {
		fprintf(stderr, "minqing-fleet: --broker: %s\n", err);
		return 2;
	}
	o->broker = broker;
	return 0;
}
