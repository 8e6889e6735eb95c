"""The hub syncs its commits on a thread of its own (hub/durable.c) while its
core reads on; a receipt must still wait until its report is on disk. A
preloaded library (tests/fault/syncfault.c) makes every sync of the WAL
slow, then fail. Slow: a report's receipt comes no sooner than the sync
delay after the report. Failed: the hub receipts nothing of that commit and
stops with an error; restarted on a good disk (the database named through a
symlink), it takes the station's resend and the report is stored exactly
once."""
import sys, os, re, time
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check, start_monitor, COUNTY

CODE = "611025100201"
DELAY_MS = 400


def body(env):
    lib = os.path.join(env.bin("tests"), "libsyncfault.so")
    fail = os.path.join(env.dir, "disk-fails")
    env.start_broker()
    fault = {"LD_PRELOAD": lib, "MINQING_SYNC_DELAY_MS": str(DELAY_MS),
             "MINQING_SYNC_FAIL_FILE": fail,
             # The sanitizers' runtime is then not first in the list.
             "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:exitcode=66:"
                             "verify_asan_link_order=0"}
    hub = env.start_hub(env=fault)
    mon = start_monitor(env, f"minqing/{COUNTY}/up/{CODE}/report",
                        f"minqing/{COUNTY}/down/{CODE}/receipt")
    env.start_station(CODE)
    # Started: SQLite's own syncs while it sets up are slow too.
    env.wait_until(lambda: "connected to broker" in hub.text(), 60, "the hub to start")

    def watch(ref, want, timeout):
        """When the monitor first saw the report ref and its receipt."""
        seen = {}
        end = time.time() + timeout
        while len(seen) < want and time.time() < end:
            for topic, m in mon.messages():
                kind = topic.rsplit("/", 1)[1]
                if isinstance(m, dict) and kind not in seen and \
                        (m.get("id") == ref if kind == "report" else m.get("ref") == ref):
                    seen[kind] = time.time()
            time.sleep(0.005)
        return seen

    # Slow disk: the receipt waits for the sync.
    item = env.report(CODE, title="慢盘")
    seen = watch(int(item.rsplit("-", 1)[1]), 2, 20)
    check(len(seen) == 2, f"saw {sorted(seen)} of the report and its receipt")
    waited = seen["receipt"] - seen["report"]
    check(waited >= DELAY_MS / 1000 * 0.9, f"receipt {waited * 1000:.0f} ms after the "
          f"report, before the {DELAY_MS} ms sync ended")
    env.wait_until(lambda: all(x["received"] for x in env.station_list(CODE)), 20,
                   "the station to mark the first report received")

    # Failing disk: no receipt, the hub stops. The disk fails as the report
    # goes by, so that the sync that fails is its commit's (or the one
    # before, under way when it came).
    time.sleep(3 * DELAY_MS / 1000)  # the syncs of the station's status go first
    item2 = env.report(CODE, title="坏盘")
    check("report" in watch(int(item2.rsplit("-", 1)[1]), 1, 20), "the second report")
    open(fail, "w").close()
    env.wait_until(lambda: not hub.alive(), 20, "the hub to stop on a failed sync")
    hub.killed = True  # stopped on purpose: its status is checked here
    hub.logf.close()
    check(hub.p.returncode not in (0, None), f"hub exit status {hub.p.returncode}")
    log = hub.text()
    held = re.search(r"the disk failed to sync a commit; (\d+) receipts withheld", log)
    check(held and int(held[1]) >= 1, f"no failed sync of a commit holding the report: {held}")
    check("runtime error" not in log and "LeakSanitizer" not in log,
          "sanitizer report from the hub")
    ref2 = int(item2.rsplit("-", 1)[1])
    check(not any(m.get("ref") == ref2 for t, m in mon.messages("/receipt")
                  if isinstance(m, dict)), "a receipt for a report whose sync failed")
    st = {x["id"]: x for x in env.station_list(CODE)}
    check(not st[item2]["received"], "the station holds the second report as received")

    # A good disk again: the resend is taken, stored once. The database
    # named through a symlink this time: SQLite names the WAL after the
    # file it resolves to, and that is the file to sync.
    os.unlink(fail)
    link = os.path.join(env.dir, "hub-link.db")
    os.symlink(env.hub_db, link)
    env.hub_db = link
    env.start_hub()
    env.wait_until(lambda: all(x["received"] for x in env.station_list(CODE)), 30,
                   "the station to get the second report's receipt")
    ids = [r["id"] for r in env.hub_reports()]
    check(ids == [item, item2], f"hub holds {ids}, want each report once")
    print(f"receipt {waited * 1000:.0f} ms after its report (sync {DELAY_MS} ms); a "
          "failed sync stopped the hub without a receipt; restarted, the resend "
          "was stored once")


run("46-sync-fault", body)
