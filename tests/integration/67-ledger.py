"""The ledger (台账) as a county office keeps it: the .xlsx read back with
openpyxl has a title row (area, period, when made), a bold frozen header
with an autofilter, the columns of the hand-kept ledger, dates as real
dates in local time, one row per item of the scope (recounted from the
database), and a figures sheet; the CSV has the same columns; filters
(period, state, colour, service item, area) pick the rows the database
says; bad filters are a 400 with a code; text that a spreadsheet would
run as a formula comes back as text in both."""
import sys, os, time, csv, io, datetime
# Local time is the county's: the hub started below inherits the zone.
os.environ["TZ"] = "Asia/Shanghai"
time.tzset()
sys.path.insert(0, os.path.dirname(__file__))
sys.path.append("/usr/lib/python3/dist-packages")
import openpyxl
from harness import run, check, start_hub_http, add_user, Web
from recount import recount, NAMES, ZH
import sqlite3

COUNTY, TOWN2 = "611025", "611025101"
VILLAGE, GROUP = "611025100201", "611025100201001"
GROUP2 = "611025101201001"
# 上报时间 when the station filed it (created), 送达时间 when the hub had it
# (received): the item page's words for the same two fields.
HEAD_ZH = ["编号", "上报时间", "送达时间", "镇", "村", "组", "服务事项", "上报等级", "当前等级",
           "标题", "内容", "涉及人数", "办理站点", "交办队员", "签收时间", "办结时间", "签收时限",
           "办结时限", "是否超期", "升级次数", "延期", "办理结果", "回访情况", "群众评价",
           "状态"]
HEAD_EN = ["id", "filed", "reached the hub", "town", "village", "group", "service item",
           "reported colour",
           "current colour", "title", "content", "people", "handled by", "member", "signed",
           "resolved", "sign by", "resolve by", "overdue", "escalations", "extensions",
           "result", "return visit", "rating", "state"]
INJECT = ["=1+1", "+x", "-x", "@SUM(A1)", "\tTAB"]  # "\rCR": in the resolve note below
C = {h: i for i, h in enumerate(HEAD_ZH)}


def local(ms):
    return datetime.datetime.fromtimestamp(ms // 1000)


def unx(v):
    return v.replace("_x000D_", "\r") if isinstance(v, str) else v


def xlsx(payload):
    return openpyxl.load_workbook(io.BytesIO(payload))


def data_rows(ws):
    return [r for r in ws.iter_rows(min_row=3)]


def csv_rows(payload):
    check(payload.startswith(b"\xef\xbb\xbf"), "CSV without a UTF-8 BOM")
    text = payload[3:].decode("utf-8")
    check("\r\n" in text and text.count("\r\n") >= text.count("\n") - text.count("\n\u5185"),
          "CSV lines end in CRLF")
    return list(csv.reader(io.StringIO(text, newline="")))


def body(env):
    members = os.path.join(env.dir, "members.csv")
    with open(members, "w") as f:
        f.write(f"m-1,张队员,{VILLAGE},13800000001,livelihood;dispute\n")
    env.provision()
    env.start_broker()
    start_hub_http(env, "--members", members)
    add_user(env, "admin", "county", COUNTY, "county-pass-1")
    add_user(env, "vil", "village", VILLAGE, "village-pass-1")
    env.start_station(GROUP)
    t0 = int(time.time() * 1000)
    inject = {}
    for t in INJECT:
        # A title may hold no control character: tab and CR go in the content.
        col = "内容" if t[0] in "\t\r" else "标题"
        kw = {"text": t, "title": "控制符"} if col == "内容" else {"title": t}
        inject[env.report(GROUP, colour="blue", category="livelihood", **kw)] = (col, t)
    red = env.report(GROUP, title="山体滑坡", colour="red", category="security", people=12)
    done = env.report(GROUP, title="邻里纠纷", colour="blue", category="dispute")
    # Filed while GROUP2's agent is not running: they reach the hub seconds
    # after the station filed them (上报时间 before 送达时间).
    others = [env.report(GROUP2, title=f"回龙{i}", colour="orange", category="livelihood")
              for i in range(2)]
    time.sleep(2.5)
    env.start_station(GROUP2)
    n = len(INJECT) + 4
    web = Web(env)
    web.login("admin", "county-pass-1")
    env.wait_until(lambda: web.json("GET", "/api/overview")["figures"]["collected"] == n,
                   60, f"{n} items at the hub")
    vil = Web(env)
    vil.login("vil", "village-pass-1")
    for step in ({"action": "sign"}, {"action": "assign", "member": "m-1"},
                 {"action": "resolve", "note": "\rCR已调解，双方和好"}):
        s, _, p = vil.post(f"/api/items/{done}/actions", step)
        check(s == 200, f"{step}: {s} {p[:200]!r}")
    env.wait_until(lambda: env.hub_sql("SELECT state FROM items WHERE item = ?", done)
                   == [("resolved",)], 30, "the item resolved")

    # The workbook.
    made = int(time.time() * 1000)   # hub time at scale 1: no deadline near it
    status, hdrs, payload = web.get("/api/export.xlsx")
    check(status == 200 and "spreadsheetml" in hdrs["content-type"], f"xlsx: {status}")
    wb = xlsx(payload)
    check(wb.sheetnames == ["台账", "统计"], f"sheets {wb.sheetnames}")
    ws = wb["台账"]
    title = ws["A1"].value
    check("镇安县" in title and "制表时间" in title and "（全部）" in title and "至今" not in title,
          f"title row {title!r}")
    head = [c.value for c in ws[2]]
    check(head == HEAD_ZH, f"header {head}")
    check(all(c.font.b for c in ws[2]), "header bold")
    check(ws.freeze_panes == "A3", f"frozen at {ws.freeze_panes}")
    check(ws.auto_filter.ref == f"A2:Y{n + 2}", f"autofilter {ws.auto_filter.ref}")
    check(ws.column_dimensions["J"].width >= 6 and ws.column_dimensions["M"].width >=
          len("永乐镇孙家湾村") * 2, f"widths for Chinese: M {ws.column_dimensions['M'].width}")
    rows = data_rows(ws)
    want = {i for (i,) in env.hub_sql("SELECT item FROM items WHERE origin >= ? AND "
                                      "origin < ? || ';'", COUNTY, COUNTY)}
    check(len(rows) == len(want) == n and {r[0].value for r in rows} == want,
          f"one row per item: {len(rows)} rows, {len(want)} in the database")
    by = {r[0].value: r for r in rows}
    (created, received, sign_by, resolve_by, resolved_at), = env.hub_sql(
        "SELECT created, received, sign_by, resolve_by, resolved_at FROM items WHERE item = ?",
        done)
    (signed,), = env.hub_sql("SELECT min(at) FROM events WHERE item = ? AND kind = 'sign'",
                             done)
    r = by[done]
    for col, ms in (("上报时间", created), ("送达时间", received), ("签收时间", signed),
                    ("办结时间", resolved_at),
                    ("签收时限", sign_by), ("办结时限", resolve_by)):
        v = r[C[col]].value
        check(isinstance(v, datetime.datetime) and v == local(ms),
              f"{col}: {v!r}, want {local(ms)} local")
    # OOXML writes a CR as the escape _x000D_, which Excel reads back as CR
    # and openpyxl leaves as it is.
    got = {h: unx(r[C[h]].value) for h in ("镇", "村", "组", "服务事项", "上报等级", "当前等级",
                                      "办理站点", "交办队员", "办理结果", "是否超期", "状态",
                                      "升级次数", "延期")}
    check(got == {"镇": "永乐镇", "村": "孙家湾村", "组": "一组", "服务事项": "矛盾调处",
                  "上报等级": "蓝", "当前等级": "蓝", "办理站点": "永乐镇孙家湾村",
                  "交办队员": "张队员", "办理结果": "\rCR已调解，双方和好", "是否超期": "否",
                  "状态": "已办结", "升级次数": 0, "延期": 0}, f"row {got}")
    check(by[red][C["涉及人数"]].value == 12 and by[red][C["上报等级"]].value == "红",
          "people as a number, the reported colour")
    check(by[others[0]][C["镇"]].value == "回龙镇" and by[others[0]][C["村"]].value == "云沟村",
          "the other town's names")
    # Filed offline: 上报时间 is the station's filing, 送达时间 the hub's.
    (o_created, o_received), = env.hub_sql("SELECT created, received FROM items WHERE item = ?",
                                           others[0])
    o = by[others[0]]
    check(o_received - o_created >= 2000 and o[C["上报时间"]].value == local(o_created) and
          o[C["送达时间"]].value == local(o_received),
          f"filed offline: 上报时间 {o[C['上报时间']].value}, 送达时间 {o[C['送达时间']].value}; "
          f"created {local(o_created)}, received {local(o_received)}")
    for item, (col, t) in inject.items():
        cell = by[item][C[col]]
        check(cell.data_type == "s" and cell.value == t,
              f"injection {t!r} in xlsx: {cell.data_type} {cell.value!r}")
    # The figures sheet: every figure by FIGURES.md's name, equal to the
    # recount (on main its labels were its own: 收集事项, 已解决, 矛盾化解...).
    fig = {row[0].value: row[1].value for row in wb["统计"].iter_rows(min_row=3)}
    db = sqlite3.connect(f"file:{env.hub_db}?mode=ro", uri=True)
    try:
        fwant = recount(db, COUNTY, made)
    finally:
        db.close()
    fwant = {ZH[k]: ("暂无" if fwant[k] is None else fwant[k]) for k in NAMES}
    bad = {k: (fig.get(k), v) for k, v in fwant.items() if not (
        fig.get(k) == v or (isinstance(v, float) and isinstance(fig.get(k), float) and
                            abs(fig[k] - v) < 1e-9))}
    check(not bad and set(fig) == set(fwant) and fwant["收集民情"] == n and fwant["已回访"] == 0
          and fwant["应回访"] == 1, f"figures sheet against the recount (sheet, recount): {bad}; "
          f"labels {sorted(set(fig) ^ set(fwant))}")
    rates = [r for r in wb["统计"].iter_rows(min_row=3) if r[0].value == "按期签收率"]
    check(rates and (rates[0][1].value == "暂无" or "%" in rates[0][1].number_format),
          f"a rate's cell: {rates and rates[0][1].number_format}")
    print(f"xlsx: title, bold frozen header, autofilter, {n} rows, local dates, "
          f"injection as text, figures sheet")

    # The CSV: the same columns, the formulas defused.
    rows = csv_rows(web.get("/api/export.csv")[2])
    check(rows[0] == HEAD_ZH, f"CSV header {rows[0]}")
    check(len(rows) == n + 1 and {r[0] for r in rows[1:]} == want, f"CSV rows {len(rows)}")
    cby = {r[0]: r for r in rows[1:]}
    for item, (col, t) in inject.items():
        check(cby[item][C[col]] == "'" + t, f"injection {t!r} in CSV: {cby[item][C[col]]!r}")
    check(cby[done][C["上报时间"]] == local(created).strftime("%Y-%m-%d %H:%M") and
          cby[done][C["送达时间"]] == local(received).strftime("%Y-%m-%d %H:%M") and
          cby[done][C["交办队员"]] == "张队员", f"CSV row {cby[done]}")
    check(cby[done][C["办理结果"]] == "'\rCR已调解，双方和好", f"CR in CSV {cby[done]}")
    check(by[done][C["办理结果"]].data_type == "s", "CR in xlsx")
    check(cby[red][C["涉及人数"]] == "12", "a number is not prefixed")
    en = csv_rows(web.get("/api/export.csv?lang=en")[2])
    check(en[0] == HEAD_EN, f"English header {en[0]}")
    wbe = xlsx(web.get("/api/export.xlsx?lang=en")[2])
    check([c.value for c in wbe.worksheets[0][2]] == HEAD_EN, "English xlsx header")
    labels = [r[0].value for r in wbe["figures"].iter_rows(min_row=3)]
    check(len(labels) == len(NAMES) == len(set(labels)) and labels[0] == "collected",
          f"English figures sheet, one label a figure: {labels}")

    # Filters, each against the database.
    def ids(q):
        s, _, p = web.get(f"/api/export.csv?{q}")
        check(s == 200, f"{q}: {s}")
        return {r[0] for r in csv_rows(p)[1:]}

    def db(where, *args):
        return {i for (i,) in env.hub_sql(f"SELECT item FROM items WHERE {where}", *args)}
    cases = [("colour=red", db("colour = 'red'")),
             ("category=dispute", db("category = 'dispute'")),
             ("state=resolved", db("state = 'resolved'")),
             ("state=open", db("state IN ('reported', 'signed', 'assigned')")),
             (f"scope={TOWN2}", db("origin LIKE ?", TOWN2 + "%")),
             (f"scope={TOWN2}&colour=blue", set()),
             (f"to={t0 - 1}", set()),
             (f"from={received}&to={received + 1}", db("received = ?", received))]
    for q, w in cases:
        got = ids(q)
        check(got == w, f"filter {q}: {sorted(got)} want {sorted(w)}")
    check(ids("state=resolved") == {done}, "the resolved one")
    wbt = xlsx(web.get(f"/api/export.xlsx?scope={TOWN2}")[2])
    check(len(data_rows(wbt["台账"])) == 2 and "回龙镇" in wbt["台账"]["A1"].value,
          "a town's ledger")
    # A period's title names its ends, one end alone as 起 or 截至.
    day = local(t0).strftime("%Y-%m-%d")
    for q, want in ((f"from={t0}&to={t0 + 1}", f"（{day} 至 {day}）"),
                    (f"from={t0}", f"（{day} 起）"), (f"to={t0 + 1}", f"（截至 {day}）")):
        got = xlsx(web.get(f"/api/export.xlsx?{q}")[2])["台账"]["A1"].value
        check(want in got, f"title of {q}: {got!r}, want {want}")
    for q, code in (("colour=purple", "bad_filter_colour"), ("state=lost", "bad_filter_state"),
                    ("category=x", "bad_filter_category"), ("from=abc", "bad_filter_period"),
                    ("from=5&to=3", "bad_filter_period"), ("scope=12x", "bad_filter_scope")):
        for ext in ("csv", "xlsx"):
            s, _, p = web.get(f"/api/export.{ext}?{q}")
            check(s == 400 and code.encode() in p, f"{q}: {s} {p[:120]!r}")
    print(f"filters: {len(cases)} cases match the database; bad ones are 400 with a code")


run("67-ledger", body)
