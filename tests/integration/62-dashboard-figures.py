"""The overview's figures come from the tally, counters per station kept by
triggers on items: they must equal the items counted afresh, here in Python
from the definitions in docs/API.md. A fleet works every item of a town's
subtree through the loop; the county overview counts them all solved, all on
time, and its satisfaction is that of the ratings stored. A database from
before resolved_at and the tally (both dropped here) gets them back from the
events and the items when the hub starts, with the same figures. Then a fleet
leaves items open in every state: tally, area counts and urgent list checked
against the items again."""
import sys, os, sqlite3
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check, start_hub_http, add_user, Web

COUNTY = "611025"


def overview(env):
    web = Web(env)
    web.login("admin", "county-pass-1")
    return web.json("GET", "/api/overview")["figures"]


def counted(db):
    """Per origin, what the tally should hold, counted from the items."""
    out = {}
    for o, state, colour, cat, rating, esc, res_at, res_by in db.execute(
            "SELECT origin, state, colour, category, rating, escalations, resolved_at, "
            "resolve_by FROM items"):
        solved = state in ("verified", "rated")
        is_open = state in ("reported", "signed", "assigned", "resolved")
        row = out.setdefault(o, [0] * 9)
        for k, v in enumerate([1, solved, solved and cat == "dispute",
                               is_open and colour == "blue", is_open and colour == "orange",
                               is_open and colour == "red",
                               solved and esc == 0 and res_at is not None and res_at <= res_by,
                               rating is not None, rating in ("satisfied", "basic")]):
            row[k] += int(bool(v))
    return {o: tuple(r) for o, r in out.items()}


def check_tally(env, when):
    db = sqlite3.connect(env.hub_db)
    want = counted(db)
    got = {r[0]: tuple(r[1:]) for r in db.execute(
        "SELECT origin, collected, solved, mediated, open_blue, open_orange, open_red, "
        "on_time, rated, satisfied FROM tally") if any(r[1:])}
    db.close()
    bad = [o for o in set(want) | set(got) if want.get(o) != got.get(o)]
    check(not bad, f"{when}: tally differs from the items at {len(bad)} stations, e.g. "
          f"{bad[:1]}: {[want.get(o) for o in bad[:1]]} counted, {[got.get(o) for o in bad[:1]]} kept")
    return want


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

    # An older database: no resolved_at, no tally.
    env.hub.stop()
    db = sqlite3.connect(env.hub_db)
    db.executescript("DROP TRIGGER tally_insert; DROP TRIGGER tally_update; "
                     "DROP TRIGGER tally_delete; DROP TABLE tally; "
                     "ALTER TABLE items DROP COLUMN resolved_at;")
    db.close()
    start_hub_http(env)
    db = sqlite3.connect(env.hub_db)
    missing = db.execute("SELECT count(*) FROM items WHERE resolved_at IS NULL").fetchone()[0]
    db.close()
    check(missing == 0, f"{missing} items without resolved_at after the upgrade")
    check_tally(env, "after the upgrade")
    again = overview(env)
    check(again == fig, f"figures changed by the upgrade: {fig} -> {again}")
    # The urgent list: open red and orange items, soonest deadline first,
    # picked from their own index (items_urgent_by).
    fleet = env.start_fleet("--all-tiers", "--colours", "blue=1,orange=1,red=1",
                            stations=60, rate=30, duration=3, drain=60, name="open")
    env.finish_fleet(fleet, 90)
    tally = check_tally(env, "with items open in every state")
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
        want_open = {k: sum(v[3 + i] for v in rows) for i, k in
                     enumerate(("blue", "orange", "red"))}
        check(c["open"] == want_open, f"{c['code']} open {c['open']}, items say {want_open}")
    check(sum(sum(c["open"].values()) for c in ov["children"]) > 0, "no open items counted")
    check(ov["figures"]["open"] == sum(sum(v[3:6]) for v in tally.values()),
          f"open {ov['figures']['open']} against the items")
    check(len(want) > 10, f"only {len(want)} open red or orange items")
    check([u["id"] for u in urgent] == want, "urgent list is not the soonest open "
          f"red and orange items: {[u['id'] for u in urgent][:5]}... vs {want[:5]}...")
    print(f"{n} items: solved {fig['solved']}, on time {fig['on_time_rate']}, "
          f"satisfaction {fig['satisfaction']:.2f}; same after the upgrade")


run("62-dashboard-figures", body)
