"""The ledger exports: the CSV (UTF-8 with BOM, RFC 4180) and the .xlsx
(read back with openpyxl) hold the expected rows with Chinese or English
headers, the period filter cuts rows (the ledger's layout, columns and
filters in detail: 67-ledger); and the hub keeps receipting reports while
long exports run."""
import sys, os, json, time, csv, io, threading
sys.path.insert(0, os.path.dirname(__file__))
# Debian's python3-openpyxl, also when another python3 runs the test.
sys.path.append("/usr/lib/python3/dist-packages")
import openpyxl
from harness import run, check, start_hub_http, add_user, Web

COUNTY, TOWN1 = "611025", "611025100"
VILLAGE, GROUP = "611025100201", "611025100201001"
HEAD_ZH = ["编号", "上报时间", "送达时间", "镇", "村", "组", "服务事项", "上报等级", "当前等级",
           "标题", "内容", "涉及人数", "办理站点", "交办队员", "签收时间", "办结时间", "签收时限",
           "办结时限", "是否超期", "升级次数", "延期", "办理结果", "回访情况", "群众评价",
           "状态"]
C = {h: i for i, h in enumerate(HEAD_ZH)}


def rows_csv(payload):
    check(payload.startswith(b"\xef\xbb\xbf"), "CSV without a UTF-8 BOM")
    return list(csv.reader(io.StringIO(payload[3:].decode("utf-8"), newline="")))


def rows_xlsx(payload):
    wb = openpyxl.load_workbook(io.BytesIO(payload), read_only=True)
    ws = wb.worksheets[0]
    # Below the title row.
    return [[("" if c is None else str(c)) for c in row]
            for row in ws.iter_rows(min_row=2, values_only=True)]


def body(env):
    env.provision()
    env.start_broker()
    start_hub_http(env)
    add_user(env, "admin", "county", COUNTY, "county-pass-1")
    add_user(env, "vil", "village", VILLAGE, "village-pass-1")
    env.start_station(GROUP)
    t0 = int(time.time() * 1000)
    first = env.report(GROUP, title="=HYPERLINK(\"x\")", colour="blue", category="dispute",
                       reporter="张三", phone="13812345678", text="含,逗号\n和换行")
    ids = env.import_reports(GROUP, [f"批量{i}" for i in range(300)], colour="blue",
                             category="livelihood")
    web = Web(env)
    web.login("admin", "county-pass-1")
    env.wait_until(lambda: web.json("GET", "/api/overview")["figures"]["collected"] == 301,
                   60, "301 items at the hub")

    status, hdrs, payload = web.get("/api/export.csv")
    check(status == 200 and hdrs["content-type"].startswith("text/csv") and
          "attachment" in hdrs.get("content-disposition", ""), f"csv: {status} {hdrs}")
    rows = rows_csv(payload)
    check(rows[0] == HEAD_ZH, f"CSV header {rows[0]}")
    check(len(rows) == 302, f"CSV rows: {len(rows)}")
    row = [r for r in rows if r[0] == first][0]
    check(row[C['标题']] == "'=HYPERLINK(\"x\")", f"a formula is defused: {row[C['标题']]}")
    check(row[C['内容']] == "含,逗号\n和换行", f"a field with comma and newline: {row[C['内容']]!r}")
    check(row[C['服务事项']] == "矛盾调处" and row[C['当前等级']] == "蓝" and row[C['状态']] == "已上报", f"Chinese names: {row}")
    check({r[0] for r in rows[1:]} == {first, *ids}, "CSV ids")

    status, hdrs, payload = web.get("/api/export.xlsx?lang=en")
    check(status == 200 and "spreadsheetml" in hdrs["content-type"], f"xlsx: {status}")
    x = rows_xlsx(payload)
    check(x[0][0] == "id" and x[0][C['交办队员']] == "member" and len(x) == 302, f"xlsx: {x[0]} {len(x)}")
    xr = [r for r in x if r[0] == first][0]
    check(xr[C['服务事项']] == "dispute" and xr[C['标题']] == "=HYPERLINK(\"x\")", f"xlsx row {xr}")

    vil = Web(env)
    vil.login("vil", "village-pass-1")
    vr = [r for r in rows_csv(vil.get("/api/export.csv")[2]) if r[0] == first][0]
    check(vr[C['标题']] == "'=HYPERLINK(\"x\")", f"the village's export: {vr}")
    vx = [r for r in rows_xlsx(vil.get("/api/export.xlsx")[2]) if r[0] == first][0]
    check(vx[0] == first, "the village's xlsx")
    # Period: nothing before the first report.
    rows = rows_csv(web.get(f"/api/export.csv?to={t0 - 1}")[2])
    check(len(rows) == 1, f"period filter: {len(rows)} rows")
    check(web.get(f"/api/export.csv?from=5&to=3")[0] == 400, "from > to is 400")
    print("exports: CSV with BOM and xlsx read back, 301 rows, for the county and the "
          "village; period filter")

    # Exports in a loop while reports keep coming: each is receipted.
    stop = threading.Event()
    done = [0]

    def exporter():
        w = Web(env)
        w.cookie, w.csrf = web.cookie, web.csrf
        while not stop.is_set():
            s, _, _ = w.get("/api/export.xlsx")
            check(s == 200, f"export during ingest: {s}")
            done[0] += 1
    t = threading.Thread(target=exporter, daemon=True)
    t.start()
    start = time.time()
    more = env.import_reports(GROUP, [f"导出期间{i}" for i in range(200)])
    env.wait_until(lambda: web.json("GET", "/api/overview")["figures"]["collected"] == 501,
                   60, "reports stored during the exports")
    took = time.time() - start
    stop.set()
    t.join(60)
    check(done[0] >= 1, "no export finished")
    print(f"200 reports stored in {took:.1f}s while {done[0]} xlsx exports ran")


run("61-dashboard-export", body)
