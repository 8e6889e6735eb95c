"""While a fleet of 500 stations sends 80 reports a second, a real
minqing-station draining a backlog from its disk store is killed with
SIGKILL and restarted: its reports and the fleet's are all stored exactly
once, its own in submission order, and it marks every one received."""
import sys, os, time
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check

STATIONS, RATE, SECONDS = 500, 80, 25
CODE = "611025105"  # a town: outside the fleet's villages and groups
N = 200


def body(env):
    env.start_broker()
    env.start_hub()
    fleet = env.start_fleet(stations=STATIONS, rate=RATE, duration=SECONDS)
    items = env.import_reports(CODE, [f"镇上待办{i}" for i in range(N)], category="proxy")
    mine = lambda: [r["id"] for r in env.hub_reports() if r["station"] == CODE]
    # A small window keeps the drain (10 a second, the default) killable.
    conf = os.path.join(env.dir, "station.conf")
    with open(conf, "w") as f:
        f.write("window = 4\n")
    st = env.start_station(CODE, "--config", conf)
    env.wait_until(lambda: len(mine()) >= 40, 60, "40 of the station's reports",
                   interval=0.1)
    st.kill9()
    at_kill = len(mine())
    check(at_kill < N, "the drain finished before the kill; the test proved nothing")
    check(fleet.alive(), "the fleet ended before the kill")
    env.start_station(CODE, "--config", conf)
    result = env.finish_fleet(fleet, SECONDS + 90)
    env.wait_until(lambda: len(mine()) >= N, 60, f"{N} station reports at the hub",
                   interval=0.5)
    n = env.check_exactly_once(result, extra=items)
    check(mine() == items, "the station's reports are stored out of order")
    env.wait_until(lambda: all(x["received"] for x in env.station_list(CODE)), 60,
                   "the station to mark all received")
    print(f"agent killed with {at_kill} of {N} stored; {n} stored exactly once "
          f"({result['created']} from the fleet)")


run("14-fleet-station-sigkill", body)
