"""Under a fleet of 500 stations sending 80 reports a second, the broker
(persistence on, as provisioned) is stopped and started again, twice: the
stations and the hub reconnect, and every report the fleet created is stored
exactly once and receipted, none rejected."""
import sys, os, time
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check

STATIONS, RATE, SECONDS = 500, 80, 20


def body(env):
    env.start_broker()
    env.start_hub()
    fleet = env.start_fleet(stations=STATIONS, rate=RATE, duration=SECONDS)
    at = []
    for restart in (1, 2):
        target = (at[-1] if at else 0) + 2 * RATE
        env.wait_until(lambda: len(env.hub_reports()) >= target, 60,
                       f"{target} reports at the hub before restart {restart}",
                       interval=0.25)
        env.restart_broker()
        at.append(len(env.hub_reports()))
    check(fleet.alive(), "the fleet ended before the second restart")
    result = env.finish_fleet(fleet, SECONDS + 90)
    check(result["reconnects"] >= 1.5 * STATIONS,
          f"only {result['reconnects']} reconnects for two broker restarts")
    n = env.check_exactly_once(result)
    print(f"broker restarted at {at[0]} and {at[1]} stored; {n} stored exactly once; "
          f"{result['reconnects']} reconnects")


run("11-fleet-broker-restart", body)
