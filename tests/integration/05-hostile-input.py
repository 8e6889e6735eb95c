"""Malformed and hostile messages published with mosquitto_pub each get the
right rejection receipt, and the hub keeps serving valid reports."""
import sys, os, json, subprocess, time
sys.path.insert(0, os.path.dirname(__file__))
import harness
from harness import run, check, Proc, MONITOR, INJECTOR

GOOD = "611025100201"
OTHER = "611025100202"
UNKNOWN = "611025100203"   # provisioned at the broker, unknown to the hub
TS = "2026-11-23T08:00:00.000Z"


def report(station, mid, **over):
    msg = {"v": 1, "type": "report", "station": station, "id": mid, "ts": TS,
           "colour": "blue", "category": "dispute", "title": "测试", "text": "内容"}
    msg.update(over)
    return json.dumps(msg, ensure_ascii=False).encode()


def topic(station, kind="report"):
    return f"minqing/611025/up/{station}/{kind}"


# (name, sender = topic station, payload, receipt station, expected ref, error, field)
CASES = [
    ("bad json", GOOD, b'{"v":1,"type":"report", nope', GOOD, None, "bad_json", ""),
    ("wrong type", GOOD, report(GOOD, 102, people="3"), GOOD, 102, "bad_type", "people"),
    ("number title", GOOD, report(GOOD, 103, title=5), GOOD, 103, "bad_type", "title"),
    ("1 MiB payload", GOOD, report(GOOD, 104, text="长" * 350000), GOOD, 104,
     "too_large", ""),
    ("invalid UTF-8", GOOD, report(GOOD, 105).replace("测试".encode(), b"\xff\xfe\xfd"),
     GOOD, 105, "bad_utf8", ""),
    ("writing as another", GOOD, report(OTHER, 106), GOOD, 106, "wrong_station",
     "station"),
    ("unknown station", UNKNOWN, report(UNKNOWN, 107), UNKNOWN, 107, "unknown_station",
     "station"),
    ("unknown colour", GOOD, report(GOOD, 108, colour="purple"), GOOD, 108, "bad_value",
     "colour"),
    ("missing text", GOOD, report(GOOD, 109, text=None), GOOD, 109, "missing_field",
     "text"),
    ("future version", GOOD, report(GOOD, 110, v=2), GOOD, 110, "bad_version", "v"),
    ("unknown type", GOOD, report(GOOD, 111, type="bogus"), GOOD, 111, "unknown_type",
     "type"),
    ("status on report topic", GOOD,
     json.dumps({"v": 1, "type": "status", "station": GOOD, "id": 112, "state": "online",
                 "session": 1}).encode(), GOOD, 112, "bad_value", "type"),
    ("JSON array", GOOD, b"[1,2,3]", GOOD, None, "bad_json", ""),
    ("empty payload", GOOD, b"", GOOD, None, "bad_json", ""),
]


def hub_registry(env):
    """The county's registry without UNKNOWN and its groups: the station still
    holds broker credentials, but the hub no longer knows it."""
    path = os.path.join(env.dir, "registry.csv")
    with open(harness.REGISTRY, encoding="utf-8") as src, \
         open(path, "w", encoding="utf-8") as dst:
        for line in src:
            if not line.startswith(UNKNOWN):
                dst.write(line)
    return path


def body(env):
    env.start_broker()
    env.start_hub(registry=hub_registry(env))
    # One listener (one connection per user name) for every station's receipts.
    sub = Proc("mosquitto_sub", env.mqtt("mosquitto_sub", MONITOR, "-q", "1", "-v",
                                         "-t", "minqing/611025/down/+/receipt"),
               os.path.join(env.dir, "receipts.txt"), env={})
    env.procs.append(sub)
    time.sleep(0.5)
    # The hub must be connected before the garbage arrives.
    env.start_station(GOOD)
    env.report(GOOD, title="先来一条")
    env.wait_until(lambda: len(env.hub_reports()) == 1, 20, "the first valid report")

    for name, st, payload, *_ in CASES:
        path = os.path.join(env.dir, "payload.bin")
        with open(path, "wb") as f:
            f.write(payload)
        # As the test injector on the station's topic: what the hub sees is
        # the same, and publishing as the station itself would take over its
        # running agent's connection (one per user name) and race it.
        args = env.mqtt("mosquitto_pub", INJECTOR, "-q", "1", "-t", topic(st))
        args += ["-f", path] if payload else ["-n"]
        subprocess.run(args, check=True, timeout=20)
    check(env.hub.alive(), "the hub died on hostile input")

    def receipts(who):
        with open(sub.log, "rb") as f:
            text = f.read().decode("utf-8", "replace")
        prefix = f"minqing/611025/down/{who}/receipt "
        return [json.loads(l[len(prefix):]) for l in text.splitlines()
                if l.startswith(prefix)]

    for who in (GOOD, UNKNOWN):
        cases = [c for c in CASES if c[3] == who]
        want = len(cases) + (1 if who == GOOD else 0)  # + the first valid report
        env.wait_until(lambda: len(receipts(who)) >= want, 30, f"{want} receipts to {who}")
        got = [r for r in receipts(who) if r["status"] == "rejected"]
        check(len(got) == len(cases), f"{who}: {len(got)} rejections for {len(cases)}")
        for (name, _, _, _, ref, error, field), rc in zip(cases, got):
            check(rc["error"] == error, f"{name}: error {rc['error']}, expected {error}")
            check(rc.get("ref") == ref, f"{name}: ref {rc.get('ref')}, expected {ref}")
            if field:
                check(rc.get("field") == field, f"{name}: field {rc.get('field')} != {field}")
            print(f"{name}: rejected {rc['error']} {rc.get('field', '')}")

    # Still serving: a valid report after the garbage is accepted.
    item = env.report(GOOD, title="之后一条")
    env.wait_until(lambda: any(r["id"] == item for r in env.hub_reports()), 20,
                   "a valid report after the hostile ones")
    check(len(env.hub_reports()) == 2, "a hostile message was stored")
    # Nothing personal or hostile reached the log: ids and codes only.
    log = env.hub.text()
    check("内容" not in log and "测试" not in log, "report text in the hub log")
    sub.p.terminate()


run("05-hostile-input", body)
