"""The dashboard stays bounded against what a client sends (issue 17).

- The live stream: any Last-Event-ID or ?last_id= (garbage, negative, huge,
  far past, far future, an earlier run's) is answered at once, with a
  `reset` where the stream cannot resume, while the other streams go on;
  the hub then stops within 2 s of SIGTERM, streams open.
"""
import json, os, socket, sys, threading, time
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check, start_hub_http, add_user, Web

COUNTY = "611025"
VILLAGE, GROUP = "611025100201", "611025100201001"
PW = "county-pass-1"
RING = 4096  # DASH_RING in dashboard/events.h


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
    held = []
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
        s.keep = s  # stays open until the hub stops
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
    worst = max(t for _, t in held)
    print(f"stream: {len(bad)} ids that cannot resume each reset within "
          f"{worst * 1000:.1f} ms; other streams live; a valid id resumes")
    return [watch, ok]


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
    env.start_station(GROUP)
    env.start_station(VILLAGE)
    web = Web(env)
    web.login("admin", PW)
    streams_bounded(env, web)
    stops_quickly(env, hub)


run("63-dashboard-bounds", body)
