"""A forged status cannot silence a station (PROTOCOL.md §5.2, §8): its
settled mark rises only to one past the highest id the hub has had from the
station, a session ahead of the hub's clock orders nothing, so the real
station's reports are still accepted and its stop still shows it offline;
a restart keeps that, and `provision --reset-marks` clears a mark beside the
running hub."""
import sys, os, json, subprocess, time
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check, publish, iso_ms, start_monitor, SAN_ENV

CODE = "611025100204"
TOPIC = f"minqing/611025/up/{CODE}/status"
MAX = 9007199254740991


def forge(env, **fields):
    status = {"v": 1, "type": "status", "station": CODE,
              "ts": "2026-12-07T00:00:00.000Z", "state": "online",
              "session": MAX, "outbox": 0, "settled": MAX, **fields}
    # With the station's own password, as whoever copied its bundle would.
    subprocess.run(env.mqtt("mosquitto_pub", CODE, "-q", "1", "-r", "-t", TOPIC,
                            "-m", json.dumps(status)), check=True, timeout=20)


def mark(env):
    return env.hub_sql("SELECT coalesce(settled, 0), session FROM stations "
                       "WHERE code = ?", CODE)[0]


def accepted(env, n):
    env.wait_until(lambda: len([r for r in env.hub_reports()
                                if r["id"].startswith(CODE)]) == n, 30,
                   f"{n} reports of {CODE} at the hub")


def body(env):
    env.start_broker()
    env.start_hub()
    conf = os.path.join(env.dir, "station.conf")
    with open(conf, "w") as f:
        f.write("keepalive = 5\nheartbeat = 1\n")
    st = env.start_station(CODE, "--config", conf)
    env.wait_until(lambda: env.hub_stations().get(CODE, {}).get("online"), 20,
                   "the station online")
    env.report(CODE, title="一")
    accepted(env, 1)
    high = max(int(r["id"].split("-")[1]) for r in env.hub_reports())

    # The status of the issue: the mark may not pass what the hub has had.
    forge(env)
    time.sleep(1.5)
    settled, session = mark(env)
    check(settled <= high + 1, f"forged settled {settled} taken (highest id {high})")
    check(session < MAX, "a session far ahead of the hub's clock was stored")
    shown = env.hub_stations()[CODE].get("settled")
    check(shown == settled, f"query --stations shows settled {shown}, stored {settled}")
    env.report(CODE, title="二")
    accepted(env, 2)
    # The agent stops after the forgery: shown offline.
    st.stop()
    env.wait_until(lambda: not env.hub_stations()[CODE]["online"], 10,
                   "the stopped station to show offline")

    # A restart keeps the bound; the station goes on.
    forge(env)
    env.hub.stop()
    env.start_hub()
    st = env.start_station(CODE, "--config", conf)
    env.wait_until(lambda: env.hub_stations().get(CODE, {}).get("online"), 20,
                   "the station online after the restart")
    env.report(CODE, title="三")
    accepted(env, 3)
    st.stop()
    env.wait_until(lambda: not env.hub_stations()[CODE]["online"], 10,
                   "the stopped station offline")

    # A mark within bounds still refuses a new id below it, until the
    # operator resets it beside the running hub.
    high = max(int(r["id"].split("-")[1]) for r in env.hub_reports())
    forge(env, session=int(time.time() * 1000), settled=high + 1)
    env.wait_until(lambda: mark(env)[0] == high + 1, 10, "the mark within bounds")
    old = high - 1
    report = {"v": 1, "type": "report", "station": CODE, "id": old,
              "ts": iso_ms(old), "colour": "blue", "category": "dispute",
              "title": "旧", "text": "内容"}
    mon = start_monitor(env, f"minqing/611025/down/{CODE}/receipt")
    publish(env, f"minqing/611025/up/{CODE}/report", json.dumps(report, ensure_ascii=False))
    # An action's id is held to the same mark, and its refusal names the
    # same field (PROTOCOL.md §6).
    item = env.hub_reports()[0]["id"]
    action = {"v": 1, "type": "action", "station": CODE, "id": old - 1,
              "ts": iso_ms(old - 1), "item": item, "action": "comment", "note": "旧"}
    publish(env, f"minqing/611025/up/{CODE}/action", json.dumps(action, ensure_ascii=False))

    def refused():
        got = {m.get("ref"): m for _, m in mon.messages("/receipt")}
        return got if old in got and old - 1 in got else None
    got = env.wait_until(refused, 10, "the receipts of the old report and action")
    for ref in (old, old - 1):
        check(got[ref]["status"] == "rejected" and got[ref]["error"] == "replay" and
              got[ref]["field"] == "id", f"below the mark: {got[ref]}")
    accepted(env, 3)
    r = subprocess.run([env.bin("hub/minqing-hub"), "provision", "--reset-marks", CODE,
                        "--db", env.hub_db], capture_output=True, text=True,
                       env={**os.environ, **SAN_ENV}, timeout=60)
    check(r.returncode == 0, f"provision --reset-marks failed: {r.stderr}")
    check(mark(env) == (0, 0), f"marks not reset: {mark(env)}")
    publish(env, f"minqing/611025/up/{CODE}/report", json.dumps(report, ensure_ascii=False))
    accepted(env, 4)
    # A bad code is refused.
    r = subprocess.run([env.bin("hub/minqing-hub"), "provision", "--reset-marks", "12",
                        "--db", env.hub_db], capture_output=True, text=True,
                       env={**os.environ, **SAN_ENV}, timeout=60)
    check(r.returncode == 2, "a bad code was not refused")


run("18-forged-marks", body)
