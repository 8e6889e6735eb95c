"""The clerk files a report in Chinese in the full-screen client, in a real
terminal (tmux), against a real station, broker and hub: the four steps of
the form, a backspace over a Chinese character, a multi-line text, plain
words for what is wrong, "saved" only once the store has it, and the report
found at the hub as typed. A second report of the same service item is
offered the open one and added to it (a comment) instead of filed twice.
The status line says the hub is up and nothing waits to be sent."""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import BUILD, SAN_ENV, check, run
from tui import Terminal

VILLAGE = "611025100201"


def hub_item(env, item):
    return next((r for r in env.hub_reports() if r["id"] == item), None)


def hub_events(env, item):
    r = subprocess.run([os.path.join(BUILD, "hub/minqing-hub"), "query", "--db", env.hub_db,
                        "--events", item, "--json"], capture_output=True, text=True,
                       env={**os.environ, **SAN_ENV}, timeout=30)
    return [json.loads(l) for l in r.stdout.splitlines() if l.strip()]


def fill(term, title_keys, text_lines):
    """Steps 1-3: 设施建设, blue, then the words; leaves the cursor in the title."""
    term.keys("1")                                  # menu: new report
    term.wait_for("第 1 步（共 4 步）：选择类别")
    term.keys("2")                                  # 设施建设, by its digit
    term.wait_for("第 2 步.*选择颜色")
    term.wait_for("蓝色.*村里办理")                  # each colour says who handles it
    term.keys("1")                                  # blue, by its digit
    term.wait_for("第 3 步.*填写内容")
    for k in title_keys:
        if k.startswith("<"):
            term.keys(k[1:-1])
        else:
            term.type(k)
    term.keys("Tab")
    for i, line in enumerate(text_lines):
        if i:
            term.keys("Enter")                      # a new line in the text
        term.type(line)


def body(env):
    env.start_broker()
    env.start_hub()
    env.start_station(VILLAGE)
    term = Terminal(env, VILLAGE)
    try:
        term.wait_for("请选择要做的事")
        term.wait_for(r"县里：已连通 │ 待发送 0 条 │ 最近联系 \d{4}-", 20,
                      "the status line with the hub up")

        # Nothing typed yet: the check says what is missing, in plain words.
        term.keys("1")
        term.wait_for("第 1 步")
        term.keys("Down", "Enter")                  # 设施建设, by arrow and Enter
        term.wait_for("第 2 步")
        term.keys("Enter")                          # blue, the first
        term.wait_for("第 3 步")
        term.keys("F2")
        term.wait_for("请填写标题：用一句话说清是什么事")
        term.keys("Escape", "Escape", "Escape")
        term.wait_for("请选择要做的事")
        term.wait_for("1  继续填写没保存的上报")     # the draft is kept

        # Title "三组路灯坏了啊" with the last character backspaced away.
        fill(term, ["三组路灯坏了啊", "<BSpace>"], ["村口到三组的路灯坏了", "晚上看不见路"])
        term.keys("Tab")
        term.type("王五")
        term.keys("Tab")
        term.type("1390000222x")                    # not a phone number
        term.keys("F2")
        term.wait_for("电话只能填数字")
        term.keys("BSpace")
        term.type("2")
        term.keys("Tab")
        term.type("12")
        term.keys("Tab")
        term.wait_for(r"\[ 下一步：检查并保存 \]")
        term.keys("Enter")
        term.wait_for("第 4 步.*检查并保存")
        term.wait_for("设施建设 · 蓝色 · 三组路灯坏了\n")
        term.keys("Enter")                          # save as a new report
        m = term.wait_for(r"已保存在本站：(\d{12}-\d+)")
        item = m.group(1)
        print(f"saved {item} from the screen")

        stored = env.wait_until(lambda: hub_item(env, item), 30, "the report at the hub")
        check(stored["title"] == "三组路灯坏了", f"title at the hub {stored['title']!r}")
        check(stored["text"] == "村口到三组的路灯坏了\n晚上看不见路",
              f"text at the hub {stored['text']!r}")
        check(stored["category"] == "infrastructure" and stored["colour"] == "blue" and
              stored["people"] == 12, f"report at the hub {stored}")
        sent = [x for x in env.station_list(VILLAGE) if x.get("id") == item]
        check(sent and sent[0]["received"], f"the station's row {sent}")
        term.wait_for(r"待发送 0 条")

        # The hub routes it back to this village (blue): a second report of
        # the same service item is offered the open one.
        env.wait_until(lambda: any(
            json.loads(l)["item"] == item for l in
            env.client(VILLAGE, "inbox", "--json").stdout.splitlines()), 30,
            "the item routed to the village")
        fill(term, ["路灯又坏了"], ["还是三组那段"])
        term.keys("F2")
        term.wait_for("本村同一类还没办完的事")
        term.wait_for(r"补充到：\[已上报\] 三组路灯坏了")
        term.keys("Down", "Enter")
        term.wait_for(f"已保存：补充到 {item}")
        env.wait_until(lambda: any(e["event"] == "comment" and "还是三组那段" in (e["note"] or "")
                                   for e in hub_events(env, item)), 30,
                       "the addition as a comment at the hub")
        check(len([r for r in env.hub_reports() if r["station"] == VILLAGE]) == 1,
              "the addition was filed as a second report")

        term.keys("q")
        term.wait_exit()
    finally:
        term.close()


run("50-tui-report", body)
