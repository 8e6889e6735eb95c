"""The full-screen client with the link broken: the broker stops while the
clerk is typing, the status line says so and nothing typed is lost; the
report is saved at the station ("queued" in my reports, not at the hub);
with the agent stopped too the status line says so and saving still
works. When broker and agent are back, both reports reach the hub once and
the status line shows the hub up, nothing queued and the last contact."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import check, run
from tui import Terminal

VILLAGE = "611025100201"


def file_report(term, title, text):
    term.keys("1")
    term.wait_for("第 1 步")
    term.keys("6", "1")                             # 便民服务代理, blue
    term.wait_for("第 3 步")
    term.type(title)
    term.keys("Tab")
    term.type(text)


def body(env):
    env.start_broker()
    env.start_hub()
    env.start_station(VILLAGE)
    term = Terminal(env, VILLAGE)
    try:
        term.wait_for(r"县里：已连通 │ 待发送 0 条 │ 最近联系 \d{4}-", 20)

        # The link breaks while the clerk types.
        file_report(term, "代办残疾证", "李家老人行动不便")
        env.stop_broker()
        term.wait_for("县里：已断开，照常上报", 20, "the status line saying the link is down")
        term.type("，需要代办")
        term.wait_for("代办残疾证")
        term.wait_for("李家老人行动不便，需要代办")
        term.keys("F2")
        term.wait_for("第 4 步")
        term.keys("Enter")
        first = term.wait_for(r"已保存在本站：(\d{12}-\d+)").group(1)
        term.wait_for("待发送 1 条")
        term.keys("2")
        term.wait_for(r">蓝色\s+待发送\s+代办残疾证")
        term.keys("Escape")
        check(not any(r["id"] == first for r in env.hub_reports()), "at the hub while down")

        # The agent stops too: the clerk is told, and saving still works.
        env.stations[VILLAGE].stop()
        term.wait_for("本站程序未运行", 20)
        file_report(term, "代办社保卡", "王家孩子在外地")
        term.keys("F2")
        term.wait_for("第 4 步")
        term.keys("Enter")
        second = term.wait_for(r"已保存在本站：(\d{12}-\d+)").group(1)
        term.wait_for("待发送 2 条")

        # Back: both reach the hub, once each.
        env.start_broker()
        env.start_station(VILLAGE)
        env.wait_until(lambda: {first, second} <= {r["id"] for r in env.hub_reports()}, 40,
                       "both reports at the hub")
        ids = [r["id"] for r in env.hub_reports()]
        check(sorted(ids) == sorted([first, second]), f"hub holds {ids}")
        m = term.wait_for(r"县里：已连通 │ 待发送 0 条 │ 最近联系 (\d{4}-\d\d-\d\d \d\d:\d\d)", 30)
        print(f"status line after the outage: last contact {m.group(1)}")
        term.keys("2")
        term.wait_for(r"蓝色\s+已送达\s+.*代办残疾证", 30)
        term.keys("Escape", "q")
        term.wait_exit()
    finally:
        term.close()


run("51-tui-offline", body)
