"""docs/DEPLOY.md followed on a staged root: `meson install --destdir`, the
sample registry copied into place, `minqing-hub provision --tls --dropin`,
a Debian-like mosquitto reading the drop-in (as root it drops to user
mosquitto, so the provisioned group permissions are what let it read the
password file), the hub, a village station from its bundle and a second
station through the template unit, each started with the command line of
its installed unit, its dashboard over HTTPS with the certificate that
provisioning made from the county CA. The clerk's report reaches the hub; the unit's reload
command reloads; stats and backup work on the installed configs.

The staged root stands in for /: absolute paths of the install in the
shipped configs and units are pointed into it, as a chroot would."""
import sys, os, re, json, shlex, socket, ssl, subprocess, shutil, time
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check, Proc, free_port
import harness

A, B = "611025100201", "611025100202"


def sh(argv, ok=True):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=120,
                       env={**os.environ, **harness.SAN_ENV})
    if ok:
        check(r.returncode == 0, f"{' '.join(argv)}: {r.returncode} {r.stdout} {r.stderr}")
    return r


def body(env):
    o = json.loads(sh(["meson", "introspect", "--buildoptions", harness.BUILD]).stdout)
    o = {x["name"]: x["value"] for x in o}
    p = {k: os.path.join(o["prefix"], o[k])
         for k in ("bindir", "sysconfdir", "localstatedir", "datadir")}
    os.chmod(env.dir, 0o711)  # the broker drops to user mosquitto: let it through
    stage = os.path.join(env.dir, "root")
    S = lambda path: stage + path
    moved = re.compile(r"(?<![\w/.])(" + "|".join(
        re.escape(v) for v in sorted(p.values(), key=len, reverse=True)) + r")(?=/)")
    into_stage = lambda text: moved.sub(lambda m: S(m.group(1)), text)

    # 1. Build and install (the build is ours; the install is staged).
    sh(["meson", "install", "-C", harness.BUILD, "--no-rebuild", "--destdir", stage])
    etc, var, bin_ = S(p["sysconfdir"] + "/minqing"), S(p["localstatedir"]), S(p["bindir"])
    for f in ("hub.conf", "station.conf"):
        path = os.path.join(etc, f)
        text = into_stage(open(path).read())
        open(path, "w").write(text)
    unitdir = S(o["prefix"] + "/lib/systemd/system")

    def unit_line(unit, key, instance=None):
        text = open(os.path.join(unitdir, unit)).read()
        line = re.search(rf"^{key}=(.*)$", text, re.M).group(1)
        if instance:
            line = line.replace("%i", instance)
        return shlex.split(into_stage(line))

    # 2. The county hub server.
    shutil.copy(S(p["datadir"] + "/minqing/zhenan-stations.csv"),
                os.path.join(etc, "registry.csv"))
    env.port, tls_port = free_port(), free_port()
    confd = S("/etc/mosquitto/conf.d")
    os.makedirs(confd)
    sh([os.path.join(bin_, "minqing-hub"), "provision", "--registry",
        os.path.join(etc, "registry.csv"), "--out", os.path.join(etc, "county"), "--tls",
        "--host", "127.0.0.1", "--port", str(env.port), "--tls-port", str(tls_port),
        "--http-host", "hub.county.example",
        "--dropin", os.path.join(confd, "minqing.conf")])
    # The dashboard as DEPLOY.md sets it: HTTPS from the provisioned pair.
    http_port = free_port()
    with open(os.path.join(etc, "hub.conf"), "a") as f:
        f.write(f"http = 127.0.0.1:{http_port}\n")
    main_conf = S("/etc/mosquitto/mosquitto.conf")
    with open(main_conf, "w") as f:  # Debian's, less its pid file and disk state
        f.write(f"persistence false\nlog_dest stdout\ninclude_dir {confd}\n")
    env.broker = Proc("mosquitto", ["mosquitto", "-c", main_conf],
                      os.path.join(env.dir, "mosquitto.log"), env={})
    env.procs.append(env.broker)
    env.wait_port()
    r = sh([os.path.join(bin_, "minqing-hub"), "check-config", "--config",
            os.path.join(etc, "county", "hub.conf"), "--config", os.path.join(etc, "hub.conf")])
    check("configuration ok" in r.stdout, f"check-config before the first start: {r.stdout}")
    os.makedirs(os.path.join(var, "lib/minqing/hub"), mode=0o700)  # StateDirectory=
    r = sh(unit_line("minqing-hub.service", "ExecStartPre"))
    check("configuration ok" not in r.stdout, "check-config --quiet was not quiet")
    env.hub = Proc("minqing-hub", unit_line("minqing-hub.service", "ExecStart"),
                   os.path.join(env.dir, "hub.log"))
    env.procs.append(env.hub)
    env.wait_until(lambda: "connected to broker" in env.hub.text(), 20,
                   "the hub to connect to the drop-in's broker")
    ctx = ssl.create_default_context(cafile=os.path.join(etc, "county", "ca.crt"))
    with socket.create_connection(("127.0.0.1", http_port), 10) as raw:
        with ctx.wrap_socket(raw, server_hostname="hub.county.example") as tls:
            tls.sendall(b"GET / HTTP/1.1\r\nHost: hub.county.example\r\n"
                        b"Connection: close\r\n\r\n")
            head = tls.recv(4096)
    check(head.startswith(b"HTTP/1.1 200") and b"Strict-Transport-Security" in head,
          f"the staged dashboard over HTTPS: {head[:200]!r}")
    print("the staged hub's dashboard speaks HTTPS with the county CA's certificate")
    print(f"hub up from the staged unit; broker from the drop-in "
          f"{'(as user mosquitto)' if os.geteuid() == 0 else ''}")

    # 3-4. A village station from its bundle, and one through the template.
    bundle = os.path.join(etc, "bundle")
    os.makedirs(bundle, mode=0o750)
    for f in ("station.conf", "ca.crt"):
        shutil.copy(os.path.join(etc, "county", "stations", A, f), bundle)
    sh([os.path.join(bin_, "minqing-station"), "--check-config", "--config",
        os.path.join(bundle, "station.conf"), "--config", os.path.join(etc, "station.conf")],
       ok=False)  # the data directory does not exist yet: systemd makes it
    data_a = os.path.join(var, "lib/minqing/station")
    os.makedirs(data_a, mode=0o770)
    sh([os.path.join(bin_, "minqing-station"), "--check-config", "--config",
        os.path.join(bundle, "station.conf"), "--config", os.path.join(etc, "station.conf")])
    sa = Proc("station A", unit_line("minqing-station.service", "ExecStart"),
              os.path.join(env.dir, "station-a.log"))
    shutil.copytree(os.path.join(etc, "county", "stations", B),
                    os.path.join(etc, "stations", B))
    data_b = os.path.join(var, "lib/minqing/stations", B)
    os.makedirs(data_b, mode=0o770)
    sb = Proc("station B", unit_line("minqing-station@.service", "ExecStart", B),
              os.path.join(env.dir, "station-b.log"))
    env.procs += [sa, sb]

    items = {}
    for code, data in ((A, data_a), (B, data_b)):
        env.wait_until(lambda: os.path.exists(os.path.join(data, "agent.sock")), 20,
                       f"station {code} to start")
        r = sh([os.path.join(bin_, "minqing"), "--data", data, "report", "--colour",
                "orange", "--category", "infrastructure", "--title", "村道塌方",
                "--text", "暴雨后村道塌方"])
        items[code] = r.stdout.strip()

    def received(data):
        out = sh([os.path.join(bin_, "minqing"), "--data", data, "list", "--json"]).stdout
        return [json.loads(l)["received"] for l in out.splitlines()] == [True]
    for code, data in ((A, data_a), (B, data_b)):
        env.wait_until(lambda: received(data), 30, f"the hub's receipt at {code}")
    stored = {r["id"] for r in env.hub_reports_at(os.path.join(var, "lib/minqing/hub/hub.db"))}
    check(set(items.values()) <= stored, f"reports not at the hub: {items} {stored}")
    print(f"clerks' reports {sorted(items.values())} received at the hub over TLS "
          "(minqing-station.service and minqing-station@.service)")

    # Operating it: reload, stats, backup on the installed configs.
    cfg = ["--config", os.path.join(etc, "county", "hub.conf"),
           "--config", os.path.join(etc, "hub.conf")]
    reload_cmd = [a.replace("$MAINPID", str(env.hub.p.pid))
                  for a in unit_line("minqing-hub.service", "ExecReload")]
    sh(reload_cmd)
    env.wait_until(lambda: "reloaded: policy" in env.hub.text(), 20, "the reload")
    stats = sh([os.path.join(bin_, "minqing-hub"), "stats", *cfg, "--lang", "en"]).stdout
    check(re.search(r"collected\s+2\b", stats), f"stats does not count 2 reports:\n{stats}")
    backup = S("/srv/backup/hub.db")
    os.makedirs(os.path.dirname(backup))
    r = sh([os.path.join(bin_, "minqing-hub"), "backup", *cfg, "--to", backup])
    check("2 reports" in r.stdout and "hub.key is not in this backup" in r.stdout,
          f"backup said: {r.stdout}")
    print("systemctl reload's command reloads; stats and backup read the installed "
          "configs:\n" + stats)


def hub_reports_at(self, db):
    saved, self.hub_db = self.hub_db, db
    try:
        return self.hub_reports()
    finally:
        self.hub_db = saved


harness.Env.hub_reports_at = hub_reports_at
run("44-deploy-staged", body)
