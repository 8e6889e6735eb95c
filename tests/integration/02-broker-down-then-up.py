"""Reports submitted while the broker is down are kept at the station and,
once the broker starts, delivered to the hub in order, each once."""
import sys, os, time
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check

CODE = "611025101201"
N = 20


def body(env):
    env.start_hub()
    env.start_station(CODE)
    items = [env.report(CODE, title=f"停电第{i}户", category="livelihood")
             for i in range(N)]
    time.sleep(1)
    lst = env.station_list(CODE)
    check(len(lst) == N and not any(x["received"] for x in lst),
          "reports should be queued while the broker is down")
    env.start_broker()
    env.wait_until(lambda: len(env.hub_reports()) >= N, 60, f"{N} reports at the hub")
    rows = env.hub_reports()
    check([r["id"] for r in rows] == items,
          "hub order differs from submission order: "
          f"{[r['id'] for r in rows]} vs {items}")
    env.wait_until(lambda: all(x["received"] for x in env.station_list(CODE)), 30,
                   "the station to mark everything received")
    print(f"delivered {len(rows)} of {N} in order")


run("02-broker-down-then-up", body)
