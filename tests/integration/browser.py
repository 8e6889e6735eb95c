"""What the browser tests share (65 in chromium, 66 in Firefox): a broker,
the hub with its dashboard and a service team, a group station, a county
user, and the JSON file tests/browser/*.mjs read; then the script's run."""
import json
import os
import shutil
import subprocess
import sys
from harness import check, start_hub_http, add_user, SAN_ENV, BUILD, SOURCE

COUNTY, TOWN, VILLAGE, GROUP = "611025", "611025100", "611025100201", "611025100201001"
USER, PASSWORD = "wang", "dashboard-test-password"
RED_TITLE = "山林权属群体纠纷"
XSS = "<img src=x onerror=alert(1)>"
BROWSER_DIR = os.path.join(SOURCE, "tests", "browser")
SHOTS = os.path.join(BUILD, "meson-logs", "screenshots")


def tools(browser, package):
    """The browser, node and the npm driver package that ./run installs."""
    path = shutil.which(browser) or f"/usr/bin/{browser}"
    node = shutil.which("node")
    check(os.path.exists(path), f"{browser} is missing: apt-get install {browser}")
    check(node, "node is missing: apt-get install nodejs npm")
    check(os.path.isdir(os.path.join(BROWSER_DIR, "node_modules", package)),
          f"{package} is missing: npm ci --prefix tests/browser")
    return path, node


def run_browser(env, script, browser, package):
    """Sets the county up and runs tests/browser/<script> in browser."""
    path, node = tools(browser, package)
    env.provision()
    members = os.path.join(env.dir, "members.csv")
    with open(members, "w") as f:
        f.write("id,name,station,phone,categories\n"
                f"m-1,张队员,{COUNTY},13800000001,dispute\n"
                f"m-2,李队员,{COUNTY},13800000002,\n")
    env.start_broker()
    start_hub_http(env, "--members", members)
    env.start_station(GROUP)
    add_user(env, USER, "county", COUNTY, PASSWORD, display="王科长")
    client = [env.bin("station/minqing"), "--data", env.station_dir(GROUP), "--code", GROUP,
              "report", "--colour", "red", "--category", "dispute"]
    cfg = {
        "base": f"http://127.0.0.1:{env.http_port}", "user": USER, "password": PASSWORD,
        "screenshots": SHOTS, "browser": path, "chromium": path, "county": COUNTY,
        "town": TOWN, "village": VILLAGE, "group": GROUP, "member": "m-1",
        "red_title": RED_TITLE, "xss_title": XSS,
        "report": {
            "red": client + ["--title", RED_TITLE, "--text", "两组村民因山林权属聚集",
                             "--people", "40"],
            "xss": client + ["--title", XSS, "--text", XSS],
        },
    }
    cfg_path = os.path.join(env.dir, "browser.json")
    with open(cfg_path, "w") as f:
        json.dump(cfg, f, ensure_ascii=False)
    r = subprocess.run([node, os.path.join(BROWSER_DIR, script), cfg_path],
                       capture_output=True, text=True, timeout=240,
                       env={**os.environ, **SAN_ENV, "HOME": env.dir})
    sys.stdout.write(r.stdout)
    sys.stderr.write(r.stderr)
    check(r.returncode == 0, "the browser test failed")
    env.stop_all()
