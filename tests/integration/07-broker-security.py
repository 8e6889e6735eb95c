"""The provisioned broker confines every station to itself: anonymous and
wrong-password logins are refused; station A cannot publish as B, read B's
inbox, or read what stations send the hub; a TLS client with another CA is
refused while the county CA works; replayed ids change nothing."""
import sys, os, json, subprocess, time
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check, Proc, MONITOR, COUNTY, whole_lines

A = "611025100201"
B = "611025100202"
C = "611025100203"
D = "611025100204"
TS = "2026-11-23T08:00:00.000Z"


def pub(env, argv, expect_ok=True):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=20)
    if expect_ok:
        check(r.returncode == 0, f"{argv[0]} failed: {r.stderr}")
    return r


def report(station, mid, title="测试"):
    return json.dumps({"v": 1, "type": "report", "station": station, "id": mid,
                       "ts": TS, "colour": "blue", "category": "dispute",
                       "title": title, "text": "内容"}, ensure_ascii=False)


def body(env):
    env.provision(tls=True)
    env.start_broker()
    env.start_hub()
    up = "minqing/611025/up"
    # 1. Anonymous: refused.
    r = pub(env, ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(env.port), "-q", "1",
                  "-t", f"{up}/{A}/report", "-m", report(A, 1)], expect_ok=False)
    check(r.returncode != 0 and "not authorised" in r.stderr,
          f"anonymous publish was not refused: {r.returncode} {r.stderr}")
    print("anonymous connection: refused")
    # 2. A with B's password: refused.
    r = pub(env, ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(env.port), "-u", A,
                  "-P", env.credentials(B), "-t", f"{up}/{A}/report", "-m", "x"],
            expect_ok=False)
    check(r.returncode != 0, "A logged in with B's password")
    print("station A with B's password: refused")

    # Listeners as stations C and D, one each: the broker takes the user
    # name as client id, and two clients under one name throw each other
    # off (and would hear nothing for that). Not A, who publishes below. C
    # on B's inbox, D on everything stations send.
    spy_inbox = Proc("spy-inbox", env.mqtt("mosquitto_sub", C, "-q", "1", "-v",
                                           "-t", f"minqing/611025/down/{B}/+"),
                     os.path.join(env.dir, "spy-inbox.txt"), env={})
    spy_up = Proc("spy-up", env.mqtt("mosquitto_sub", D, "-q", "1", "-v",
                                     "-t", f"{up}/#"),
                  os.path.join(env.dir, "spy-up.txt"), env={})
    env.procs += [spy_inbox, spy_up]
    time.sleep(0.5)

    # 3. A publishing on B's topic: the broker drops it, the hub never sees it.
    pub(env, env.mqtt("mosquitto_pub", A, "-q", "1", "-t", f"{up}/{B}/report",
                      "-m", report(B, 5, "冒名")))
    # B files a real report through its agent (over TLS, with the county CA).
    env.start_station(B)
    item = env.report(B, title="真实上报")
    env.wait_until(lambda: any(r["id"] == item for r in env.hub_reports()), 30,
                   "B's report over TLS")
    env.wait_until(lambda: env.station_list(B)[0]["received"], 20, "B's receipt")
    titles = [r["title"] for r in env.hub_reports()]
    check(titles == ["真实上报"], f"hub holds {titles}: a forged report got in")
    print("station A publishing on B's topic: dropped by the broker, nothing stored")
    time.sleep(0.5)
    # 4. C saw none of B's inbox, D none of what stations send.
    check(spy_inbox.text().strip() == "", f"C read B's inbox: {spy_inbox.text()[:200]}")
    check(spy_up.text().strip() == "", f"D read stations' messages: {spy_up.text()[:200]}")
    for spy in (C, D):
        n = env.broker.text().count(f" as {spy} (")
        check(n == 1, f"the listener as {spy} connected {n} times: it was not "
                      "listening all along")
    print("stations subscribing to B's inbox and to what stations send: receive nothing")
    # 4b. A choosing the hub's client id (or B's) cannot take over its
    #     session: the broker uses the user name as client id.
    hub_connects = env.hub.text().count("connected to broker")
    b_connects = env.stations[B].text().count("connected to broker")
    for cid in (f"hub-{COUNTY}", f"st-{B}"):
        pub(env, env.mqtt("mosquitto_pub", A, "-i", cid, "-q", "1", "-t",
                          f"{up}/{A}/status", "-m", "{}"))
    time.sleep(1.5)
    check(env.hub.text().count("connected to broker") == hub_connects and
          "disconnected" not in env.hub.text(), "A's client id took the hub's session")
    check(env.stations[B].text().count("connected to broker") == b_connects,
          "A's client id took B's session")
    print("station A using the hub's or B's client id: no takeover")

    # 5. TLS with another CA: refused. With the county CA: accepted.
    other = os.path.join(env.dir, "other-ca")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", other + ".key",
                    "-out", other + ".crt", "-subj", "/CN=rogue", "-days", "1"],
                   check=True, capture_output=True, timeout=30)
    tls = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(env.tls_port), "-u", A,
           "-P", env.credentials(A), "-t", f"{up}/{A}/status", "-q", "1", "-m", "{}"]
    r = pub(env, tls + ["--cafile", other + ".crt"], expect_ok=False)
    check(r.returncode != 0, "a client trusting another CA connected")
    r = pub(env, tls + ["--cafile", os.path.join(env.prov, "ca.crt")], expect_ok=False)
    check(r.returncode == 0, f"the county CA was not accepted: {r.stderr}")
    print("TLS with a wrong CA: refused; with the county CA: connected")

    # 6. Replays: A's real report, then the same id again (same or other
    #    content); then, once A has said all below base+1 is settled, an
    #    unseen id below that mark (a replay of a message the hub never
    #    stored), and a fresh id above it.
    receipts = Proc("receipts", env.mqtt("mosquitto_sub", MONITOR, "-q", "1", "-t",
                                         f"minqing/611025/down/{A}/receipt"),
                    os.path.join(env.dir, "receipts-a.txt"), env={})
    env.procs.append(receipts)
    time.sleep(0.5)
    base = 1795000000000
    status = json.dumps({"v": 1, "type": "status", "station": A, "ts": TS,
                         "state": "online", "session": 5, "outbox": 0,
                         "settled": base + 1})
    for mid, title in ((base, "原始"), (base, "原始"), (base, "篡改"), (None, ""),
                       (base - 5, "旧号"), (base + 3, "新号")):
        if mid is None:
            pub(env, env.mqtt("mosquitto_pub", A, "-q", "1", "-t", f"{up}/{A}/status",
                              "-m", status))
            continue
        pub(env, env.mqtt("mosquitto_pub", A, "-q", "1", "-t", f"{up}/{A}/report",
                          "-m", report(A, mid, title)))
    env.wait_until(lambda: len(whole_lines(receipts.text())) >= 5, 20, "5 receipts")
    got = [json.loads(l) for l in whole_lines(receipts.text())]
    check([g["status"] for g in got] ==
          ["accepted", "duplicate", "duplicate", "rejected", "accepted"], f"receipts {got}")
    check(got[3]["error"] == "replay" and got[3]["ref"] == base - 5, f"{got[3]}")
    mine = [r for r in env.hub_reports() if r["station"] == A]
    check([r["title"] for r in mine] == ["原始", "新号"], f"A's stored reports: {mine}")
    print("replayed id: duplicate, content unchanged; unseen id below the settled "
          "mark: rejected replay; fresh id: accepted")
    for p in (spy_inbox, spy_up, receipts):
        p.p.terminate()


run("07-broker-security", body)
