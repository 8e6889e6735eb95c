"""`minqing-hub backup` under load: while a fleet of 300 stations sends 100
reports a second, an online backup is taken; the restored database holds
every report receipted (committed at the hub) before the backup began,
passes SQLite's integrity check, and with the key copied by --key-to gives
back residents' names. The hub never stops receipting meanwhile, and the
fleet's reports all end up stored exactly once."""
import sys, os, json, subprocess, time, sqlite3
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check
import harness

STATIONS, RATE, SECONDS = 300, 100, 15


def body(env):
    env.start_broker()
    env.start_hub()
    fleet = env.start_fleet(stations=STATIONS, rate=RATE, duration=SECONDS)
    env.wait_until(lambda: len(env.hub_reports()) >= 3 * RATE, 60,
                   "reports at the hub before the backup", interval=0.25)
    before = {r["id"] for r in env.hub_reports()}  # committed, so receipted
    backup = os.path.join(env.dir, "backup", "hub-backup.db")
    key = os.path.join(env.dir, "keys", "hub.key")
    os.makedirs(os.path.dirname(backup))
    os.makedirs(os.path.dirname(key))
    t0 = time.time()
    r = subprocess.run([env.bin("hub/minqing-hub"), "backup", "--config",
                        os.path.join(env.provision(), "hub.conf"), "--db", env.hub_db,
                        "--to", backup, "--key-to", key], capture_output=True, text=True,
                       timeout=60, env={**os.environ, **harness.SAN_ENV})
    took = time.time() - t0
    check(r.returncode == 0, f"backup failed: {r.returncode} {r.stderr}")
    check("keep it apart" in r.stdout, f"no word about the key: {r.stdout}")
    during = len(env.hub_reports())
    check(fleet.alive(), "the fleet ended before the backup; it was not under load")
    print(f"backup under load in {took:.2f}s: {r.stdout.splitlines()[0]}")

    # Restore: a copy of the backup, opened as the hub would open it.
    restored = os.path.join(env.dir, "restored.db")
    os.rename(backup, restored)
    check(os.stat(restored).st_mode & 0o077 == 0, "the backup is readable by others")
    check(not os.path.exists(backup + "-wal"), "the backup left a WAL beside it")
    db = sqlite3.connect(restored)
    check(db.execute("PRAGMA integrity_check").fetchone()[0] == "ok",
          "the restored database fails its integrity check")
    db.close()
    q = subprocess.run([env.bin("hub/minqing-hub"), "query", "--db", restored, "--json",
                        "--personal", "--keyfile", key], capture_output=True, text=True,
                       timeout=60, env={**os.environ, **harness.SAN_ENV})
    check(q.returncode == 0, f"query on the restored database: {q.stderr}")
    rows = [json.loads(l) for l in q.stdout.splitlines()]
    have = {x["id"] for x in rows}
    missing = before - have
    check(not missing, f"{len(missing)} reports receipted before the backup are not in "
          f"it, e.g. {sorted(missing)[:3]}")
    named = [x for x in rows if x.get("reporter") not in (None, "?")]
    check(named and not [x for x in rows if x.get("reporter") == "?"],
          "the key copy does not unseal the backup's names")
    print(f"restored: {len(have)} reports ({len(before)} receipted before the backup "
          f"began, all there; {during} at the hub just after it); {len(named)} "
          "residents' names unsealed with the key copy")

    result = env.finish_fleet(fleet, SECONDS + 90)
    n = env.check_exactly_once(result)
    print(f"the fleet's {n} reports stored exactly once; the hub ran on throughout")


run("42-backup-under-load", body)
