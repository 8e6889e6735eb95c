"""The full-screen client against a real station store, no network: the
window resized in the middle of the form (larger, too small to draw, back)
loses nothing typed; a backspace still takes one Chinese character after
it; F1 opens the help from inside a text field and Esc comes back to it;
the report saved is exactly what was typed. In English (--lang en) the
menu, the form's labels, the colour meanings, the help and the status line
are English, and quitting with an unsaved draft asks first."""
import json
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import check, run
from tui import Terminal

VILLAGE = "611025100201"


def queued_payload(env, item):
    db = sqlite3.connect(os.path.join(env.station_dir(VILLAGE), "station.db"))
    try:
        row = db.execute("SELECT payload FROM outbox WHERE id = ?",
                         (int(item.rsplit("-", 1)[1]),)).fetchone()
    finally:
        db.close()
    check(row, f"{item} not in the station's outbox")
    return json.loads(row[0])


def chinese(env):
    term = Terminal(env, VILLAGE)
    try:
        term.wait_for("请选择要做的事")
        term.wait_for("本站程序未运行")              # no agent in this test
        term.keys("1", "3", "2")                    # 民生保障, orange
        term.wait_for("类别：民生保障    颜色：橙色")
        term.type("低保申请咨询")
        term.keys("Tab")
        term.type("第一行")
        term.keys("Enter")
        term.type("第二行有中文")

        term.resize(120, 40)
        term.wait_for("标题\\s+低保申请咨询")
        term.wait_for("第二行有中文")
        term.resize(50, 12)
        term.wait_for("窗口太小")
        term.resize(80, 24)
        term.wait_for("标题\\s+低保申请咨询")
        term.wait_for("第一行\\s*\n\\s+第二行有中文")

        term.keys("F1")                             # help from inside the text
        term.wait_for("【怎样上报一件事】")
        term.keys("Escape")
        term.wait_for("第 3 步")
        term.keys("BSpace", "BSpace")               # 有中文 -> 有
        term.type("？")                             # typed, not help
        term.wait_for("第二行有？")
        term.keys("F2")
        term.wait_for("第 4 步")
        term.resize(100, 30)                        # and on the check page
        term.wait_for("民生保障 · 橙色 · 低保申请咨询")
        term.keys("Enter")
        item = term.wait_for(r"已保存在本站：(\d{12}-\d+)").group(1)
        p = queued_payload(env, item)
        check(p["title"] == "低保申请咨询" and p["text"] == "第一行\n第二行有？" and
              p["colour"] == "orange" and p["category"] == "livelihood", f"saved {p}")
        term.keys("q")
        term.wait_exit()
    finally:
        term.close()


def english(env):
    term = Terminal(env, VILLAGE, "--lang", "en")
    try:
        term.wait_for("What would you like to do\\?")
        term.wait_for("1  New report")
        term.wait_for("2  My reports \\(1\\)")
        term.wait_for(r"agent not running \(saving works\) \| queued 1 \| last contact never")
        term.keys("?")
        term.wait_for("\\[Filing a report\\]")
        term.keys("Escape")
        term.keys("1")
        term.wait_for("New report · step 1 of 4: the service item")
        term.wait_for("2. Infrastructure  roads, bridges")
        term.keys("4")
        term.wait_for("Blue\\s+ordinary, one person or household: the village handles it")
        term.keys("1")
        for label in ("Title", "Text", "Resident", "Phone", "People",
                      "optional · private: handlers only", "\\[ Next: check and save \\]"):
            term.wait_for(label)
        term.keys("F2")
        term.wait_for("Please fill in the title")
        term.type("x")
        term.keys("Escape", "Escape", "Escape")
        term.wait_for("1  Continue the unsaved report")
        term.keys("q")
        term.wait_for("y quit \\(unsaved text is lost\\)")
        term.keys("n")
        term.wait_for("What would you like to do\\?")
        term.keys("q", "y")
        term.wait_exit()
    finally:
        term.close()


def body(env):
    chinese(env)
    english(env)


run("53-tui-resize-lang", body)
