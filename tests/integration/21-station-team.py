"""Stations know their service team (issue 18 §5): the hub sends each
station the members it may assign (its own and those of stations below it)
as member messages, durably, and later changes on SIGHUP. With a real broker,
hub and stations: the village and the town receive their members, the group
none (it handles nothing); a changed team file and SIGHUP reach them (a new
member, a rename, one gone); the clerk's `assign` refuses a member not in
the list before saving anything (nothing queued) and takes a listed one by
name, which the hub then accepts; a restarted station keeps its team; the
terminal's assign step offers the list to pick from. A station without a
team (as under an older hub) says so and still takes a typed id."""
import json
import os
import re
import signal
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check, start_monitor, item_message, COUNTY
from tui import Terminal

GROUP, VILLAGE, TOWN = "611025100201001", "611025100201", "611025100"
OTHER_VILLAGE = "611025100202"


def team(env, code):
    """The station's stored team, {id: (name, unit, gone)}."""
    path = os.path.join(env.station_dir(code), "station.db")
    if not os.path.exists(path):
        return {}
    db = sqlite3.connect(path)
    try:
        return {r[0]: (r[1], r[2], r[3]) for r in
                db.execute("SELECT member, name, unit, gone FROM team")}
    except sqlite3.OperationalError:
        return {}
    finally:
        db.close()


def current(env, code):
    return {k: v[0] for k, v in team(env, code).items() if not v[2]}


def queued(env, code):
    db = sqlite3.connect(os.path.join(env.station_dir(code), "station.db"))
    n = db.execute("SELECT count(*) FROM outbox WHERE type = 'action'").fetchone()[0]
    db.close()
    return n


def inbox(env, code):
    out = env.client(code, "inbox", "--json").stdout
    return {x["item"]: x for x in (json.loads(l) for l in out.splitlines() if l.strip())}


def hub_item(env, item):
    rows = [r for r in env.hub_reports() if r["id"] == item]
    return rows[0] if rows else None


def write_team(path, rows):
    with open(path, "w") as f:
        f.write("id,name,station,phone,categories\n")
        for r in rows:
            f.write(",".join(r) + "\n")


def body(env):
    members = os.path.join(env.dir, "team.csv")
    write_team(members, [
        ("m-1", "张队员", VILLAGE, "13800000001", "infrastructure"),
        ("m-2", "李镇干", TOWN, "13800000002", ""),
        ("m-3", "王队员", OTHER_VILLAGE, "13800000003", ""),
    ])
    # A hub database from before member messages: its downbox has no type
    # column, and its one waiting row (an item message) must still go out
    # as an item message once the column is added.
    env.start_broker()
    env.start_hub()
    env.wait_until(lambda: "connected to broker" in env.hub.text(), 30, "the first hub")
    env.hub.stop()
    old = sqlite3.connect(env.hub_db)
    if "type" in [r[1] for r in old.execute("PRAGMA table_info(downbox)")]:
        old.execute("ALTER TABLE downbox DROP COLUMN type")  # as before the column
    old.execute("PRAGMA user_version = 0")  # as before the schema's versions
    legacy_item = f"{GROUP}-1700000000000"
    old.execute("INSERT INTO downbox VALUES(?, ?, ?, ?, ?)",
                (1700000000001, VILLAGE, legacy_item,
                 item_message(VILLAGE, 1700000000001, legacy_item, GROUP, VILLAGE,
                              "reported", 1, event="route", by="hub"), 1700000000001))
    old.commit()
    old.close()
    mon = start_monitor(env, f"minqing/{COUNTY}/down/+/member")
    env.start_hub("--members", members)
    for code in (GROUP, VILLAGE, TOWN):
        env.start_station(code)

    # 1. Each station gets the members it may assign: its own and below.
    want_v = {"m-1": "张队员"}
    want_t = {"m-1": "张队员", "m-2": "李镇干", "m-3": "王队员"}
    env.wait_until(lambda: current(env, VILLAGE) == want_v, 30, "the village's team")
    env.wait_until(lambda: current(env, TOWN) == want_t, 30, "the town's team")
    check(team(env, VILLAGE)["m-1"][1] == VILLAGE, f"unit {team(env, VILLAGE)}")
    check(current(env, GROUP) == {}, f"the group got members: {team(env, GROUP)}")
    env.wait_until(lambda: legacy_item in inbox(env, VILLAGE), 30,
                   "the old database's waiting item message at the village")
    env.wait_until(lambda: env.hub_sql("SELECT count(*) FROM downbox WHERE type = 'member' "
                                               "AND station IN (?, ?)", VILLAGE, TOWN)[0][0] == 0,
                   30, "every member message receipted")
    #    The county and the other village (not running here) keep theirs
    #    waiting in the hub's downbox for their births.
    waiting = dict(env.hub_sql("SELECT station, count(*) FROM downbox WHERE type = 'member' "
                               "GROUP BY station"))
    check(waiting == {COUNTY: 3, OTHER_VILLAGE: 1}, f"waiting in the downbox: {waiting}")
    msgs = [m for _, m in mon.messages("/member")]
    check(all("phone" not in m and m["type"] == "member" for m in msgs),
          f"a member message carries a phone: {msgs}")
    print(f"old hub database upgraded (downbox.type), its waiting item delivered; "
          f"team sent: village {sorted(want_v)}, town {sorted(want_t)}, group none; "
          f"{len(msgs)} member messages, all receipted")

    # 2. The clerk's assign: an unknown member is refused before saving.
    item = env.report(GROUP, title="村道路灯不亮", colour="blue", category="infrastructure")
    env.wait_until(lambda: item in inbox(env, VILLAGE), 30, "the item at the village")
    env.client(VILLAGE, "sign", item)
    before = queued(env, VILLAGE)
    r = env.client(VILLAGE, "assign", item, "--to", "m-9", check_rc=False)
    check(r.returncode != 0, f"an unknown member was taken: {r.stdout}")
    check("不是本站服务队的队员" in r.stderr and "张队员" in r.stderr,
          f"refusal says: {r.stderr!r}")
    check(queued(env, VILLAGE) == before, "the refused assign was queued")
    r = env.client(VILLAGE, "--lang", "en", "assign", item, "--to", "m-2", check_rc=False)
    check(r.returncode != 0 and "not a member of this station's service team" in r.stderr,
          f"a town member assigned by the village, or English missing: {r.stderr!r}")
    check(queued(env, VILLAGE) == before, "the refused assign was queued")
    #    Without --to: the list to pick from, by name.
    r = env.client(VILLAGE, "assign", item, check_rc=False)
    check(r.returncode != 0 and "可以交办的服务队员" in r.stderr and "张队员" in r.stderr
          and "m-1" not in r.stderr, f"the list: {r.stderr!r}")
    #    By name: saved as the member's id, and the hub accepts it.
    env.wait_until(lambda: (hub_item(env, item) or {}).get("state") == "signed", 30,
                   "the sign at the hub")
    r = env.client(VILLAGE, "assign", item, "--to", "张队员")
    check("已保存：交办" in r.stdout, f"assign said {r.stdout!r}")
    env.wait_until(lambda: (hub_item(env, item) or {}).get("state") == "assigned", 30,
                   "the assign accepted by the hub")
    check(hub_item(env, item).get("member") == "m-1", f"member at the hub: {hub_item(env, item)}")
    print("assign: m-9 and m-2 refused before saving (zh, en), nothing queued; "
          "张队员 by name queued as m-1 and accepted by the hub")

    # 3. The team file changes; SIGHUP: a new member, a rename, one gone.
    write_team(members, [
        ("m-1", "张建国", VILLAGE, "13800000001", "infrastructure"),
        ("m-2", "李镇干", TOWN, "13800000002", ""),
        ("m-4", "赵队员", VILLAGE, "13800000004", ""),
    ])
    env.hub.p.send_signal(signal.SIGHUP)
    want_v = {"m-1": "张建国", "m-4": "赵队员"}
    want_t = {"m-1": "张建国", "m-2": "李镇干", "m-4": "赵队员"}
    env.wait_until(lambda: current(env, VILLAGE) == want_v, 30, "the village's new team")
    env.wait_until(lambda: current(env, TOWN) == want_t, 30, "the town's new team")
    check(team(env, TOWN)["m-3"][2] == 1, f"m-3 not gone at the town: {team(env, TOWN)}")
    print("after SIGHUP: rename m-1, new m-4, m-3 gone reached the village and the town")

    #    A restarted hub, same file: nothing new to tell anyone.
    env.wait_until(lambda: env.hub_sql("SELECT count(*) FROM downbox WHERE type = 'member' "
                                       "AND station IN (?, ?)", VILLAGE, TOWN)[0][0] == 0,
                   30, "the changes receipted")
    ids = env.hub_sql("SELECT coalesce(max(id), 0) FROM downbox WHERE type = 'member'")[0][0]
    starts = env.hub.text().count("connected to broker")  # the log is appended to
    env.hub.stop()
    env.start_hub("--members", members)
    env.wait_until(lambda: env.hub.text().count("connected to broker") > starts, 30,
                   "the hub's restart")
    time.sleep(1)
    new = env.hub_sql("SELECT count(*) FROM downbox WHERE type = 'member' AND id > ?", ids)[0][0]
    check(new == 0, f"{new} member messages queued again by a restart with the same file")
    print("a hub restarted with the same team file queues no member message")

    # 4. A restarted station keeps its team.
    env.stations[VILLAGE].stop()
    env.wait_until(lambda: env.hub_sql("SELECT count(*) FROM downbox WHERE type = 'member' "
                                               "AND station IN (?, ?)", VILLAGE, TOWN)[0][0] == 0,
                   30, "the new member messages receipted")
    env.start_station(VILLAGE)
    time.sleep(1)
    check(current(env, VILLAGE) == want_v, f"team after restart: {team(env, VILLAGE)}")
    print("the village restarted with its team kept")

    # 5. The terminal's assign step offers the list.
    item2 = env.report(GROUP, title="井盖缺失", colour="blue", category="infrastructure")
    env.wait_until(lambda: item2 in inbox(env, VILLAGE), 30, "the second item at the village")
    env.client(VILLAGE, "sign", item2)
    term = Terminal(env, VILLAGE)
    try:
        term.wait_for("请选择要做的事")
        term.keys("3")
        term.wait_for("井盖缺失")
        for _ in range(5):                      # the cursor onto the new item
            if re.search(r">.*井盖缺失", term.screen()):
                break
            term.keys("Down")
        term.wait_for(r">.*井盖缺失")
        term.keys("Enter")
        term.wait_for("民情详情")
        term.wait_for(r"a 交办", 15, "assign offered")
        term.keys("a")
        term.wait_for("交办给哪位服务队员（共 2 位）")
        term.wait_for(r"> 张建国")
        screen = term.screen()
        check("赵队员" in screen and "m-4" not in screen, f"the pick list:\n{screen}")
        term.keys("Down")
        term.wait_for(r"> 赵队员")
        term.keys("Enter")
        term.wait_for("已保存：交办")
        term.keys("Escape", "Escape", "q")
        term.wait_exit()
    finally:
        term.close()
    env.wait_until(lambda: (hub_item(env, item2) or {}).get("member") == "m-4", 30,
                   "the picked member at the hub")
    print("terminal: the assign step lists 张建国 and 赵队员 (no ids); 赵队员 picked, m-4 at the hub")

    # 6. No team (as under an older hub): said, and a typed id still goes.
    db = sqlite3.connect(os.path.join(env.station_dir(VILLAGE), "station.db"))
    db.execute("DELETE FROM team")
    db.commit()
    db.close()
    item3 = env.report(GROUP, title="水管漏水", colour="blue", category="infrastructure")
    env.wait_until(lambda: item3 in inbox(env, VILLAGE), 30, "the third item at the village")
    env.client(VILLAGE, "sign", item3)
    r = env.client(VILLAGE, "assign", item3, "--to", "m-1")
    check("已保存：交办" in r.stdout and "还没有收到服务队名单" in r.stdout,
          f"without a team: {r.stdout!r}")
    print("without a team: the id is taken as typed, and the clerk is told there is no list")


if __name__ == "__main__":
    run("21-station-team", body)
