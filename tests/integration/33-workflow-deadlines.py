"""Deadlines move only by an extension or a new tier (hub time scaled to 12
hours a second). A red item at the county left unresolved past its resolve
limit keeps its deadline, shows overdue (超期) and is supervised (督办) at
the deadline and then daily, never more than the policy's cap, for ten
simulated days; resolved late, it is late in the tally, the overview and
`minqing-hub stats`, beside an item resolved in time that is on time in all
three. An extension moves the deadline to the day asked for, and the
timeline says who asked and why."""
import sys, os, re, subprocess
sys.path.insert(0, os.path.dirname(__file__))
from harness import (run, check, start_hub_http, add_user, Web, LoopStations,
                     SAN_ENV, iso_ms)

COUNTY_ST = "611025"
LATE_V, ONTIME_V = "611025100201", "611025100202"
SCALE = 43200          # 12 hub hours a second: a tick of the hub per 12 h
DAY = 86400 * 1000
CAP = 4


def row(env, item):
    rows = env.hub_sql("SELECT state, sign_by, resolve_by, supervised, resolved_at "
                       "FROM items WHERE item = ?", item)
    check(len(rows) == 1, f"item {item} not at the hub")
    return dict(zip(("state", "sign_by", "resolve_by", "supervised", "resolved_at"),
                    rows[0]))


def kinds(web, item, kind):
    """The item's events of one kind, from its page (times in hub ms)."""
    return [e for e in web.json("GET", f"/api/items/{item}")["events"] if e["kind"] == kind]


def body(env):
    env.provision()
    policy = os.path.join(env.dir, "policy.conf")
    with open(policy, "w") as f:
        # Limits long enough for the test to sign in time, short enough
        # that ten days pass in twenty seconds.
        f.write(f"[red]\nsign = 2d\nresolve = 3d\nremind = 50%\nreminders = 2\n"
                f"[supervise]\nevery = 1d\nmax = {CAP}\nto = county\n")
    env.start_broker()
    start_hub_http(env, "--policy", policy, "--time-scale", str(SCALE), testing=True)
    add_user(env, "admin", "county", COUNTY_ST, "county-pass-1")
    web = Web(env)
    web.login("admin", "county-pass-1")
    st = LoopStations(env)

    def hub_now():
        return web.json("GET", "/api/overview")["now"]

    # An item resolved in time, for contrast; and the item left to go late.
    quick = st.report(ONTIME_V, "red", category="dispute", title="按时办结")
    late = st.report(LATE_V, "red", category="dispute", title="久拖未决")
    for item in (quick, late):
        r = st.act(COUNTY_ST, item, "sign")
        check(r["status"] == "accepted", f"sign {item}: {r}")
    r = st.act(COUNTY_ST, quick, "resolve", note="已调解")
    check(r["status"] == "accepted", f"resolve: {r}")
    first = row(env, late)
    check(first["state"] == "signed", f"{first}")

    # Ten simulated days past the resolve deadline.
    env.wait_until(lambda: hub_now() > first["resolve_by"] + 10 * DAY, 90,
                   "ten hub days past the deadline")
    now = row(env, late)
    check(now["resolve_by"] == first["resolve_by"] and now["sign_by"] == first["sign_by"],
          f"the deadline moved by itself: {first} -> {now}")
    sup = kinds(web, late, "supervise")
    check(len(sup) == CAP, f"{len(sup)} supervisions in ten days, want the cap {CAP}")
    check(all(e["at"] >= first["resolve_by"] for e in sup) and
          sup[0]["at"] < first["resolve_by"] + DAY,
          f"supervisions before the deadline, or the first not at it: "
          f"{[e['at'] - first['resolve_by'] for e in sup]}")
    gaps = [b["at"] - a["at"] for a, b in zip(sup, sup[1:])]
    check(all(g >= DAY for g in gaps), f"supervised more often than daily: {gaps}")
    check("第1次督办" in sup[0]["note"] and "超期" in sup[-1]["note"] and
          f"第{CAP}次督办" in sup[-1]["note"], f"{sup[0]} {sup[-1]}")
    reminders = kinds(web, late, "remind")
    check(len(reminders) <= 4, f"{len(reminders)} reminders: the policy allows 2 a limit")
    item = web.json("GET", f"/api/items/{late}")
    check(item["item"]["overdue"] is True and item["item"]["deadline"] == first["resolve_by"],
          f"item page: {item['item']}")
    urgent = {u["id"]: u for u in web.json("GET", "/api/overview")["urgent"]}
    check(late in urgent and urgent[late]["overdue"], f"urgent list: {urgent.get(late)}")
    print(f"overdue red item: deadline kept for 10 days, {len(sup)} supervisions "
          f"(cap {CAP}), {len(reminders)} reminders, shown overdue")

    # Resolved late, then verified and rated: late in every figure.
    for who, item, action, kw in ((COUNTY_ST, late, "resolve", {"note": "已调解"}),
                                  (LATE_V, late, "verify", {"note": "已回访"}),
                                  (LATE_V, late, "rate", {"rating": "satisfied"}),
                                  (ONTIME_V, quick, "verify", {"note": "已回访"}),
                                  (ONTIME_V, quick, "rate", {"rating": "satisfied"})):
        r = st.act(who, item, action, **kw)
        check(r["status"] == "accepted", f"{action} {item} by {who}: {r}")
    done = row(env, late)
    check(done["state"] == "rated" and done["resolved_at"] > done["resolve_by"],
          f"late item: {done}")
    check(web.json("GET", f"/api/items/{late}")["item"]["overdue"] is True,
          "a late item no longer overdue once resolved")
    check(web.json("GET", f"/api/items/{quick}")["item"]["overdue"] is False,
          "an item resolved in time shown overdue")
    tally = dict(env.hub_sql("SELECT origin, resolved_on_time FROM tally WHERE origin IN (?, ?)",
                             LATE_V, ONTIME_V))
    check(tally == {LATE_V: 0, ONTIME_V: 1}, f"tally on_time: {tally}")
    for scope, want in ((LATE_V, 0.0), (ONTIME_V, 1.0), (COUNTY_ST, 0.5)):
        got = web.json("GET", f"/api/overview?scope={scope}")["figures"]["on_time_rate"]
        check(got == want, f"overview of {scope}: on_time_rate {got}, want {want}")
    r = subprocess.run([env.bin("hub/minqing-hub"), "stats", "--db", env.hub_db],
                       capture_output=True, text=True, env={**os.environ, **SAN_ENV},
                       timeout=60)
    check(r.returncode == 0, f"stats: {r.stderr}")
    m = re.search(r"按期办结率\s+([\d.]+)%\s+\((\d+) / (\d+)\)", r.stdout)
    check(m and m.groups() == ("50.0", "1", "2"), f"stats on-time: {r.stdout}")
    print("resolved late: late in the tally, the overview and stats; "
          "the on-time item on time in all three")

    # An extension moves the deadline, and only it.
    ext = st.report(ONTIME_V, "red", category="livelihood", title="需延期")
    check(st.act(COUNTY_ST, ext, "sign")["status"] == "accepted", "sign")
    until = hub_now() + 30 * DAY
    r = st.act(COUNTY_ST, ext, "extend", until=iso_ms(until), note="待汛期过后施工")
    check(r["status"] == "accepted", f"extend: {r}")
    got = row(env, ext)
    check(abs(got["resolve_by"] - until) < 1000, f"extended to {got['resolve_by']}, "
          f"asked {until}")
    timeline = web.json("GET", f"/api/items/{ext}")["events"]
    ev = [e for e in timeline if e["kind"] == "extend"]
    check(len(ev) == 1 and ev[0]["note"] == "待汛期过后施工" and ev[0]["actor"] == COUNTY_ST,
          f"timeline: {timeline}")
    start = hub_now()
    env.wait_until(lambda: hub_now() > start + 3 * DAY, 30, "three more hub days")
    check(row(env, ext)["resolve_by"] == got["resolve_by"] and
          not kinds(web, ext, "supervise"), "an extended item supervised or moved")
    print("extension: the deadline moved to the day asked, in the timeline with who "
          "and why; nothing else moved it")


run("33-workflow-deadlines", body)
