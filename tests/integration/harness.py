"""Test harness for minqing integration tests: starts real mosquitto brokers
on free loopback ports, the hub, station agents and the clerk's client from
the build directory, in a temporary directory that is removed on success.

Processes stopped on purpose must exit with status 0, so that a sanitizer's
leak or undefined-behaviour report fails the test that caused it."""

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

BUILD = os.environ.get("MINQING_BUILD", "build")
SOURCE = os.environ.get("MINQING_SOURCE", ".")
REGISTRY = os.path.join(SOURCE, "data", "zhenan-stations.csv")
COUNTY = "611025"
MONITOR, MONITOR_PASSWORD = "test-monitor", "monitor-only-in-tests"
INJECTOR = "test-injector"

SAN_ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:exitcode=66",
    "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1:exitcode=67",
    "MINQING_LANG": "zh",
}


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


class Proc:
    """A child process with its output in a log file."""

    def __init__(self, name, argv, log, env=None):
        self.name, self.argv, self.log = name, argv, log
        self.logf = open(log, "ab")
        full_env = dict(os.environ)
        full_env.update(SAN_ENV)
        if env:
            full_env.update(env)
        self.killed = False
        self.p = subprocess.Popen(argv, stdout=self.logf, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, env=full_env)

    def alive(self):
        return self.p.poll() is None

    def kill9(self):
        self.killed = True
        if self.alive():
            self.p.send_signal(signal.SIGKILL)
            self.p.wait()
        self.logf.close()

    def stop(self, timeout=15):
        """SIGTERM and wait; the exit status must be 0 (clean, no leaks)."""
        if self.alive():
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
                raise Failure(f"{self.name} did not stop within {timeout}s")
        self.logf.close()
        rc = self.p.returncode
        check(rc == 0, f"{self.name} exited with status {rc}; see {self.log}")
        text = self.text()
        check("runtime error" not in text and "LeakSanitizer" not in text,
              f"{self.name}: sanitizer report in {self.log}")

    def text(self):
        with open(self.log, "rb") as f:
            return f.read().decode("utf-8", "replace")


class Env:
    """One test's world: a temp dir, a broker, a hub, stations."""

    def __init__(self, name):
        self.name = name
        self.dir = tempfile.mkdtemp(prefix=f"minqing-{name}-")
        self.procs = []
        self.port = free_port()
        self.broker = None
        self.hub = None
        self.hub_db = os.path.join(self.dir, "hub.db")
        self.stations = {}
        self.failed = False
        self.prov = None
        self.tls_port = None

    # ------------------------------------------------------------ programs
    def bin(self, path):
        return os.path.join(BUILD, path)

    def provision(self, tls=False, registry=REGISTRY, http_hosts=()):
        """Provisions the county once per test: passwords, ACL, broker config,
        station bundles. Every broker of the tests is this authenticated one.
        http_hosts: names for the dashboard's HTTPS certificate (then the
        provisioned hub.conf makes it speak HTTPS)."""
        if self.prov:
            return self.prov
        self.prov = os.path.join(self.dir, "prov")
        args = [self.bin("hub/minqing-hub"), "provision", "--registry", registry,
                "--out", self.prov, "--port", str(self.port)]
        if tls:
            self.tls_port = free_port()
            args += ["--tls", "--tls-port", str(self.tls_port)]
        for h in http_hosts:
            args += ["--http-host", h]
        r = subprocess.run(args, capture_output=True, text=True, timeout=120,
                           env={**os.environ, **SAN_ENV})
        check(r.returncode == 0, f"provision failed: {r.stderr}")
        # A test-only observer: reads every inbox and may inject on any up
        # topic (a late will, as the broker would deliver it). The broker
        # allows one connection per user name, so listening as a station
        # whose agent runs would take the agent's connection over.
        # Two of them, so that one can listen while the other publishes.
        for user in (MONITOR, INJECTOR):
            subprocess.run(["mosquitto_passwd", "-b", os.path.join(self.prov, "passwd"),
                            user, MONITOR_PASSWORD], check=True, timeout=30)
            with open(os.path.join(self.prov, "acl"), "a") as f:
                f.write(f"\nuser {user}\ntopic readwrite minqing/{COUNTY}/#\n")
        return self.prov

    def credentials(self, user):
        if user in (MONITOR, INJECTOR):
            return MONITOR_PASSWORD
        with open(os.path.join(self.provision(), "credentials")) as f:
            for line in f:
                u, _, p = line.strip().partition(":")
                if u == user:
                    return p
        raise Failure(f"no credentials for {user}")

    def start_broker(self, extra_conf=""):
        conf = os.path.join(self.provision(), "mosquitto.conf")
        if extra_conf:
            with open(conf, "a") as f:
                f.write(extra_conf)
        self.broker = Proc("mosquitto", ["mosquitto", "-c", conf],
                           os.path.join(self.dir, "mosquitto.log"), env={})
        self.procs.append(self.broker)
        self.wait_port()
        return self.broker

    def mqtt(self, tool, user, *args):
        """mosquitto_pub/_sub argv logged in as user (a station code or the hub)."""
        return [tool, "-h", "127.0.0.1", "-p", str(self.port), "-u", user,
                "-P", self.credentials(user), *args]

    def wait_port(self, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise Failure("broker did not open its port")

    def stop_broker(self):
        # mosquitto is not ours: no sanitizer, just a clean stop.
        if self.broker and self.broker.alive():
            self.broker.p.terminate()
            self.broker.p.wait(10)
        self.broker = None

    def start_hub(self, *extra, registry=REGISTRY, testing=False, env=None):
        """testing: overrides the provisioned `production = 1`, so that
        --time-scale is allowed."""
        conf = os.path.join(self.provision(), "hub.conf")
        argv = [self.bin("hub/minqing-hub"), "--config", conf]
        if testing:
            test_conf = os.path.join(self.dir, "hub-testing.conf")
            with open(test_conf, "w") as f:
                f.write("# a test hub: scaled time allowed\nproduction = 0\n")
            argv += ["--config", test_conf]
        argv += ["--db", self.hub_db, "--registry", registry, *extra]
        self.hub = Proc("minqing-hub", argv, os.path.join(self.dir, "hub.log"), env=env)
        self.procs.append(self.hub)
        return self.hub

    def start_village_workflow(self, group, village):
        """Broker, hub with a one-member service team at the village, and the
        agents of a group and its village: the workflow between clerks."""
        members = os.path.join(self.dir, "members.csv")
        with open(members, "w") as f:
            f.write(f"m-1,张队员,{village},13800000001,infrastructure\n")
        self.start_broker()
        self.start_hub("--members", members)
        self.start_station(group)
        self.start_station(village)

    def station_dir(self, code):
        d = os.path.join(self.dir, "st-" + code)
        os.makedirs(d, exist_ok=True)
        return d

    def start_station(self, code, *extra):
        d = self.station_dir(code)
        conf = os.path.join(self.provision(), "stations", code, "station.conf")
        argv = [self.bin("station/minqing-station"), "--config", conf, "--data", d,
                *extra]
        p = Proc(f"minqing-station {code}", argv,
                 os.path.join(self.dir, f"station-{code}.log"))
        self.procs.append(p)
        self.stations[code] = p
        return p

    def client(self, code, *args, check_rc=True):
        full_env = dict(os.environ)
        full_env.update(SAN_ENV)
        r = subprocess.run([self.bin("station/minqing"), "--data",
                            self.station_dir(code), "--code", code, *args],
                           capture_output=True, text=True, env=full_env,
                           stdin=subprocess.DEVNULL, timeout=60)
        if check_rc and r.returncode != 0:
            raise Failure(f"minqing {' '.join(args)} failed ({r.returncode}): "
                          f"{r.stderr.strip()}")
        check("runtime error" not in r.stderr and "LeakSanitizer" not in r.stderr,
              f"sanitizer report from minqing: {r.stderr}")
        return r

    def report(self, code, title="测试", colour="blue", category="dispute",
               text="内容", **kw):
        args = ["report", "--colour", colour, "--category", category,
                "--title", title, "--text", text]
        for k, v in kw.items():
            args += [f"--{k}", str(v)]
        return self.client(code, *args).stdout.strip()

    def import_reports(self, code, titles, colour="blue", category="dispute"):
        """Files many reports in one `minqing import` (one transaction):
        load tests feed thousands without a process per report."""
        lines = "".join(json.dumps({"colour": colour, "category": category,
                                    "title": t, "text": "内容"}, ensure_ascii=False) + "\n"
                        for t in titles)
        full_env = dict(os.environ)
        full_env.update(SAN_ENV)
        r = subprocess.run([self.bin("station/minqing"), "--data", self.station_dir(code),
                            "--code", code, "import", "-"], input=lines,
                           capture_output=True, text=True, env=full_env, timeout=120)
        check(r.returncode == 0, f"minqing import failed: {r.stderr.strip()}")
        check("runtime error" not in r.stderr and "LeakSanitizer" not in r.stderr,
              f"sanitizer report from minqing: {r.stderr}")
        ids = r.stdout.split()
        check(len(ids) == len(titles), f"import returned {len(ids)} ids")
        return ids

    def station_list(self, code):
        out = self.client(code, "list", "--json").stdout
        return [json.loads(l) for l in out.splitlines() if l.strip()]

    def hub_reports(self):
        if not os.path.exists(self.hub_db):
            return []
        r = subprocess.run([self.bin("hub/minqing-hub"), "query", "--db",
                            self.hub_db, "--json"], capture_output=True, text=True,
                           env={**os.environ, **SAN_ENV}, timeout=60)
        if r.returncode != 0:
            if "no such table" in r.stderr:
                return []
            raise Failure(f"query failed: {r.stderr}")
        return [json.loads(l) for l in r.stdout.splitlines() if l.strip()]

    def hub_sql(self, sql, *args):
        """The rows of a query on the hub's database, read-only, beside the
        running hub."""
        db = sqlite3.connect(f"file:{self.hub_db}?mode=ro", uri=True, timeout=10)
        try:
            return db.execute(sql, args).fetchall()
        finally:
            db.close()

    def hub_events(self, item):
        """The hub's history of one item, oldest first."""
        r = subprocess.run([self.bin("hub/minqing-hub"), "query", "--db", self.hub_db,
                            "--events", item, "--json"], capture_output=True, text=True,
                           env={**os.environ, **SAN_ENV}, timeout=60)
        check(r.returncode == 0, f"query --events: {r.stderr}")
        return [json.loads(l) for l in r.stdout.splitlines() if l.strip()]

    def hub_stations(self):
        if not os.path.exists(self.hub_db):
            return {}
        r = subprocess.run([self.bin("hub/minqing-hub"), "query", "--db",
                            self.hub_db, "--stations"], capture_output=True,
                           text=True, env={**os.environ, **SAN_ENV}, timeout=60)
        check(r.returncode == 0, f"query --stations failed: {r.stderr}")
        return {s["code"]: s for s in map(json.loads, r.stdout.splitlines())}

    # ------------------------------------------------------------ fleet
    def start_fleet(self, *extra, stations=500, rate=80, duration=30, drain=60,
                    name="fleet", registry=REGISTRY):
        """Starts minqing-fleet: `stations` simulated village/group stations
        logged in with their provisioned credentials, `rate` reports a second
        in all for `duration` s, then up to `drain` s for the last receipts.
        Its summary goes to fleet.json and its item ids to fleet-ids.txt."""
        p = Proc(name, [self.bin("bench/minqing-fleet"),
                        "--broker", f"127.0.0.1:{self.port}", "--registry", registry,
                        "--user-file", os.path.join(self.provision(), "credentials"),
                        "--stations", str(stations), "--rate", str(rate),
                        "--duration", str(duration), "--drain", str(drain),
                        "--json", os.path.join(self.dir, f"{name}.json"),
                        "--ids", os.path.join(self.dir, f"{name}-ids.txt"), *extra],
                 os.path.join(self.dir, f"{name}.log"))
        self.procs.append(p)
        return p

    def finish_fleet(self, fleet, timeout):
        """Waits for the fleet to end by itself; returns its JSON summary with
        "ids", the item ids of every report it created."""
        try:
            fleet.p.wait(timeout)
        except subprocess.TimeoutExpired:
            raise Failure(f"{fleet.name} did not finish within {timeout}s")
        fleet.logf.close()
        text = fleet.text()
        check("runtime error" not in text and "LeakSanitizer" not in text,
              f"{fleet.name}: sanitizer report in {fleet.log}")
        name = os.path.basename(fleet.log)[:-len(".log")]
        try:
            with open(os.path.join(self.dir, f"{name}.json")) as f:
                result = json.load(f)
            with open(os.path.join(self.dir, f"{name}-ids.txt")) as f:
                result["ids"] = f.read().split()
        except OSError as e:
            raise Failure(f"{fleet.name} exited {fleet.p.returncode} without its "
                          f"summary: {e}")
        print(f"{fleet.name}: " + ", ".join(
            f"{k} {result[k]}" for k in ("stations", "created", "receipted", "lost",
                                         "rejected", "duplicates", "repeated_receipts",
                                         "reconnects", "drops", "rate_limited",
                                         "elapsed_s")) +
              f"; latency ms {result['latency_ms']}")
        check(fleet.p.returncode == 0,
              f"{fleet.name} exited {fleet.p.returncode}: lost {result['lost']}, "
              f"rejected {result['rejected']}, reaccepted {result['reaccepted']}")
        return result

    def check_exactly_once(self, result, extra=()):
        """Every report the fleet created (plus `extra` item ids) is stored
        exactly once at the hub and nothing else is; every one was receipted,
        none rejected; the hub is alive."""
        ids = result["ids"]
        check(len(ids) == len(set(ids)), "the fleet created an item id twice")
        check(len(ids) == result["created"],
              f"ids file has {len(ids)} ids for {result['created']} reports")
        stored = [r["id"] for r in self.hub_reports()]
        expected = set(ids) | set(extra)
        check(len(stored) == len(set(stored)),
              f"{len(stored) - len(set(stored))} reports stored twice")
        missing, unknown = expected - set(stored), set(stored) - expected
        check(not missing, f"{len(missing)} reports never stored, e.g. "
              f"{sorted(missing)[:3]}")
        check(not unknown, f"{len(unknown)} unexpected reports stored, e.g. "
              f"{sorted(unknown)[:3]}")
        check(result["lost"] == 0, f"the fleet lost {result['lost']} reports")
        check(result["sent"] == result["created"],
              f"{result['sent']} reports sent of {result['created']} created")
        lat = result["latency_ms"]
        check(lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"],
              f"latency percentiles out of order: {lat}")
        check(result["receipted"] == result["created"],
              f"{result['receipted']} of {result['created']} receipted")
        check(result["rejected"] == 0, f"{result['rejected']} valid reports rejected")
        check(result["reaccepted"] == 0,
              f"{result['reaccepted']} reports accepted a second time")
        check(self.hub and self.hub.alive(), "the hub is not running")
        return len(stored)

    def kill_broker(self):
        """SIGKILL: the broker loses whatever it had not saved."""
        if self.broker and self.broker.alive():
            self.broker.p.kill()
            self.broker.p.wait(10)
        self.broker = None

    def restart_broker(self):
        """A clean stop (mosquitto saves its persistence file) and a start."""
        self.stop_broker()
        return self.start_broker()

    # ------------------------------------------------------------ waiting
    def wait_until(self, pred, timeout, what, interval=0.2):
        end = time.time() + timeout
        last = None
        while time.time() < end:
            last = pred()
            if last:
                return last
            time.sleep(interval)
        raise Failure(f"timed out after {timeout}s waiting for {what}")

    # ------------------------------------------------------------ lifecycle
    def stop_all(self):
        """Stops every live process, ours with a status check."""
        errors = []
        for p in reversed(self.procs):
            if p.killed or p is self.broker or p.argv[0] == "mosquitto":
                continue
            try:
                p.stop()
            except Failure as e:
                errors.append(str(e))
        self.stop_broker()
        if errors:
            raise Failure("; ".join(errors))

    def cleanup(self):
        for p in self.procs:
            if p.alive():
                p.p.kill()
                p.p.wait()
        if not self.failed and not os.environ.get("MINQING_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            print(f"logs kept in {self.dir}", file=sys.stderr)


def run(name, body):
    """Runs body(env) and exits 0 on success, 1 with the logs' tails on failure."""
    env = Env(name)
    t0 = time.time()
    try:
        body(env)
        env.stop_all()
        print(f"{name}: ok ({time.time() - t0:.1f}s)")
        code = 0
    except Exception as e:  # noqa: BLE001 - any error fails the test
        env.failed = True
        print(f"{name}: FAILED: {e}", file=sys.stderr)
        for p in env.procs:
            try:
                tail = p.text()[-3000:]
            except OSError:
                continue
            print(f"----- {p.name} ({p.log}) -----\n{tail}", file=sys.stderr)
        code = 1
    finally:
        env.cleanup()
    sys.exit(code)


def in_background(fn, *args):
    t = threading.Thread(target=fn, args=args, daemon=True)
    t.start()
    return t


# ------------------------------------------------------------ playing the hub
# For tests of the station side alone (20-29): the test-only monitor listens
# on the county's topics and the injector publishes what a hub would.

# The county's own inbox: no station of these tests reads it, so a probe
# there tells when the monitor is listening.
READY_TOPIC = f"minqing/{COUNTY}/down/{COUNTY}/receipt"


class Monitor:
    """mosquitto_sub as MONITOR on some filters; messages() gives every
    (topic, payload) seen so far, in arrival order."""

    def __init__(self, env, *filters):
        self.log = os.path.join(env.dir, f"monitor-{len(env.procs)}.log")
        args = []
        for f in (*filters, READY_TOPIC):
            args += ["-t", f]
        # -v: "topic payload" per line; payloads of the protocol have no LF.
        self.proc = Proc("monitor", env.mqtt("mosquitto_sub", MONITOR, "-q", "1",
                                             "-v", *args), self.log, env={})
        self.proc.killed = True  # not ours: no exit-status check
        env.procs.append(self.proc)

    def lines(self):
        with open(self.log, "rb") as f:
            text = f.read().decode("utf-8", "replace")
        out = []
        for line in text.splitlines():
            topic, _, payload = line.partition(" ")
            if topic.startswith("minqing/"):
                out.append((topic, payload))
        return out

    def messages(self, suffix=None):
        """Decoded JSON payloads whose topic ends with suffix (all if None)."""
        out = []
        for topic, payload in self.lines():
            if topic == READY_TOPIC or (suffix and not topic.endswith(suffix)):
                continue
            try:
                out.append((topic, json.loads(payload)))
            except ValueError:
                out.append((topic, payload))
        return out

    def stop(self):
        self.proc.kill9()


def whole_lines(text):
    """The complete lines of a file another process may be writing: its
    last line may not have reached the file whole yet."""
    return text[:text.rfind("\n") + 1].splitlines()


def inject_user():
    """The account that publishes as the hub in station-side tests."""
    return INJECTOR if "INJECTOR" in globals() else MONITOR


def start_monitor(env, *filters, timeout=10):
    """Starts a Monitor and waits until the broker delivers to it."""
    m = Monitor(env, *filters)
    end = time.time() + timeout
    while time.time() < end:
        publish(env, READY_TOPIC, '{"probe":1}', qos=0)
        time.sleep(0.2)
        if any(t == READY_TOPIC for t, _ in m.lines()):
            return m
    raise Failure("the monitor did not start listening")


def publish(env, topic, payload, qos=1):
    """Publishes one message as the hub would (as the injector account)."""
    r = subprocess.run(env.mqtt("mosquitto_pub", inject_user(), "-q", str(qos),
                                "-t", topic, "-m", payload),
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, f"mosquitto_pub to {topic} failed: {r.stderr}")


def iso_ms(ms):
    """Unix ms as the protocol's timestamp text."""
    t = time.gmtime(ms // 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", t) + f".{ms % 1000:03d}Z"


def item_message(station, msg_id, item, origin, handler, state, seq, **extra):
    """An item snapshot as the hub sends it to `station` (compact JSON)."""
    now = int(time.time() * 1000)
    m = {"v": 1, "type": "item", "station": station, "id": msg_id, "ts": iso_ms(now),
         "item": item, "origin": origin, "colour": "blue", "category": "dispute",
         "title": "测试事项", "text": "内容", "state": state, "handler": handler,
         "seq": seq}
    m.update(extra)
    return json.dumps(m, ensure_ascii=False, separators=(",", ":"))


# ------------------------------------------------------------ the dashboard
# For the dashboard's tests (60-69): a hub serving HTTP on a free port,
# accounts made with `minqing-hub user add`, and a small client that keeps
# the session cookie and the CSRF token like a browser page does.

def start_hub_http(env, *extra, session_idle=None, testing=False):
    """Starts the hub with --http on a free loopback port (env.http_port) and
    waits until it answers."""
    env.http_port = free_port()
    args = ["--http", f"127.0.0.1:{env.http_port}", *extra]
    if session_idle is not None:
        conf = os.path.join(env.dir, "hub-http.conf")
        with open(conf, "w") as f:
            f.write(f"session_idle = {session_idle}\n")
        args += ["--config", conf]
    hub = env.start_hub(*args, testing=testing)
    end = time.time() + 20
    while time.time() < end:
        try:
            with socket.create_connection(("127.0.0.1", env.http_port), 0.2):
                return hub
        except OSError:
            check(hub.alive(), "the hub exited before serving HTTP")
            time.sleep(0.05)
    raise Failure("the hub did not open its HTTP port")


def add_user(env, name, role, scope, password, display=None):
    """`minqing-hub user add` (the hub's database must exist: start the hub
    first)."""
    argv = [env.bin("hub/minqing-hub"), "user", "add", name, "--role", role,
            "--scope", scope, "--db", env.hub_db]
    if display:
        argv += ["--display", display]
    r = subprocess.run(argv, input=password + "\n", capture_output=True, text=True,
                       env={**os.environ, **SAN_ENV}, timeout=60)
    check(r.returncode == 0, f"user add {name} failed: {r.stderr}")
    check("runtime error" not in r.stderr and "LeakSanitizer" not in r.stderr,
          f"sanitizer report from user add: {r.stderr}")
    return r


class Web:
    """A browser's view of the API: one session cookie, the CSRF token from
    the login. Each call returns (status, headers dict, body bytes)."""

    def __init__(self, env):
        self.port = env.http_port
        self.cookie = None
        self.csrf = None

    def connection(self, timeout):
        """The connection a call goes over: plain HTTP to loopback here; a
        test of another transport (68's TLS) overrides it."""
        import http.client
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def call(self, method, path, body=None, headers=None, csrf=True, timeout=30):
        c = self.connection(timeout)
        h = dict(headers or {})
        if self.cookie:
            h["Cookie"] = self.cookie
        if method == "POST" and csrf and self.csrf:
            h["X-CSRF-Token"] = self.csrf
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            if isinstance(data, str):
                data = data.encode()
            h.setdefault("Content-Type", "application/json")
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        payload = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        c.close()
        return r.status, hdrs, payload

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body if body is not None else {}, **kw)

    def json(self, method, path, body=None, want=200, **kw):
        status, hdrs, payload = self.call(method, path, body, **kw)
        check(status == want, f"{method} {path}: {status} (want {want}): "
              f"{payload[:300]!r}")
        return json.loads(payload) if payload else None

    def login(self, user, password, want=200):
        status, hdrs, payload = self.call("POST", "/api/login",
                                          {"user": user, "password": password},
                                          csrf=False)
        check(status == want, f"login {user}: {status} (want {want}): {payload[:300]!r}")
        if status == 200:
            cookie = hdrs.get("set-cookie", "")
            self.cookie = cookie.split(";")[0]
            self.csrf = json.loads(payload)["csrf"]
            return json.loads(payload), hdrs
        return json.loads(payload) if payload else None, hdrs


class LoopStations:
    """Publishes as any station, each announcing itself online first as a
    station's agent does (the hub sends item messages to stations online,
    the others get theirs when they come); collects every receipt and item
    message."""

    def __init__(self, env):
        self.env = env
        self.born = set()
        self.sub = Proc("down", env.mqtt("mosquitto_sub", MONITOR, "-q", "1", "-v", "-t",
                                         f"minqing/{COUNTY}/down/#"),
                        os.path.join(env.dir, "down.txt"), env={})
        env.procs.append(self.sub)
        self.next_id = 1795400000000
        time.sleep(0.5)

    def send(self, station, kind, body, mid=None):
        if station not in self.born:
            self.born.add(station)
            self.send(station, "status", {"state": "online", "session": 1}, mid=0)
        if mid is None:
            self.next_id += 1
            mid = self.next_id
        msg = {"v": 1, "type": kind, "station": station,
               "ts": "2026-11-23T08:00:00.000Z", **body}
        if mid:
            msg["id"] = mid
        subprocess.run(self.env.mqtt("mosquitto_pub", INJECTOR, "-q", "1", "-t",
                                     f"minqing/{COUNTY}/up/{station}/{kind}",
                                     "-m", json.dumps(msg, ensure_ascii=False)),
                       check=True, timeout=20)
        return mid

    def down(self, kind):
        out = []
        for line in whole_lines(self.sub.text()):
            topic, _, payload = line.partition(" ")
            if topic.endswith("/" + kind):
                out.append((topic.split("/")[3], json.loads(payload)))
        return out

    def receipt(self, station, ref, timeout=20):
        def find():
            for st, r in self.down("receipt"):
                if st == station and r.get("ref") == ref:
                    return r
            return None
        return self.env.wait_until(find, timeout, f"receipt for {ref}")

    def report(self, station, colour, category="livelihood", title="测试", **kw):
        body = {"colour": colour, "category": category, "title": title, "text": "内容",
                **kw}
        mid = self.send(station, "report", body)
        r = self.receipt(station, mid)
        check(r["status"] == "accepted", f"report refused: {r}")
        self.last = (mid, body, r)
        return r["item"]

    def act(self, station, item, action, **kw):
        mid = self.send(station, "action", {"item": item, "action": action, **kw})
        return self.receipt(station, mid)
