"""The dashboard in Debian's chromium (tests/browser/dashboard.mjs): log in,
a red report filed with `minqing report` at a group station shows on the
overview within 2 s without a reload, drill down to it, sign and assign it,
the timeline follows, the language switch sticks, a report written as HTML
is shown as text. Screenshots go to <build>/meson-logs/screenshots/."""
import os
import sys
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check
from browser import run_browser, SHOTS


def body(env):
    run_browser(env, "dashboard.mjs", "chromium", "playwright-core")
    for name in ("overview", "item"):
        path = os.path.join(SHOTS, name + ".png")
        check(os.path.getsize(path) > 10000, f"screenshot {path} is missing or empty")


run("65-dashboard-browser", body)
