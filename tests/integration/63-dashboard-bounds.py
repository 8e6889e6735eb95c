"""The dashboard stays bounded against what a client sends (issue 17).

- The live stream: any Last-Event-ID or ?last_id= (garbage, negative, huge,
  far past, far future, an earlier run's) is answered at once, with a
  `reset` where the stream cannot resume, while the other streams go on;
  the hub then stops within 2 s of SIGTERM, streams open.
- A stream whose page went away frees its connection at once.
- Slow clients (half a request, a trickle, half a body) from 4 addresses
  take no more than their share, and lose it after the 5 s deadline: a
  fifth address gets the login page and signs in at once.
- An account has at most 8 live sessions; a new one ends its oldest.
- Login CSRF: a login (or any change) from another site's page is refused.
"""
import json, os, socket, sys, threading, time
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check, start_hub_http, add_user, Web

COUNTY = "611025"
VILLAGE, GROUP = "611025100201", "611025100201001"
PW = "county-pass-1"
RING = 4096  # DASH_RING in dashboard/sse.h


class Stream:
    """GET /api/stream read in a thread: events as (id, kind, data)."""

    def __init__(self, web, last_id=None, query=None):
        self.events, self.status = [], None
        self.sock = socket.create_connection(("127.0.0.1", web.port), 10)
        path = "/api/stream" + (f"?last_id={query}" if query is not None else "")
        head = (f"GET {path} HTTP/1.1\r\nHost: x\r\nCookie: {web.cookie}\r\n"
                "Accept: text/event-stream\r\n")
        if last_id is not None:
            head += f"Last-Event-ID: {last_id}\r\n"
        self.sock.sendall((head + "\r\n").encode())
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
                if self.status is None and b"\r\n\r\n" in buf:
                    head, buf = buf.split(b"\r\n\r\n", 1)
                    self.status = int(head.split()[1])
                text = buf.decode("utf-8", "replace")
                while "\n\n" in text:
                    block, text = text.split("\n\n", 1)
                    ev = {}
                    for line in block.split("\n"):
                        line = line.strip("\r")
                        if ": " in line and not line.startswith(":"):
                            k, v = line.split(": ", 1)
                            ev[k] = v
                    if "event" in ev:
                        self.events.append((int(ev["id"]), ev["event"],
                                            json.loads(ev["data"])))
                buf = text.encode()
        except OSError:
            return

    def kinds(self):
        return [e[1] for e in self.events]

    def close(self):
        # A close alone does not reach the peer while the reading thread
        # is in recv(): shut the connection down first, as a browser does.
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def streams_bounded(env, web):
    """Each id a stream cannot resume from is a reset within 2 s; the other
    streams are not held up meanwhile."""
    watch = Stream(web)
    env.wait_until(lambda: watch.status == 200, 10, "the watching stream")
    item = env.report(GROUP, title="界限之前", colour="blue", category="livelihood")
    env.wait_until(lambda: any(e[1] == "item" and e[2]["id"] == item
                               for e in watch.events), 15, "an item event")
    last = max(e[0] for e in watch.events if e[1] == "item")
    bad = ["1", "0", "-1", "-9223372036854775808", "abc", "12abc", " ",
           "99999999999999999999999", "9223372036854775807",
           str(last + 10 ** 12), str(last + 10 ** 6), str(last - 10 ** 9),
           str(last - RING - 10)]
    held, held_streams = [], []
    for i, value in enumerate(bad):
        # Half by the header, half by the query, as a browser and curl do.
        s = Stream(web, last_id=value) if i % 2 == 0 else Stream(web, query=value)
        t0 = time.time()
        env.wait_until(lambda: "reset" in s.kinds(), 5,
                       f"a reset for last_id {value!r}", interval=0.02)
        took = time.time() - t0
        check(took < 2, f"last_id {value!r}: reset after {took:.2f}s")
        held.append((value, took))
        # Not one event of the ring before the reset.
        check(s.kinds()[0] == "reset", f"last_id {value!r}: {s.kinds()[:5]}")
        held_streams.append(s)
    # Streams stay live meanwhile: the next report reaches the watcher and
    # the streams that were reset.
    item2 = env.report(GROUP, title="界限之后", colour="blue", category="livelihood")
    env.wait_until(lambda: any(e[1] == "item" and e[2]["id"] == item2
                               for e in watch.events), 10, "the next event")
    # A stream that can resume still does, with nothing but what it missed.
    ok = Stream(web, last_id=last)
    env.wait_until(lambda: any(e[1] == "item" and e[2]["id"] == item2
                               for e in ok.events), 10, "a resumed stream")
    check("reset" not in ok.kinds() and min(e[0] for e in ok.events) > last,
          f"resumed from {last}: {[(e[0], e[1]) for e in ok.events]}")
    # One stays open until the hub stops; the others give their slots back
    # (an address has 32).
    for s in held_streams[1:]:
        s.close()
    worst = max(t for _, t in held)
    print(f"stream: {len(bad)} ids that cannot resume each reset within "
          f"{worst * 1000:.1f} ms; other streams live; a valid id resumes")
    return [watch, ok, held_streams[0]]


def server_sockets(port):
    """The hub's side of the dashboard's TCP connections, by state
    (/proc/net/tcp: 01 established, 08 close-wait)."""
    states = {}
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            local, state = fields[1], fields[3]
            if int(local.split(":")[1], 16) == port and fields[2] != "00000000:0000":
                states[state] = states.get(state, 0) + 1
    return states


def closed_streams_freed(env, web):
    """A page that goes away while its stream waits gives its slot back at
    once, not at the next keep-alive."""
    # The streams reset above and closed by the test first (3 stay).
    env.wait_until(lambda: server_sockets(env.http_port).get("01", 0) <= 3, 2,
                   "the reset streams' connections to be closed", interval=0.02)
    streams = [Stream(web) for _ in range(20)]
    env.wait_until(lambda: all(s.status == 200 for s in streams), 10, "20 streams")
    time.sleep(0.5)  # each has sent its first bytes and is suspended
    before = server_sockets(env.http_port).get("01", 0)
    check(before >= 20, f"{before} established before the close")
    t0 = time.time()
    for s in streams:
        s.close()
    env.wait_until(lambda: not server_sockets(env.http_port).get("08") and
                   server_sockets(env.http_port).get("01", 0) <= before - 20, 2,
                   "the closed streams' connections to be closed by the hub",
                   interval=0.02)
    print(f"closed streams: 20 connections freed {(time.time() - t0) * 1000:.0f} ms "
          "after the pages went away")


def from_address(env, address, method, path, body=None):
    """One request from a loopback address of its own: (status, seconds)."""
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", env.http_port, timeout=10,
                                   source_address=(address, 0))
    t0 = time.time()
    c.request(method, path, body=json.dumps(body) if body else None,
              headers={"Content-Type": "application/json"} if body else {})
    r = c.getresponse()
    r.read()
    c.close()
    return r.status, time.time() - t0


def closed_by_hub(sock, until):
    """True when the hub closes sock before time until."""
    while True:
        left = until - time.time()
        if left <= 0:
            return False
        sock.settimeout(left)
        try:
            if sock.recv(4096) == b"":
                return True
        except socket.timeout:
            return False
        except OSError:
            return True


def slow_clients(env):
    """4 addresses x 128 connections sending half a request: a fifth address
    still gets the login page and signs in at once; every slow connection,
    also one that trickles a byte every half second and one with half a body, is
    closed by the request deadline (5 s)."""
    t0 = time.time()
    held = []
    for a in range(2, 6):
        for _ in range(128):
            s = socket.socket()
            s.bind((f"127.0.0.{a}", 0))
            s.settimeout(2)
            try:
                s.connect(("127.0.0.1", env.http_port))
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n")
                held.append(s)
            except OSError:
                s.close()
    body = socket.create_connection(("127.0.0.1", env.http_port), 2,
                                    source_address=("127.0.0.7", 0))
    body.sendall(b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                 b"\r\nContent-Length: 200\r\n\r\n{\"user\":")
    trickle = socket.create_connection(("127.0.0.1", env.http_port), 2,
                                       source_address=("127.0.0.7", 0))
    trickled = {}

    def drip():
        start = time.time()
        for ch in b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200:
            try:
                trickle.send(bytes([ch]))
            except OSError:
                break
            if closed_by_hub(trickle, time.time() + 0.5):
                break
        trickled["after"] = time.time() - start
    dripper = threading.Thread(target=drip, daemon=True)
    dripper.start()
    time.sleep(0.3)
    page, page_s = from_address(env, "127.0.0.6", "GET", "/")
    login, login_s = from_address(env, "127.0.0.6", "POST", "/api/login",
                                  {"user": "admin", "password": PW})
    check(page == 200 and page_s < 2, f"the login page from a fifth address: {page} "
          f"after {page_s:.2f}s")
    check(login == 200 and login_s < 2, f"a login from a fifth address: {login} "
          f"after {login_s:.2f}s")
    # Each address kept no more than its share (32) of the slots.
    def still_open(s):
        s.setblocking(False)
        try:
            return s.recv(1, socket.MSG_PEEK) != b""
        except BlockingIOError:
            return True
        except OSError:
            return False
    kept = sum(1 for s in held if still_open(s))
    check(kept <= 4 * 32, f"{kept} slow connections kept by 4 addresses")
    # Every slow connection is closed by its deadline (1.5 s of slack).
    until = t0 + 5 + 1.5
    left = [s for s in held + [body] if not closed_by_hub(s, max(until, time.time() + 0.01))]
    dripper.join(12)
    check(not left, f"{len(left)} of {len(held) + 1} slow connections still open "
          f"{time.time() - t0:.1f}s after they started")
    check(trickled.get("after", 99) < 6.5, f"a trickling request closed after "
          f"{trickled.get('after')}")
    for s in held + [body, trickle]:
        s.close()
    print(f"slow clients: of 4 x 128 half requests {kept} held a slot, the others "
          f"were closed at once; a fifth address got the page in {page_s * 1000:.0f} ms and signed "
          f"in in {login_s * 1000:.0f} ms; all closed by the 5 s deadline, a byte every "
          f"half second closed after {trickled['after']:.1f}s")


def sessions_capped(env):
    """An account holds at most 8 live sessions: the 9th login ends the one
    left unused longest, not any other's."""
    other = Web(env)
    other.login("town", PW)
    webs = []
    for i in range(9):
        w = Web(env)
        w.login("screen", PW)
        webs.append(w)
        time.sleep(0.01)
    # The second used again: the first is now the one unused longest.
    check(webs[1].get("/api/me")[0] == 200, "the second session")
    w = Web(env)
    w.login("screen", PW)
    webs.append(w)
    got = [x.get("/api/me")[0] for x in webs]
    check(got == [401, 200, 401] + [200] * 7, f"sessions of one account: {got}")
    check(other.get("/api/me")[0] == 200, "another account's session")
    print(f"sessions: 10 logins of one account leave 8 live ({got}); another's stays")


def origin_checked(env):
    """Login CSRF: /api/login, like every change, refuses a page of another
    site (Origin), and takes only a JSON body (Content-Type)."""
    body = {"user": "admin", "password": PW}
    own = f"http://127.0.0.1:{env.http_port}"
    # (https:// + this Host is this server behind a TLS proxy: taken, 68.)
    for origin in ("http://evil.example", "null", "https://evil.example",
                   own + ".evil.example"):
        status, hdrs, payload = Web(env).post("/api/login", body, csrf=False,
                                              headers={"Origin": origin})
        check(status == 403 and "set-cookie" not in hdrs and
              json.loads(payload)["error"]["code"] == "forbidden",
              f"a login from origin {origin}: {status} {payload[:120]!r}")
    status, hdrs, _ = Web(env).post("/api/login", json.dumps(body), csrf=False,
                                    headers={"Origin": own, "Content-Type": "text/plain"})
    check(status == 415 and "set-cookie" not in hdrs, f"a text/plain login: {status}")
    w = Web(env)
    status, hdrs, _ = w.post("/api/login", body, csrf=False, headers={"Origin": own})
    check(status == 200 and "set-cookie" in hdrs, f"a login from the hub's own page: {status}")
    w.login("admin", PW)
    status, _, _ = w.post("/api/logout", headers={"Origin": "http://evil.example"})
    check(status == 403 and w.get("/api/me")[0] == 200,
          f"a logout from another site with the CSRF token: {status}")
    check(w.post("/api/logout", headers={"Origin": own})[0] == 204, "a logout from the page")
    print("origin: login and changes from another site's page (or origin null) are 403; "
          "a text/plain login 415; the hub's own page signs in and out")


def stops_quickly(env, hub):
    t0 = time.time()
    hub.stop(timeout=2)
    took = time.time() - t0
    env.procs.remove(hub)
    print(f"SIGTERM: the hub stopped in {took * 1000:.0f} ms with streams open")


def body(env):
    env.provision()
    env.start_broker()
    hub = start_hub_http(env)
    add_user(env, "admin", "county", COUNTY, PW)
    add_user(env, "town", "town", "611025100", PW)
    add_user(env, "screen", "county", COUNTY, PW)
    env.start_station(GROUP)
    env.start_station(VILLAGE)
    web = Web(env)
    web.login("admin", PW)
    keep = streams_bounded(env, web)
    closed_streams_freed(env, web)
    slow_clients(env)
    sessions_capped(env)
    origin_checked(env)
    stops_quickly(env, hub)
    for s in keep:
        s.close()


run("63-dashboard-bounds", body)
