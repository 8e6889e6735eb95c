"""The station's inbox and workflow steps, against a real broker but no
hub: the test plays the hub. Item snapshots sent to the station are stored
once, newest seq wins, and each is receipted (duplicates too) only on the
station's up receipt topic; items for another station and malformed ones are
not. The client lists and shows them, refuses steps that cannot succeed (exit
2), queues the others offline, and the agent sends them when it starts; the
hub's rejections show in Chinese. A store of the previous version opens and
gains the new tables."""
import json
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import (COUNTY, check, item_message, iso_ms, publish, run,
                     start_monitor)

CODE = "611025100201"          # the village station under test
TOWN = "611025100"
GROUP = CODE + "002"           # one of its groups
DOWN = f"minqing/{COUNTY}/down/{CODE}"
UP = f"minqing/{COUNTY}/up/{CODE}"
NOW = int(time.time() * 1000)

# Items: A reported by a group, handled here; B reported here, handled by the
# town and resolved (waits for our return visit); C signed here; D closed
# (rated); E new, for signing and assigning offline.
A = f"{GROUP}-{NOW - 50000}"
B = f"{CODE}-{NOW - 40000}"
C = f"{GROUP}-{NOW - 30000}"
D = f"{GROUP}-{NOW - 20000}"
E = f"{GROUP}-{NOW - 10000}"
OLD_REPORT = NOW - 90000


def old_store(path):
    """A station.db as minqing 0.1.0 left it: meta and outbox, one report
    still queued, no user_version."""
    report = {"v": 1, "type": "report", "station": CODE, "id": OLD_REPORT,
              "ts": iso_ms(OLD_REPORT), "colour": "blue", "category": "livelihood",
              "title": "旧版本的上报", "text": "升级前排队"}
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE outbox(id INTEGER PRIMARY KEY, type TEXT NOT NULL,
          payload TEXT NOT NULL, created INTEGER NOT NULL,
          state TEXT NOT NULL DEFAULT 'queued',
          attempts INTEGER NOT NULL DEFAULT 0,
          receipt_at INTEGER, error TEXT, field TEXT, item TEXT);
        CREATE INDEX outbox_queued ON outbox(id) WHERE state = 'queued';""")
    db.execute("INSERT INTO meta VALUES('code', ?)", (CODE,))
    db.execute("INSERT INTO meta VALUES('last_id', ?)", (str(OLD_REPORT),))
    db.execute("INSERT INTO outbox(id, type, payload, created) VALUES(?, 'report', ?, ?)",
               (OLD_REPORT, json.dumps(report, ensure_ascii=False,
                                       separators=(",", ":")), OLD_REPORT))
    db.commit()
    db.close()


def lines(text):
    return [json.loads(l) for l in text.splitlines() if l.strip()]


def receipts(mon):
    return [(m["ref"], m["status"], m.get("item"))
            for t, m in mon.messages("/receipt") if t == f"{UP}/receipt"]


def body(env):
    d = env.station_dir(CODE)
    old_store(os.path.join(d, "station.db"))
    env.start_broker()
    mon = start_monitor(env, f"minqing/{COUNTY}/up/+/receipt",
                        f"minqing/{COUNTY}/up/+/action", f"minqing/{COUNTY}/up/+/report")
    env.start_station(CODE)
    # The upgraded store still sends what the old one had queued.
    env.wait_until(lambda: any(m.get("id") == OLD_REPORT
                               for _, m in mon.messages("/report")),
                   10, "the old queued report to be published")
    v = sqlite3.connect(os.path.join(d, "station.db")).execute(
        "PRAGMA user_version").fetchone()[0]
    check(v == 2, f"user_version after the upgrade is {v}")

    deadline = iso_ms(NOW + 86400000)
    sent = [
        (101, item_message(CODE, 101, A, GROUP, CODE, "reported", 1, event="route",
                           by="hub", deadline=deadline, reporter="李四",
                           phone="13900001111", people=3)),
        (102, item_message(CODE, 102, B, CODE, TOWN, "resolved", 4, event="resolve",
                           by=TOWN, note="已修复")),
        (103, item_message(CODE, 103, C, GROUP, CODE, "signed", 2, event="sign",
                           by=CODE)),
        (104, item_message(CODE, 104, D, GROUP, CODE, "rated", 6, event="rate",
                           by=GROUP, rating="satisfied")),
        (105, item_message(CODE, 105, E, GROUP, CODE, "reported", 1, event="route",
                           by="hub")),
        (101, item_message(CODE, 101, A, GROUP, CODE, "reported", 1, event="route",
                           by="hub", deadline=deadline)),                  # resent
        (107, item_message(CODE, 107, A, GROUP, CODE, "assigned", 3, event="assign",
                           by=CODE, member=f"{CODE}-03", deadline=deadline)),
        (106, item_message(CODE, 106, A, GROUP, CODE, "signed", 2, event="sign",
                           by=CODE, deadline=deadline)),                   # late, older
    ]
    for _, payload in sent:
        publish(env, f"{DOWN}/item", payload)
    # Not ours to receipt: another addressee in the payload, a malformed
    # payload, a bad field. Then a last good one, whose receipt comes after
    # any these could have caused.
    publish(env, f"{DOWN}/item", item_message("611025100202", 201, f"{GROUP}-1",
                                              GROUP, "611025100202", "reported", 1))
    publish(env, f"{DOWN}/item", '{"v":1,"type":"item","station":"' + CODE + '",')
    publish(env, f"{DOWN}/item", item_message(CODE, 203, f"{GROUP}-3", GROUP, CODE,
                                              "reported", 1, colour="green"))
    publish(env, f"{DOWN}/item", item_message(CODE, 204, f"{GROUP}-4", GROUP, CODE,
                                              "withdrawn", 2, event="withdraw",
                                              by=GROUP))
    env.wait_until(lambda: any(r[0] == 204 for r in receipts(mon)), 15,
                   "the receipt of the last item")
    got = receipts(mon)
    want = [(101, "accepted", A), (102, "accepted", B), (103, "accepted", C),
            (104, "accepted", D), (105, "accepted", E), (101, "duplicate", A),
            (107, "accepted", A), (106, "duplicate", A),
            (204, "accepted", f"{GROUP}-4")]
    check(got == want, f"item receipts {got}, expected {want}")
    for _, m in mon.messages("/receipt"):
        check(m["station"] == CODE and m["type"] == "receipt" and "ts" in m,
              f"receipt envelope {m}")

    # The inbox: what waits on this station. A (assigned here), C (signed
    # here), E (new here) and B (our report, resolved: our return visit).
    inbox = lines(env.client(CODE, "inbox", "--json").stdout)
    check(sorted(i["item"] for i in inbox) == sorted([A, B, C, E]),
          f"inbox {[i['item'] for i in inbox]}")
    a = next(i for i in inbox if i["item"] == A)
    check(a["seq"] == 3 and a["state"] == "assigned" and a["handler"] == CODE and
          a["origin"] == GROUP and a["deadline"] == deadline and a["roles"] == ["handler"],
          f"inbox row of A {a}")
    check("reporter" not in a and "phone" not in a, "inbox lists personal data")
    b = next(i for i in inbox if i["item"] == B)
    check(b["roles"] == ["reporter", "visitor"] and b["state"] == "resolved", f"B {b}")
    every = lines(env.client(CODE, "inbox", "--all", "--json").stdout)
    check(sorted(i["item"] for i in every) == sorted([A, B, C, D, E, f"{GROUP}-4"]),
          f"inbox --all {[i['item'] for i in every]}")
    text = env.client(CODE, "inbox").stdout
    check(A in text and "已交办" in text and D not in text, f"inbox text:\n{text}")

    show = json.loads(env.client(CODE, "show", A, "--json").stdout)
    check(show["seq"] == 3 and show["state"] == "assigned" and
          show["member"] == f"{CODE}-03", f"show A {show}")
    check([(e["seq"], e["event"]) for e in show["timeline"]] ==
          [(1, "route"), (2, "sign"), (3, "assign")], f"timeline {show['timeline']}")
    check(show["can"] == ["assign", "resolve", "return", "extend", "merge", "comment"],
          f"steps offered on A {show['can']}")
    r = env.client(CODE, "show", f"{GROUP}-1", check_rc=False)
    check(r.returncode == 2, "an item addressed to another station was stored")

    # Offline: the agent stops, the clerk works, nothing is lost.
    env.stations[CODE].stop()
    t_stop = len(mon.messages("/action"))

    def refused(args, code, words):
        r = env.client(CODE, *args, check_rc=False)
        check(r.returncode == code, f"minqing {' '.join(args)} exited {r.returncode}, "
              f"expected {code}: {r.stderr}")
        check(words in r.stderr, f"minqing {' '.join(args)} said {r.stderr!r}")

    refused(["sign", C], 2, "状态不允许此操作")               # already signed
    refused(["withdraw", A, "--reason", "重复"], 2, "本站无权执行此操作")  # not ours
    refused(["sign", f"{GROUP}-999"], 2, "本站没有这条民情")   # unknown item
    refused(["sign", "no-such-id"], 2, "不是民情编号")
    refused(["resolve", A], 2, "缺少必填项")
    refused(["extend", A, "--until", "2001-01-01 08:00", "--reason", "x"], 2,
            "必须在将来")
    refused(["extend", A, "--until", "tomorrow", "--reason", "x"], 2, "看不懂")
    refused(["rate", B, "很好"], 2, "评价只能是")
    refused(["verify", D, "--note", "x"], 2, "状态不允许此操作")
    r = env.client(CODE, "--lang", "en", "sign", C, check_rc=False)
    check(r.returncode == 2 and "not possible in this state" in r.stderr,
          f"English refusal: {r.stderr!r}")

    queued = [
        ["extend", A, "--until", "2099-01-01 08:00", "--reason", "等材料"],
        ["resolve", A, "--note", "已调解，双方签字"],
        ["comment", A, "--note", "补充说明"],
        ["sign", E],
        ["assign", E, "--to", f"{CODE}-05"],      # legal after our queued sign
        ["verify", B, "--note", "已回访"],
        ["rate", B, "基本满意"],                   # legal after our queued verify
    ]
    for args in queued:
        out = env.client(CODE, *args).stdout
        check("已保存" in out, f"minqing {' '.join(args)} printed {out!r}")
    # A resolve queued before: resolving again cannot succeed.
    refused(["resolve", A, "--note", "again"], 2, "状态不允许此操作")
    show = json.loads(env.client(CODE, "show", A, "--json").stdout)
    check(show["pending"] == 3 and show["expected"] == "resolved" and
          show["state"] == "assigned", f"A offline {show}")

    env.start_station(CODE)
    env.wait_until(lambda: len(mon.messages("/action")) - t_stop >= len(queued), 15,
                   "the queued steps to be published")
    acts = [m for t, m in mon.messages("/action") if t == f"{UP}/action"][t_stop:]
    got = [(m["item"], m["action"]) for m in acts[:len(queued)]]
    check(got == [(A, "extend"), (A, "resolve"), (A, "comment"), (E, "sign"),
                  (E, "assign"), (B, "verify"), (B, "rate")], f"actions sent {got}")
    ext, res, com, sig, asg, ver, rat = acts[:len(queued)]
    check(ext["until"] == iso_ms(ext_until()) and ext["note"] == "等材料",
          f"extend {ext}")
    check(res["note"] == "已调解，双方签字" and asg["member"] == f"{CODE}-05" and
          rat["rating"] == "basic", f"fields {res} {asg} {rat}")

    # The hub answers: resolve accepted, comment refused for its state, the
    # sign of E refused for its role.
    for ref, extra in ((res["id"], {"status": "accepted", "item": A}),
                       (com["id"], {"status": "rejected", "error": "bad_state",
                                    "field": ""}),
                       (sig["id"], {"status": "rejected", "error": "not_allowed",
                                    "field": ""})):
        m = {"v": 1, "type": "receipt", "station": CODE, "ts": iso_ms(NOW),
             "ref": ref, **extra}
        publish(env, f"{DOWN}/receipt", json.dumps(m, separators=(",", ":")))

    def answered():
        rows = {x.get("id"): x for x in env.station_list(CODE) if x["type"] == "action"}
        return rows if all(rows.get(i["id"], {}).get("state") != "queued"
                           for i in (res, com, sig)) else None
    rows = env.wait_until(answered, 10, "the station to apply the receipts")
    check(rows[res["id"]]["state"] == "accepted" and rows[res["id"]]["received"],
          f"resolve row {rows[res['id']]}")
    check(rows[com["id"]]["error"] == "bad_state" and
          rows[com["id"]]["reason"] == "状态不允许此操作", f"comment row {rows[com['id']]}")
    text = env.client(CODE, "list").stdout
    check("状态不允许此操作" in text and "本站无权执行此操作" in text, f"list:\n{text}")
    show = json.loads(env.client(CODE, "show", A, "--json").stdout)
    states = [(x["action"], x["state"], x.get("reason")) for x in show["actions"]]
    check(states == [("extend", "queued", None), ("resolve", "accepted", None),
                     ("comment", "rejected", "状态不允许此操作")],
          f"A's steps {states}")
    text = env.client(CODE, "show", E).stdout
    check("被退回：本站无权执行此操作" in text, f"show E:\n{text}")
    text = env.client(CODE, "--lang", "en", "show", A).stdout
    check("rejected: not possible in the item's state" in text, f"show A en:\n{text}")

    # The snapshot after the accepted resolve arrives: A leaves the inbox.
    publish(env, f"{DOWN}/item", item_message(CODE, 108, A, GROUP, CODE, "resolved",
                                              5, event="resolve", by=CODE,
                                              note="已调解，双方签字"))
    env.wait_until(lambda: any(r[0] == 108 for r in receipts(mon)), 10,
                   "the receipt of A's resolved snapshot")
    inbox = lines(env.client(CODE, "inbox", "--json").stdout)
    check(A not in [i["item"] for i in inbox], f"resolved A still in the inbox")

    # A run of reminders reads as one line with its count in the clerk's
    # timeline; the JSON keeps every event.
    for seq in (3, 4, 5):
        publish(env, f"{DOWN}/item", item_message(CODE, 300 + seq, C, GROUP, CODE, "signed",
                                                  seq, event="remind", by="hub",
                                                  note=f"请在时限内办结{seq}"))
    env.wait_until(lambda: any(r[0] == 305 for r in receipts(mon)), 15,
                   "the receipt of the last reminder")
    text = env.client(CODE, "show", C).stdout
    check(text.count("催办") == 1 and "共 3 次" in text and "请在时限内办结5" in text and
          "请在时限内办结3" not in text, f"reminders not folded:\n{text}")
    show = json.loads(env.client(CODE, "show", C, "--json").stdout)
    check([e["event"] for e in show["timeline"]].count("remind") == 3,
          f"JSON timeline {show['timeline']}")

    log = env.stations[CODE].text()
    for secret in ("李四", "13900001111", "测试事项", "已调解"):
        check(secret not in log, f"station log shows {secret!r}")


def ext_until():
    """"2099-01-01 08:00" in this machine's local time, as Unix ms."""
    return int(time.mktime((2099, 1, 1, 8, 0, 0, 0, 0, -1))) * 1000


run("20-station-inbox", body)
