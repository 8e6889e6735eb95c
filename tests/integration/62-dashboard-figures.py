"""The overview's figures come from one index: an item's last resolve time
is kept on the item. A fleet works every item of a town's subtree through
the loop; the county overview counts them all solved, all on time, and its
satisfaction is that of the ratings stored. A database from before the
column (dropped here) gets it back from the events when the hub starts, with
the same figures."""
import sys, os, sqlite3
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check, start_hub_http, add_user, Web

COUNTY = "611025"


def overview(env):
    web = Web(env)
    web.login("admin", "county-pass-1")
    return web.json("GET", "/api/overview")["figures"]


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

    # An older database: no resolved_at, no index on it.
    env.hub.stop()
    db = sqlite3.connect(env.hub_db)
    db.executescript("DROP INDEX items_figures; ALTER TABLE items DROP COLUMN resolved_at;")
    db.close()
    start_hub_http(env)
    db = sqlite3.connect(env.hub_db)
    missing = db.execute("SELECT count(*) FROM items WHERE resolved_at IS NULL").fetchone()[0]
    plan = " ".join(r[3] for r in db.execute(
        "EXPLAIN QUERY PLAN SELECT count(*), sum(escalations = 0 AND "
        "resolved_at <= resolve_by) FROM items WHERE origin >= '611025' "
        "AND origin < '611025;'"))
    db.close()
    check(missing == 0, f"{missing} items without resolved_at after the upgrade")
    check("COVERING INDEX items_figures" in plan, f"figures not from the index: {plan}")
    again = overview(env)
    check(again == fig, f"figures changed by the upgrade: {fig} -> {again}")
    # The urgent list: open red and orange items, soonest deadline first,
    # picked from their own index (items_urgent).
    fleet = env.start_fleet("--all-tiers", "--colours", "blue=1,orange=1,red=1",
                            stations=60, rate=30, duration=3, drain=60, name="open")
    env.finish_fleet(fleet, 90)
    db = sqlite3.connect(env.hub_db)
    want = [r[0] for r in db.execute(
        "SELECT item FROM items WHERE state IN ('reported', 'signed', 'assigned') "
        "AND colour IN ('red', 'orange') ORDER BY CASE state WHEN 'reported' "
        "THEN sign_by ELSE resolve_by END, item LIMIT 50")]
    db.close()
    web = Web(env)
    web.login("admin", "county-pass-1")
    urgent = web.json("GET", "/api/overview")["urgent"]
    check(len(want) > 10, f"only {len(want)} open red or orange items")
    check([u["id"] for u in urgent] == want, "urgent list is not the soonest open "
          f"red and orange items: {[u['id'] for u in urgent][:5]}... vs {want[:5]}...")
    print(f"{n} items: solved {fig['solved']}, on time {fig['on_time_rate']}, "
          f"satisfaction {fig['satisfaction']:.2f}; same after the upgrade")


run("62-dashboard-figures", body)
