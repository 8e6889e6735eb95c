"""A station's receipts for the hub's item messages do not take the tokens
its reports need (issue 17 §7). Before, every up message took from one
bucket: a village answering a burst of item messages ran dry, and the
report it filed next was dropped unread (its rate_limited receipt, if any,
named the receipt with ref null), so the station stalled until its 20 s
receipt timeout. Here the hub's bucket is 5 messages at once and 1 a
second; the station sends 12 receipts, then at once a report: the report
must be accepted within a few seconds, without a rate_limited receipt."""
import sys, os, json, subprocess, time
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check, Proc, MONITOR, whole_lines, iso_ms

STATION = "611025100201"
RECEIPTS = 12


def body(env):
    env.start_broker()
    conf = os.path.join(env.dir, "hub-limits.conf")
    with open(conf, "w") as f:
        f.write("rate_limit = 1\nrate_burst = 5\n")
    hub = env.start_hub("--config", conf)
    env.wait_until(lambda: "connected to broker" in hub.text(), 30, "the hub to start")
    told = Proc("receipts", env.mqtt("mosquitto_sub", MONITOR, "-q", "1", "-t",
                                     f"minqing/611025/down/{STATION}/receipt"),
                os.path.join(env.dir, "station-receipts.txt"), env={})
    env.procs.append(told)
    time.sleep(0.5)
    now = int(time.time() * 1000)
    lines = []
    for i in range(RECEIPTS):
        lines.append((f"minqing/611025/up/{STATION}/receipt", json.dumps(
            {"v": 1, "type": "receipt", "station": STATION, "ts": iso_ms(now),
             "ref": now - 1000 + i, "status": "accepted",
             "item": f"{STATION}-{now - 5000}"})))
    rid = now
    lines.append((f"minqing/611025/up/{STATION}/report", json.dumps(
        {"v": 1, "type": "report", "station": STATION, "id": rid, "ts": iso_ms(now),
         "colour": "blue", "category": "livelihood", "title": "收据之后",
         "text": "回执不占上报的额度"}, ensure_ascii=False)))
    # One connection per topic, each fed at once: 13 messages well within
    # the bucket's second.
    receipts = subprocess.Popen(env.mqtt("mosquitto_pub", STATION, "-q", "1", "-l", "-t",
                                         lines[0][0]), stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    receipts.communicate(("\n".join(p for _, p in lines[:-1]) + "\n").encode(), timeout=30)
    check(receipts.returncode == 0, "mosquitto_pub of the receipts failed")
    r = subprocess.run(env.mqtt("mosquitto_pub", STATION, "-q", "1", "-t", lines[-1][0],
                                "-m", lines[-1][1]), capture_output=True, timeout=30)
    check(r.returncode == 0, f"mosquitto_pub of the report failed: {r.stderr}")
    sent = time.time()

    def answer():
        for l in whole_lines(told.text()):
            m = json.loads(l)
            if m.get("error") == "rate_limited" or m.get("ref") == rid:
                return m
        return None
    try:
        got = env.wait_until(answer, 5, "a receipt for the report")
    except Exception:
        got = None
    print(f"after {RECEIPTS} receipts: {got} ({time.time() - sent:.1f} s)")
    check(got is not None, "the report got no receipt within 5 s (dropped unread)")
    check(got.get("error") != "rate_limited",
          f"the station was rate limited by its receipts: {got}")
    check(got.get("ref") == rid and got.get("status") == "accepted",
          f"the report was not accepted: {got}")
    told.p.terminate()


run("19-receipt-rate", body)
