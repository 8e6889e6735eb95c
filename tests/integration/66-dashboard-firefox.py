"""The dashboard in Debian's firefox-esr (tests/browser/firefox.mjs): the
pages are not Chromium-only. Log in, a red report shows on the overview
without a reload, sign it from its item page, the language switch, a report
written as HTML shown as text; no script error or request leaving the hub.
Screenshots overview-firefox.png and item-firefox.png."""
import os
import sys
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check
from browser import run_browser, SHOTS


def body(env):
    run_browser(env, "firefox.mjs", "firefox-esr", "puppeteer-core")
    for name in ("overview-firefox", "item-firefox"):
        path = os.path.join(SHOTS, name + ".png")
        check(os.path.getsize(path) > 10000, f"screenshot {path} is missing or empty")


run("66-dashboard-firefox", body)
