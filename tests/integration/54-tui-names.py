"""Stations by name, and the clerk's screen at 80×24, against a real broker,
hub and two stations: a group reports, the hub routes it to its village and
names both stations in the item (永乐镇孙家湾村一组, 永乐镇孙家湾村); the
village's `show` (text and JSON), its timeline and its full-screen client
show those names, not the codes; a step's confirmation names the item by
its number and title, not by a message id; the member assigned reads by
name. At 80×24 the item's screen keeps
every date whole (never "2026-1" / "2-08") and its key line complete, up to
"F1 帮助" (widths counted as the terminal does: Chinese takes 2 columns)."""
import json
import os
import re
import signal
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness
from harness import check, run
from tui import Terminal
from wcwidth import wcswidth

GROUP, VILLAGE = "611025100201001", "611025100201"
GROUP_NAME, VILLAGE_NAME = "永乐镇孙家湾村一组", "永乐镇孙家湾村"
TITLE = "一组饮水管道冻裂需要尽快维修"
NOTE = "请派人查看冻裂的管道，已约好于2026-12-08上午到场"


def show(env, code, item):
    return json.loads(env.client(code, "show", item, "--json").stdout)


def whole_dates(screen, where):
    """Every date on the screen is whole: no line ends inside one, none
    starts with the rest of one."""
    for line in screen.splitlines():
        for m in re.finditer(r"(?<!\d)20\d\d-[\d-]*", line):
            check(re.fullmatch(r"20\d\d-\d\d-\d\d", m.group()),
                  f"{where}: a date cut as {m.group()!r} in {line!r}; the screen:\n{screen}")
        check(not re.match(r"\s*\d{1,2}-\d\d(?!\d)", line),
              f"{where}: a line starts inside a date: {line!r}; the screen:\n{screen}")


def key_line(screen, where, end):
    lines = screen.split("\n")
    check(len(lines) >= 23, f"{where}: {len(lines)} lines captured")
    keys = lines[22].rstrip()
    check(keys.endswith(end) and wcswidth(keys) <= 80,
          f"{where}: the key line is {keys!r}; the screen:\n{screen}")
    return keys


def body(env):
    # As start_village_workflow, with a registry of the test's own: it is
    # changed and reloaded at the end.
    registry = os.path.join(env.dir, "registry.csv")
    with open(harness.REGISTRY, encoding="utf-8") as f:
        full = f.read()
    with open(registry, "w", encoding="utf-8") as f:
        f.write(full)
    members = os.path.join(env.dir, "members.csv")
    with open(members, "w") as f:
        f.write(f"m-1,张队员,{VILLAGE},13800000001,infrastructure\n")
    env.start_broker()
    env.start_hub("--members", members, registry=registry)
    env.start_station(GROUP)
    env.start_station(VILLAGE)
    item = env.report(GROUP, title=TITLE, colour="blue", category="infrastructure")
    env.wait_until(lambda: item in env.client(VILLAGE, "inbox").stdout, 30,
                   "the item in the village's inbox")

    # The hub names both stations; the station shows the names.
    s = show(env, VILLAGE, item)
    check(s["origin"] == GROUP and s["origin_name"] == GROUP_NAME and
          s["handler"] == VILLAGE and s["handler_name"] == VILLAGE_NAME,
          f"the village's copy names {s.get('origin_name')!r}, {s.get('handler_name')!r}")
    text = env.client(VILLAGE, "show", item).stdout
    check(f"上报站：{GROUP_NAME}  办理站：{VILLAGE_NAME}" in text,
          f"show names the stations so:\n{text}")

    # A step is confirmed by the item's number and title.
    out = env.client(VILLAGE, "sign", item).stdout
    check(f"已保存：签收 {item}“{TITLE}”" in out and not re.search(r"消息 \d", out),
          f"sign said {out!r}")
    env.wait_until(lambda: [e.get("event") for e in show(env, VILLAGE, item)["timeline"]]
                   == ["route", "sign"], 30, "the sign back at the village")
    sign = show(env, VILLAGE, item)["timeline"][1]
    check(sign["by"] == VILLAGE and sign.get("by_name") == VILLAGE_NAME,
          f"the sign event {sign}")
    text = env.client(VILLAGE, "show", item).stdout
    check(re.search(rf"签收\s+{VILLAGE_NAME}", text) and not re.search(rf"签收\s+{VILLAGE}", text),
          f"the timeline names the signer so:\n{text}")
    print(f"the village reads {GROUP_NAME} and {VILLAGE_NAME}, never the codes; "
          f"the sign is confirmed as {out.strip()!r}")

    # A note whose date reaches the right edge at 80 columns, in the
    # timeline and in the station's own steps.
    env.client(VILLAGE, "comment", item, "--note", NOTE)
    # The member assigned by name, as the team lists them.
    env.client(VILLAGE, "assign", item, "--to", "m-1")
    env.wait_until(lambda: [e.get("event") for e in show(env, VILLAGE, item)["timeline"]]
                   == ["route", "sign", "comment", "assign"], 30,
                   "the comment and the assignment back at the village")
    text = env.client(VILLAGE, "show", item).stdout
    check("交办给：张队员" in text, f"show names the member so:\n{text}")

    # The full-screen client at 80×24.
    term = Terminal(env, VILLAGE, width=80, height=24)
    try:
        term.wait_for("请选择要做的事")
        term.wait_for(f"站点 {VILLAGE_NAME}")
        key_line(term.screen(), "the menu", "q 退出")
        term.keys("3")
        # Too long for its column: cut with "…", so the cut shows.
        term.wait_for(r"设施建设 · 一组饮水管道\S*…")
        key_line(term.screen(), "the inbox", "F1/? 帮助")
        term.keys("Enter")
        term.wait_for("民情详情")
        term.wait_for(f"上报站 {GROUP_NAME} · 办理站 {VILLAGE_NAME}")
        term.wait_for(rf"签收\s+{VILLAGE_NAME}")
        screen = term.screen()
        whole_dates(screen, "the item")
        keys = key_line(screen, "the item", "F1 帮助")
        check("d 办结" in keys and "Esc 返回" in keys, f"the item's keys: {keys!r}")
        check("交办给：张队员" in screen, f"the member on the screen:\n{screen}")
        check(VILLAGE not in screen.replace(item, ""),
              f"a station's code on the item's screen:\n{screen}")
        print(f"80×24: dates whole, the key line {keys!r}")
        term.keys("Escape")
        term.wait_for("待办事项")
        term.keys("Escape")
        term.wait_for("请选择要做的事")
        term.keys("q")
        term.wait_exit()
    finally:
        term.close()

    # In English the step names are longer: the key line still ends whole.
    term = Terminal(env, VILLAGE, "--lang", "en", width=80, height=24)
    try:
        term.wait_for("What would you like to do")
        term.keys("3")
        term.wait_for("Infrastructure")
        term.keys("Enter")
        term.wait_for("Timeline")
        screen = term.screen()
        whole_dates(screen, "the item in English")
        keys = key_line(screen, "the item in English", "F1 help")
        check("d resolve" in keys and "Esc back" in keys, f"the item's keys: {keys!r}")
        check(f"reported by {GROUP_NAME} · handled by {VILLAGE_NAME}" in screen,
              f"the stations in English:\n{screen}")
        term.keys("Escape")
        term.keys("Escape")
        term.wait_for("What would you like to do")
        # The report form's longest key line, at its text fields.
        term.keys("1", "1", "1")
        term.wait_for("F2 check")
        key_line(term.screen(), "the form in English", "F1 help")
        term.keys("Escape")
        term.keys("Escape")
        term.keys("Escape")
        term.wait_for("What would you like to do")
        term.keys("q")
        term.wait_for("y quit")                     # a draft was started
        term.keys("y")
        term.wait_exit()
    finally:
        term.close()

    # A village renamed in the registry and reloaded (SIGHUP): the hub names
    # it anew in the next item, not from what it had kept.
    with open(registry + ".new", "w", encoding="utf-8") as f:
        f.write(full.replace(f"{VILLAGE},孙家湾村,", f"{VILLAGE},孙家湾新村,", 1))
    os.replace(registry + ".new", registry)
    env.hub.p.send_signal(signal.SIGHUP)
    env.wait_until(lambda: "reloaded: policy" in env.hub.text(), 20, "the hub to reload")
    second = env.report(GROUP, title="路灯不亮", colour="blue", category="infrastructure")
    env.wait_until(lambda: second in env.client(VILLAGE, "inbox").stdout, 30,
                   "the second item in the village's inbox")
    s = show(env, VILLAGE, second)
    check(s["origin_name"] == "永乐镇孙家湾新村一组" and s["handler_name"] == "永乐镇孙家湾新村",
          f"after the reload the village's copy names {s['origin_name']!r}, "
          f"{s['handler_name']!r}")
    print("after a reload with the village renamed, the next item names it anew")


run("54-tui-names", body)
