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
import subprocess
import sys
import tempfile
import threading
import time

BUILD = os.environ.get("MINQING_BUILD", "build")
SOURCE = os.environ.get("MINQING_SOURCE", ".")
REGISTRY = os.path.join(SOURCE, "data", "zhenan-stations.csv")
COUNTY = "611025"

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

    def provision(self, tls=False):
        """Provisions the county once per test: passwords, ACL, broker config,
        station bundles. Every broker of the tests is this authenticated one."""
        if self.prov:
            return self.prov
        self.prov = os.path.join(self.dir, "prov")
        args = [self.bin("hub/minqing-hub"), "provision", "--registry", REGISTRY,
                "--out", self.prov, "--port", str(self.port)]
        if tls:
            self.tls_port = free_port()
            args += ["--tls", "--tls-port", str(self.tls_port)]
        r = subprocess.run(args, capture_output=True, text=True, timeout=120,
                           env={**os.environ, **SAN_ENV})
        check(r.returncode == 0, f"provision failed: {r.stderr}")
        return self.prov

    def credentials(self, user):
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

    def start_hub(self, *extra, registry=REGISTRY):
        conf = os.path.join(self.provision(), "hub.conf")
        argv = [self.bin("hub/minqing-hub"), "--config", conf, "--db", self.hub_db,
                "--registry", registry, *extra]
        self.hub = Proc("minqing-hub", argv, os.path.join(self.dir, "hub.log"))
        self.procs.append(self.hub)
        return self.hub

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

    def hub_stations(self):
        if not os.path.exists(self.hub_db):
            return {}
        r = subprocess.run([self.bin("hub/minqing-hub"), "query", "--db",
                            self.hub_db, "--stations"], capture_output=True,
                           text=True, env={**os.environ, **SAN_ENV}, timeout=60)
        check(r.returncode == 0, f"query --stations failed: {r.stderr}")
        return {s["code"]: s for s in map(json.loads, r.stdout.splitlines())}

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
