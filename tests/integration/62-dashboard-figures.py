"""The overview's figures come from the tally, counters per station that the
hub moves with every change to an item: they must equal the items counted
afresh, here in Python from the definitions in docs/FIGURES.md. A fleet works
every item of a town's subtree through the loop; the county overview counts them all solved, all on
time, and its satisfaction is that of the ratings stored. A database from
before resolved_at and the tally (both dropped here) gets them back from the
events and the items when the hub starts, with the same figures, as does a
tally from before the weather's columns. Then a fleet leaves items open in
every state: tally, area counts, urgent list and every area's weather
checked against the items again. An older hub's triggers are dropped, and
an item written behind the hub's back is counted when it starts."""
import sys, os, sqlite3, time
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check, start_hub_http, add_user, Web

COUNTY = "611025"


def overview(env):
    web = Web(env)
    web.login("admin", "county-pass-1")
    return web.json("GET", "/api/overview")["figures"]


TALLY_COLS = ("collected, open_blue, open_orange, open_red, signed_for, signed_on_time, "
              "resolved, resolved_on_time, solved, mediated, visit_due, visited, rated, "
              "satisfied, escalated, hand_blue, hand_orange, hand_red, late_orange")


def counted(db):
    """Per origin, what the tally should hold, counted from the items by
    docs/FIGURES.md (the parts that do not depend on the hour)."""
    out = {}
    for (o, state, colour, cat, rating, esc, res_at, res_by, reminders, sig_at,
         sig_by) in db.execute(
            "SELECT origin, state, colour, category, rating, escalations, resolved_at, "
            "resolve_by, reminders, signed_at, sign_by FROM items"):
        solved = state in ("verified", "rated")
        done = state in ("resolved", "verified", "rated")
        is_open = state in ("reported", "signed", "assigned")
        row = out.setdefault(o, [0] * 19)
        for k, v in enumerate([1, is_open and colour == "blue",
                               is_open and colour == "orange", is_open and colour == "red",
                               sig_at is not None, sig_at is not None and sig_at <= sig_by,
                               done, done and res_at is not None and res_at <= res_by,
                               solved, solved and cat == "dispute", done, solved,
                               rating is not None, rating in ("satisfied", "basic"),
                               esc > 0,
                               is_open and colour == "blue", is_open and colour == "orange",
                               is_open and colour == "red",
                               is_open and colour == "orange" and reminders > 0]):
            row[k] += int(bool(v))
    return {o: tuple(r) for o, r in out.items()}


WEATHERS = ["clear", "cloudy", "overcast", "rain", "storm"]


def weather_of(db, code, many_blue=5, blue_width=12):
    """An area's weather from its items in hand (docs/DESIGN: 民情气象),
    counted afresh: at and below the village (blue's tier) from every item
    under it; above, the worst of its own items' and each station's under
    it."""
    rows = db.execute("SELECT origin, colour, reminders FROM items WHERE "
                      "state IN ('reported', 'signed', 'assigned') AND "
                      "substr(origin, 1, ?) = ?", (len(code), code)).fetchall()

    def rule(items, most_blue):
        if any(c == "red" for _, c, _ in items):
            return 4
        if any(c == "orange" and r > 0 for _, c, r in items):
            return 3
        if any(c == "orange" for _, c, _ in items) or most_blue >= many_blue:
            return 2
        return 1 if items else 0
    if len(code) >= blue_width:
        per = {}
        for o, c, _ in rows:
            if c == "blue":
                per[o[:blue_width]] = per.get(o[:blue_width], 0) + 1
        return WEATHERS[rule(rows, max(per.values(), default=0))]
    worst = 0
    for s in {o if len(o) < blue_width else o[:blue_width] for o, _, _ in rows}:
        if len(s) < blue_width:
            own = [r for r in rows if r[0] == s]
            worst = max(worst, rule(own, sum(1 for r in own if r[1] == "blue")))
        else:
            worst = max(worst, WEATHERS.index(weather_of(db, s, many_blue, blue_width)))
    return WEATHERS[worst]


def check_weather(env, when):
    """Every area's stored weather is its items' (the hub recomputes changed
    areas within a second)."""
    def differs():
        db = sqlite3.connect(env.hub_db)
        try:
            stored = dict(db.execute("SELECT code, weather FROM weather"))
            origins = {r[0] for r in db.execute(
                "SELECT DISTINCT origin FROM items WHERE state IN "
                "('reported', 'signed', 'assigned')")}
            areas = set(stored) | {o[:n] for o in origins for n in (6, 9, 12, 15) if len(o) >= n}
            return {a: (stored.get(a, "clear"), weather_of(db, a)) for a in areas
                    if stored.get(a, "clear") != weather_of(db, a)}
        finally:
            db.close()
    end = time.time() + 5
    while (bad := differs()) and time.time() < end:
        time.sleep(0.2)
    check(not bad, f"{when}: stored weather differs from the items in {len(bad)} "
          f"areas, e.g. {sorted(bad.items())[:3]} (stored, counted)")


def check_tally(env, when):
    db = sqlite3.connect(env.hub_db)
    want = counted(db)
    got = {r[0]: tuple(r[1:]) for r in db.execute(
        f"SELECT origin, {TALLY_COLS} FROM tally") if any(r[1:])}
    db.close()
    bad = [o for o in set(want) | set(got) if want.get(o) != got.get(o)]
    check(not bad, f"{when}: tally differs from the items at {len(bad)} stations, e.g. "
          f"{bad[:1]}: {[want.get(o) for o in bad[:1]]} counted, {[got.get(o) for o in bad[:1]]} kept")
    return want


def rewrite(env, script):
    """Changes the hub's database behind its back, as an older hub or a hand
    repair would have left it, and starts the hub on it again."""
    env.hub.stop()
    db = sqlite3.connect(env.hub_db)
    db.executescript(script)
    db.commit()
    db.close()
    start_hub_http(env)


def scalar(env, sql):
    db = sqlite3.connect(env.hub_db)
    try:
        return db.execute(sql).fetchone()[0]
    finally:
        db.close()


def body(env):
    env.start_broker()
    start_hub_http(env)
    add_user(env, "admin", "county", COUNTY, "county-pass-1")
    fleet = env.start_fleet("--all-tiers", "--act-share", "1", stations=60, rate=10,
                            duration=5, drain=90)
    result = env.finish_fleet(fleet, 150)
    n = env.check_exactly_once(result)
    db = sqlite3.connect(env.hub_db)
    rated = db.execute("SELECT count(*), sum(rating IN ('satisfied', 'basic')) "
                       "FROM items WHERE state = 'rated'").fetchone()
    db.close()
    check(rated[0] == n, f"{rated[0]} of {n} items rated")
    fig = overview(env)
    check(fig["collected"] == n and fig["solved"] == n,
          f"collected {fig['collected']}, solved {fig['solved']} of {n}")
    check(fig["on_time_rate"] == 1, f"on-time rate {fig['on_time_rate']}, want 1: "
          "every item was resolved within minutes of its report")
    check(abs(fig["satisfaction"] - rated[1] / n) < 1e-9,
          f"satisfaction {fig['satisfaction']}, want {rated[1] / n}")
    check_tally(env, "after the loop")

    # An older database: no resolved_at, no supervision count, no tally,
    # and no schema version (hub/schema.c's version 1 upgrades it).
    rewrite(env, "DROP TABLE tally; ALTER TABLE items DROP COLUMN resolved_at;"
            "ALTER TABLE items DROP COLUMN supervised; PRAGMA user_version = 0;")
    missing = scalar(env, "SELECT count(*) FROM items WHERE resolved_at IS NULL")
    check(missing == 0, f"{missing} items without resolved_at after the upgrade")
    check(scalar(env, "SELECT count(*) FROM items WHERE supervised = 0") ==
          scalar(env, "SELECT count(*) FROM items"), "supervised not added by the upgrade")
    check_tally(env, "after the upgrade")
    again = overview(env)
    check(again == fig, f"figures changed by the upgrade: {fig} -> {again}")
    # A database of a hub that kept the tally with triggers: they go (one
    # left behind would count every new item twice), and an item written
    # behind the hub's back (a restore, a hand repair) is counted when it
    # starts.
    rewrite(env,
        "CREATE TRIGGER tally_insert AFTER INSERT ON items BEGIN UPDATE tally SET "
        "collected = collected + 1000 WHERE origin = NEW.origin; END;"
        "INSERT INTO items(item, origin, category, colour, state, handler, rating, "
        "created, received, tier_since, sign_by, resolve_by, seq, updated) "
        "SELECT item || '0', origin, category, colour, 'rated', handler, 'satisfied', "
        "created, received, tier_since, sign_by, resolve_by, seq, updated "
        "FROM items LIMIT 1;")
    triggers = scalar(env, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")
    check(triggers == 0, f"{triggers} triggers left on the database")
    check_tally(env, "after an older hub's triggers and an item written by hand")
    # A tally from before the weather's columns, and wrong besides: counted
    # afresh when the hub opens it.
    rewrite(env, "ALTER TABLE tally DROP COLUMN late_orange; "
                 "ALTER TABLE tally DROP COLUMN hand_red; "
                 "UPDATE tally SET collected = collected + 7;")
    check_tally(env, "after upgrading a tally without the weather's columns")
    check_weather(env, "after the upgrades")
    # The urgent list: open red and orange items, soonest deadline first,
    # picked from their own index (items_urgent_by).
    fleet = env.start_fleet("--all-tiers", "--colours", "blue=1,orange=1,red=1",
                            stations=60, rate=30, duration=3, drain=60, name="open")
    env.finish_fleet(fleet, 90)
    tally = check_tally(env, "with items open in every state")
    check_weather(env, "with items open in every state")
    db = sqlite3.connect(env.hub_db)
    # The index's condition without IN lists (each costs a throwaway table
    # on every write of an items row), and the dashboard's words use it.
    idx = db.execute("SELECT sql FROM sqlite_schema WHERE name = 'items_urgent_by'").fetchone()
    check(idx and " IN (" not in idx[0].upper(), f"items_urgent_by: {idx}")
    plan = " ".join(r[3] for r in db.execute(
        "EXPLAIN QUERY PLAN SELECT item FROM items WHERE origin >= '611025' AND "
        "origin < '611025' || ';' AND (state = 'reported' OR state = 'signed' OR "
        "state = 'assigned') AND (colour = 'red' OR colour = 'orange') ORDER BY CASE "
        "state WHEN 'reported' THEN sign_by ELSE resolve_by END, item LIMIT 50"))
    check("items_urgent_by" in plan, f"urgent list not from its index: {plan}")
    want = [r[0] for r in db.execute(
        "SELECT item FROM items WHERE state IN ('reported', 'signed', 'assigned') "
        "AND colour IN ('red', 'orange') ORDER BY CASE state WHEN 'reported' "
        "THEN sign_by ELSE resolve_by END, item LIMIT 50")]
    db.close()
    web = Web(env)
    web.login("admin", "county-pass-1")
    ov = web.json("GET", "/api/overview")
    urgent = ov["urgent"]
    for c in ov["children"]:
        rows = [v for o, v in tally.items() if o.startswith(c["code"])]
        want_open = {k: sum(v[1 + i] for v in rows) for i, k in
                     enumerate(("blue", "orange", "red"))}
        check(c["open"] == want_open, f"{c['code']} open {c['open']}, items say {want_open}")
    check(sum(sum(c["open"].values()) for c in ov["children"]) > 0, "no open items counted")
    check(ov["figures"]["open"] == sum(sum(v[1:4]) for v in tally.values()),
          f"open {ov['figures']['open']} against the items")
    check(len(want) > 10, f"only {len(want)} open red or orange items")
    check([u["id"] for u in urgent] == want, "urgent list is not the soonest open "
          f"red and orange items: {[u['id'] for u in urgent][:5]}... vs {want[:5]}...")
    print(f"{n} items: solved {fig['solved']}, on time {fig['on_time_rate']}, "
          f"satisfaction {fig['satisfaction']:.2f}; same after the upgrade")


run("62-dashboard-figures", body)
