"""The wall screen fits the wall (issue 18 §7), in chromium
(tests/browser/wall.mjs): with every town of the county and 60 red items
gone overdue and supervised (hub time scaled), the page at 1920×1080 and at
1366×768 is no taller and no wider than the window, and every visible text
meets WCAG AA contrast. Screenshots wall-WxH.png go to <build>/meson-logs/screenshots/
(never committed), their paths printed."""
import json
import os
import subprocess
import sys
import time
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check, start_hub_http, add_user, SAN_ENV, REGISTRY
from browser import tools, BROWSER_DIR, SHOTS

COUNTY = "611025"
# Groups in different towns, 20 red reports from each.
GROUPS = ("611025100201001", "611025101201001", "611025102201001")
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
    env.stop_all()


run("67-dashboard-wall", body)
