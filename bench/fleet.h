/* minqing-fleet's shared state: the simulated stations, their in-memory
 * outboxes and the run's counters. Private to bench/: fleet.c draws the
 * random numbers, fleet-opts.c reads the command line, fleet-station.c
 * speaks for one station, fleet-content.c writes the reports, fleet-human.c
 * plans the actors' steps, fleet-stats.c sums the run up, fleet-run.c runs
 * the loop over them all, and fleet-main.c starts the program. */
#ifndef FLEET_H
#define FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/drain.h"
#include "protocol/link.h"
#include "protocol/message.h"
#include "protocol/registry.h"
#include "protocol/topic.h"

typedef struct fleet fleet;

typedef enum fleet_msg_state {
	FLEET_QUEUED,    /* in its station's outbox, no receipt yet */
	FLEET_RECEIPTED, /* accepted or duplicate: stored at the hub */
	FLEET_REJECTED,  /* refused for good (never for rate_limited) */
} fleet_msg_state;

/* One report. Kept for the whole run (ids file, lost count), 40 bytes; the
 * payload is freed at the receipt, except at a station that replays. */
typedef struct fleet_msg {
	int64_t id;        /* message id: unique per station, increasing */
	int64_t first_pub; /* monotonic ms of the first publish, 0 before it */
	int64_t receipt;   /* hub's ts of the first receipt: a copy of that
	                      receipt (QoS 1 redelivery) carries the same */
	char *payload;     /* the exact JSON published, NULL once not needed */
	uint32_t station;  /* index into fleet.st */
	uint8_t state;     /* fleet_msg_state */
	bool action;       /* a step of the workflow, not a report */
} fleet_msg;

/* A step an actor plans to take later (--human; fleet-human.c). */
typedef struct fleet_step {
	int64_t due;      /* monotonic ms when it is taken */
	int64_t hub_at;   /* the hub's clock at the snapshot ... */
	int64_t mono_at;  /* ... and ours then */
	int64_t deadline; /* the item's deadline then (hub time), 0 if none */
	char item[PROTO_ITEM_ID_MAX];
	char member[65];  /* assign: the member */
	int step;         /* proto_step */
	int rating;       /* rate: proto_rating */
} fleet_step;

/* A service-team member of --members: who may be assigned where. */
typedef struct fleet_member {
	char id[65];
	char station[PROTO_CODE_MAX + 1];
} fleet_member;

typedef struct fleet_station {
	fleet *f;
	proto_link *link;
	const proto_station *reg; /* code and name, owned by the registry */
	char topic_report[PROTO_TOPIC_MAX]; /* its up topics, made once */
	char topic_action[PROTO_TOPIC_MAX];
	uint32_t *queue;          /* indices into fleet.msgs, oldest first */
	uint32_t n_queue, cap_queue;
	uint32_t *all;            /* every report of the run, oldest first */
	uint32_t n_all, cap_all;
	uint32_t replay;          /* a replayer's next entry of all to send again */
	int64_t first_id;         /* first id of this run: older refs are not ours */
	int64_t last_id;
	int64_t session;          /* of the current or next connection */
	int64_t item_seen;        /* highest id of an item message answered */
	int64_t member_seen;      /* highest id of a member message answered */
	int64_t due;              /* monotonic ms at which it wants to run */
	int64_t next_heartbeat;
	int64_t next_drop;        /* a dropper cuts its link then */
	int64_t next_replay;      /* a replayer sends its reports again then */
	proto_drain *drain;       /* the queue's head in flight; its pace stays
	                             below the hub's per-station limit */
	bool started;             /* its link is being serviced */
	bool connected;
	bool dropper;             /* --drop-share: loses its link now and then */
	bool replayer;            /* --resend-all-share: resends all it ever sent */
	bool actor;               /* --act-share: works the items it is sent */
	fleet_step *steps;        /* --human: steps planned, one per item */
	uint32_t n_steps, cap_steps;
} fleet_station;

typedef struct fleet_opts {
	const char *broker;     /* the broker or its nodes (proto_link_opts) */
	const char *cafile, *user_file, *registry, *json, *ids, *write_registry;
	bool write_only;        /* no broker: write the made-up registry, exit */
	const char *county;
	double rate;            /* reports a second, whole fleet */
	int64_t count;          /* reports to create; 0: by duration */
	int64_t duration_ms;    /* 0: by count */
	int64_t drain_ms;       /* grace for the last receipts */
	size_t stations;        /* 0: all of the chosen tiers */
	bool all_tiers;         /* county and towns too, not only villages and groups */
	int towns, villages, groups; /* a synthetic registry when towns > 0 */
	double colours[PROTO_COLOUR__COUNT];
	double categories[PROTO_CAT__COUNT];
	double personal_share;  /* reports naming a (made-up) resident */
	double connect_rate;    /* connection attempts a second; 0: all at once */
	double drop_share, resend_all_share;
	double act_share;       /* stations that sign, resolve, verify and rate */
	int64_t drop_every_ms;  /* mean interval between a dropper's cuts */
	int window, resend_ms, heartbeat_ms, keepalive, backoff_max_ms;
	int tick_ms;            /* the loop polls at most once per tick */
	double pace, burst;     /* per station, as minqing-station's rate, burst */
	uint64_t seed;
	const char *skip;       /* comma list of codes not to simulate */
	/* --human: actors take their steps after human delays (fleet-human.c) */
	bool human;
	double time_scale;      /* the hub's --time-scale */
	const char *members;    /* the service team, to assign to */
	double assign_share, late_share, return_share, extend_share,
	       unsatisfied_share;
} fleet_opts;

typedef struct fleet_counts {
	int64_t created;      /* reports made */
	int64_t sent;         /* reports published at least once */
	int64_t publishes;    /* report publishes, first ones and resends */
	int64_t receipted;    /* reports with a first accepted/duplicate receipt */
	int64_t duplicates;   /* "duplicate" receipts, first or later */
	int64_t rejected;     /* reports refused for good */
	int64_t rate_limited; /* "rate_limited" receipts */
	int64_t reaccepted;   /* a second, different "accepted": stored twice */
	int64_t repeats;      /* copies of a receipt already applied */
	int64_t unmatched;    /* receipts naming no report of this run */
	int64_t drops;        /* links cut on purpose */
	int64_t replays;      /* publishes of already receipted reports */
	int64_t wakeups;      /* poll() calls of the loop */
	int64_t items;        /* item messages from the hub answered */
	int64_t members;      /* member messages (the service team) answered */
	int64_t acts;         /* steps queued by actors (not reports) */
	int64_t acts_done;    /* steps the hub accepted */
	int64_t acts_refused; /* steps refused: the item moved on meanwhile */
} fleet_counts;

typedef enum fleet_phase {
	FLEET_CONNECTING, /* stations starting at the connect rate */
	FLEET_RUNNING,    /* reports being created */
	FLEET_DRAINING,   /* waiting for the last receipts */
	FLEET_DONE,
} fleet_phase;

struct fleet {
	fleet_opts o;
	proto_registry *reg;
	fleet_station *st;
	size_t n_st;
	fleet_msg *msgs;
	size_t n_msgs, cap_msgs;
	int32_t *lat;           /* ms from first publish to first receipt */
	size_t n_lat, cap_lat;
	fleet_counts c;
	fleet_phase phase;
	uint64_t rng;
	size_t n_connected;     /* stations connected now */
	int64_t t0;             /* monotonic ms at start */
	int64_t run_t0, run_t1; /* report creation began and ended */
	int64_t all_connected;  /* monotonic ms when all were first connected, 0 */
	int64_t last_item;      /* monotonic ms of the last item message */
	int64_t t_end;
	fleet_member *members;  /* --members */
	size_t n_members, cap_members;
};

/* ------------------------------------------------------------ fleet-opts.c */

/* Fills o with the defaults and then argv. *level gets --log-level. Returns
 * 0, 1 when --help or --version was answered, 2 on a usage error (told). */
int fleet_opts_parse(int argc, char **argv, fleet_opts *o, const char **level);

/* ------------------------------------------------------------ fleet.c */

/* Uniform random number in [0, 1) from the fleet's seeded generator. */
double fleet_random(fleet *f);

/* ------------------------------------------------------------ fleet-run.c */

/* The registry of the run: --registry's file, else a synthetic county of
 * --towns, --villages and --groups (written to --write-registry when asked).
 * NULL on an error (logged). */
proto_registry *fleet_run_registry(const fleet_opts *o);

/* Opens the registry and prepares the stations of f->o; 0, or -1 (logged).
 * Free with fleet_run_teardown, also after an error. */
int fleet_run_setup(fleet *f);

/* Runs the stations until the drain ends or a signal stops the run; sets
 * f->t_end. 0, or -1 on an error of the loop (logged). */
int fleet_run_events(fleet *f);

/* Frees the stations, the messages and the registry. */
void fleet_run_teardown(fleet *f);

/* ------------------------------------------------------------ fleet-station.c */

/* Prepares a station: its link (not yet connecting), pacing and topics.
 * password may be NULL. Returns 0, or -1 (logged). */
int fleet_station_init(fleet *f, fleet_station *s, const proto_station *reg,
	const char *password);

/* Frees what the station owns; the fleet owns the station itself. */
void fleet_station_clear(fleet_station *s);

/* Creates one report in the station's outbox; 0, or -1 out of memory. */
int fleet_station_create_report(fleet_station *s, int64_t now);

/* The step an actor takes on the item snapshot it was sent, if any: malloc'd
 * action JSON with this id, or NULL (nothing to do, or out of memory). */
char *fleet_content_action(fleet *f, const proto_station *st, int64_t id,
	const proto_item *it);

/* Services the link and publishes what is due; sets s->due. */
void fleet_station_run(fleet_station *s, int64_t now);

/* Publishes the offline status and disconnects cleanly. */
void fleet_station_stop(fleet_station *s);

/* ------------------------------------------------------------ fleet-content.c */

/* A report payload of the station with this id, made with the fleet's mixes
 * and generator; malloc'd JSON, NULL when out of memory. */
char *fleet_content_report(fleet *f, const proto_station *st, int64_t id,
	int64_t wall_ms);

/* CSV text of a synthetic county: towns, villages per town, groups per
 * village; malloc'd, NULL when out of memory or the counts do not fit codes. */
char *fleet_content_registry(const char *county, int towns, int villages,
	int groups);

/* Parses "name=weight,..." against names[0..n) into weights (unnamed ones 0).
 * false on an unknown name or a bad weight, with the reason in err. */
bool fleet_content_parse_mix(const char *spec, const char *(*name)(int), int n,
	double *weights, char *err, size_t errlen);

/* ------------------------------------------------------------ fleet-human.c */

/* Reads the service team's file (id,name,station,...) into f->members;
 * 0, or -1 (logged). */
int fleet_human_load_members(fleet *f, const char *path);

/* Plans the station's next step on this item snapshot, the hub's clock being
 * hub_now when it was sent; replaces a step planned for the item before. */
void fleet_human_plan(fleet_station *s, const proto_item *it, int64_t hub_now);

/* Hands the steps due by now to queue (which takes the JSON); returns the
 * monotonic ms of the next one, INT64_MAX if none. */
int64_t fleet_human_due(fleet_station *s, int64_t now,
	int (*queue)(fleet_station *s, char *json, int64_t id),
	int64_t (*next_id)(const fleet_station *s));

/* ------------------------------------------------------------ fleet-stats.c */

/* Records a first receipt's latency. */
void fleet_stats_latency(fleet *f, int64_t ms);

/* Overwrites the terminal's progress line. */
void fleet_stats_progress(const fleet *f, int64_t now);

/* Prints the summary and writes --json and --ids; 0, or -1 on a write error. */
int fleet_stats_finish(fleet *f, int64_t now);

/* Reports created but neither receipted nor rejected. */
int64_t fleet_stats_lost(const fleet *f);

#endif
