"""The workflow in two full-screen clients at once (two tmux terminals),
against a real broker, hub and two stations: a group files a report; the
village finds it in its inbox and signs, assigns and resolves it with the
keys shown on screen; the group opens the resolved item from "my reports",
sees its timeline, records the return visit and the resident's rating
(基本满意), and the hub ends with the item rated."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import check, run
from tui import Terminal

GROUP, VILLAGE = "611025100201001", "611025100201"


def hub_item(env, item):
    return next((r for r in env.hub_reports() if r["id"] == item), None)


def hub_state(env, item, state, what):
    env.wait_until(lambda: (hub_item(env, item) or {}).get("state") == state, 30, what)


def body(env):
    env.start_village_workflow(GROUP, VILLAGE)
    item = env.report(GROUP, title="村道路灯不亮", colour="blue", category="infrastructure")

    village = Terminal(env, VILLAGE)
    group = Terminal(env, GROUP)
    try:
        # The village: inbox, open the item, sign, assign, resolve.
        village.wait_for("请选择要做的事")
        village.wait_for(r"3  待办事项（1 条）", 30, "the item in the village's inbox")
        village.keys("3")
        village.wait_for(r">蓝色\s+已上报\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+设施建设 · 村道路灯不亮")
        village.keys("Enter")
        village.wait_for("民情详情")
        village.wait_for(r"可以：s 签收")
        village.keys("v")                           # not the handler's step
        village.wait_for("现在不能回访")
        village.keys("s")
        village.wait_for("签收 " + item)
        village.keys("Enter")                       # a sign needs nothing more
        village.wait_for("已保存：签收")
        hub_state(env, item, "signed", "the sign at the hub")
        village.wait_for(r"a 交办", 15, "assign offered after the sign")
        village.keys("a")
        village.wait_for("交办给哪位服务队员")       # the team's list, by name
        village.wait_for(r"> 张队员")
        village.keys("Enter")
        village.wait_for("已保存：交办")
        hub_state(env, item, "assigned", "the assignment at the hub")
        village.wait_for(r"d 办结", 15, "resolve offered after the assignment")
        village.keys("d")
        village.wait_for("办理结果")
        village.keys("Enter")                       # empty: refused, prompt stays
        village.wait_for("这一项要填写")
        village.type("已更换灯泡，路灯亮了")
        village.keys("Enter")
        village.wait_for("已保存：办结")
        hub_state(env, item, "resolved", "the resolve at the hub")
        village.wait_for("已更换灯泡，路灯亮了")      # our step, on the timeline
        village.keys("Escape")
        village.wait_for("待办事项（0 条）")          # resolved: nothing waits here
        village.keys("Escape", "q")
        village.wait_exit()

        # The group: my reports, the resolved item, visit and rating.
        group.wait_for("请选择要做的事")
        group.keys("2")
        group.wait_for(r">蓝色\s+已办结\s+.*村道路灯不亮", 30, "the report shown resolved")
        group.keys("Enter")
        group.wait_for("办理进程：")
        # The village by its name, as the hub sends it (54-tui-names).
        screen = group.wait_for(r"办结\s+永乐镇孙家湾村\s+已更换灯泡", 15).string
        for event in ("分派", "签收", "交办"):
            check(event in screen, f"timeline lacks {event}:\n{screen}")
        group.wait_for(r"r 评价")
        group.keys("r")                             # resolved: the visit comes first
        group.wait_for("回访情况")
        group.type("已回访，群众说路灯亮了")
        group.keys("Enter")
        group.wait_for("群众的评价")
        group.wait_for(r"> 1\. 满意")
        group.keys("Down", "Enter")                 # 基本满意
        group.wait_for("已保存：评价")
        hub_state(env, item, "rated", "the rating at the hub")
        check(hub_item(env, item)["rating"] == "basic", f"rating {hub_item(env, item)}")
        group.wait_for("群众评价：基本满意", 30, "the rated snapshot on the item screen")
        group.keys("Escape")
        group.wait_for(r">蓝色\s+已评价\s+.*村道路灯不亮", 15)
        group.keys("Escape", "q")
        group.wait_exit()
    finally:
        village.close()
        group.close()


run("52-tui-rate", body)
