"""A hub.db made by the last release before schema versions (user_version 0)
is brought to this release's version when the hub starts on it, without
loss. The database is tests/data/hub-v0.sql, the `sqlite3 .dump` of one
that release's hub wrote while stations worked items into every state
(reported, signed, assigned, resolved, rated, merged, withdrawn, escalated,
a surge alert, a service team, a dashboard account); tests/data/hub-v0.key
(hex) is the key its personal data is sealed with, made for the fixture.

Checked: the version after the start is the program's; every row of every
table the dump holds is still there (counted from the dump's own INSERTs,
not from the code), those of the append-only tables unchanged; the
dashboard logs in with the old account and reads the old items, with the
names sealed under the old key; the reads by period use their index; a new
report goes through. A database of a newer version is refused with a
clear message, the hub exits non-zero, and the file is left as it was.

To make the fixture again, with the old release built in OLD/build:
  MINQING_BUILD=OLD/build python3 tests/integration/70-hub-db-migrate.py \\
      --make-fixture tests/data"""
import sys, os, re, json, sqlite3, subprocess, time
sys.path.insert(0, os.path.dirname(__file__))
from harness import (run, check, COUNTY, SAN_ENV, LoopStations as Stations,
                     start_hub_http, add_user, Web)

TOWN, VILLAGE, GROUP = "611025100", "611025100201", "611025100201001"
SOURCE = os.environ.get("MINQING_SOURCE", ".")
DATA = os.path.join(SOURCE, "tests", "data")
VERSION = 2  # hub/schema.h's HUB_SCHEMA_VERSION
# Rows only ever added (or, for the downbox, deleted on a station's
# receipt, which no station sends here): each old row must stay as it was.
# The others move with the items (tally, weather), the registry (stations)
# or the clock (hub_meta): each must keep its key.
APPEND_ONLY = ("reports", "events", "inbound", "alerts", "members", "team_sent",
               "users", "downbox")
KEYS = {"items": "item", "stations": "code", "weather": "code", "tally": "origin",
        "hub_meta": "key"}


def make_fixture(out):
    """Runs the old release's hub and writes its database's dump and key."""
    def body(env):
        # A registry of the stations the fixture uses, with their
        # ancestors: the whole county's rows would be most of the dump.
        registry = os.path.join(env.dir, "stations.csv")
        keep = ("611025100201", "611025101201", "611025101202", "611025101203")
        with open(os.path.join(SOURCE, "data", "zhenan-stations.csv")) as f, \
                open(registry, "w") as part:
            for line in f:
                code = line.split(",")[0]
                if (line.startswith("#") or code in ("code", COUNTY, TOWN, "611025101")
                        or code.startswith(keep)):
                    part.write(line)
        env.provision(registry=registry)
        members = os.path.join(env.dir, "members.csv")
        with open(members, "w") as f:
            f.write("id,name,station,phone,categories\n"
                    f"m-1,张队员,{VILLAGE},13800000001,livelihood;infrastructure\n"
                    f"m-2,李队员,{TOWN},13800000002,\n")
        policy = os.path.join(env.dir, "policy.conf")
        with open(policy, "w") as f:
            f.write("[orange]\nsign = 1h\nresolve = 3d\n"
                    "[surge]\ncount = 3\nwindow = 3h\ncolour = orange\nred_count = 5\n")
        env.start_broker()
        env.start_hub("--members", members, "--policy", policy, "--time-scale", "600",
                      registry=registry, testing=True)
        st = Stations(env)
        ok = lambda r: check(r["status"] == "accepted", f"step refused: {r}")
        rated = st.report(GROUP, "blue", title="路灯坏了", reporter="王秀英",
                          phone="13912345678")
        for who, action, kw in ((VILLAGE, "sign", {}), (VILLAGE, "assign", {"member": "m-1"}),
                                (VILLAGE, "resolve", {"note": "已修好"}),
                                (GROUP, "verify", {"note": "回访满意"}),
                                (GROUP, "rate", {"rating": "satisfied"})):
            ok(st.act(who, rated, action, **kw))
        signed = st.report(GROUP, "blue", title="垃圾清运")
        ok(st.act(VILLAGE, signed, "sign"))
        assigned = st.report(GROUP, "blue", title="水渠堵塞", category="infrastructure")
        ok(st.act(VILLAGE, assigned, "sign"))
        ok(st.act(VILLAGE, assigned, "assign", member="m-1"))
        resolved = st.report(GROUP, "blue", title="道路破损", reporter="李四")
        ok(st.act(VILLAGE, resolved, "sign"))
        ok(st.act(VILLAGE, resolved, "resolve", note="已修补"))
        reported = st.report(GROUP, "blue", title="井盖松动")
        merged = st.report("611025100201002", "blue", title="井盖松动（重复）")
        ok(st.act(VILLAGE, merged, "sign"))
        ok(st.act(VILLAGE, merged, "merge", into=reported, note="同一井盖"))
        withdrawn = st.report(GROUP, "blue", title="误报")
        ok(st.act(GROUP, withdrawn, "withdraw", note="误报"))
        late = st.report(GROUP, "orange", category="dispute", title="邻里纠纷")
        for v in ("611025101201", "611025101202", "611025101203"):
            st.report(v, "blue", category="security", title="电动车被盗")
        # The orange item's hour passes in 6 s of scaled time: reminded,
        # then raised to red at the county.
        env.wait_until(lambda: env.hub_sql("SELECT escalations FROM items WHERE item = ?",
                                           late)[0][0] > 0, 60, "the escalation")
        check(env.hub_sql("SELECT count(*) FROM alerts")[0][0] >= 1, "no surge alert")
        add_user(env, "admin", "county", COUNTY, "county-pass-1", display="县管理员")
        env.hub.stop()
        env.stop_broker()
        db = sqlite3.connect(env.hub_db)
        check(db.execute("PRAGMA user_version").fetchone()[0] == 0,
              "the old release already versions its schema")
        db.close()
        dump = subprocess.run(["sqlite3", env.hub_db, ".dump"], capture_output=True,
                              text=True, check=True, timeout=60).stdout
        with open(os.path.join(out, "hub-v0.sql"), "w") as f:
            f.write(dump)
        with open(os.path.join(env.prov, "hub.key"), "rb") as f:
            key = f.read()
        with open(os.path.join(out, "hub-v0.key"), "w") as f:
            f.write(key.hex() + "\n")
        print(f"fixture: {len(dump)} bytes of dump")
    run("70-make-fixture", body)


def dump_counts(sql):
    """Rows per table, as the dump's INSERT statements say."""
    counts = {}
    for m in re.finditer(r'^INSERT INTO "?(\w+)"? VALUES', sql, re.M):
        counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    return counts


def table_rows(db, table, cols):
    return db.execute(f"SELECT {', '.join(cols)} FROM {table}").fetchall()


def body(env):
    with open(os.path.join(DATA, "hub-v0.sql")) as f:
        sql = f.read()
    with open(os.path.join(DATA, "hub-v0.key")) as f:
        key = bytes.fromhex(f.read().strip())
    want = dump_counts(sql)
    check(len(want) >= 10 and want.get("items", 0) >= 10,
          f"the fixture holds too little: {want}")
    env.provision()
    keyfile = os.path.join(env.prov, "hub.key")
    fd = os.open(keyfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, key)
    os.close(fd)
    db = sqlite3.connect(env.hub_db)
    db.executescript(sql)
    check(db.execute("PRAGMA user_version").fetchone()[0] == 0, "fixture not at 0")
    old = {}
    for table in want:
        cols = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
        old[table] = (cols, table_rows(db, table, cols))
        check(len(old[table][1]) == want[table],
              f"{table}: {len(old[table][1])} rows loaded, the dump has {want[table]}")
    db.close()

    env.start_broker()
    start_hub_http(env)
    db = sqlite3.connect(f"file:{env.hub_db}?mode=ro", uri=True, timeout=10)
    version = db.execute("PRAGMA user_version").fetchone()[0]
    check(version == VERSION, f"user_version {version} after the start, want {VERSION}")
    for table, (cols, rows) in old.items():
        now = table_rows(db, table, cols)
        check(len(now) >= len(rows), f"{table}: {len(now)} rows, the dump had {len(rows)}")
        if table in APPEND_ONLY:
            lost = set(rows) - set(now)
            check(not lost, f"{table}: {len(lost)} rows changed or lost, e.g. "
                  f"{sorted(lost, key=repr)[:1]}")
        elif table in KEYS:
            k = cols.index(KEYS[table])
            lost = {r[k] for r in rows} - {r[k] for r in now}
            check(not lost, f"{table}: rows lost: {sorted(lost)[:3]}")
    print(f"version {version}; every row of {len(old)} tables kept: "
          + ", ".join(f"{t} {n}" for t, n in sorted(want.items())))
    # The reads by period from their index (version 2).
    plan = " ".join(r[3] for r in db.execute(
        "EXPLAIN QUERY PLAN SELECT state, colour FROM items WHERE origin >= ?1 AND "
        "origin < ?1 || ';' AND received >= ?2 AND received < ?3", (COUNTY, 0, 1)))
    check("items_period" in plan, f"the reads by period not from items_period: {plan}")
    items = [r[0] for r in db.execute("SELECT item FROM items")]
    first, last = db.execute("SELECT min(received), max(received) FROM items").fetchone()
    named = db.execute("SELECT item FROM reports WHERE reporter IS NOT NULL "
                       "ORDER BY seq LIMIT 1").fetchone()[0]
    db.close()

    # The dashboard: the old account, the old items, their sealed names.
    web = Web(env)
    web.login("admin", "county-pass-1")
    listed = web.json("GET", "/api/items?limit=500")
    check(listed["total"] == len(items) and
          {i["id"] for i in listed["items"]} == set(items),
          f"the dashboard lists {listed['total']} of {len(items)} items")
    it = web.json("GET", f"/api/items/{named}")["item"]
    # Masked for the list's reader ("王**"), but unsealed to be masked.
    check((it.get("reporter") or "").startswith("王"),
          f"the old sealed name unread: {it.get('reporter')}")
    day = 86400000
    stats = web.json("GET", f"/api/stats?from={first - day}&to={last + day}")
    check(sum(stats["received"]) == len(items),
          f"stats over the fixture's days count {sum(stats['received'])} of {len(items)}")
    print(f"dashboard: {len(items)} old items listed, a sealed name read, stats agree")

    # An old report sent again is the old item's duplicate, its receipt
    # carrying the item with the resident's name unsealed; a new report
    # goes through, routed and receipted.
    st = Stations(env)
    mid = int(named.rsplit("-", 1)[1])
    st.send(GROUP, "report", {"colour": "blue", "category": "livelihood",
                              "title": "路灯坏了", "text": "内容"}, mid=mid)
    dup = st.receipt(GROUP, mid)
    check(dup["status"] == "duplicate" and dup["item"] == named and
          dup["snapshot"].get("reporter") == "王秀英" and
          dup["snapshot"].get("state") == "rated", f"the old report's receipt: {dup}")
    st.next_id = mid + 10 ** 8
    item = st.report(GROUP, "blue", title="新版本的第一条")
    rows = env.hub_sql("SELECT handler, state FROM items WHERE item = ?", item)
    check(rows == [(VILLAGE, "reported")], f"the new report's item: {rows}")
    print(f"a new report after the upgrade: {item} routed to {VILLAGE}")
    env.hub.stop()

    # A database of a newer release: refused, left as it was.
    newer = os.path.join(env.dir, "newer.db")
    src = sqlite3.connect(env.hub_db)
    dst = sqlite3.connect(newer)
    src.backup(dst)
    src.close()
    dst.execute(f"PRAGMA user_version = {VERSION + 7}")
    dst.commit()
    before = list(dst.iterdump())
    dst.close()
    r = subprocess.run([env.bin("hub/minqing-hub"), "--config",
                        os.path.join(env.prov, "hub.conf"), "--db", newer,
                        "--registry", os.path.join(SOURCE, "data", "zhenan-stations.csv")],
                       capture_output=True, text=True, timeout=60,
                       env={**os.environ, **SAN_ENV})
    check(r.returncode != 0, f"the hub ran on a newer database: {r.returncode}")
    check(f"schema version {VERSION + 7} is newer than this program's {VERSION}"
          in r.stderr, f"no clear message: {r.stderr[-500:]}")
    check("runtime error" not in r.stderr and "LeakSanitizer" not in r.stderr,
          f"sanitizer report: {r.stderr[-800:]}")
    db = sqlite3.connect(newer)
    after = list(db.iterdump())
    v = db.execute("PRAGMA user_version").fetchone()[0]
    db.close()
    check(v == VERSION + 7 and after == before, "the newer database was changed")
    print(f"a version {VERSION + 7} database: refused ({r.returncode}), left as it was")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--make-fixture":
        make_fixture(sys.argv[2])
    else:
        run("70-hub-db-migrate", body)
