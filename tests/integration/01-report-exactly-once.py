"""A report filed with `minqing` reaches the hub's database exactly once, with
every field intact, and the station marks it received."""
import sys, os, subprocess
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check

CODE = "611025100201"


def body(env):
    env.start_broker()
    env.start_hub()
    env.start_station(CODE)
    item = env.report(CODE, title="山林边界纠纷", colour="red", category="dispute",
                      text="两户因山林边界发生争执，\n需要调解。", reporter="张三",
                      phone="13800001234", people=2)
    check(item.startswith(CODE + "-"), f"client printed {item!r}, not an item id")
    rows = env.wait_until(lambda: env.hub_reports() or None, 20, "the report at the hub")
    check(len(rows) == 1, f"hub holds {len(rows)} reports, expected 1")
    r = rows[0]
    check(r["id"] == item, f"hub id {r['id']} != {item}")
    check(r["station"] == CODE and r["colour"] == "red" and r["category"] == "dispute",
          f"fields changed on the way: {r}")
    check(r["title"] == "山林边界纠纷" and r["text"] == "两户因山林边界发生争执，\n需要调解。",
          f"text changed on the way: {r}")
    check(r["people"] == 2 and r["received_at"], f"bad people/received_at: {r}")
    check("phone" not in r and "reporter" not in r, "query printed personal data")
    env.wait_until(lambda: all(x["received"] for x in env.station_list(CODE)), 20,
                   "the station to mark the report received")
    lst = env.station_list(CODE)
    check(len(lst) == 1 and lst[0]["id"] == item and lst[0]["state"] == "accepted",
          f"station list: {lst}")
    # A second report after the first: still exactly one row each.
    item2 = env.report(CODE, title="路灯损坏", category="infrastructure")
    env.wait_until(lambda: len(env.hub_reports()) == 2, 20, "the second report")
    ids = [x["id"] for x in env.hub_reports()]
    check(ids == [item, item2], f"hub ids {ids}")
    # A batch with one bad line saves nothing and names the line; fixed, it
    # saves all.
    good = '{"colour":"blue","category":"proxy","title":"代办社保","text":"代办"}\n'
    bad = '{"colour":"green","category":"proxy","title":"错","text":"错"}\n'
    r = subprocess.run([env.bin("station/minqing"), "--data", env.station_dir(CODE),
                        "import", "-"], input=good + bad + good, capture_output=True,
                       text=True, timeout=60)
    check(r.returncode == 2 and "第 2 行" in r.stderr and not r.stdout.strip(),
          f"a bad batch: {r.returncode} {r.stdout} {r.stderr}")
    check(len(env.station_list(CODE)) == 2, "a bad batch saved something")
    batch = env.import_reports(CODE, ["批量一", "批量二", "批量三"])
    env.wait_until(lambda: len(env.hub_reports()) == 5, 20, "the imported batch")
    check([x["id"] for x in env.hub_reports()][2:] == batch, "batch order at the hub")
    print("import: a bad line saves none and names the line; a good batch arrives "
          "in order")


run("01-report-exactly-once", body)
