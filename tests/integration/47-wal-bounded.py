"""The hub's WAL stays bounded under steady load, and its checkpoints copy
the WAL into the database while the hub runs. The checkpoints ran on a
connection that had never read the database, so each did nothing (SQLite
counts -1 frames then, without an error), and under load the core always
had its next batch open before a checkpoint could end, so the WAL could not
start again anyway: it grew for as long as the hub ran (200 MB in a
60,000-report run). Now the WAL must stay under 24 MiB while 20,000 reports
(about 60 MB of WAL written) go through, and the database file itself must
grow during the run."""
import sys, os, threading, time
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check

COUNT, WAL_MAX = 20000, 24 << 20


def size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def body(env):
    env.start_broker()
    env.start_hub()
    env.wait_until(lambda: size(env.hub_db) > 0, 30, "the hub's database")
    time.sleep(1)  # the registry's rows in
    base = size(env.hub_db)
    seen = {"wal": 0, "db": 0}
    done = threading.Event()

    def watch():
        while not done.is_set():
            seen["wal"] = max(seen["wal"], size(env.hub_db + "-wal"))
            seen["db"] = max(seen["db"], size(env.hub_db))
            time.sleep(0.05)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    fleet = env.start_fleet("--count", str(COUNT), "--pace", "0", stations=300,
                            rate=5000, duration=120, drain=120)
    result = env.finish_fleet(fleet, 400)
    done.set()
    watcher.join()
    n = env.check_exactly_once(result)
    check(n == COUNT, f"{n} reports stored, want {COUNT}: the load proved nothing")
    mib = 1 << 20
    check(seen["wal"] < WAL_MAX, f"the WAL reached {seen['wal'] / mib:.1f} MiB")
    check(seen["db"] > base + 8 * mib,
          f"the database grew from {base / mib:.1f} to {seen['db'] / mib:.1f} MiB "
          "while the hub ran: the checkpoints copied nothing")
    print(f"{n} reports: WAL at most {seen['wal'] / mib:.1f} MiB, database "
          f"{base / mib:.1f} -> {seen['db'] / mib:.1f} MiB while the hub ran")


run("47-wal-bounded", body)
