"""The dashboard over HTTPS (issue 17 §6): the county network is not trusted.

- `provision --http-host NAME` makes a certificate from the county CA and
  the provisioned hub.conf serves HTTPS with it: Python's ssl verifies it
  against ca.crt alone for NAME, a second name, an IP and loopback, and
  refuses another name and the system's CAs.
- Over TLS: the login works, its cookie is Secure (and HttpOnly), every
  answer carries Strict-Transport-Security, a change from the plain-HTTP
  origin of the same host is refused, a report reaches the live stream.
- Plain HTTP spoken to the TLS port gets no answer and a closed socket;
  the hub serves the next TLS client as before. A client that never begins
  its handshake is cut by the request deadline.
- Without a certificate the hub refuses a non-loopback address at start,
  with a sentence naming http_cert, http_key and http_insecure, and so does
  check-config; with http_insecure = 1 it serves plain HTTP there (no
  Secure, no HSTS) and takes a change from the https:// origin a TLS
  proxy in front of it passes on. Half a pair, or a key that is not the certificate's,
  is refused too.
- A PEM pair the operator brings (an RSA chain of another CA, made here
  with openssl) works the same; 20 days before it expires, check-config and
  the hub's start warn.
"""
import http.client
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import threading
import time
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check, start_hub_http, add_user, free_port, Proc
import harness

NAME, NAME2, ADDR = "minqing.county.example", "dash.county.example", "10.20.30.40"
PW = "county-pass-1"
VILLAGE = "611025100201"


def context(cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    return ctx


def handshake(port, ctx, name):
    """The peer's certificate after a verified handshake as `name`."""
    with socket.create_connection(("127.0.0.1", port), 5) as raw:
        with ctx.wrap_socket(raw, server_hostname=name) as s:
            return s.version(), s.getpeercert()


class TlsConn(http.client.HTTPSConnection):
    """An HTTPS connection to 127.0.0.1 that verifies the server as `name`
    and names it in Host, as a browser at https://name:port/ does."""

    def __init__(self, name, port, ctx):
        super().__init__(name, port, context=ctx, timeout=15)
        self.ctx_ = ctx

    def connect(self):
        raw = socket.create_connection(("127.0.0.1", self.port), self.timeout)
        self.sock = self.ctx_.wrap_socket(raw, server_hostname=self.host)


class TlsWeb(harness.Web):
    def __init__(self, env, name, ctx):
        super().__init__(env)
        self.name, self.ctx = name, ctx

    def connection(self, timeout):
        return TlsConn(self.name, self.port, self.ctx)


def sh(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=60,
                          env={**os.environ, **harness.SAN_ENV}, **kw)


def start_hub_fails(env, *args):
    """Runs the hub that must refuse to start: (exit code, its output)."""
    argv = [env.bin("hub/minqing-hub"), "--config", os.path.join(env.prov, "hub.conf"),
            "--db", env.hub_db, "--registry", harness.REGISTRY, *args]
    r = sh(argv)
    return r.returncode, r.stdout + r.stderr


def write(env, name, text):
    path = os.path.join(env.dir, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def check_tls_session(env, web, origin_host):
    """Login, cookie, HSTS, origin scheme, a read and the live stream."""
    status, hdrs, _ = web.post("/api/login", {"user": "county", "password": PW},
                               headers={"Origin": f"http://{origin_host}"}, csrf=False)
    check(status == 403, f"a login from the plain-HTTP origin got {status}, want 403")
    me, hdrs = web.login("county", PW)
    cookie = hdrs.get("set-cookie", "")
    attrs = [a.strip().lower() for a in cookie.split(";")]
    check("secure" in attrs and "httponly" in attrs,
          f"the session cookie over TLS is not Secure and HttpOnly: {cookie}")
    check(hdrs.get("strict-transport-security", "").startswith("max-age="),
          f"no HSTS on the login's answer: {hdrs}")
    me = web.json("GET", "/api/me")
    check(me["user"] == "county", f"/api/me over TLS: {me}")
    for path in ("/", "/api/nothing-here"):
        status, hdrs, _ = web.get(path)
        check("max-age=" in hdrs.get("strict-transport-security", ""),
              f"GET {path} ({status}) carries no HSTS")
    # The live stream (suspended between events) over TLS.
    c = TlsConn(web.name, web.port, web.ctx)
    c.request("GET", "/api/stream", headers={"Cookie": web.cookie,
                                             "Accept": "text/event-stream"})
    r = c.getresponse()
    check(r.status == 200 and r.getheader("Content-Type", "").startswith("text/event-stream"),
          f"stream over TLS: {r.status} {r.getheaders()}")
    first = r.read1(64)
    check(first.startswith(b"retry:") or first.startswith(b"id:"),
          f"stream over TLS began with {first!r}")
    c.close()


def body(env):
    prov = env.provision(http_hosts=(NAME, NAME2, ADDR))
    conf = open(os.path.join(prov, "hub.conf")).read()
    check(f"http_cert = {prov}/dashboard.crt" in conf and
          f"http_key = {prov}/dashboard.key" in conf,
          f"the provisioned hub.conf names no dashboard certificate:\n{conf}")
    check(os.stat(os.path.join(prov, "dashboard.key")).st_mode & 0o077 == 0,
          "dashboard.key is readable by others")
    ca = os.path.join(prov, "ca.crt")
    county_ctx = context(ca)
    env.start_broker()

    # 1. The provisioned certificate, on loopback (the tests' address).
    hub = start_hub_http(env)
    port = env.http_port
    # The port opens just before the hub logs it: wait for the line.
    env.wait_until(lambda: f"dashboard at https://127.0.0.1:{port}/" in hub.text(), 10,
                   "the hub saying it serves HTTPS")
    check("expires in" not in hub.text(), "a warning of expiry for a ten-year certificate")
    add_user(env, "county", "county", harness.COUNTY, PW)
    t0 = time.time()
    for name in (NAME, NAME2, ADDR, "127.0.0.1", "localhost"):
        version, cert = handshake(port, county_ctx, name)
        check(version in ("TLSv1.2", "TLSv1.3"), f"{name}: {version}")
    print(f"handshakes verified against the county CA for {NAME}, {NAME2}, {ADDR}, "
          f"loopback ({version}, {(time.time() - t0) * 200:.0f} ms each)")
    for name, ctx in (("other.example", county_ctx),
                      (NAME, ssl.create_default_context())):
        try:
            handshake(port, ctx, name)
            raise harness.Failure(f"the certificate verified as {name} "
                                  f"{'without the county CA' if name == NAME else ''}")
        except ssl.SSLCertVerificationError:
            pass
    # A client that opens and never says hello holds its slot only until
    # the request deadline (5 s), handshake included.
    idle = socket.create_connection(("127.0.0.1", port), 5)
    idle_at = time.time()
    web = TlsWeb(env, NAME, county_ctx)
    check_tls_session(env, web, f"{NAME}:{port}")
    print("over TLS: login, Secure HttpOnly cookie, HSTS on every answer, "
          "plain-HTTP origin refused, stream")


    # Plain HTTP to the TLS port: no HTTP answer, the socket closed.
    t0 = time.time()
    with socket.create_connection(("127.0.0.1", port), 5) as s:
        s.settimeout(10)
        s.sendall(f"GET /api/me HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        got = b""
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
        except ConnectionResetError:
            pass
    took = time.time() - t0
    check(not got.startswith(b"HTTP/"), f"plain HTTP on the TLS port was answered: {got!r}")
    check(took < 6, f"plain HTTP on the TLS port kept the socket {took:.1f} s")
    check(hub.alive(), "the hub died of plain HTTP on its TLS port")
    me = web.json("GET", "/api/me")
    check(me["user"] == "county", "the next TLS client after plain HTTP")
    print(f"plain HTTP to the TLS port: {len(got)} bytes back, closed in "
          f"{took * 1000:.0f} ms; the hub serves on")
    idle.settimeout(max(0.1, idle_at + 8 - time.time()))
    try:
        check(idle.recv(1) == b"", "a silent client was sent data")
    except ConnectionResetError:
        pass
    except socket.timeout:
        raise harness.Failure("a client that never began its handshake was not cut in 8 s")
    print(f"a client silent from the start: cut after {time.time() - idle_at:.1f} s")
    idle.close()

    # A report reaches an open TLS stream (suspended, then resumed).
    c = TlsConn(NAME, port, county_ctx)
    c.request("GET", "/api/stream", headers={"Cookie": web.cookie,
                                             "Accept": "text/event-stream"})
    resp = c.getresponse()
    seen = []

    def read():
        try:
            for b in iter(lambda: resp.read1(4096), b""):
                seen.append(b)
        except (OSError, AttributeError, ValueError, http.client.HTTPException):
            pass  # closed below
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    time.sleep(0.3)
    t0 = time.time()
    item = harness.LoopStations(env).report(VILLAGE, "orange")
    env.wait_until(lambda: item.encode() in b"".join(seen), 15,
                   "the report's item on the TLS stream")
    print(f"item {item} on the TLS stream {(time.time() - t0) * 1000:.0f} ms after "
          "its report was sent")
    # The page goes away: the reader's recv returns at once (closing the TLS
    # socket alone would wait for the reader to let go of it).
    socket.socket.shutdown(c.sock, socket.SHUT_RDWR)
    reader.join(5)
    c.close()
    hub.stop()
    env.procs.remove(hub)

    # 2. No certificate: loopback only, unless the operator insists.
    off = free_port()
    plain = write(env, "plain.conf", "http_cert =\nhttp_key =\n")
    rc, out = start_hub_fails(env, "--config", plain, "--http", f"0.0.0.0:{off}")
    check(rc == 2 and "refusing plain HTTP on 0.0.0.0" in out and "http_cert" in out
          and "http_insecure = 1" in out,
          f"plain HTTP off loopback: exit {rc}, {out!r}")
    print(f"refused: {out.strip().splitlines()[-1][:110]}...")
    full = write(env, "check.conf", f"db = {env.hub_db}\nregistry = {harness.REGISTRY}\n"
                 f"http = 0.0.0.0:{off}\nhttp_cert =\nhttp_key =\n")
    r = sh([env.bin("hub/minqing-hub"), "check-config", "--config",
            os.path.join(prov, "hub.conf"), "--config", full])
    check(r.returncode == 1 and "refusing plain HTTP" in r.stderr,
          f"check-config on plain HTTP off loopback: {r.returncode} {r.stderr}")
    half = write(env, "half.conf", "http_key =\n")
    rc, out = start_hub_fails(env, "--config", half, "--http", f"127.0.0.1:{off}")
    check(rc == 2 and "'http_cert' is set without 'http_key'" in out,
          f"a certificate without its key: exit {rc}, {out!r}")
    insecure = write(env, "insecure.conf", "http_cert =\nhttp_key =\nhttp_insecure = 1\n")
    env.http_port = off
    hub = env.start_hub("--config", insecure, "--http", f"0.0.0.0:{off}")
    env.wait_until(lambda: f"dashboard at http://0.0.0.0:{off}/" in hub.text(), 20,
                   "the insecure dashboard")
    pweb = harness.Web(env)
    # Behind a TLS proxy the browser's origin is https:// and the Host the
    # proxy passes on: a change from there is this server's.
    status, _, _ = pweb.post("/api/login", {"user": "county", "password": PW},
                             headers={"Origin": f"https://127.0.0.1:{off}"}, csrf=False)
    check(status == 200, f"a login through a TLS proxy (https:// origin) got {status}")
    _, hdrs = pweb.login("county", PW)
    check("secure" not in hdrs.get("set-cookie", "").lower() and
          "strict-transport-security" not in hdrs,
          f"plain HTTP sends Secure or HSTS: {hdrs}")
    print("http_insecure = 1: plain HTTP on 0.0.0.0, no Secure, no HSTS")
    hub.stop()
    env.procs.remove(hub)

    # 3. The operator's own PEM pair: RSA, another CA, a chain file.
    own = os.path.join(env.dir, "own")
    os.makedirs(own)
    o = lambda f: os.path.join(own, f)
    with open(o("ext.cnf"), "w") as f:
        f.write("subjectAltName = DNS:hub.example.org\nbasicConstraints = CA:FALSE\n"
                "extendedKeyUsage = serverAuth\n")
    for argv in (
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
         o("ca.key"), "-out", o("ca.crt"), "-days", "30", "-subj", "/CN=Operator test CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign"],
        ["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", o("hub.key"),
         "-out", o("hub.csr"), "-subj", "/CN=hub.example.org"],
        ["openssl", "x509", "-req", "-in", o("hub.csr"), "-CA", o("ca.crt"), "-CAkey",
         o("ca.key"), "-CAcreateserial", "-out", o("hub.crt"), "-days", "20",
         "-extfile", o("ext.cnf")],
    ):
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, f"{' '.join(argv[:3])}: {r.stderr}")
    with open(o("chain.pem"), "w") as f:
        f.write(open(o("hub.crt")).read() + open(o("ca.crt")).read())
    wrong = write(env, "wrong.conf", f"http_cert = {o('chain.pem')}\n"
                  f"http_key = {prov}/dashboard.key\n")
    rc, out = start_hub_fails(env, "--config", wrong, "--http", f"127.0.0.1:{off}")
    check(rc == 2 and "is not the key of the certificate" in out,
          f"a key that is not the certificate's: exit {rc}, {out!r}")
    mine = write(env, "own.conf", f"http_cert = {o('chain.pem')}\nhttp_key = {o('hub.key')}\n")
    r = sh([env.bin("hub/minqing-hub"), "check-config", "--config",
            os.path.join(prov, "hub.conf"), "--config", full, "--config", mine])
    check(r.returncode == 0, f"check-config with the operator's pair: {r.stderr}")
    # 20 days left: a warning, not an error (the county's has ten years).
    check(re.search(r"warning: key 'http_cert': .*chain.pem expires in (19|20) days", r.stderr),
          f"check-config does not warn of the expiry in 20 days: {r.stderr!r}")
    hub = start_hub_http(env, "--config", mine)
    check(re.search(r"certificate .*chain.pem expires in (19|20) days", hub.text()),
          "the hub does not warn at start of its certificate's expiry")
    own_ctx = context(o("ca.crt"))
    version, _ = handshake(env.http_port, own_ctx, "hub.example.org")
    try:
        handshake(env.http_port, county_ctx, "hub.example.org")
        raise harness.Failure("the operator's certificate verified against the county CA")
    except ssl.SSLCertVerificationError:
        pass
    web = TlsWeb(env, "hub.example.org", own_ctx)
    check_tls_session(env, web, f"hub.example.org:{env.http_port}")
    print(f"the operator's RSA chain: verified as hub.example.org ({version}), "
          "login, Secure, HSTS")


run("68-dashboard-tls", body)
