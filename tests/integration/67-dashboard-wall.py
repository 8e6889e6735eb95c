"""The wall screen fits the wall (issue 18 §7), in chromium
(tests/browser/wall.mjs): with every town of the county and 60 red items
gone overdue and supervised (hub time scaled), the page at 1920×1080 and at
1366×768 is no taller and no wider than the window, the urgent list's
countdown column is whole with the county's longest station names, and
every visible text meets WCAG AA contrast, the overdue ticker's text
included. Its today's
intake and closures (今日受理, 今日办结) and 7-day trend equal a recount made
here from the items and events tables by docs/FIGURES.md (some items
resolved by the county user first). Screenshots wall-WxH.png go to
<build>/meson-logs/screenshots/ (never committed), their paths printed."""
import json
import os
import sqlite3
import subprocess
import sys
import time
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check, start_hub_http, add_user, Web, SAN_ENV, REGISTRY

# Days are the hub's local days: the hub and this recount in one zone.
os.environ["TZ"] = "Asia/Shanghai"
time.tzset()
DONE = ("resolved", "verified", "rated")


def recount(db, to):
    """The 7 local days up to hub ms `to`: items received (今日受理) and
    closed (今日办结: now resolved, verified or rated, by the day of their
    last resolve event), from the tables alone."""
    t = time.localtime(to / 1000)
    days = []
    for back in range(6, -1, -1):
        start = time.mktime((t.tm_year, t.tm_mon, t.tm_mday - back, 0, 0, 0, 0, 0, -1))
        end = time.mktime((t.tm_year, t.tm_mon, t.tm_mday - back + 1, 0, 0, 0, 0, 0, -1))
        lo, hi = int(start * 1000), min(int(end * 1000), to)
        got = db.execute("SELECT count(*) FROM items WHERE received >= ? AND received < ?",
                         (lo, hi)).fetchone()[0]
        done = 0
        for item, state in db.execute("SELECT item, state FROM items"):
            last = db.execute("SELECT max(at) FROM events WHERE item = ? AND kind = 'resolve'",
                              (item,)).fetchone()[0]
            done += state in DONE and last is not None and lo <= last < hi
        days.append({"day": time.strftime("%Y-%m-%d", time.localtime(start)), "in": got,
                     "done": done})
    return days
from browser import tools, BROWSER_DIR, SHOTS

COUNTY = "611025"
# Groups in different towns, 20 red reports from each; two of them with
# the county's longest names (茅坪回族镇韩家庄村一组, 11 characters), which
# must not push the urgent list's countdown out of its panel.
GROUPS = ("611025100201001", "611025105200001", "611025105201001")
USER, PASSWORD = "wall", "wall-test-password"


def body(env):
    path, node = tools("chromium", "playwright-core")
    env.provision()
    env.start_broker()
    # 10 hub minutes a second: the red items' 30-minute sign limit passes
    # in three seconds, and they are supervised (督办).
    start_hub_http(env, "--time-scale", "600", testing=True)
    add_user(env, USER, "county", COUNTY, PASSWORD, display="王科长")
    registry = {l.split(",")[0] for l in open(REGISTRY) if l[:1].isdigit()}
    for g in GROUPS:
        check(g in registry, f"{g} is not in the registry")
        env.start_station(g)
        env.import_reports(g, [f"村民反映道路塌方影响出行第{i}件" for i in range(20)],
                           colour="red", category="infrastructure")
    env.wait_until(lambda: env.hub_sql("SELECT count(*) FROM items WHERE supervised > 0 "
                                       "AND colour = 'red'")[0][0] >= 50,
                   60, "50 red items supervised at the hub")
    # The county closes a few (signed late, resolved): 今日办结.
    web = Web(env)
    web.login(USER, PASSWORD)
    closed = [r[0] for r in env.hub_sql("SELECT item FROM items ORDER BY item LIMIT 5")]
    for item in closed:
        web.json("POST", f"/api/items/{item}/actions", {"action": "sign"})
        web.json("POST", f"/api/items/{item}/actions", {"action": "resolve", "note": "已修复"})
    shots = SHOTS
    cfg = {"base": f"http://127.0.0.1:{env.http_port}", "user": USER, "password": PASSWORD,
           "screenshots": shots, "chromium": path}
    cfg_path = os.path.join(env.dir, "wall.json")
    with open(cfg_path, "w") as f:
        json.dump(cfg, f)
    t0 = time.time()
    r = subprocess.run([node, os.path.join(BROWSER_DIR, "wall.mjs"), cfg_path],
                       capture_output=True, text=True, timeout=120,
                       env={**os.environ, **SAN_ENV, "HOME": env.dir})
    sys.stdout.write(r.stdout)
    sys.stderr.write(r.stderr)
    print(f"# browser part {time.time() - t0:.1f} s; screenshots in {shots}")
    check(r.returncode == 0, "the wall test failed")
    shown = [json.loads(l[len("# shown "):]) for l in r.stdout.splitlines()
             if l.startswith("# shown ")]
    check(len(shown) == 1, "the wall's figures were not printed")
    shown = shown[0]
    db = sqlite3.connect(f"file:{env.hub_db}?mode=ro", uri=True)
    try:
        want = recount(db, shown["to"])
    finally:
        db.close()
    got = [{k: d[k] for k in ("day", "in", "done")} for d in shown["days"]]
    check(got == want, f"the wall's trend {got}, the recount {want}")
    check((shown["today_in"], shown["today_done"]) == (want[-1]["in"], want[-1]["done"]),
          f"the wall's today {shown['today_in']}/{shown['today_done']}, "
          f"the recount {want[-1]}")
    check(sum(d["in"] for d in want) == 60 and sum(d["done"] for d in want) == len(closed),
          f"the recount found {want}: not the 60 reports and {len(closed)} closed")
    print(f"# the wall's 7 days equal the recount: {json.dumps(want)}")
    env.stop_all()


run("67-dashboard-wall", body)
