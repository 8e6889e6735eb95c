"""The dashboard in Debian's chromium (tests/browser/dashboard.mjs): log in,
a red report filed with `minqing report` at a group station shows on the
overview within 2 s without a reload, drill down to it, sign and assign it,
the timeline follows, the language switch sticks, a report written as HTML
is shown as text. Screenshots go to <build>/meson-logs/screenshots/."""
import json
import os
import shutil
import subprocess
import sys
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check, start_hub_http, add_user, SAN_ENV, BUILD, SOURCE

COUNTY, TOWN, VILLAGE, GROUP = "611025", "611025100", "611025100201", "611025100201001"
USER, PASSWORD = "wang", "dashboard-test-password"
RED_TITLE = "山林权属群体纠纷"
XSS = "<img src=x onerror=alert(1)>"
BROWSER = os.path.join(SOURCE, "tests", "browser")


def tools():
    """The browser, node and playwright-core that ./run installs."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    node = shutil.which("node")
    check(os.path.exists(chromium), "chromium is missing: apt-get install chromium")
    check(node, "node is missing: apt-get install nodejs npm")
    check(os.path.isdir(os.path.join(BROWSER, "node_modules", "playwright-core")),
          "playwright-core is missing: npm ci --prefix tests/browser")
    return chromium, node


def body(env):
    chromium, node = tools()
    env.provision()
    members = os.path.join(env.dir, "members.csv")
    with open(members, "w") as f:
        f.write("id,name,station,phone,categories\n"
                f"m-1,张队员,{COUNTY},13800000001,dispute\n"
                f"m-2,李队员,{COUNTY},13800000002,\n")
    env.start_broker()
    start_hub_http(env, "--members", members)
    base = f"http://127.0.0.1:{env.http_port}"
    env.start_station(GROUP)
    add_user(env, USER, "county", COUNTY, PASSWORD, display="王科长")

    client = [env.bin("station/minqing"), "--data", env.station_dir(GROUP), "--code", GROUP,
              "report", "--colour", "red", "--category", "dispute"]
    shots = os.path.join(BUILD, "meson-logs", "screenshots")
    cfg = {
        "base": base, "user": USER, "password": PASSWORD, "screenshots": shots,
        "chromium": chromium, "county": COUNTY, "town": TOWN, "village": VILLAGE,
        "group": GROUP, "member": "m-1", "red_title": RED_TITLE, "xss_title": XSS,
        "report": {
            "red": client + ["--title", RED_TITLE, "--text", "两组村民因山林权属聚集",
                             "--people", "40"],
            "xss": client + ["--title", XSS, "--text", XSS],
        },
    }
    cfg_path = os.path.join(env.dir, "browser.json")
    with open(cfg_path, "w") as f:
        json.dump(cfg, f, ensure_ascii=False)
    r = subprocess.run([node, os.path.join(BROWSER, "dashboard.mjs"), cfg_path],
                       capture_output=True, text=True, timeout=240,
                       env={**os.environ, **SAN_ENV})
    sys.stdout.write(r.stdout)
    sys.stderr.write(r.stderr)
    check(r.returncode == 0, "the browser test failed")
    for name in ("overview", "item"):
        path = os.path.join(shots, name + ".png")
        check(os.path.getsize(path) > 10000, f"screenshot {path} is missing or empty")
    env.stop_all()


run("65-dashboard-browser", body)
