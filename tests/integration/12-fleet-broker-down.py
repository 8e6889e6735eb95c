"""Under a fleet of 500 stations, the broker is killed (SIGKILL: it loses
what it held in memory) and stays down for 45 s while the stations keep
creating reports offline; then it comes back. Every report is stored exactly
once and receipted, none rejected. The stations' backoff is the real one:
45 s down takes it through 1+2+4+8+16 s to its 30 s cap, so this test takes
about a minute and a half."""
import sys, os, time
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check

STATIONS, RATE, SECONDS, DOWN = 500, 50, 65, 45


def body(env):
    env.start_broker()
    env.start_hub()
    fleet = env.start_fleet(stations=STATIONS, rate=RATE, duration=SECONDS, drain=90)
    env.wait_until(lambda: len(env.hub_reports()) >= 3 * RATE, 60,
                   "reports at the hub before the outage", interval=0.25)
    env.kill_broker()
    time.sleep(2)  # the hub commits what it had read before the kill
    before = len(env.hub_reports())
    time.sleep(DOWN - 2)
    check(len(env.hub_reports()) == before, "the hub stored reports without a broker")
    env.start_broker()
    check(fleet.alive(), "the fleet ended during the outage")
    result = env.finish_fleet(fleet, SECONDS + 150)
    n = env.check_exactly_once(result)
    print(f"broker down {DOWN}s after {before} stored; {n} stored exactly once; "
          f"{result['reconnects']} reconnects")


run("12-fleet-broker-down", body)
