"""The station agent is killed with SIGKILL while draining 1,000 queued
reports, then restarted: every report reaches the hub exactly once and in
submission order."""
import sys, os, time
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check

CODE = "611025104201"
N = 1000


def body(env):
    env.start_broker()
    # Paced at the defaults (10/s) a drain of 1,000 takes 90 s; this test is
    # about the kill, so station and hub both allow ten times that.
    limits = os.path.join(env.dir, "hub-limits.conf")
    with open(limits, "w") as f:
        f.write("rate_limit = 200\nrate_burst = 400\n")
    env.start_hub("--config", limits)
    items = []
    for batch in range(4):
        items += env.import_reports(CODE, [f"待办{batch}-{i}" for i in range(N // 4)],
                                    category="left_behind")
    items.sort(key=lambda s: int(s.split("-")[1]))
    # A small window keeps the drain slow enough to be killed in the middle.
    conf = os.path.join(env.dir, "station.conf")
    with open(conf, "w") as f:
        f.write("# drain a few at a time, fast\nwindow = 4\nrate = 100\n")
    st = env.start_station(CODE, "--config", conf)
    env.wait_until(lambda: len(env.hub_reports()) >= 200, 120, "200 reports drained",
                   interval=0.05)
    st.kill9()
    at_kill = len(env.hub_reports())
    check(at_kill < N, "the drain finished before the kill; the test proved nothing")
    queued = sum(1 for x in env.station_list(CODE) if not x["received"])
    env.start_station(CODE, "--config", conf)
    env.wait_until(lambda: len(env.hub_reports()) >= N, 180, f"{N} reports at the hub",
                   interval=0.5)
    ids = [r["id"] for r in env.hub_reports()]
    check(len(ids) == len(set(ids)) == N, f"{len(ids)} rows, {len(set(ids))} unique")
    check(ids == items, "hub order differs from submission order")
    env.wait_until(lambda: all(x["received"] for x in env.station_list(CODE)), 60,
                   "the station to mark all received")
    print(f"agent killed with {at_kill} stored at the hub and {queued} unreceipted at "
          f"the station; after restart {len(ids)} stored of {N}, unique, in order")


run("04-station-sigkill", body)
