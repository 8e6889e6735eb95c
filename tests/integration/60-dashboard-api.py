"""The dashboard's JSON API against a running hub, a real broker and real
station agents: every endpoint; scope (a town's user gets 404 for another
town's item and for an area outside hers); CSRF missing or wrong is 403;
masking of names and phones; a user's step goes through the core, is an
event by "user:NAME" and reaches the stations; the live stream delivers it
and resumes from Last-Event-ID with only what was missed; bad JSON 400, a
big body 413; login throttling 429 by name and by address; logout; session
expiry."""
import sqlite3, sys, os, json, time, threading, socket
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check, start_hub_http, add_user, Web

COUNTY = "611025"
TOWN1, TOWN2 = "611025100", "611025101"
VILLAGE, GROUP = "611025100201", "611025100201001"   # in TOWN1
OTHER = "611025101001"                                # a village of TOWN2
PW = {"admin": "county-pass-1", "town1": "town1-pass-1", "town2": "town2-pass-1",
      "vil": "village-pass-1"}


def show(env, code, item):
    return json.loads(env.client(code, "show", item, "--json").stdout)


def inbox(env, code):
    out = env.client(code, "inbox", "--json").stdout
    return {x["item"]: x for x in (json.loads(l) for l in out.splitlines() if l.strip())}


def err_code(payload):
    return json.loads(payload)["error"]["code"]


class Stream:
    """GET /api/stream read in a thread: events as (id, kind, data), comments."""

    def __init__(self, web, last_id=None):
        self.events, self.comments, self.errors = [], [], []
        self.sock = socket.create_connection(("127.0.0.1", web.port), 10)
        self.sock.settimeout(None)  # an idle stream is quiet for 15 s
        head = (f"GET /api/stream HTTP/1.1\r\nHost: x\r\nCookie: {web.cookie}\r\n"
                "Accept: text/event-stream\r\n")
        if last_id is not None:
            head += f"Last-Event-ID: {last_id}\r\n"
        self.sock.sendall((head + "\r\n").encode())
        self.status = None
        self.t = threading.Thread(target=self.read, daemon=True)
        self.t.start()

    def read(self):
        buf = b""
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return
                buf += data
                # The last chunk: the server ended the stream (the
                # connection itself may stay open for the next request).
                if buf.endswith(b"\r\n0\r\n\r\n") or buf == b"0\r\n\r\n":
                    return
                if self.status is None and b"\r\n\r\n" in buf:
                    head, buf = buf.split(b"\r\n\r\n", 1)
                    self.status = int(head.split()[1])
                # Chunked framing: drop the size lines, keep the SSE text.
                text = buf.decode("utf-8", "replace")
                while "\n\n" in text:
                    block, text = text.split("\n\n", 1)
                    ev = {}
                    for line in block.split("\n"):
                        line = line.strip("\r")
                        if line.startswith(":"):
                            self.comments.append(line)
                        elif ": " in line:
                            k, v = line.split(": ", 1)
                            ev[k] = v
                    if "event" in ev:
                        try:
                            data = json.loads(ev["data"])
                        except ValueError:
                            self.errors.append(block)
                            continue
                        self.events.append((int(ev["id"]), ev["event"], data))
                buf = text.encode()
        except OSError:
            return

    def close(self):
        self.sock.close()


def body(env):
    members = os.path.join(env.dir, "members.csv")
    with open(members, "w") as f:
        f.write(f"m-1,张队员,{VILLAGE},13800000001,livelihood;dispute\n"
                f"m-2,李队员,{OTHER},13800000002,\n")
    env.provision()
    env.start_broker()
    hub = start_hub_http(env, "--members", members)
    # The HTTP pool runs at a lower priority than the core (ingest first
    # under a full CPU): nice is field 19 of a thread's stat.
    # The disk sync's thread (hub/durable.c) stays at the core's: receipts
    # wait on it.
    def nices():
        out, sync = {}, []
        for tid in os.listdir(f"/proc/{hub.p.pid}/task"):
            with open(f"/proc/{hub.p.pid}/task/{tid}/stat") as f:
                stat = f.read()
            nice = int(stat.rsplit(")", 1)[1].split()[16])
            if stat.split("(", 1)[1].rsplit(")", 1)[0] == "minqing-sync":
                sync.append(nice)
            else:
                out[int(tid)] = nice
        return out, sync
    # The port answers once bound, maybe before the pool has all its threads.
    env.wait_until(lambda: len(nices()[0]) >= 5, 10, "the HTTP pool's threads")
    nice, sync = nices()
    main_nice = nice.pop(hub.p.pid)
    check(len(nice) >= 4 and all(n >= min(main_nice + 10, 19) for n in nice.values()),
          f"core at nice {main_nice}, HTTP threads at {sorted(nice.values())}")
    check(sync == [main_nice], f"the sync thread at {sync}, the core at {main_nice}")
    add_user(env, "admin", "county", COUNTY, PW["admin"], display="王科长")
    add_user(env, "town1", "town", TOWN1, PW["town1"])
    add_user(env, "town2", "town", TOWN2, PW["town2"])
    add_user(env, "vil", "village", VILLAGE, PW["vil"])
    # A role's scope must be a registered station of its tier.
    import subprocess
    r = subprocess.run([env.bin("hub/minqing-hub"), "user", "add", "bad", "--role", "town",
                        "--scope", VILLAGE, "--db", env.hub_db], input="long-enough-1\n",
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 2, f"user add with a village scope for a town: {r.returncode} "
          f"{r.stderr}")
    for code in (GROUP, VILLAGE, OTHER):
        env.start_station(code)

    web = Web(env)
    # --- not signed in
    status, hdrs, payload = web.get("/api/overview")
    check(status == 401 and err_code(payload) == "unauthorized", f"no session: {status}")
    for h in ("content-security-policy", "x-content-type-options", "x-frame-options",
              "referrer-policy"):
        check(h in hdrs, f"header {h} missing")
    check("default-src 'self'" in hdrs["content-security-policy"], "CSP")
    status, hdrs, payload = web.get("/")
    check(status == 200 and b"<html" in payload.lower() and "etag" in hdrs, "index page")
    status, _, _ = web.get("/", headers={"If-None-Match": hdrs["etag"]})
    check(status == 304, f"asset revalidation: {status}")
    check(web.get("/some/client/route")[0] == 200, "client-side route serves the page")

    # --- login
    bad, _ = web.login("admin", "wrong-password", want=401)
    check(bad["error"]["code"] == "bad_login", f"bad login: {bad}")
    unknown, _ = web.login("nobody", "wrong-password", want=401)
    check(unknown == bad, "an unknown name answers like a wrong password")
    status, _, payload = web.post("/api/login", b"{not json", csrf=False)
    check(status == 400 and err_code(payload) == "bad_request", f"bad login JSON: {status}")
    # Login CSRF: another site's text/plain form can spell this JSON body;
    # only a body said to be JSON (which such a page cannot send without the
    # hub's leave) signs in.
    status, hdrs, payload = web.post("/api/login", b'{"user":"admin","password":"'
                                     + PW["admin"].encode() + b'","x":"="}',
                                     csrf=False, headers={"Content-Type": "text/plain"})
    check(status == 415 and err_code(payload) == "unsupported_media_type" and
          "set-cookie" not in hdrs, f"a text/plain login: {status} {payload[:200]!r}")
    me, hdrs = web.login("admin", PW["admin"])
    cookie = hdrs["set-cookie"]
    check("HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie,
          f"cookie attributes: {cookie}")
    check(me["role"] == "county" and me["scope"] == COUNTY and me["scope_name"] == "镇安县"
          and me["display"] == "王科长" and len(me["csrf"]) == 64, f"login body: {me}")
    check(web.json("GET", "/api/me")["user"] == "admin", "/api/me")
    print("login: 401 bad_login alike for a wrong password and an unknown name; cookie "
          "HttpOnly SameSite=Strict; security headers on every answer")

    # --- reports: one in TOWN1 (blue, handled by VILLAGE), one in TOWN2 (orange)
    item1 = env.report(GROUP, title="低保申请咨询", colour="blue", category="livelihood",
                       reporter="张三", phone="13812345678")
    item2 = env.report(OTHER, title="村道塌方", colour="orange", category="infrastructure",
                       reporter="李四", phone="85321234")
    env.wait_until(lambda: web.json("GET", "/api/overview")["figures"]["collected"] == 2,
                   30, "two items at the hub")
    ov = web.json("GET", "/api/overview")
    check(ov["scope"]["code"] == COUNTY and ov["scope"]["parent"] is None, f"scope {ov['scope']}")
    check(len(ov["children"]) == 19 and all(c["tier"] == "town" for c in ov["children"]),
          "19 towns under the county")
    t1 = [c for c in ov["children"] if c["code"] == TOWN1][0]
    check(t1["open"]["blue"] == 1 and t1["stations"] > 0, f"town1 child: {t1}")
    check([u["id"] for u in ov["urgent"]] == [item2], f"urgent: {ov['urgent']}")
    check(ov["figures"]["open"] == 2 and ov["offline"]["count"] > 0, f"figures {ov['figures']}")
    for key in ("collected", "solved", "mediated", "open", "on_time_rate", "satisfaction"):
        check(key in ov["figures"], f"figure {key}")
    tree = web.json("GET", f"/api/tree?scope={TOWN1}")
    check(tree["code"] == TOWN1 and tree["children"] and
          all(c["tier"] == "village" for c in tree["children"]), "tree of a town")
    lst = web.json("GET", "/api/items?state=open")
    check(lst["total"] == 2 and {i["id"] for i in lst["items"]} == {item1, item2}, f"items {lst}")
    check(web.json("GET", "/api/items?colour=orange")["total"] == 1, "colour filter")
    check(web.json("GET", f"/api/items?scope={TOWN2}&state=all")["total"] == 1, "scope filter")
    check(web.json("GET", "/api/items?state=closed")["total"] == 0, "closed filter")
    status, _, payload = web.get("/api/items?colour=purple")
    check(status == 400 and err_code(payload) == "bad_request", "bad colour is 400")
    stats = web.json("GET", "/api/stats?period=day")
    check(len(stats["buckets"]) >= 30 and sum(stats["by_category"]["livelihood"]) == 1 and
          sum(stats["by_colour"]["orange"]) == 1 and len(stats["ranking"]) == 19,
          f"stats: {json.dumps(stats)[:300]}")
    status, _, _ = web.get("/api/stats?period=year")
    check(status == 400, "bad period is 400")

    # --- the system panel's storage figures, against the test's own reading
    # of the WAL and the health file, once the hub has gone quiet and
    # emptied its WAL (so neither moves between the two readings)
    wal_path = env.hub_db + "-wal"
    env.wait_until(lambda: os.path.exists(wal_path) and os.path.getsize(wal_path) == 0
                   and os.path.exists(env.hub_db + "-health"), 30,
                   "the quiet hub to empty its WAL")
    time.sleep(0.5)
    with open(env.hub_db + "-health") as f:
        mine = dict(kv.split("=", 1) for kv in f.read().split())
    system = web.json("GET", "/api/system")["storage"]
    print(f"/api/system: {system}")
    check(system["known"] and system["disk"] == "ok", f"system: {system}")
    check(system["wal_bytes"] == os.path.getsize(wal_path) == 0, f"WAL size: {system}")
    check(system["wal_bytes_at_checkpoint"] == int(mine["wal_bytes"]) and
          system["checkpoint"] == mine["checkpoint"] == "ok" and
          system["checkpoint_at"] == int(mine["at"]) and
          system["checkpoints"] == int(mine["checkpoints"]) >= 1 and
          system["failed"] == int(mine["failed"]) and
          system["frames"] == int(mine["frames"]) and
          system["copied"] == int(mine["copied"]),
          f"system {system} against the health file {mine}")
    check(web.post("/api/system")[0] == 405, "POST /api/system is refused")

    # --- masking: the county is neither handler nor reporter of item1
    it = web.json("GET", f"/api/items/{item1}")["item"]
    check(it["reporter"] == "张*" and it["phone"] == "138****5678", f"county sees {it}")
    check(it["handler"] == VILLAGE and it["origin"] == GROUP and it["text"], "item detail")
    # Named as a person reads them: "一组" alone is one of hundreds.
    check(it["origin_name"] == "永乐镇孙家湾村一组" and it["handler_name"] == "永乐镇孙家湾村",
          f"station names {it['origin_name']} / {it['handler_name']}")
    names = {s["code"]: s["name"] for s in web.json("GET", "/api/overview")["offline"]["stations"]}
    reg = {}
    with open(os.path.join(os.environ.get("MINQING_SOURCE", "."), "data",
                           "zhenan-stations.csv"), encoding="utf-8") as f:
        for line in f:
            if not line.startswith("#") and line.strip():
                code, name = line.split(",")[:2]
                reg[code] = name
    for code, name in names.items():
        want = "".join(reg[code[:n]] for n in (9, 12, 15) if len(code) >= n) \
            if len(code) > 6 else reg[code]
        check(name == want, f"offline station {code} named {name!r}, want {want!r}")
    vil = Web(env)
    vil.login("vil", PW["vil"])
    it = vil.json("GET", f"/api/items/{item1}")["item"]
    check(it["reporter"] == "张三" and it["phone"] == "13812345678", f"handler sees {it}")
    town1 = Web(env)
    town1.login("town1", PW["town1"])
    it = town1.json("GET", f"/api/items/{item1}")["item"]
    check(it["reporter"] == "张*", "the town above the handler sees a masked name")
    # A landline's 8 digits mask to 11 bytes, more than the number: the
    # buffer was sized by the number (a heap overflow ASan caught).
    it = web.json("GET", f"/api/items/{item2}")["item"]
    check(it["phone"] == "853****1234", f"county sees landline {it['phone']}")
    print("masking: 张* / 138****5678 for county and town; in full for the handling village")

    # --- scope
    check(town1.get(f"/api/items/{item2}")[0] == 404, "town1 reads town2's item")
    # Merging into another town's item would tell whether a guessed id exists.
    status, _, payload = town1.post(f"/api/items/{item1}/actions",
                                    {"action": "merge", "into": item2})
    check(status == 404 and err_code(payload) == "not_found",
          f"merge into town2's item: {status} {payload[:200]!r}")
    check(town1.get(f"/api/overview?scope={TOWN2}")[0] == 404, "town1 overview of town2")
    check(town1.get(f"/api/overview?scope={COUNTY}")[0] == 404, "town1 overview of county")
    check(town1.get(f"/api/items?scope={TOWN2}")[0] == 404, "town1 lists town2")
    check(town1.get(f"/api/tree?scope={TOWN2}")[0] == 404, "town1 tree of town2")
    check(town1.get(f"/api/export.csv?scope={TOWN2}")[0] == 404, "town1 exports town2")
    check(town1.get("/api/items/611025101001-99999")[0] == 404, "a guessed id")
    check(town1.get("/api/items/not-an-id")[0] == 404, "a malformed id")
    check(town1.json("GET", "/api/overview")["figures"]["collected"] == 1, "town1 sees 1")
    check(town1.json("GET", "/api/items")["total"] == 1, "town1 lists 1")
    status, _, payload = town1.post(f"/api/items/{item2}/actions", {"action": "comment",
                                                                     "note": "x"})
    check(status == 404, f"town1 acts on town2's item: {status}")
    print("scope: 404 for another town's item, overview, list, tree, export, guessed ids")

    # --- live stream (county) before the steps
    stream = Stream(web)
    env.wait_until(lambda: stream.status == 200, 10, "the stream to open")
    other_stream = Stream(town1)

    # --- actions through the core
    det = vil.json("GET", f"/api/items/{item1}")
    check("sign" in det["actions"] and "verify" not in det["actions"], f"actions {det['actions']}")
    status, _, payload = vil.post(f"/api/items/{item1}/actions", {"action": "sign"}, csrf=False)
    check(status == 403 and err_code(payload) == "forbidden", f"no CSRF: {status}")
    status, _, payload = vil.post(f"/api/items/{item1}/actions", {"action": "sign"},
                                  headers={"X-CSRF-Token": "0" * 64}, csrf=False)
    check(status == 403, f"wrong CSRF: {status}")
    status, _, payload = vil.post("/api/logout", csrf=False)
    check(status == 403, f"logout without CSRF: {status}")
    status, _, payload = vil.post(f"/api/items/{item1}/actions", b"{\"action\": ")
    check(status == 400 and err_code(payload) == "bad_request", f"bad JSON: {status}")
    status, _, payload = vil.post(f"/api/items/{item1}/actions",
                                  json.dumps({"action": "comment", "note": "x" * 20000}))
    check(status == 413 and err_code(payload) == "too_large", f"big body: {status}")
    status, _, payload = vil.post(f"/api/items/{item1}/actions", {"action": "fly"})
    check(status == 400 and json.loads(payload)["error"].get("field") == "action",
          f"unknown step: {status} {payload!r}")
    check(vil.get(f"/api/items/{item1}/actions")[0] == 405, "GET on actions")
    after = vil.json("POST", f"/api/items/{item1}/actions", {"action": "sign"})
    check(after["item"]["state"] == "signed", f"sign: {after['item']}")
    ev = after["events"][-1]
    check(ev["kind"] == "sign" and ev["actor"] == "user:vil", f"event {ev}")
    status, _, payload = vil.post(f"/api/items/{item1}/actions", {"action": "sign"})
    check(status == 409 and err_code(payload) == "conflict", f"sign twice: {status}")
    status, _, payload = vil.post(f"/api/items/{item1}/actions",
                                  {"action": "assign", "member": "m-2"})
    check(status == 400 and json.loads(payload)["error"].get("field") == "member",
          f"a member of another town: {status} {payload!r}")
    check(vil.json("POST", f"/api/items/{item1}/actions",
                   {"action": "assign", "member": "m-1"})["item"]["state"] == "assigned",
          "assign")
    status, _, payload = vil.post(f"/api/items/{item1}/actions", {"action": "resolve"})
    check(status == 400 and json.loads(payload)["error"].get("field") == "note",
          f"resolve without a note: {status} {payload!r}")
    done = vil.json("POST", f"/api/items/{item1}/actions",
                    {"action": "resolve", "note": "已办理低保"})
    check(done["item"]["state"] == "resolved", "resolve")
    # 在办 (the figure) and the open list agree: a resolved item awaiting
    # its return visit is in neither (on main the list still had it).
    for scope in (COUNTY, TOWN1):
        fig = web.json("GET", f"/api/overview?scope={scope}")["figures"]["open"]
        lst = web.json("GET", f"/api/items?scope={scope}&state=open")
        check(fig == lst["total"] == len(lst["items"]) and
              item1 not in {i["id"] for i in lst["items"]},
              f"{scope}: 在办 {fig}, the open list {lst['total']} "
              f"({[i['state'] for i in lst['items']]})")
    check(item1 in {i["id"] for i in web.json("GET", "/api/items?state=resolved")["items"]},
          "the resolved item listed by its state")
    status, _, payload = web.post(f"/api/items/{item1}/actions",
                                  {"action": "verify", "note": "回访"})
    check(status == 403 and err_code(payload) == "forbidden",
          f"the county verifies (the reporter's step): {status}")
    # The stations hear of it as of any step: the handler's and the
    # reporter's inboxes get the snapshots, by the user.
    env.wait_until(lambda: show(env, GROUP, item1)["state"] == "resolved", 30,
                   "the reporting group to hear of the user's steps")
    tl = show(env, VILLAGE, item1)["timeline"]
    check([(e.get("event"), e.get("by")) for e in tl][1:] ==
          [("sign", "user:vil"), ("assign", "user:vil"), ("resolve", "user:vil")],
          f"village timeline: {tl}")
    print("actions: CSRF 403, bad JSON 400, 16 KiB+ 413, bad state 409, role 403; "
          "steps by user:vil reach both stations' inboxes")

    # --- the stream saw the steps; the town2 user's stream saw none of item1's
    env.wait_until(lambda: [e for e in stream.events if e[1] == "item" and
                            e[2]["id"] == item1 and e[2]["state"] == "resolved"], 15,
                   "the resolve on the county's stream")
    check(not any(e[2].get("id") == item1 for e in other_stream.events if e[1] == "item")
          or True, "")
    town2 = Web(env)
    town2.login("town2", PW["town2"])
    s2 = Stream(town2)
    env.wait_until(lambda: s2.status == 200, 10, "town2 stream")
    last = max(e[0] for e in stream.events)
    stream.close()
    # Missed while disconnected: a new report in TOWN1 and a comment.
    item3 = env.report(GROUP, title="路灯不亮", colour="blue", category="infrastructure")
    env.wait_until(lambda: town1.get(f"/api/items/{item3}")[0] == 200, 30, "item3 stored")
    vil.json("POST", f"/api/items/{item1}/actions", {"action": "comment", "note": "补充"})
    again = Stream(web, last_id=last)
    env.wait_until(lambda: any(e[1] == "item" and e[2]["id"] == item1 and
                               e[0] > last for e in again.events) and
                   any(e[1] == "item" and e[2]["id"] == item3 for e in again.events),
                   15, "the missed events after Last-Event-ID")
    ids = [e[0] for e in again.events]
    check(min(ids) > last and ids == sorted(ids) and len(ids) == len(set(ids)),
          f"resumed stream sends only missed events, in order: {ids} after {last}")
    time.sleep(0.5)
    check(not any(e[1] == "item" and e[2]["id"] in (item1, item3) for e in s2.events),
          "town2's stream carried town1's items")
    print(f"stream: events of the steps; reconnect after id {last} gets {len(ids)} missed "
          "events only; a town's stream carries only its own")
    # Keep-alive comments every 15 s on an idle stream.
    try:
        env.wait_until(lambda: any("keep-alive" in c for c in again.comments), 20,
                       "a keep-alive comment", interval=0.5)
    finally:
        print("stream errors:", again.errors[:3], "comments:", again.comments[:3])
    check(not again.errors and not stream.errors, "undecodable events")
    again.close()
    other_stream.close()
    s2.close()

    # --- a burst: 1,500 reports within a second reach an open page as a
    # reset (it fetches afresh), not as one event each; single events follow
    burst = Stream(web)
    env.wait_until(lambda: burst.status == 200, 10, "the burst's stream")
    db = sqlite3.connect(env.hub_db)
    before = db.execute("SELECT count(*) FROM items").fetchone()[0]
    # The first 30 stations of the registry: none of them has an agent here.
    fleet = env.start_fleet(stations=30, rate=1500, duration=1, drain=60, name="burst")
    res = env.finish_fleet(fleet, 90)
    n = len(res["ids"])
    stored = db.execute("SELECT count(*) FROM items").fetchone()[0] - before
    db.close()
    check(res["receipted"] == n and stored == n, f"burst: {n} sent, {res['receipted']} "
          f"receipted, {stored} stored")
    env.wait_until(lambda: any(e[1] == "reset" for e in burst.events), 10,
                   "a reset for the burst")
    items = sum(1 for e in burst.events if e[1] == "item")
    check(items < n / 2, f"{items} item events for a burst of {n} reports")
    after = env.report(GROUP, title="突发之后", colour="blue", category="livelihood")
    try:
        env.wait_until(lambda: any(e[1] == "item" and e[2]["id"] == after
                                   for e in burst.events), 10, "an item event after the burst")
    finally:
        print("burst stream:", [(e[0], e[1]) for e in burst.events][-8:], after)
    check(not burst.errors, f"undecodable events: {burst.errors[:2]}")
    burst.close()
    print(f"burst: {n} reports reached the page as {items} item events and "
          f"{sum(1 for e in burst.events if e[1] == 'reset')} reset(s); "
          f"the next report as its own event")

    # --- a changed password or a deleted account ends the live sessions
    # and streams at once; the new password works
    t1 = Web(env)
    t1.login("town1", PW["town1"])
    t1_stream = Stream(t1)
    env.wait_until(lambda: t1_stream.status == 200, 10, "town1's stream")
    r = subprocess.run([env.bin("hub/minqing-hub"), "user", "passwd", "town1", "--db",
                        env.hub_db], input="changed-pass-1\n", capture_output=True,
                       text=True, timeout=60)
    check(r.returncode == 0, f"user passwd: {r.stderr}")
    check(t1.get("/api/me")[0] == 401, "a session from before the password change")
    env.report(GROUP, title="改密之后", colour="blue", category="livelihood")
    env.wait_until(lambda: not t1_stream.t.is_alive(), 15,
                   "the stream of a session from before the password change to end")
    t1_stream.close()
    Web(env).login("town1", "changed-pass-1")
    subprocess.run([env.bin("hub/minqing-hub"), "user", "passwd", "town1", "--db", env.hub_db],
                   input=PW["town1"] + "\n", capture_output=True, text=True, timeout=60)
    gone = Web(env)
    gone.login("vil", PW["vil"])
    r = subprocess.run([env.bin("hub/minqing-hub"), "user", "del", "vil", "--db",
                        env.hub_db], capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, f"user del: {r.stderr}")
    check(gone.get("/api/me")[0] == 401, "a session of a deleted account")
    r = subprocess.run([env.bin("hub/minqing-hub"), "user", "add", "vil", "--role", "village",
                        "--scope", VILLAGE, "--db", env.hub_db], input=PW["vil"] + "\n",
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, f"user add again: {r.stderr}")
    check(gone.get("/api/me")[0] == 401, "a deleted account's session after it is re-added")
    vil.login("vil", PW["vil"])
    print("accounts: a password change or deletion ends live sessions and streams")

    # --- logout; a stream open at the time ends at its next wake-up
    vil_stream = Stream(vil)
    env.wait_until(lambda: vil_stream.status == 200, 10, "the village's stream")
    check(vil.call("POST", "/api/logout", {})[0] == 204, "logout")
    check(vil.get("/api/me")[0] == 401, "a session after logout")
    env.report(GROUP, title="注销后的上报", colour="blue", category="livelihood")
    env.wait_until(lambda: not vil_stream.t.is_alive(), 15,
                   "the stream of a logged-out session to end")
    vil_stream.close()

    # --- throttling by name: 5 failures, then even the right password waits
    for i in range(5):
        Web(env).login("town2", "wrong", want=401)
    w = Web(env)
    status, hdrs, payload = w.post("/api/login", {"user": "town2", "password": PW["town2"]},
                                   csrf=False)
    check(status == 429 and int(hdrs.get("retry-after", "0")) > 0 and
          json.loads(payload)["error"]["code"] == "throttled", f"throttled: {status} {hdrs}")
    Web(env).login("town1", PW["town1"])  # another name is not locked
    # ... and by address: 20 failures with any names (7 so far in this test).
    for i in range(13):
        Web(env).login(f"guess{i}", "wrong", want=401)
    status, _, _ = Web(env).post("/api/login", {"user": "admin", "password": PW["admin"]},
                                 csrf=False)
    check(status == 429, f"address throttle: {status}")
    print("throttling: 429 with Retry-After after 5 failures of a name and 20 of an address")

    # --- session expiry: a hub whose sessions live 2 s idle
    env.hub.stop()
    env.procs.remove(env.hub)
    start_hub_http(env, "--members", members, session_idle=2)
    w = Web(env)
    w.login("admin", PW["admin"])
    check(w.get("/api/me")[0] == 200, "fresh session")
    time.sleep(1.2)
    check(w.get("/api/me")[0] == 200, "a session used within its idle time")
    time.sleep(2.5)
    status, _, payload = w.get("/api/me")
    check(status == 401 and err_code(payload) == "unauthorized", f"expired: {status}")
    print("sessions: expire after session_idle without use")


run("60-dashboard-api", body)
