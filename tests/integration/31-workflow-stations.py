"""The workflow driven by the clerk's client at two real stations: a group
reports, its village signs, assigns, resolves; the group verifies and rates;
both see the whole timeline. A village offline while items are routed to it
gets every one, once, when it comes back; the hub killed with SIGKILL while
reports are being routed loses none of them, and item message ids go on
rising after it."""
import sys, os, json, time, sqlite3
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check, start_monitor, COUNTY

GROUP, VILLAGE = "611025100201001", "611025100201"


def inbox(env, code, *extra):
    out = env.client(code, "inbox", "--json", *extra).stdout
    return {x["item"]: x for x in (json.loads(l) for l in out.splitlines() if l.strip())}


def show(env, code, item):
    return json.loads(env.client(code, "show", item, "--json").stdout)


def hub_item(env, item):
    rows = [r for r in env.hub_reports() if r["id"] == item]
    return rows[0] if rows else None


def downbox(env, station):
    return env.hub_sql("SELECT count(*) FROM downbox WHERE station = ?", station)[0][0]


def body(env):
    env.start_village_workflow(GROUP, VILLAGE)

    # 1. The whole loop by the clerks.
    item = env.report(GROUP, title="村道路灯不亮", colour="blue", category="infrastructure")
    env.wait_until(lambda: item in inbox(env, VILLAGE), 30, "the item in the village inbox")
    r = env.client(GROUP, "sign", item, check_rc=False)
    check(r.returncode == 2, f"the reporting group could sign: {r.returncode} {r.stdout}")

    def step(code, *args, state):
        env.client(code, *args)
        env.wait_until(lambda: (hub_item(env, item) or {}).get("state") == state, 30,
                       f"{args[0]} to reach the hub")
    step(VILLAGE, "sign", item, state="signed")
    step(VILLAGE, "assign", item, "--to", "m-1", state="assigned")
    step(VILLAGE, "resolve", item, "--note", "已更换灯泡", state="resolved")
    env.wait_until(lambda: show(env, GROUP, item)["state"] == "resolved", 30,
                   "the group to hear it is resolved")
    step(GROUP, "verify", item, "--note", "回访：路灯已亮", state="verified")
    step(GROUP, "rate", item, "满意", state="rated")
    want = ["route", "sign", "assign", "resolve", "verify", "rate"]
    for code in (GROUP, VILLAGE):
        env.wait_until(lambda code=code: [e.get("event") for e in
                                          show(env, code, item)["timeline"]] == want,
                       30, f"the whole timeline at {code}")
    check(hub_item(env, item)["rating"] == "satisfied", "rating lost")
    print("whole loop by the clients: report, sign, assign, resolve, verify, rate; "
          "both stations hold the timeline of 6 events")

    # 1b. The group knows where its report went from the receipt alone: the
    #     receipt carries the route's snapshot, no item message does.
    item2 = env.report(GROUP, title="井盖缺失", category="security")
    env.wait_until(lambda: (inbox(env, GROUP, "--all").get(item2) or {}).get("handler") == VILLAGE,
                   30, "the route at the group")
    g = inbox(env, GROUP, "--all")[item2]
    check(g["state"] == "reported" and g["seq"] == 1 and g.get("deadline"),
          f"the group's copy: {g}")
    log = env.stations[GROUP].text()
    check(f"item {item2} seq 1 (route, in a receipt)" in log and
          f"item {item2} seq 1 (route)" not in log, "the route came as an item message")
    #     A group that lost that receipt (stopped before its commit: the
    #     report queued again, the item unknown) learns the item as it is now
    #     from the duplicate's receipt.
    env.client(VILLAGE, "sign", item2)
    env.wait_until(lambda: (inbox(env, GROUP, "--all").get(item2) or {}).get("state") == "signed",
                   30, "the sign at the group")
    env.wait_until(lambda: downbox(env, GROUP) == 0, 30, "the group's items receipted")
    env.stations[GROUP].stop()
    db = sqlite3.connect(os.path.join(env.station_dir(GROUP), "station.db"))
    db.execute("UPDATE outbox SET state = 'queued', receipt_at = NULL, item = NULL "
               "WHERE item = ?", (item2,))
    db.execute("DELETE FROM inbox WHERE item = ?", (item2,))
    db.execute("DELETE FROM timeline WHERE item = ?", (item2,))
    db.commit()
    db.close()
    env.start_station(GROUP)
    env.wait_until(lambda: (inbox(env, GROUP, "--all").get(item2) or {}).get("state") == "signed",
                   30, "the item back at the group from the duplicate's receipt")
    g = inbox(env, GROUP, "--all")[item2]
    check(g["handler"] == VILLAGE and g["seq"] == 2, f"the group's copy: {g}")
    check(f"item {item2} seq 2 (sign, in a receipt)" in env.stations[GROUP].text(),
          "not from the duplicate's receipt")
    print("reporter: the route from the receipt, no item message; the current "
          "item from a duplicate's receipt")

    # 1c. A village's own blue report is its own to handle: it is in its
    #     inbox from the receipt alone (no item message to itself), and the
    #     village signs it from there.
    env.wait_until(lambda: downbox(env, VILLAGE) == 0, 30, "the village's items receipted")
    own = env.report(VILLAGE, title="村委会门前积水", category="infrastructure")
    env.wait_until(lambda: own in inbox(env, VILLAGE), 30, "the village's own item in its inbox")
    log = env.stations[VILLAGE].text()
    check(f"item {own} seq 1 (route, in a receipt)" in log and
          f"item {own} seq 1 (route)" not in log,
          "the village's own item came as an item message to itself")
    env.client(VILLAGE, "sign", own)
    env.wait_until(lambda: (hub_item(env, own) or {}).get("state") == "signed", 30,
                   "the village's sign at the hub")
    print("a village's own blue report: in its inbox from the receipt, signed there")

    # 2. The village offline while items are routed to it: they wait in the
    #    hub's box, none is sent to it until it is back (the broker would
    #    only queue them to be sent twice).
    env.stations[VILLAGE].stop()
    env.wait_until(lambda: not env.hub_stations()[VILLAGE]["online"], 30,
                   "the village offline at the hub")
    watch = start_monitor(env, f"minqing/{COUNTY}/down/{VILLAGE}/item")
    items = [env.report(GROUP, title=f"离线期间{i}", category="livelihood")
             for i in range(5)]
    env.wait_until(lambda: all(hub_item(env, i) for i in items), 30, "5 items at the hub")
    check(downbox(env, VILLAGE) >= 5, "the hub did not keep the village's items")
    time.sleep(1)
    sent = watch.messages("/item")
    check(not sent, f"{len(sent)} item messages sent to the village while offline")
    env.start_station(VILLAGE)
    env.wait_until(lambda: set(items) <= set(inbox(env, VILLAGE)), 30,
                   "the 5 items at the village after it returns")
    env.wait_until(lambda: downbox(env, VILLAGE) == 0, 30, "every item receipted")
    for i in items:
        seqs = [e["seq"] for e in show(env, VILLAGE, i)["timeline"]]
        check(seqs == [1], f"{i}: timeline {seqs}")
    print("village offline: 5 items kept at the hub, delivered once each on return")

    # 2b. The same across a hub restart, with nothing new after it: what the
    #     downbox held goes out to the village on its return.
    env.stations[VILLAGE].stop()
    kept = [env.report(GROUP, title=f"重启之前{i}", category="livelihood") for i in range(3)]
    env.wait_until(lambda: downbox(env, VILLAGE) >= 3, 30, "3 items kept for the village")
    env.hub.kill9()
    env.start_hub("--members", os.path.join(env.dir, "members.csv"))
    env.start_station(VILLAGE)
    env.wait_until(lambda: set(kept) <= set(inbox(env, VILLAGE)), 30,
                   "the 3 items kept across the restart at the village")
    env.wait_until(lambda: downbox(env, VILLAGE) == 0, 30, "every kept item receipted")
    print("hub restarted with items kept: delivered on the village's return")

    # 3. The hub killed while reports are being routed.
    burst = []
    for i in range(20):
        burst.append(env.report(GROUP, title=f"突发{i}", category="security"))
        if i == 6:
            env.hub.kill9()
            env.start_hub("--members", os.path.join(env.dir, "members.csv"))
    env.wait_until(lambda: all(hub_item(env, i) and hub_item(env, i)["state"]
                               for i in burst), 60, "20 items routed at the hub")
    env.wait_until(lambda: set(burst) <= set(inbox(env, VILLAGE)), 60,
                   "20 items at the village")
    ids = [r["id"] for r in env.hub_reports()]
    check(len(ids) == len(set(ids)), "a report stored twice")
    env.wait_until(lambda: downbox(env, VILLAGE) == 0 and downbox(env, GROUP) == 0, 60,
                   "all item messages receipted")
    print("hub SIGKILL during routing: 20 of 20 routed and delivered, none twice")

    # 4. Item message ids rise across a SIGKILL even when they have run ahead
    #    of the clock (a burst gives out more than one a millisecond): the
    #    hub keeps the last one in memory, and in hub_meta with each row.
    def last_down_id():
        rows = env.hub_sql("SELECT value FROM hub_meta WHERE key = 'last_down_id'")
        return rows[0][0] if rows else 0
    env.hub.kill9()
    ahead = int(time.time() * 1000) + 86400000
    db = sqlite3.connect(env.hub_db)
    db.execute("INSERT OR REPLACE INTO hub_meta(key, value) VALUES('last_down_id', ?)",
               (ahead,))
    db.commit()
    db.close()
    env.start_hub("--members", os.path.join(env.dir, "members.csv"))
    first = env.report(GROUP, title="编号之前", category="security")
    # One item message per report: the village's (the group's route comes
    # in its receipt).
    env.wait_until(lambda: last_down_id() >= ahead + 1, 30,
                   "an item message numbered after the stored id")
    env.hub.kill9()
    was = last_down_id()
    env.start_hub("--members", os.path.join(env.dir, "members.csv"))
    second = env.report(GROUP, title="编号之后", category="security")
    env.wait_until(lambda: last_down_id() >= was + 1, 30,
                   "the ids to go on from the stored one after the kill")
    env.wait_until(lambda: {first, second} <= set(inbox(env, VILLAGE)), 60,
                   "both items at the village")
    print(f"item message ids ahead of the clock: {ahead + 1}.. before the kill, "
          f"{was + 1}.. after it")


run("31-workflow-stations", body)
