"""A full disk, survived and recovered from without an operator. The hub's
database lives on a small tmpfs the test mounts; a 50-station fleet files
reports while the test fills the filesystem to the last byte. While full the
hub must say so (its log, its retained MQTT status with "storage": "full",
and the health file beside the database that `minqing-hub stats` and the
dashboard read; the status drops "storage" once space is back), stay up and
receipt nothing it
did not store. Once the filler is removed it must go on by itself within
10 s. Then the disk is filled again and the hub stopped while full: it must
stop cleanly, and start again on the freed disk and take reports. Every
report the fleets filed is stored exactly once, and the database passes
integrity_check. Before this test the hub went on silently failing every
commit after space returned, and a restart found no room to checkpoint.
Needs root to mount (skipped, exit 77, where mounting is refused)."""
import sys, os, errno, json, subprocess, time
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check, SAN_ENV, Proc, MONITOR, whole_lines

SIZE_MB = 32
RECOVER_S = 10
HUB_ARGS = os.environ.get("MINQING_TEST_HUB_ARGS", "").split()


def fill(path):
    """Writes path until the filesystem is full: big blocks, then small."""
    with open(path, "wb", buffering=0) as f:
        for block in (1 << 20, 1 << 12, 1 << 9):
            buf = b"\0" * block
            try:
                while True:
                    f.write(buf)
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise
    return os.path.getsize(path)


def health(db):
    try:
        with open(db + "-health") as f:
            return dict(kv.split("=", 1) for kv in f.read().split())
    except OSError:
        return {}


def stats(env):
    r = subprocess.run([env.bin("hub/minqing-hub"), "stats", "--db", env.hub_db],
                       capture_output=True, text=True, timeout=60,
                       env={**os.environ, **SAN_ENV})
    check(r.returncode == 0, f"minqing-hub stats: {r.returncode} {r.stderr}")
    return r.stdout


def stored(env):
    return len(env.hub_reports())


def body(env):
    disk = os.path.join(env.dir, "disk")
    os.makedirs(disk)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE_MB}m", "tmpfs", disk],
                       capture_output=True, text=True)
    if r.returncode != 0:
        print(f"48-disk-full: cannot mount a tmpfs ({r.stderr.strip()}): skipped")
        sys.exit(77)
    try:
        scenario(env, disk)
        env.stop_all()  # the hub's last checkpoint, before the disk goes
    except BaseException:
        for p in env.procs:
            if p.alive() and p.argv[0] != "mosquitto":
                p.p.kill()
                p.p.wait()
        raise
    finally:
        subprocess.run(["umount", "-l", disk])


def hub_statuses(watch):
    """The hub's statuses seen so far, oldest first."""
    return [json.loads(l) for l in whole_lines(watch.text()) if l.startswith("{")]


def scenario(env, disk):
    env.hub_db = os.path.join(disk, "hub.db")
    filler = os.path.join(disk, "filler")
    env.start_broker()
    hub = env.start_hub(*HUB_ARGS)
    env.wait_until(lambda: "connected to broker" in hub.text(), 60, "the hub to start")
    watch = Proc("hub-status", env.mqtt("mosquitto_sub", MONITOR, "-q", "1", "-t",
                                        "minqing/611025/hub/status"),
                 os.path.join(env.dir, "hub-status.txt"), env={})
    env.procs.append(watch)
    fleet = env.start_fleet("--resend", "3", stations=50, rate=20, duration=45, drain=120)
    env.wait_until(lambda: stored(env) >= 50, 60, "the first reports stored")

    # Full: said loudly, the hub stays up.
    t0 = time.time()
    n = fill(filler)
    env.wait_until(lambda: "the disk is full" in hub.text(), 30,
                   "the hub to say the disk is full")
    env.wait_until(lambda: health(env.hub_db).get("disk") == "full", 10,
                   "the health file to say the disk is full")
    env.wait_until(lambda: any(s.get("state") == "online" and s.get("storage") == "full"
                               for s in hub_statuses(watch)), 10,
                   "the hub's MQTT status to say its disk is full")
    print(f"filled {n >> 20} MiB; the hub saw it in {time.time() - t0:.1f} s")
    out = stats(env)
    check("已满" in out, f"`minqing-hub stats` does not say the disk is full:\n{out}")
    time.sleep(5)
    check(hub.alive(), "the hub stopped on a full disk")
    before = stored(env)

    # Space back: the hub goes on by itself.
    os.unlink(filler)
    t0 = time.time()
    env.wait_until(lambda: "the disk has room again" in hub.text(), RECOVER_S,
                   f"the hub to recover within {RECOVER_S} s of space returning")
    env.wait_until(lambda: stored(env) > before, RECOVER_S - (time.time() - t0),
                   f"a report stored within {RECOVER_S} s of space returning")
    took = time.time() - t0
    check(health(env.hub_db).get("disk") == "ok", "the health file still says full")
    env.wait_until(lambda: (hub_statuses(watch) or [{}])[-1].get("storage") is None, 10,
                   "the hub's MQTT status to drop \"storage\" once space is back")
    last = hub_statuses(watch)[-1]
    check(last.get("state") == "online", f"the hub's status after recovery: {last}")
    out = stats(env)
    check("已满" not in out, f"`minqing-hub stats` still says the disk is full:\n{out}")
    print(f"recovered {took:.1f} s after space returned ({before} reports stored then)")
    result = env.finish_fleet(fleet, 240)
    env.check_exactly_once(result)
    first = result["ids"]

    # Full again, and the hub stopped while full: a clean stop, and a start
    # on the freed disk that takes reports.
    fleet = env.start_fleet("--resend", "3", stations=50, rate=20, duration=20,
                            drain=120, name="fleet2")
    env.wait_until(lambda: stored(env) >= len(first) + 20, 60, "the second fleet's reports")
    fill(filler)
    env.wait_until(lambda: hub.text().count("the disk is full") >= 2, 30,
                   "the hub to say the disk is full again")
    hub.stop(20)
    os.unlink(filler)
    hub = env.start_hub()
    env.wait_until(lambda: "connected to broker" in hub.text(), 60, "the hub to start again")
    result = env.finish_fleet(fleet, 240)
    n = env.check_exactly_once(result, extra=first)
    ok = env.hub_sql("PRAGMA integrity_check")
    check(ok == [("ok",)], f"integrity_check: {ok[:3]}")
    print(f"{n} reports stored exactly once across two full disks and a restart")


run("48-disk-full", body)
