"""One definition of every figure (docs/FIGURES.md), read the same way by
every reader. A loop in scaled hub time (2 hub hours a second) leaves items
in many states: open of each colour, red overdue unsigned and unresolved,
signed late, resolved late then rated unsatisfied (reopened) and extended,
escalated by time and then resolved at the county, extended and resolved,
returned, merged, withdrawn, resolved awaiting its return visit, visited
and rated. `minqing-hub stats --json`, /api/overview and /api/stats then
agree figure by figure, and each equals a recount (recount.py) from the
items and events tables by FIGURES.md's words (the last sign-for at an item's
tier and its last resolve taken from its events). The hub's clock is read
by `stats` from the database: its "now" is the hub's, not the wall's."""
import sys, os, json, sqlite3, subprocess, time, unicodedata
sys.path.insert(0, os.path.dirname(__file__))
from harness import (run, check, start_hub_http, add_user, Web, LoopStations,
                     SAN_ENV, iso_ms)
from recount import recount, differ, DONE

COUNTY_ST, TOWN, VILLAGE, GROUP = "611025", "611025100", "611025100201", "611025100201001"
SCALE = 7200            # 2 hub hours a second
HOUR, DAY = 3600 * 1000, 86400 * 1000
def body(env):
    t0 = time.time()
    env.provision()
    policy = os.path.join(env.dir, "policy.conf")
    with open(policy, "w") as f:
        # Blue and orange slow enough to stay open for the whole test;
        # orange's sign-for and red's limits pass in seconds.
        f.write("[blue]\nsign = 20d\nresolve = 30d\n"
                "[orange]\nsign = 6h\nresolve = 30d\n"
                "[red]\nsign = 6h\nresolve = 12h\n"
                "[supervise]\nevery = 1d\nmax = 3\nto = county\n")
    env.start_broker()
    start_hub_http(env, "--policy", policy, "--time-scale", str(SCALE), testing=True)
    add_user(env, "admin", "county", COUNTY_ST, "county-pass-1")
    web = Web(env)
    web.login("admin", "county-pass-1")
    st = LoopStations(env)

    def hub_now():
        return web.json("GET", "/api/overview")["now"]

    def act(who, item, action, **kw):
        r = st.act(who, item, action, **kw)
        check(r["status"] == "accepted", f"{action} {item} by {who}: {r}")

    def row(item):
        return dict(zip(("state", "sign_by", "resolve_by", "colour", "handler"),
                        env.hub_sql("SELECT state, sign_by, resolve_by, colour, handler "
                                    "FROM items WHERE item = ?", item)[0]))

    # Quick steps first, before any limit passes.
    b_open = st.report(GROUP, "blue", title="路灯")                  # open blue, reported
    b_signed = st.report(GROUP, "blue", title="水管")
    act(VILLAGE, b_signed, "sign")                                   # open blue, signed
    o_open = st.report(VILLAGE, "orange", title="道路")
    act(TOWN, o_open, "sign")                                        # open orange
    o_esc = st.report(VILLAGE, "orange", title="无人签收")          # escalates by time
    r_unsigned = st.report(VILLAGE, "red", title="无人签收红")       # overdue, unsigned
    r_late = st.report(VILLAGE, "red", title="久拖")                 # resolved late
    r_open = st.report(VILLAGE, "red", title="未办结")               # overdue, signed
    r_sign_late = st.report(VILLAGE, "red", title="签收迟")
    for item in (r_late, r_open):
        act(COUNTY_ST, item, "sign")
    r_quick = st.report(VILLAGE, "red", category="dispute", title="按时")
    act(COUNTY_ST, r_quick, "sign")
    act(COUNTY_ST, r_quick, "resolve", note="已调解")
    act(VILLAGE, r_quick, "verify", note="已回访")
    act(VILLAGE, r_quick, "rate", rating="satisfied")
    b_dispute = st.report(GROUP, "blue", category="dispute", title="邻里纠纷")
    act(VILLAGE, b_dispute, "sign")
    act(VILLAGE, b_dispute, "resolve", note="已调解")
    act(GROUP, b_dispute, "verify", note="已回访")
    act(GROUP, b_dispute, "rate", rating="basic")
    b_ext = st.report(GROUP, "blue", title="需延期")
    act(VILLAGE, b_ext, "sign")
    act(VILLAGE, b_ext, "extend", until=iso_ms(hub_now() + 60 * DAY), note="等材料")
    act(VILLAGE, b_ext, "resolve", note="已办")
    b_wait = st.report(GROUP, "blue", title="待回访")
    act(VILLAGE, b_wait, "sign")
    act(VILLAGE, b_wait, "resolve", note="已办")                     # resolved, not visited
    b_ret = st.report(GROUP, "blue", title="退回")
    act(VILLAGE, b_ret, "sign")
    act(VILLAGE, b_ret, "return", note="超出本村能力")                # up to the town
    b_merge = st.report(GROUP, "blue", title="重复")
    act(VILLAGE, b_merge, "merge", into=b_open)
    b_wd = st.report(GROUP, "blue", title="误报")
    act(GROUP, b_wd, "withdraw", note="误报")

    # Red's sign-for (6 h) passes: one red signed late; orange escalates.
    first = row(r_late)
    env.wait_until(lambda: hub_now() > first["sign_by"] + HOUR, 30, "red sign-for passed")
    act(COUNTY_ST, r_sign_late, "sign")
    env.wait_until(lambda: row(o_esc)["colour"] == "red", 30, "orange escalated to red")
    act(COUNTY_ST, o_esc, "sign")
    act(COUNTY_ST, o_esc, "resolve", note="县里办结")
    act(VILLAGE, o_esc, "verify", note="已回访")
    act(VILLAGE, o_esc, "rate", rating="satisfied")
    # Red's resolve limit (12 h) passes: resolved late, then rated
    # unsatisfied (back to signed, a new limit), and that limit extended.
    env.wait_until(lambda: hub_now() > first["resolve_by"] + HOUR, 30, "red resolve passed")
    act(COUNTY_ST, r_late, "resolve", note="迟办")
    act(VILLAGE, r_late, "verify", note="已回访")
    act(VILLAGE, r_late, "rate", rating="unsatisfied")
    check(row(r_late)["state"] == "signed", f"rated unsatisfied: {row(r_late)}")
    act(COUNTY_ST, r_late, "extend", until=iso_ms(hub_now() + 60 * DAY), note="重新施工")
    # Every deadline near now well past, so that the readers' few seconds
    # apart cross none.
    near = max(v for it in (r_sign_late, r_open, r_unsigned) for v in
               (row(it)["sign_by"], row(it)["resolve_by"]))
    env.wait_until(lambda: hub_now() > near + HOUR, 30, "the near deadlines passed")

    # The readers: the overview first (on main, its figures were not the
    # recount's: 在办 counted resolved items, on time ignored overdue ones).
    ov = web.json("GET", "/api/overview")
    db = sqlite3.connect(f"file:{env.hub_db}?mode=ro", uri=True)
    try:
        want = recount(db, COUNTY_ST, ov["now"])
    finally:
        db.close()
    check(not differ(ov["figures"], want), f"/api/overview against the recount: "
          f"{differ(ov['figures'], want)}")
    r = subprocess.run([env.bin("hub/minqing-hub"), "stats", "--db", env.hub_db, "--json"],
                       capture_output=True, text=True, env={**os.environ, **SAN_ENV},
                       timeout=60)
    check(r.returncode == 0, f"stats --json: {r.returncode} {r.stderr} {r.stdout[:300]}")
    cli = json.loads(r.stdout)
    # The text mode lines its columns up on a terminal: a label and a count
    # take 2+22+1+8 display columns (4+16+1+8 in the breakdowns), a CJK
    # character two (on main, printf's widths counted bytes). LANG=C: the
    # user's locale is not UTF-8, and the widths hold all the same.
    cols = lambda line: sum(2 if unicodedata.east_asian_width(c) in "WF" else 1
                            for c in line)
    for lang in ("zh", "en"):
        r = subprocess.run([env.bin("hub/minqing-hub"), "stats", "--db", env.hub_db,
                            "--lang", lang], capture_output=True, text=True, timeout=60,
                           env={**os.environ, **SAN_ENV, "LANG": "C", "LC_ALL": ""})
        check(r.returncode == 0, f"stats --lang {lang}: {r.returncode} {r.stderr}")
        rows = [l for l in r.stdout.splitlines() if l.startswith("  ") and
                l.split()[-1].isdigit() and len(l.split()) >= 2 and "/" not in l]
        wrong = [(l, cols(l)) for l in rows if cols(l) != (33 if l[2] != " " else 29)]
        check(len(rows) >= 15 and not wrong, f"stats --lang {lang}: {len(rows)} count rows, "
              f"misaligned: {wrong[:5]}")
    api = web.json("GET", "/api/stats?period=day")
    vil = web.json("GET", "/api/stats?period=day&rank=village")
    week = web.json("GET", "/api/stats?days=7&rank=none")
    db = sqlite3.connect(f"file:{env.hub_db}?mode=ro", uri=True)
    try:
        period = recount(db, COUNTY_ST, api["to"], api["from"], api["to"])
        cli_want = recount(db, cli["scope"], cli["now"])
        towns = {c["code"]: recount(db, c["code"], api["to"], api["from"], api["to"])
                 for c in api["ranking"]}
        handled = {c["code"]: recount(db, c["code"], api["to"], api["from"], api["to"],
                                      by="handler") for c in api["ranking_handled"]}
        # Trends by the colour reported (the report's), escalations apart.
        reported = dict(db.execute(
            "SELECT r.colour, count(*) FROM reports r JOIN items i ON i.item = r.item "
            "WHERE i.received >= ? AND i.received < ? GROUP BY r.colour",
            (api["from"], api["to"])).fetchall())
        escalations = db.execute("SELECT count(*) FROM events WHERE kind = 'escalate'"
                                 ).fetchone()[0]
        # The county's villages (rank=village), each by its own recount.
        villages = {c["code"]: (recount(db, c["code"], vil["to"], vil["from"], vil["to"]),
                                recount(db, c["code"], vil["to"], vil["from"], vil["to"],
                                        by="handler"))
                    for c in vil["ranking"]}
        n_villages = db.execute("SELECT count(*) FROM stations WHERE length(code) = 12 "
                                "AND code > ? AND code < ? || ';'",
                                (COUNTY_ST, COUNTY_ST)).fetchone()[0]
        # Intake by the local day received; closures (办结) by the local day
        # of the last resolve event of items resolved, verified or rated now.
        day = lambda ms: time.strftime("%Y-%m-%d", time.localtime(ms / 1000))
        received, closed = {}, {}
        for (item, got, state) in db.execute("SELECT item, received, state FROM items"):
            last = db.execute("SELECT max(at) FROM events WHERE item = ? AND "
                              "kind = 'resolve'", (item,)).fetchone()[0]
            if api["from"] <= got < api["to"]:
                received[day(got)] = received.get(day(got), 0) + 1
            if state in DONE and last is not None and api["from"] <= last < api["to"]:
                closed[day(last)] = closed.get(day(last), 0) + 1
        reopened = db.execute("SELECT count(*) FROM items i WHERE state NOT IN "
                              "('resolved', 'verified', 'rated') AND EXISTS (SELECT 1 FROM "
                              "events e WHERE e.item = i.item AND e.kind = 'resolve')"
                              ).fetchone()[0]
        town_handled = db.execute("SELECT count(*) FROM items WHERE handler >= ? AND "
                                  "handler < ? || ';'", (TOWN, TOWN)).fetchone()[0]
    finally:
        db.close()
    # The hub's hour, not the wall's: scaled, it is far ahead.
    check(abs(cli["now"] - ov["now"]) < 20 * 1000 * SCALE and
          cli["now"] > time.time() * 1000 + 6 * HOUR, f"stats' now {cli['now']}, "
          f"the hub's {ov['now']}, the wall's {int(time.time() * 1000)}")
    check(not differ(cli["figures"], cli_want), f"stats --json against the recount: "
          f"{differ(cli['figures'], cli_want)}")
    check(not differ(api["figures"], period), f"/api/stats against the recount: "
          f"{differ(api['figures'], period)}")
    check(not differ(cli["figures"], ov["figures"]), f"stats --json against /api/overview: "
          f"{differ(cli['figures'], ov['figures'])}")
    check(not differ(api["figures"], ov["figures"]), f"/api/stats against /api/overview: "
          f"{differ(api['figures'], ov['figures'])}")
    for x in api["ranking"]:
        check(not differ(x, towns[x["code"]]), f"ranking row {x['code']}: "
              f"{differ(x, towns[x['code']])}")
    check(len(api["ranking_handled"]) == len(api["ranking"]), "rankings of other areas")
    for x in api["ranking_handled"]:
        check(not differ(x, handled[x["code"]]), f"ranking by items handled, row "
              f"{x['code']}: {differ(x, handled[x['code']])}")
    mine = {x["code"]: x for x in api["ranking_handled"]}[TOWN]
    theirs = {x["code"]: x for x in api["ranking"]}[TOWN]
    check(mine["collected"] == town_handled and mine["collected"] != theirs["collected"],
          f"the town and its villages handle {town_handled} items, its reported {theirs['collected']}: "
          f"ranking by handled says {mine['collected']}")
    check(vil["rank"] == "village" and len(vil["ranking"]) == n_villages and
          len(vil["ranking_handled"]) == n_villages and
          all(x["tier"] == "village" for x in vil["ranking"]),
          f"rank=village: {len(vil['ranking'])} rows of {n_villages} villages")
    for x in vil["ranking"]:
        check(not differ(x, villages[x["code"]][0]), f"village ranking row {x['code']}: "
              f"{differ(x, villages[x['code']][0])}")
    for x in vil["ranking_handled"]:
        check(not differ(x, villages[x["code"]][1]), f"village ranking by items handled, "
              f"row {x['code']}: {differ(x, villages[x['code']][1])}")
    mine = {x["code"]: x for x in vil["ranking"]}[VILLAGE]
    label = "".join(env.hub_sql("SELECT name FROM stations WHERE code = ?", c)[0][0]
                    for c in (TOWN, VILLAGE))
    check(mine["collected"] > 0 and mine["name"] == label,
          f"the reporting village's row {mine['name']} ({mine['collected']}), want {label}")
    by_day = lambda series: {b: v for b, v in zip(api["buckets"], api[series]) if v}
    check(by_day("received") == received, f"received by day {by_day('received')}, "
          f"the recount {received}")
    check(by_day("resolved") == closed and reopened >= 1, f"closures by day "
          f"{by_day('resolved')}, the recount {closed} ({reopened} reopened left out)")
    check(len(week["buckets"]) == 7 and week["buckets"][-1] == day(week["to"]) and
          day(week["from"]) == week["buckets"][0] and
          time.localtime(week["from"] / 1000)[3:6] == (0, 0, 0) and
          "ranking" not in week, f"days=7: {week['buckets']} from {week['from']}")
    got = {k: sum(v) for k, v in api["by_colour"].items() if sum(v)}
    check(got == reported, f"trend by colour {got}, reported {reported}")
    check(sum(api["escalations"]) == escalations, f"escalations series "
          f"{sum(api['escalations'])}, events {escalations}")
    # The states the loop was to leave, so that each figure counts something.
    f = want
    check(f["open_blue"] and f["open_orange"] and f["open_red"] and f["overdue"] >= 2 and
          f["escalated"] >= 1 and f["solved"] >= 3 and f["mediated"] >= 2 and
          f["visit_due"] > f["visited"] and f["rated"] > f["satisfied"] and
          f["resolve_due"] > f["resolved_on_time"] and f["sign_due"] > f["signed_on_time"],
          f"the loop left too few states: {f}")
    print("figures agree (stats --json, /api/overview, /api/stats, ranking) and equal "
          f"the recount: {json.dumps(f, ensure_ascii=False)}")
    print(f"{time.time() - t0:.1f} s")


run("64-figures-agree", body)
