"""A fleet of 500 stations where 10% cut their link at random all the time
(the broker sees a dead socket and publishes their will) and 5% send again
everything they ever sent: every report is stored exactly once and receipted,
none rejected, and the replays are answered as duplicates."""
import sys, os, time
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check

STATIONS, RATE, SECONDS = 500, 80, 15


def body(env):
    env.start_broker()
    env.start_hub()
    fleet = env.start_fleet("--drop-share", "0.1", "--drop-every", "4",
                            "--resend-all-share", "0.05", "--resend", "5",
                            stations=STATIONS, rate=RATE, duration=SECONDS)
    result = env.finish_fleet(fleet, SECONDS + 90)
    n = env.check_exactly_once(result)
    check(result["drops"] >= STATIONS // 10 * (SECONDS // 8),
          f"only {result['drops']} links dropped")
    check(result["reconnects"] >= result["drops"] * 0.9,
          f"{result['drops']} drops but {result['reconnects']} reconnects")
    check(result["replays"] > 0 and result["duplicates"] > 0,
          f"{result['replays']} replays, {result['duplicates']} duplicate receipts")
    print(f"{result['drops']} link drops, {result['reconnects']} reconnects, "
          f"{result['replays']} replays -> {result['duplicates']} duplicates; "
          f"{n} stored exactly once")


run("13-fleet-link-drops", body)
