"""Under a fleet of 500 stations sending 80 reports a second, the hub is
killed with SIGKILL and restarted, twice: every report the fleet created is
stored exactly once, every one is receipted, none is rejected."""
import sys, os, time
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check

STATIONS, RATE, SECONDS = 500, 80, 15


def stored(env):
    return len(env.hub_reports())


def body(env):
    env.start_broker()
    env.start_hub()
    fleet = env.start_fleet(stations=STATIONS, rate=RATE, duration=SECONDS)
    at = []
    for kill in (1, 2):
        # A few seconds of traffic before each kill, and the restarted hub
        # storing again before the next one.
        target = (at[-1] if at else 0) + 2 * RATE
        env.wait_until(lambda: stored(env) >= target, 60,
                       f"{target} reports at the hub before kill {kill}",
                       interval=0.25)
        env.hub.kill9()
        at.append(stored(env))
        time.sleep(1)
        env.start_hub()
    check(fleet.alive(), "the fleet ended before the second kill; the test proved "
          "nothing")
    result = env.finish_fleet(fleet, SECONDS + 90)
    n = env.check_exactly_once(result)
    print(f"hub killed at {at[0]} and {at[1]} stored; {n} stored exactly once of "
          f"{result['created']} created; {result['duplicates']} duplicate receipts")


run("10-fleet-hub-sigkill", body)
