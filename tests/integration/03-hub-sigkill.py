"""The hub is killed with SIGKILL while 1,000 reports stream in from five
stations, then restarted: every report is stored exactly once and every
station marks every report received."""
import sys, os, time, re
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check, in_background

STATIONS = ["611025100201", "611025100202", "611025101201", "611025102201",
            "611025103201"]
N = 1000


def body(env):
    env.start_broker()
    env.start_hub()
    for c in STATIONS:
        env.start_station(c)
    items = []

    def submit():
        # A stream: batches of 10 per station, round after round.
        for rnd in range(N // (10 * len(STATIONS))):
            for c in STATIONS:
                items.extend(env.import_reports(
                    c, [f"报告{rnd}-{k}" for k in range(10)], category="proxy"))
            time.sleep(0.05)

    t0 = time.time()
    feeder = in_background(submit)
    env.wait_until(lambda: len(env.hub_reports()) >= 250, 120,
                   "250 reports before the kill", interval=0.05)
    before = len(env.hub_reports())
    env.hub.kill9()
    time.sleep(1)
    env.start_hub()
    feeder.join(300)
    check(len(items) == N, f"only {len(items)} reports were submitted")
    env.wait_until(lambda: len(env.hub_reports()) >= N, 180, f"{N} reports at the hub",
                   interval=0.5)
    rows = env.hub_reports()
    ids = [r["id"] for r in rows]
    check(len(ids) == len(set(ids)), "a report is stored twice")
    check(set(ids) == set(items), "stored ids differ from submitted ids")
    for c in STATIONS:
        env.wait_until(lambda c=c: all(x["received"] for x in env.station_list(c)),
                       60, f"station {c} to mark all received")
    elapsed = time.time() - t0
    env.hub.stop()
    m = re.search(r"(\d+) accepted, (\d+) duplicates", env.hub.text())
    print(f"hub killed at {before} stored; after restart: {len(rows)} stored of {N}, "
          f"unique {len(set(ids))}; restarted hub: {m.group(1)} accepted, "
          f"{m.group(2)} duplicates receipted; {elapsed:.1f}s")


run("03-hub-sigkill", body)
