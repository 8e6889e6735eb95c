"""The workflow at the hub, with stations played by the test account (it
may publish on every station's topics, as the broker would deliver them):
routing of every colour from every tier; the whole loop from report to
rating with every illegal step rejected; escalation by time with reminders
first (hub time scaled); the surge rule firing on the N-th report; item
messages delivered until receipted; the weather following the items."""
import sys, os, json, subprocess, time
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check, COUNTY, LoopStations as Stations

COUNTY_ST, TOWN, VILLAGE, GROUP = "611025", "611025100", "611025100201", "611025100201001"
TIERS = [COUNTY_ST, TOWN, VILLAGE, GROUP]
# Expected handler per colour for a report from each tier (default policy).
ROUTES = {
    "blue": [COUNTY_ST, TOWN, VILLAGE, VILLAGE],
    "orange": [COUNTY_ST, TOWN, TOWN, TOWN],
    "red": [COUNTY_ST, COUNTY_ST, COUNTY_ST, COUNTY_ST],
}
SCALE = 600  # hub minutes pass in tenths of a second


def item_row(env, item):
    rows = [r for r in env.hub_reports() if r["id"] == item]
    check(len(rows) == 1, f"item {item} not at the hub")
    return rows[0]


def events(env, item):
    return env.hub_events(item)


def weather(env, code):
    rows = env.hub_sql("SELECT weather FROM weather WHERE code = ?", code)
    return rows[0][0] if rows else "clear"


def body(env):
    env.provision()
    members = os.path.join(env.dir, "members.csv")
    with open(members, "w") as f:
        f.write("id,name,station,phone,categories\n"
                f"m-1,张队员,{VILLAGE},13800000001,livelihood;dispute\n"
                f"m-2,李队员,{TOWN},13800000002,\n")
    policy = os.path.join(env.dir, "policy.conf")
    with open(policy, "w") as f:
        # Short limits so that scaled time passes them in seconds.
        f.write("[blue]\nsign = 1h\nresolve = 5d\n[orange]\nsign = 1h\nresolve = 3d\n"
                "[surge]\ncount = 3\nwindow = 3h\ncolour = orange\nred_count = 5\n")
    env.start_broker()
    # The provisioned config is a production one: scaled time is refused.
    r = subprocess.run([env.bin("hub/minqing-hub"), "--config",
                        os.path.join(env.prov, "hub.conf"), "--db", env.hub_db,
                        "--registry", os.path.join(os.environ.get("MINQING_SOURCE", "."),
                                                   "data", "zhenan-stations.csv"),
                        "--time-scale", "60"], capture_output=True, text=True, timeout=30)
    check(r.returncode == 2 and "production" in r.stderr, f"time scale in production: "
          f"{r.returncode} {r.stderr}")
    env.start_hub("--members", members, "--policy", policy, "--time-scale", str(SCALE),
                  testing=True)
    st = Stations(env)

    # 1. Routing: every colour from every tier.
    for colour, want in ROUTES.items():
        for origin, handler in zip(TIERS, want):
            item = st.report(origin, colour, category="proxy")
            got = item_row(env, item)["handler"]
            check(got == handler, f"{colour} from {origin}: handled by {got}, "
                                  f"want {handler}")
            # The reporter learns the route from its receipt.
            snap = st.last[2].get("snapshot") or {}
            check(snap.get("item") == item and snap.get("handler") == handler and
                  snap.get("event") == "route" and snap.get("seq") == 1 and
                  snap.get("state") == "reported" and snap.get("colour") == colour and
                  snap.get("deadline"), f"receipt's snapshot: {st.last[2]}")
    print("routing: 12 of 12 (3 colours x 4 tiers) at the right station")

    # 2. The whole loop, group -> village, with illegal steps on the way.
    item = st.report(GROUP, "blue", title="路灯坏了", reporter="王秀英",
                     phone="13912345678")
    mid, body, first = st.last
    def state():
        return item_row(env, item)["state"]
    # The route's snapshot for the reporter came in its receipt, with its
    # own personal fields: no item message for it waits in the box.
    snap = first.get("snapshot") or {}
    check(snap.get("handler") == VILLAGE and snap.get("origin") == GROUP and
          snap.get("reporter") == "王秀英" and snap.get("phone") == "13912345678" and
          snap.get("title") == "路灯坏了" and snap.get("by") == "hub",
          f"receipt's snapshot: {first}")
    def boxed(station):
        return env.hub_sql("SELECT count(*) FROM downbox WHERE station = ? AND "
                           "item = ?", station, item)[0][0]
    check(boxed(GROUP) == 0 and boxed(VILLAGE) == 1,
          f"route messages boxed: group {boxed(GROUP)}, village {boxed(VILLAGE)}")
    bad = st.act(GROUP, item, "sign")
    check(bad["status"] == "rejected" and bad["error"] == "not_allowed", f"{bad}")
    bad = st.act(VILLAGE, item, "resolve", note="x")
    check(bad["error"] == "bad_state", f"resolve before sign: {bad}")
    # A step refused leaves nothing in the store, not even its id's mark:
    # the same id sent again is judged again, never "duplicate".
    kept = env.hub_sql("SELECT count(*) FROM inbound WHERE station = ? AND id = ?",
                       VILLAGE, bad["ref"])[0][0]
    check(kept == 0, f"the refused step's id is kept as seen ({kept})")
    bad = st.act("611025100202", item, "comment", note="x")
    check(bad["error"] == "not_allowed", f"another village commented: {bad}")
    bad = st.act(VILLAGE, "611025100201001-1", "sign")
    check(bad["error"] == "unknown_item", f"{bad}")
    check(st.act(VILLAGE, item, "sign")["status"] == "accepted", "sign")
    # A copy of the report (its first receipt lost): the duplicate's receipt
    # carries the item as it is now.
    st.send(GROUP, "report", body, mid=mid)
    def dup():
        rs = [r for s_, r in st.down("receipt") if s_ == GROUP and r.get("ref") == mid
              and r.get("status") == "duplicate"]
        return rs[0] if rs else None
    env.wait_until(dup, 20, "the duplicate's receipt")
    snap = dup().get("snapshot") or {}
    check(snap.get("state") == "signed" and snap.get("seq") == 2 and
          snap.get("event") == "sign" and snap.get("by") == VILLAGE and
          snap.get("reporter") == "王秀英", f"duplicate's snapshot: {dup()}")
    bad = st.act(VILLAGE, item, "assign", member="m-404")
    check(bad["error"] == "bad_value" and bad["field"] == "member", f"{bad}")
    bad = st.act(VILLAGE, item, "assign", member="m-2")  # a town member: above
    check(bad["error"] == "bad_value", f"assigned above the handler: {bad}")
    check(st.act(VILLAGE, item, "assign", member="m-1")["status"] == "accepted", "assign")
    bad = st.act(VILLAGE, item, "resolve")
    check(bad["error"] == "missing_field" and bad["field"] == "note", f"{bad}")
    check(st.act(VILLAGE, item, "resolve", note="已修好")["status"] == "accepted", "resolve")
    bad = st.act(VILLAGE, item, "verify", note="x")
    check(bad["error"] == "not_allowed", f"the handler verified: {bad}")
    bad = st.act(GROUP, item, "verify")
    check(bad["error"] == "missing_field" and bad["field"] == "note", f"{bad}")
    check(st.act(GROUP, item, "verify", note="回访满意")["status"] == "accepted", "verify")
    bad = st.act(GROUP, item, "rate", rating="great")
    check(bad["error"] == "bad_value" and bad["field"] == "rating", f"{bad}")
    check(st.act(GROUP, item, "rate", rating="satisfied")["status"] == "accepted", "rate")
    check(state() == "rated", f"state {state()}")
    bad = st.act(GROUP, item, "reopen", note="x")
    check(bad["error"] == "bad_state", f"reopened a rated item: {bad}")
    kinds = [e["event"] for e in events(env, item)]
    check(kinds == ["route", "sign", "assign", "resolve", "verify", "rate"], f"{kinds}")
    # Both stations got every later snapshot (item messages), in seq order;
    # the reporter's first was in its receipt.
    for who, want in ((VILLAGE, [1, 2, 3, 4, 5, 6]), (GROUP, [2, 3, 4, 5, 6])):
        seqs = [m["seq"] for s, m in st.down("item") if s == who and m["item"] == item]
        check(sorted(set(seqs)) == want, f"{who} got seqs {seqs}")
    check(boxed(GROUP) == 5 and boxed(VILLAGE) == 6,
          f"item messages boxed: group {boxed(GROUP)}, village {boxed(VILLAGE)}")
    print("whole loop: route, sign, assign, resolve, verify, rate; 11 illegal steps "
          "rejected with reasons; both stations got all 6 snapshots")

    # 3. Unsatisfied: reopened back to the handler.
    item2 = st.report(GROUP, "blue", title="垃圾清运")
    for who, action, kw in ((VILLAGE, "sign", {}), (VILLAGE, "resolve", {"note": "已清"}),
                            (GROUP, "verify", {"note": "群众不认可"}),
                            (GROUP, "rate", {"rating": "unsatisfied"})):
        r = st.act(who, item2, action, **kw)
        check(r["status"] == "accepted", f"{action}: {r}")
    check(item_row(env, item2)["state"] == "signed", "unsatisfied did not reopen")
    print("unsatisfied rating: reopened, back with the handler")

    # 3b. Nobody verifies their own work: a village's own blue report is
    #     handled by the village and visited by its town, which hears of it
    #     when it is resolved, with the resident's contact for the visit.
    own = st.report(VILLAGE, "blue", title="自家门前路灯", reporter="赵六",
                    phone="13900002222")
    check(item_row(env, own)["handler"] == VILLAGE, "own blue not with the village")
    for who, action, kw in ((VILLAGE, "sign", {}), (VILLAGE, "resolve", {"note": "已修好"})):
        r = st.act(who, own, action, **kw)
        check(r["status"] == "accepted", f"{action}: {r}")
    for action, kw in (("verify", {"note": "自己回访"}), ("reopen", {"note": "x"})):
        bad = st.act(VILLAGE, own, action, **kw)
        check(bad["status"] == "rejected" and bad["error"] == "not_allowed",
              f"the village visited its own work ({action}): {bad}")
    told = [m for s, m in st.down("item") if s == TOWN and m["item"] == own]
    check(any(m["event"] == "resolve" and m.get("reporter") == "赵六" and
              m.get("phone") == "13900002222" for m in told),
          f"the town was not told of the resolve with the contact: {told}")
    for action, kw in (("verify", {"note": "镇里电话回访，已修好"}),
                       ("rate", {"rating": "satisfied"})):
        r = st.act(TOWN, own, action, **kw)
        check(r["status"] == "accepted", f"the town's {action}: {r}")
    check(item_row(env, own)["state"] == "rated", "own item not rated by the town")
    print("own work: the village may not visit its own item; the town, told at the "
          "resolve, visits and rates it")

    # 4. Escalation by time: blue unsigned -> reminder -> orange at the town
    #    -> reminder -> red at the county.
    item3 = st.report(GROUP, "blue", title="水渠堵塞", category="infrastructure")
    env.wait_until(lambda: item_row(env, item3)["colour"] == "red", 60,
                   "the blue item to reach red")
    kinds = [(e["event"], e["colour"], e["handler"]) for e in events(env, item3)]
    want = [("route", "blue", VILLAGE), ("remind", "blue", VILLAGE),
            ("escalate", "orange", TOWN), ("remind", "orange", TOWN),
            ("escalate", "red", COUNTY_ST)]
    check(kinds[:5] == want, f"escalation history {kinds}")
    row = item_row(env, item3)
    check(row["escalations"] == 2 and row["handler"] == COUNTY_ST, f"{row}")
    told = {s for s, m in st.down("item") if m["item"] == item3 and m["event"] == "escalate"}
    check({VILLAGE, TOWN, COUNTY_ST, GROUP} <= told,
          f"escalations told to {told}")
    print("escalation: blue reminded, raised to orange at the town, reminded, "
          "raised to red at the county; old handlers told")

    # 5. Surge: the 3rd open report of one category in one town fires, not the 2nd.
    def alerts():
        return env.hub_sql("SELECT area, category, colour, count FROM alerts")
    base = len(alerts())
    theft = [("611025101201", st.report("611025101201", "blue", category="security",
                                         title="盗窃一")),
             ("611025101202", st.report("611025101202", "blue", category="security",
                                         title="盗窃二"))]
    check(len(alerts()) == base, "surge fired on the 2nd report")
    theft.append(("611025101203", st.report("611025101203", "blue", category="security",
                                            title="盗窃三")))
    got = alerts()[base:]
    check(got == [("611025101", "security", "orange", 3)], f"surge alerts {got}")
    print("surge: fired on the 3rd report (orange for town 611025101), not before")

    # Past the red count the rule remembers the town as full (it counts no
    # more): reports that leave the handlers' hands, and reports that leave
    # the window (3 hub hours: 18 s), must each let it fire again.
    def flood(n):
        for _ in range(n):
            theft.append(("611025101204", st.report("611025101204", "blue",
                                                    category="security", title="盗窃")))
    flood(4)  # 7 in hand: red at the 5th, full from the 6th
    got = alerts()[base:]
    check(got == [("611025101", "security", "orange", 3),
                  ("611025101", "security", "red", 5)], f"surge alerts {got}")
    for station, item in theft[:5]:
        r = st.act(station, item, "withdraw", note="误报")
        check(r["status"] == "accepted", f"withdraw: {r}")
    base = len(alerts())
    flood(1)  # 2 left in hand, and this one
    got = alerts()[base:]
    check(got == [("611025101", "security", "orange", 3)],
          f"surge after withdrawals: {got}")
    flood(3)  # red at 5, full again at 6
    got = alerts()[base:]
    check(got == [("611025101", "security", "orange", 3),
                  ("611025101", "security", "red", 5)], f"surge alerts {got}")
    time.sleep(19)  # every one of them out of the window
    base = len(alerts())
    flood(2)
    check(len(alerts()) == base, "surge fired on the 2nd report of a new window")
    flood(1)
    got = alerts()[base:]
    check(got == [("611025101", "security", "orange", 3)],
          f"surge in a new window: {got}")
    print("surge: fires again after reports are withdrawn and after the window passes, "
          "also once the town was past the red count")

    # 6. Weather of a village follows its open items.
    v = "611025102201"

    # Recomputed with each batch, at most every quarter second.
    def wait_weather(code, want):
        env.wait_until(lambda: weather(env, code) == want, 5, f"{code} to be {want}")
    check(weather(env, v) == "clear", "a quiet village is not clear")
    b = st.report(v, "blue", category="ceremony")
    wait_weather(v, "cloudy")
    o = st.report(v, "orange", category="dispute")
    wait_weather(v, "overcast")
    r = st.report(v, "red", category="dispute")
    wait_weather(v, "storm")
    wait_weather("611025102", "storm")
    st.act(COUNTY_ST, r, "sign")
    st.act(COUNTY_ST, r, "resolve", note="已调处")
    env.wait_until(lambda: weather(env, v) in ("overcast", "rain"), 5, "red resolved")
    st.act(v, o, "withdraw", note="已自行解决")
    st.act(v, b, "withdraw", note="重复上报")
    wait_weather(v, "clear")
    wait_weather("611025102", "clear")
    # A town's weather is the worst of its villages' (and its own items').
    v2 = "611025102202"
    b2 = st.report(v2, "blue", category="ceremony")
    wait_weather(v2, "cloudy")
    wait_weather("611025102", "cloudy")
    o2 = st.report("611025102", "orange", category="dispute")
    wait_weather("611025102", "overcast")
    check(weather(env, v2) == "cloudy", "the town's own item changed a village's weather")
    st.act("611025102", o2, "withdraw", note="重复上报")
    st.act(v2, b2, "withdraw", note="重复上报")
    wait_weather("611025102", "clear")
    # Rain: an orange item reminded (at 75 % of its hour to sign), until
    # its limit raises it to red.
    v3 = "611025102203"
    o3 = st.report(v3, "orange", category="dispute")
    wait_weather(v3, "overcast")
    env.wait_until(lambda: weather(env, v3) == "rain", 15, f"{v3} to be rain")
    env.wait_until(lambda: weather(env, v3) == "storm", 15, f"{v3} to be storm")
    st.act(v3, o3, "withdraw", note="重复上报")
    wait_weather(v3, "clear")
    print("weather of a village: clear -> cloudy -> overcast -> storm -> clear; "
          "its town: the worst of its villages; an orange item reminded: rain")

    # 7. Delivery is kept until receipted: nothing receipted so far, so
    #    every snapshot waits in the box; a receipt removes one.
    def box():
        return env.hub_sql("SELECT id, station FROM downbox ORDER BY id")
    waiting = box()
    check(waiting, "no item message waits for a receipt")
    mid, station = waiting[0]
    receipt = {"ref": mid, "status": "accepted"}
    st.send(station, "receipt", receipt)
    env.wait_until(lambda: (mid, station) not in box(), 10, "the receipt to clear it")
    print(f"delivery: {len(waiting)} item messages kept until receipted; a receipt "
          "clears its own")


run("30-workflow-hub", body)
