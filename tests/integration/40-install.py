"""A staged install (meson install --destdir) puts every file in its place:
the four programs, the commented configs in /etc/minqing (every key of the
hub and the station shown, a re-install keeping the operator's edits), the
systemd units and users, the data directory, the sample registry, the docs
and the man pages. `systemd-analyze verify` passes on every unit (against
the staged programs and man pages) and `systemd-analyze security` rates
each below 2.0; the man pages render with `man -l`; --help and --version of
every program answer, and every option of --help is in its man page."""
import sys, os, re, json, subprocess, shutil
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check, Failure
import harness

PROGRAMS = {"minqing": "minqing.1", "minqing-station": "minqing-station.8",
            "minqing-hub": "minqing-hub.8", "minqing-fleet": "minqing-fleet.1"}
UNITS = ["minqing-hub.service", "minqing-station.service", "minqing-station@.service"]


def sh(argv, env=None, ok=True, **kw):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=120,
                       env={**os.environ, **harness.SAN_ENV, **(env or {})}, **kw)
    if ok:
        check(r.returncode == 0, f"{' '.join(argv)}: {r.returncode} {r.stderr[-800:]}")
    return r


def options(build):
    r = sh(["meson", "introspect", "--buildoptions", build])
    o = {x["name"]: x["value"] for x in json.loads(r.stdout)}
    p = o["prefix"]
    # Meson gives sysconfdir and localstatedir absolute for /usr, else relative.
    return {k: os.path.join(p, o[k]) for k in
            ("bindir", "sysconfdir", "localstatedir", "datadir", "mandir")} | {"prefix": p}


def keys_of(source):
    """The config keys of a program's key table in its C source."""
    text = open(os.path.join(harness.SOURCE, source)).read()
    return re.findall(r'\{"(\w+)", PROTO_CONF_\w+,', text)


def body(env):
    o = options(harness.BUILD)
    stage = os.path.join(env.dir, "stage")
    root = lambda p: stage + p
    sh(["meson", "install", "-C", harness.BUILD, "--no-rebuild", "--destdir", stage])

    etc = o["sysconfdir"] + "/minqing"
    expected = [o["bindir"] + "/" + p for p in PROGRAMS] + [
        etc + "/hub.conf", etc + "/station.conf", etc + "/policy.conf",
        o["prefix"] + "/lib/sysusers.d/minqing.conf",
        o["datadir"] + "/minqing/zhenan-stations.csv",
        o["datadir"] + "/minqing/zhenan-team.csv",
        o["datadir"] + "/minqing/conf/hub.conf",
        o["datadir"] + "/doc/minqing/DEPLOY.md",
    ] + [o["prefix"] + "/lib/systemd/system/" + u for u in UNITS] + [
        f"{o['mandir']}/man{m[-1]}/{m}" for m in list(PROGRAMS.values()) + ["minqing.conf.5"]]
    for f in expected:
        check(os.path.isfile(root(f)), f"{f} is not installed")
    for p in PROGRAMS:
        check(os.access(root(o["bindir"] + "/" + p), os.X_OK), f"{p} is not executable")
    check(os.path.isdir(root(o["localstatedir"] + "/lib/minqing")),
          "the data directory is not installed")
    check(not os.path.exists(root(o["bindir"] + "/minqing-echo")),
          "the benchmark's echo is installed")
    print(f"{len(expected)} files and the data directory in place under prefix {o['prefix']}")

    # Every key of each program in its shipped config, with a comment.
    for conf, src in (("hub.conf", "hub/hub-main.c"), ("station.conf", "station/agent-main.c")):
        text = open(root(etc + "/" + conf)).read()
        keys = keys_of(src)
        check(len(keys) > 8, f"no key table found in {src}")
        for k in keys:
            check(re.search(rf"^#?{k} =", text, re.M),
                  f"{conf} does not show the key '{k}'")
        check(o["localstatedir"] + "/lib/minqing/" in text,
              f"{conf} does not put data under the data directory")
    print("hub.conf and station.conf show every key of the programs")

    # The units: verified against the staged programs and man pages.
    vdir = os.path.join(env.dir, "units")
    os.makedirs(vdir)
    for u in UNITS:
        text = open(root(o["prefix"] + "/lib/systemd/system/" + u)).read()
        for d in ("ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
                  "NoNewPrivileges=yes", "RestrictAddressFamilies=", "ReadWritePaths=",
                  "Restart=on-failure", "RestartSec=", "User=", "StateDirectory="):
            check(d in text, f"{u} lacks {d}")
        with open(os.path.join(vdir, u), "w") as f:
            f.write(text.replace(o["bindir"] + "/", root(o["bindir"]) + "/"))
    manpath = {"MANPATH": root(o["mandir"])}
    r = sh(["systemd-analyze", "verify", *UNITS], env=manpath, ok=False, cwd=vdir)
    check(r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(),
          f"systemd-analyze verify: {r.returncode} {r.stdout} {r.stderr}")
    # A unit with a typo must fail the same check: the check can fail.
    with open(os.path.join(vdir, "broken.service"), "w") as f:
        f.write(open(os.path.join(vdir, UNITS[0])).read().replace(
            "ProtectHome=yes", "ProtectHome=perhaps"))
    r = sh(["systemd-analyze", "verify", "broken.service"], env=manpath, ok=False, cwd=vdir)
    check(r.stderr.strip(), "systemd-analyze verify took a broken unit silently")
    scores = {}
    for u in UNITS:
        r = sh(["systemd-analyze", "security", "--offline=true", u], ok=False, cwd=vdir)
        m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", r.stdout)
        check(m, f"no security score for {u}: {r.stdout[-300:]} {r.stderr[-300:]}")
        scores[u] = float(m.group(1))
        check(scores[u] < 2.0, f"{u}: exposure {scores[u]} (DEPLOY.md promises < 2.0)")
    print(f"systemd-analyze verify: clean; security exposure {scores}")

    # Re-installing keeps the operator's edits to /etc/minqing.
    with open(root(etc + "/hub.conf"), "a") as f:
        f.write("members = /etc/minqing/members.csv\n")
    sh(["meson", "install", "-C", harness.BUILD, "--no-rebuild", "--destdir", stage])
    check("members = /etc/minqing/members.csv" in open(root(etc + "/hub.conf")).read(),
          "a re-install overwrote the operator's hub.conf")
    print("a re-install keeps the operator's hub.conf")

    # Man pages render; --help and --version answer and match them.
    version = json.loads(sh(["meson", "introspect", "--projectinfo",
                             harness.BUILD]).stdout)["version"]
    for prog, page in PROGRAMS.items():
        path = root(f"{o['mandir']}/man{page[-1]}/{page}")
        r = sh(["man", "-l", path], env={"MANWIDTH": "100", "MAN_KEEP_FORMATTING": "",
                                          "PAGER": "cat"})
        man = re.sub(r".\x08", "", r.stdout)
        check("NAME" in man and "SYNOPSIS" in man and prog in man,
              f"man -l {page} rendered no page")
        check(not r.stderr.strip(), f"man -l {page}: {r.stderr}")
        exe = root(o["bindir"] + "/" + prog)
        v = sh([exe, "--version"]).stdout.strip()
        check(v == f"{prog} {version}", f"{prog} --version says '{v}'")
        helps = [sh([exe, "--help"], env={"MINQING_LANG": "en"}).stdout]
        if prog == "minqing-hub":
            for sub in ("query", "provision", "check-config", "backup", "stats"):
                helps.append(sh([exe, sub, "--help"]).stdout)
        for text in helps:
            for opt in set(re.findall(r"--[a-z][a-z-]+", text)):
                check(opt in man, f"{prog} --help shows {opt}, which {page} lacks")
    r = sh(["man", "-l", root(o["mandir"] + "/man5/minqing.conf.5")],
           env={"MANWIDTH": "100", "PAGER": "cat"})
    for k in set(keys_of("hub/hub-main.c") + keys_of("station/agent-main.c")):
        check(k in r.stdout, f"minqing.conf(5) does not document the key '{k}'")
    print(f"5 man pages render; --version is {version} everywhere; every --help "
          "option is in its man page; minqing.conf(5) documents every key")


run("40-install", body)
