"""Only statuses stay retained (PROTOCOL.md §2, issue 17 §6): a station may
publish a retained report, action or receipt (the broker's ACL cannot refuse
the retain flag alone), and the hub removes each from the broker once it has
it, live or found on subscribing after a restart, while it handles the
message as any other. The station's retained status stays. Checked by what
a fresh subscriber to the station's topics gets retained, not by the hub's
log."""
import sys, os, json, subprocess, time
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check, iso_ms, start_monitor, MONITOR

CODE = "611025100204"
UP = f"minqing/611025/up/{CODE}"


def as_station(env, kind, payload, retain=True):
    """Publishes with the station's own password, as whoever holds its
    bundle could (mosquitto_pub waits for the broker's PUBACK)."""
    args = ["-q", "1", "-t", f"{UP}/{kind}"]
    args += ["-r"] if retain else []
    if isinstance(payload, bytes):
        args += ["-s"]
    else:
        args += ["-m", json.dumps(payload, ensure_ascii=False)]
    subprocess.run(env.mqtt("mosquitto_pub", CODE, *args), check=True, timeout=30,
                   input=payload if isinstance(payload, bytes) else None)


def retained(env):
    """{topic: payload} of what the broker holds retained under the
    station's up topics, as a subscriber arriving now receives it."""
    r = subprocess.run(env.mqtt("mosquitto_sub", MONITOR, "-t", f"{UP}/#", "-q", "1",
                                "--retained-only", "-W", "2", "-F", "%r %t %p"),
                       capture_output=True, timeout=30)
    out = {}
    for line in r.stdout.decode("utf-8", "replace").splitlines():
        flag, _, rest = line.partition(" ")
        topic, _, payload = rest.partition(" ")
        check(flag == "1", f"--retained-only gave a live message: {line[:80]}")
        out[topic] = payload
    return out


def report(mid, title):
    return {"v": 1, "type": "report", "station": CODE, "id": mid, "ts": iso_ms(mid),
            "colour": "blue", "category": "dispute", "title": title, "text": "内容"}


def body(env):
    env.start_broker()
    env.start_hub()
    mon = start_monitor(env, f"minqing/611025/down/{CODE}/receipt")

    def receipt(ref):
        """The first receipt of ref: a report found retained on subscribing
        after a restart is also queued for the hub's session, so it comes
        twice (the second time a duplicate)."""
        def find():
            got = [m for _, m in mon.messages("/receipt") if m.get("ref") == ref]
            return got[0] if got else None
        return env.wait_until(find, 20, f"the receipt of {ref}")

    now = int(time.time() * 1000)
    status = {"v": 1, "type": "status", "station": CODE, "ts": iso_ms(now),
              "state": "online", "session": now, "outbox": 0}
    as_station(env, "status", status)
    env.wait_until(lambda: env.hub_stations().get(CODE, {}).get("online"), 20,
                   "the station online")

    # Live: a retained report, an action on its item, a receipt of 1 MiB
    # of junk, then a plain report whose receipt comes after the hub has
    # read (and cleared) all three, in the order the broker delivered them.
    as_station(env, "report", report(now + 1, "留存"))
    r = receipt(now + 1)
    check(r["status"] == "accepted", f"the retained report was not handled: {r}")
    as_station(env, "action", {"v": 1, "type": "action", "station": CODE, "id": now + 2,
                               "ts": iso_ms(now + 2), "item": r["item"],
                               "action": "comment", "note": "留存"})
    receipt(now + 2)
    as_station(env, "receipt", b"x" * (1 << 20))
    as_station(env, "report", report(now + 3, "普通"), retain=False)
    check(receipt(now + 3)["status"] == "accepted", "the plain report was refused")
    # The hub's account may clear those three, never a station's status.
    subprocess.run(env.mqtt("mosquitto_pub", "hub-611025", "-q", "1", "-r", "-n",
                            "-t", f"{UP}/status"), check=True, timeout=30)
    held = retained(env)
    check(set(held) == {f"{UP}/status"}, f"retained at the broker: {sorted(held)}")
    check(json.loads(held[f"{UP}/status"]) == status,
          f"the station's status changed: {held[f'{UP}/status'][:200]}")
    stored = [x for x in env.hub_reports() if x["title"] == "留存"]
    check(len(stored) == 1, f"the retained report stored {len(stored)} times")

    # Left while the hub was down: found on subscribing, cleared too.
    env.hub.stop()
    as_station(env, "report", report(now + 4, "停机时留存"))
    check(f"{UP}/report" in retained(env), "the broker did not keep the report")
    env.start_hub()
    check(receipt(now + 4)["status"] == "accepted", "the report left retained was refused")
    as_station(env, "report", report(now + 5, "普通二"), retain=False)
    receipt(now + 5)
    held = retained(env)
    check(set(held) == {f"{UP}/status"}, f"retained after the restart: {sorted(held)}")
    check(len([x for x in env.hub_reports() if x["title"] == "停机时留存"]) == 1,
          "the report left retained not stored once")


run("26-retained-cleared", body)
