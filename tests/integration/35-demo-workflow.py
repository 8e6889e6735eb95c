"""The demo runs the whole loop (issue 18 §5). `./run demo --for N` as a new
user starts it (the build as it is, hub time 7200 times the wall's): the
county as provisioned, the hub with the synthetic service team of
data/zhenan-team.csv, four real station agents and a fleet of every other
station, the county's and the towns' own included, working its items at a
human pace. While it runs:
- the items reach every state (reported, signed, assigned, resolved,
  verified, rated) and every turn (escalated, returned, extended, rated
  unsatisfied and reopened), counted from the hub's SQLite file;
- /api/overview and /api/stats (county scope) show believable figures (on
  time strictly between 0 and 100 %, a satisfaction above 0, a ranking) and each
  figure equals recount.py's recount from the same file at the same moment;
- the county's and every town's station is online (none 从未上线) and the
  overview's offline count equals the stations table's;
- the team reached the stations: the dashboard offers members for 交办 and
  takes one, a real agent's store holds its village's members for the
  terminal, and the fleet has receipted its member messages (none waits
  in the hub's downbox to be resent at the next birth).
Then `--for` stops everything by itself; `--keep` keeps the first run's
items, and a run without it starts from none of them (and says so).
About 70 s (the first run is 45 s of demo)."""
import csv
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check, Web, SAN_ENV, BUILD, SOURCE, COUNTY
from recount import recount, differ

SCALE = 7200     # two hours of hub time a second
RATE = 5         # reports a second, the fleet's whole
# Steps after the deadline: the demo's 0.1 leaves a late resolve at the
# county (the only tier where late is not escalated) a matter of luck in
# 45 s; a quarter of them makes one certain.
LATE = 0.25
FIRST_S = 45     # the first run's --for
SHORT_S = 2      # the --keep run's and the fresh run's
STATES = ("reported", "signed", "assigned", "resolved", "verified", "rated")
AGENT = "611025115201"   # one of the demo's real agents (a village)
SANITIZER = ("runtime error", "LeakSanitizer", "AddressSanitizer")
# Member messages outside the county allowed to wait for a heartbeat (of
# 908: each member goes to its station and every ancestor but the county).
# Without the fleet's receipts all 902 of the fleet's stations would wait.
MEMBERS_LATE = 200
# The demo's team, member id -> station, as the file says.
with open(os.path.join(SOURCE, "data", "zhenan-team.csv"), encoding="utf-8") as _f:
    TEAM = {r[0]: r[2] for r in csv.reader(l for l in _f if not l.startswith("#"))
            if r and r[0] != "id"}


class Demo:
    """One `./run demo` in its own process group, output in a file."""

    def __init__(self, env, tag, *args):
        self.dir = os.path.join(env.dir, "demo")
        self.out = os.path.join(env.dir, f"run-{tag}.out")
        self.f = open(self.out, "wb")
        e = {**os.environ, **SAN_ENV, "MINQING_BUILD": os.path.abspath(BUILD),
             "MINQING_DEMO_DIR": self.dir, "MINQING_DEMO_SCALE": str(SCALE),
             "MINQING_DEMO_RATE": str(RATE), "MINQING_DEMO_LATE_SHARE": str(LATE)}
        self.t0 = time.time()
        self.p = subprocess.Popen([os.path.join(SOURCE, "run"), "demo", *args],
                                  stdout=self.f, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, env=e, start_new_session=True)
        self.db = os.path.join(self.dir, "hub.db")

    def text(self):
        with open(self.out, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_running(self, timeout=90):
        """Until the banner is out; then the dashboard's port and password."""
        end = time.time() + timeout
        while time.time() < end:
            t = self.text()
            port = re.search(r"dashboard\s+http://127\.0\.0\.1:(\d+)/", t)
            pw = re.search(r"login admin / (\S+)", t)
            if port and pw:
                return int(port.group(1)), pw.group(1)
            check(self.p.poll() is None, f"./run demo exited ({self.p.returncode}): {t[-2000:]}")
            time.sleep(0.2)
        raise AssertionError(f"./run demo printed no banner in {timeout} s")

    def children(self):
        """Pids and names of the run script's own children."""
        kids = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/stat") as f:
                    st = f.read()
            except OSError:
                continue
            name = st[st.index("(") + 1:st.rindex(")")]
            if int(st[st.rindex(")") + 2:].split()[1]) == self.p.pid:
                kids.append((int(pid), name))
        return kids

    def group_alive(self):
        try:
            os.killpg(self.p.pid, 0)
            return True
        except ProcessLookupError:
            return False

    def kill(self):
        """For a failed test: the whole group, by its id."""
        if self.group_alive():
            os.killpg(self.p.pid, signal.SIGTERM)
            end = time.time() + 10
            while self.group_alive() and time.time() < end:
                time.sleep(0.2)
            if self.group_alive():
                os.killpg(self.p.pid, signal.SIGKILL)
        if self.p.poll() is None:
            self.p.wait()
        self.f.close()


def ro(path):
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)


def fingerprint(db):
    return db.execute("SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM events), "
                      "(SELECT max(at) FROM events)").fetchone()


def counts(db):
    """What the loop has done so far, from the tables."""
    states = dict(db.execute("SELECT state, count(*) FROM items GROUP BY state"))
    kinds = dict(db.execute("SELECT kind, count(DISTINCT item) FROM events GROUP BY kind"))
    # An unsatisfied rating reopens the item: its rate event leaves it open.
    reopened = db.execute("SELECT count(*) FROM events WHERE kind = 'rate' AND "
                          "state <> 'rated'").fetchone()[0]
    return states, kinds, reopened


def loop_done(db):
    states, kinds, reopened = counts(db)
    return (all(states.get(s) for s in STATES) and reopened >= 1 and
            all(kinds.get(k) for k in ("escalate", "return", "extend", "assign")))


def members_waiting(db):
    """Member messages not yet receipted: outside the county, and by station."""
    rows = dict(db.execute("SELECT station, count(*) FROM downbox WHERE type = 'member' "
                           "GROUP BY station"))
    return sum(n for c, n in rows.items() if c != COUNTY), rows


def frozen(demo, names=("minqing-fleet", "minqing-station")):
    """SIGSTOPs the demo's fleet and agents: the items hold still, save the
    hub's own timer (reminders, escalations), for a reading of the figures."""
    pids = [p for p, n in demo.children() if n in names]
    check(any(n == "minqing-fleet" for _, n in demo.children()), "no fleet running")
    for p in pids:
        os.kill(p, signal.SIGSTOP)
    return pids


def thaw(pids):
    for p in pids:
        try:
            os.kill(p, signal.SIGCONT)
        except ProcessLookupError:
            pass


def read_still(demo, web, scope=COUNTY, tries=10):
    """/api/overview and /api/stats with the recounts of the same moment: the
    database's items and events unchanged from before the API's reading to
    after the recount's (the hub's timer may write between; then again)."""
    for _ in range(tries):
        db = ro(demo.db)
        try:
            before = fingerprint(db)
            ov = web.json("GET", f"/api/overview?scope={scope}")
            st = web.json("GET", f"/api/stats?scope={scope}&period=day")
            db.execute("BEGIN")
            after = fingerprint(db)
            if after != before:
                db.execute("COMMIT")
                continue
            want_ov = recount(db, scope, ov["now"])
            want_st = recount(db, scope, st["to"], st["from"], st["to"])
            towns = {r["code"]: recount(db, r["code"], st["to"], st["from"], st["to"])
                     for r in st["ranking"]}
            offline = db.execute("SELECT count(*) FROM stations WHERE online = 0 AND "
                                 "code >= ? AND code < ? || ';'", (scope, scope)).fetchone()[0]
            db.execute("COMMIT")
            return ov, st, want_ov, want_st, towns, offline
        finally:
            db.close()
    raise AssertionError(f"the database never held still for {tries} readings")


def first_run(env):
    demo = Demo(env, "first", "--for", str(FIRST_S))
    env.demos.append(demo)
    port, pw = demo.wait_running()
    started = time.time()
    check("starting from fresh data" in demo.text(), "the first run says nothing of fresh data")
    env.http_port = port
    web = Web(env)
    web.login("admin", pw)

    # The loop moving through every state and turn, and far enough for
    # some items to be late at the county (red: resolve within a day).
    end = started + FIRST_S - 8
    while time.time() < end:
        db = ro(demo.db)
        try:
            done = loop_done(db) and members_waiting(db)[0] <= MEMBERS_LATE
        finally:
            db.close()
        f = web.json("GET", "/api/overview")["figures"]
        if done and all(f[k] is not None and 0 < f[k] < 1
                        for k in ("on_time_rate", "satisfaction")):
            break
        time.sleep(1)
    loop_s = time.time() - demo.t0
    db = ro(demo.db)
    try:
        states, kinds, reopened = counts(db)
        stations = dict(db.execute("SELECT code, online FROM stations WHERE length(code) <= 9"))
        elsewhere, member_rows = members_waiting(db)
        members = db.execute("SELECT count(*) FROM members").fetchone()[0]
    finally:
        db.close()
    check(all(states.get(s) for s in STATES), f"states reached: {states}")
    check(all(kinds.get(k) for k in ("escalate", "return", "extend", "assign")),
          f"turns taken: {kinds}")
    check(reopened >= 1, f"no item rated unsatisfied (reopened): {kinds}")
    check(members == 500, f"the hub holds {members} members of data/zhenan-team.csv")
    # The county's and the towns' own stations: all 20 online. On a loaded
    # machine one of the fleet's 1,892 connections can miss its keepalive,
    # and the broker sends its will until it reconnects (a few seconds):
    # give a station that long (while the demo runs), not a pass for one
    # that never came.
    end = min(time.time() + 20, started + FIRST_S - 3)
    while not (len(stations) == 20 and all(stations.values())) and time.time() < end:
        time.sleep(1)
        db = ro(demo.db)
        try:
            stations = dict(db.execute("SELECT code, online FROM stations "
                                       "WHERE length(code) <= 9"))
        finally:
            db.close()
    check(len(stations) == 20 and all(stations.values()),
          f"county and town stations offline: {[c for c, o in stations.items() if not o]}")
    # Member messages receipted by the fleet (and the agents), so that they
    # are not resent at every birth. Two kinds may still wait, each until
    # the station's next heartbeat (the fleet's: 60 s; docs/NOTES.md): the
    # county's 500 are more than the hub's receipt bucket takes at once
    # (burst 200, then 20/s), and the hub redelivers to at most 64 stations
    # born in one batch (hub/group-commit.c REDELIVER_MAX), which 1,888 stations
    # born together overrun, under the sanitizers mostly.
    check(elsewhere <= MEMBERS_LATE and member_rows.get(COUNTY, 0) <= 300,
          f"member messages wait in the downbox: {member_rows}")

    pids = frozen(demo)
    try:
        ov, st, want_ov, want_st, towns, offline = read_still(demo, web)
        assigned = dashboard_assign(demo, web)
    finally:
        thaw(pids)
    f = ov["figures"]
    check(not differ(f, want_ov), f"/api/overview against the recount: {differ(f, want_ov)}")
    check(not differ(st["figures"], want_st),
          f"/api/stats against the recount: {differ(st['figures'], want_st)}")
    for r in st["ranking"]:
        check(not differ(r, towns[r["code"]]), f"ranking row {r['code']}: "
              f"{differ(r, towns[r['code']])}")
    check(f["collected"] >= 20 and f["solved"] > 0 and f["escalated"] > 0,
          f"too little moved: {f}")
    check(f["on_time_rate"] is not None and 0 < f["on_time_rate"] < 1,
          f"on-time rate {f['on_time_rate']} (resolve_due {f['resolve_due']})")
    check(f["sign_rate"] is not None and 0 < f["sign_rate"] <= 1, f"sign rate {f['sign_rate']}")
    # Satisfaction counts each item's latest rating: an item rated
    # unsatisfied is reopened and, at the demo's pace, often rated again
    # before the read, so 100 % is a true figure (the turn "rated
    # unsatisfied and reopened" is checked from the events above).
    check(f["satisfaction"] is not None and 0 < f["satisfaction"] <= 1,
          f"satisfaction {f['satisfaction']} of {f['rated']} rated")
    check(st["ranking"] and any(r["closed"] for r in st["ranking"]) and st["ranking_handled"],
          f"ranking {st['ranking'][:2]}")
    check(ov["offline"]["count"] == offline, f"offline: overview {ov['offline']['count']}, "
          f"stations table {offline}")
    check(not any(len(s["code"]) <= 9 for s in ov["offline"]["stations"]),
          f"county or town listed offline: {ov['offline']['stations'][:5]}")

    # The terminal's side of the team: a real agent's store holds its
    # village's two members (and the town's list for its own assigns).
    sdb = ro(os.path.join(demo.dir, AGENT, "station.db"))
    try:
        team = [r[0] for r in sdb.execute("SELECT member FROM team WHERE NOT gone")]
    finally:
        sdb.close()
    check(sorted(team) == [f"m-{AGENT}-1", f"m-{AGENT}-2"], f"agent {AGENT}'s team: {team}")

    # --for: the demo ends by itself, every process with it.
    try:
        demo.p.wait(FIRST_S + 30)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"--for {FIRST_S}: still running after {FIRST_S + 30} s")
    check(demo.p.returncode == 0, f"./run demo --for exited {demo.p.returncode}")
    end = time.time() + 10
    while demo.group_alive() and time.time() < end:
        time.sleep(0.2)
    check(not demo.group_alive(), "processes of the demo outlived it")
    check("stopping the demo" in demo.text(), "no word of stopping")
    ran_s = time.time() - demo.t0
    demo.f.close()
    # The fleet's own count of member messages answered: all but those of
    # the four agents' stations (6) and those still waiting.
    with open(os.path.join(demo.dir, "fleet.json")) as fj:
        answered = json.load(fj)["members"]
    check(answered >= 1408 - 6 - 300 - MEMBERS_LATE,
          f"the fleet answered {answered} member messages of 1,402")
    db = ro(demo.db)
    try:
        items = {r[0] for r in db.execute("SELECT item FROM items")}
        states, kinds, reopened = counts(db)
    finally:
        db.close()
    print(f"first run: every state after {loop_s:.0f} s, ended after {ran_s:.0f} s "
          f"({FIRST_S} s of demo at {SCALE}x, {RATE} reports/s)")
    print(f"  items by state {json.dumps(states)}; items with events {json.dumps(kinds)}; "
          f"reopened after an unsatisfied rating {reopened}; assigned from the dashboard "
          f"{assigned}")
    print(f"  at the reading: on time {f['on_time_rate']:.3f} ({f['resolved_on_time']}/"
          f"{f['resolve_due']}), signed on time {f['sign_rate']:.3f}, satisfaction "
          f"{f['satisfaction']:.3f} of {f['rated']}, collected {f['collected']}, solved "
          f"{f['solved']}, escalated {f['escalated']}, overdue {f['overdue']}, offline "
          f"{ov['offline']['count']}")
    return items


def dashboard_assign(demo, web):
    """交办 from the dashboard: a signed item offers the county's user the
    team of its handler's area and takes a member (the fleet stopped, so
    nobody moves the item meanwhile)."""
    db = ro(demo.db)
    try:
        cands = db.execute("SELECT item, handler FROM items WHERE state = 'signed' "
                           "ORDER BY handler = ? DESC LIMIT 5", (COUNTY,)).fetchall()
    finally:
        db.close()
    check(cands, "no signed item to assign")
    for item, handler in cands:
        view = web.json("GET", f"/api/items/{item}")
        units = {TEAM.get(m["id"], "?") for m in view.get("members") or []}
        check("assign" in view["actions"] and units and
              all(u.startswith(handler) for u in units),
              f"item {item} at {handler}: actions {view['actions']}, members' "
              f"stations {sorted(units)[:5]}")
        member = view["members"][0]["id"]
        status, _, body = web.post(f"/api/items/{item}/actions",
                                   {"action": "assign", "member": member,
                                    "note": "测试交办"})
        if status == 200:
            after = json.loads(body)["item"]
            check(after["state"] == "assigned" and (after["member"] or {}).get("id") == member,
                  f"after assign: {after.get('state')} {after.get('member')}")
            return item
        check(status == 409, f"assign {item}: {status} {body[:200]!r}")
    raise AssertionError(f"every signed item moved before its assign: {cands}")


def short_run(env, tag, *args):
    demo = Demo(env, tag, *args, "--for", str(SHORT_S))
    env.demos.append(demo)
    demo.wait_running()
    db = ro(demo.db)
    try:
        items = {r[0] for r in db.execute("SELECT item FROM items")}
    finally:
        db.close()
    try:
        demo.p.wait(SHORT_S + 30)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"{tag}: --for {SHORT_S} still running")
    check(demo.p.returncode == 0, f"{tag}: exited {demo.p.returncode}")
    demo.f.close()
    return demo, items


def body(env):
    env.demos = []
    try:
        first = first_run(env)
        kept, items = short_run(env, "keep", "--keep")
        check("keeping the last demo's data" in kept.text(), "--keep says nothing")
        check(first <= items, f"--keep lost {len(first - items)} items of the first run")
        fresh, items = short_run(env, "fresh")
        check("starting from fresh data" in fresh.text(), "no word of fresh data")
        check(not (first & items), f"a fresh run holds {len(first & items)} items of the first")
        check(len(items) >= 4, f"the fresh run's own reports: {len(items)}")
        logs = [os.path.join(env.dir, "demo", n) for n in ("hub.log", "fleet.log")]
        logs += [os.path.join(env.dir, "demo", c, "agent.log")
                 for c in os.listdir(os.path.join(env.dir, "demo")) if c.isdigit()]
        for log in logs:
            with open(log, "rb") as f:
                text = f.read().decode("utf-8", "replace")
            check(not any(s in text for s in SANITIZER), f"sanitizer report in {log}")
    except BaseException:
        env.failed = True
        for d in env.demos:
            d.kill()
            print(f"----- {d.out} -----\n{d.text()[-2500:]}", file=sys.stderr)
        for n in ("hub.log", "fleet.log"):
            p = os.path.join(env.dir, "demo", n)
            if os.path.exists(p):
                with open(p, "rb") as f:
                    print(f"----- {p} -----\n{f.read().decode('utf-8', 'replace')[-2500:]}",
                          file=sys.stderr)
        raise


run("35-demo-workflow", body)
