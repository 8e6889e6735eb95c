"""A county's traffic for minutes, and what the hub consumes over it. Every
station of the Zhen'an registry (1,892) heartbeats at its real period (60 s)
divided by the hub's --time-scale (20: every 3 s, about 630 statuses a
second), while a day's reports (300) are filed and a share of the stations
work the loop (sign, resolve, verify, rate). Asserted, after a warm-up (all
connected, every station's row written once):
- the WAL never above WAL_MAX (durable.c restarts it at 8 MiB);
- hub.db's growth (its logical size: page_count) within REPORT_MAX a
  report plus STATUS_MAX a status;
- the hub's RSS within RSS_SLACK of its size at warm-up, its open
  descriptors within FD_SLACK;
- every checkpoint checked and none failed (the health file), and the WAL
  emptied (TRUNCATE) within QUIET_S of the hub's last write to it, once
  the fleet has stopped. The quiet is timed from the WAL's own last write
  (its mtime), not from the fleet's end: the stations' offline statuses
  and wills keep the hub writing for a while after the fleet exits, and
  a clock started at the fleet's end raced with them. Each time the WAL
  goes from written to empty after the fleet, the gap is measured; a WAL
  left unwritten longer than QUIET_S and not emptied fails at once; and it
  must be empty within SETTLE_S of the fleet's end at the latest;
- every report stored exactly once.
Before the checked checkpoints, no health file was written and the WAL of
a quiet hub stayed at its last length. Under the sanitizers (slower, and
sharing the machine) a lighter run: 600 stations for 60 s.

bench/soak runs it longer through the environment: MINQING_SOAK_S (wall
seconds), MINQING_SOAK_STATIONS (a number or "all"), MINQING_SOAK_SCALE
(the time scale, 1-60: a heartbeat of 60 s / scale), MINQING_SOAK_REPORTS,
and MINQING_SOAK_JSON, a file for the measured figures."""
import sys, os, re, subprocess, threading, time, sqlite3, json
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check, SAN_ENV

SCALE, HEARTBEAT_S = 20, 3           # 60 s / 20
WAL_MAX = 12 << 20
REPORT_MAX, STATUS_MAX = 8 << 10, 2
RSS_SLACK, FD_SLACK = 8 << 20, 4
QUIET_S = 10      # the hub truncates after 3 s without a commit
SETTLE_S = 90     # for the last wills to arrive and the quiet to follow


def sanitized(env):
    r = subprocess.run(["ldd", env.bin("hub/minqing-hub")], capture_output=True, text=True)
    return "libasan" in r.stdout


def size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def proc_figures(pid):
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:")) * 1024
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


def logical_db(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        page = db.execute("PRAGMA page_size").fetchone()[0]
        reports = db.execute("SELECT count(*) FROM reports").fetchone()[0]
        return pages * page, reports
    finally:
        db.close()


def wal_stat(path):
    """(size, mtime in s) of the WAL; (0, 0) when absent."""
    try:
        st = os.stat(path)
        return st.st_size, st.st_mtime_ns / 1e9
    except OSError:
        return 0, 0.0


def health(db):
    try:
        with open(db + "-health") as f:
            return dict(kv.split("=", 1) for kv in f.read().split())
    except OSError:
        return {}


def body(env):
    light = sanitized(env)
    duration = int(os.environ.get("MINQING_SOAK_S", 60 if light else 150))
    stations = os.environ.get("MINQING_SOAK_STATIONS", 600 if light else "all")
    reports = int(os.environ.get("MINQING_SOAK_REPORTS", 100 if light else 300))
    scale = int(os.environ.get("MINQING_SOAK_SCALE", SCALE))
    check(1 <= scale <= 60, f"time scale {scale} outside 1-60")
    rss_slack = RSS_SLACK * (4 if light else 1)
    env.start_broker()
    # AddressSanitizer keeps freed memory in quarantine (256 MiB by
    # default), which would read as growth: a small one lets RSS follow
    # what the hub holds.
    san = {"ASAN_OPTIONS": SAN_ENV["ASAN_OPTIONS"] + ":quarantine_size_mb=1"} \
        if light else None
    hub = env.start_hub("--time-scale", str(scale), testing=True, env=san)
    env.wait_until(lambda: "connected to broker" in hub.text(), 60, "the hub to start")
    pid = hub.p.pid
    tiers = () if light else ("--all-tiers",)
    fleet = env.start_fleet(*tiers, "--heartbeat", str(HEARTBEAT_S * SCALE / scale),
                            "--act-share", "0.3",
                            "--connect-rate", "200", stations=stations,
                            rate=reports / duration, duration=duration, drain=120)
    seen = {"wal": 0, "rss": [], "fds": []}
    done = threading.Event()

    def watch():
        while not done.is_set():
            seen["wal"] = max(seen["wal"], size(env.hub_db + "-wal"))
            time.sleep(0.1)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()

    t0 = time.time()
    warm = 0.3 * duration
    time.sleep(warm)
    rss0, fd0 = proc_figures(pid)
    db0, rep0 = logical_db(env.hub_db)
    while fleet.alive() and time.time() - t0 < duration + 120:
        rss, fds = proc_figures(pid)
        seen["rss"].append(rss)
        seen["fds"].append(fds)
        time.sleep(1)
    result = env.finish_fleet(fleet, 240)
    db1, rep1 = logical_db(env.hub_db)
    n = env.check_exactly_once(result)

    # Quiet now: the WAL emptied by the hub itself, within QUIET_S of its
    # last write (the stations' last statuses arrive after the fleet ends).
    ended = time.time()
    gaps, last_write, stale, zero_since = [], None, None, None
    while time.time() - ended < SETTLE_S:
        wal, mtime = wal_stat(env.hub_db + "-wal")
        now = time.time()
        if wal > 0:
            zero_since = None
            last_write = mtime if last_write is None else max(last_write, mtime)
            if now - last_write > QUIET_S:
                stale = now - last_write
                break
        else:
            if last_write is not None:
                gaps.append(now - last_write)
                last_write = None
            zero_since = zero_since or now
            if now - zero_since >= 2:   # empty, and nothing wrote for 2 s
                break
        time.sleep(0.05)
    wal_end = wal_stat(env.hub_db + "-wal")[0]
    check(stale is None, f"the WAL was last written {stale or 0:.1f} s ago and not "
          f"emptied (bound {QUIET_S} s)")
    check(wal_end == 0, f"the WAL still held {wal_end} B {SETTLE_S} s after the fleet ended")
    quiet = max(gaps) if gaps else 0.0
    settled = time.time() - ended
    done.set()
    watcher.join()
    h = health(env.hub_db)
    check(h.get("checkpoint") == "ok" and int(h.get("checkpoints", 0)) > 0,
          f"the health file shows no good checkpoint: {h}")
    check(h.get("failed") == "0", f"{h.get('failed')} checkpoints failed")
    hub.stop(30)
    log = hub.text()
    m = re.search(r"; (\d+) statuses;", log)
    statuses = int(m[1]) if m else 0
    m = re.search(r"WAL: (\d+) frames written", log)
    frames = int(m[1]) if m else 0

    mib = 1 << 20
    window = len(seen["rss"])
    check(window > 10, f"only {window} samples after warm-up")
    grown = db1 - db0
    new_reports = rep1 - rep0
    # Statuses after warm-up: their share of the run's, by time.
    status_window = int(statuses * (1 - warm / max(time.time() - t0, 1)))
    bound = new_reports * REPORT_MAX + status_window * STATUS_MAX
    print(f"{n} reports from {result['stations']} stations; {statuses} statuses "
          f"(about {status_window} after warm-up)")
    print(f"WAL at most {seen['wal'] / mib:.1f} MiB; {frames} frames written "
          f"({frames * 4120 / max(statuses, 1):.0f} B a status, all counted as statuses); "
          f"emptied at most {quiet:.1f} s after the hub's last write to it "
          f"({len(gaps)} times), settled {settled:.1f} s after the fleet ended")
    print(f"hub.db {db0 / mib:.2f} -> {db1 / mib:.2f} MiB after warm-up: {grown} B for "
          f"{new_reports} reports and {status_window} statuses "
          f"({grown / max(new_reports, 1):.0f} B a report if all theirs); bound {bound} B")
    print(f"RSS {rss0 / mib:.1f} MiB at warm-up, at most {max(seen['rss']) / mib:.1f}; "
          f"fds {fd0} at warm-up, at most {max(seen['fds'])}")
    elapsed = time.time() - t0
    figures = {
        "stations": result["stations"], "time_scale": scale, "wall_s": round(elapsed),
        "fleet_s": duration, "simulated_h": round(duration * scale / 3600, 2),
        "reports": n, "statuses": statuses, "wal_max": seen["wal"],
        "wal_frames": frames, "wal_emptied_s": round(quiet, 1),
        "db_warm": db0, "db_end": db1, "db_reports": new_reports,
        "db_statuses": status_window,
        "db_per_report_max": round(grown / max(new_reports, 1)),
        "db_per_status_max": round(grown / max(status_window, 1), 2),
        "rss_warm": rss0, "rss_max": max(seen["rss"]), "rss_end": seen["rss"][-1],
        "fds_warm": fd0, "fds_max": max(seen["fds"]), "fds_end": seen["fds"][-1],
    }
    print(f"{figures['simulated_h']} simulated hours in {figures['wall_s']} s; "
          f"RSS at the end {figures['rss_end'] / mib:.1f} MiB, fds {figures['fds_end']}")
    if os.environ.get("MINQING_SOAK_JSON"):
        with open(os.environ["MINQING_SOAK_JSON"], "w") as f:
            json.dump(figures, f, indent=1)
    check(seen["wal"] <= WAL_MAX, f"the WAL reached {seen['wal'] / mib:.1f} MiB")
    check(grown <= bound, f"hub.db grew {grown} B, over the bound {bound} B")
    check(max(seen["rss"]) - rss0 <= rss_slack,
          f"RSS grew from {rss0 / mib:.1f} to {max(seen['rss']) / mib:.1f} MiB")
    check(max(seen["fds"]) - fd0 <= FD_SLACK, f"fds grew from {fd0} to {max(seen['fds'])}")


run("49-soak", body)
