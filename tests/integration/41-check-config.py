"""`minqing-hub check-config` and `minqing-station --check-config` catch a
broken key in each kind of file (hub config, station config, policy,
registry, service team) and name the file and the right line of each, all
in one run; good files pass; the hub refuses the same broken config at
start-up with the same line."""
import sys, os, re, subprocess, shutil
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check
import harness

A = "611025100201"


def sh(argv):
    return subprocess.run(argv, capture_output=True, text=True, timeout=60,
                          env={**os.environ, **harness.SAN_ENV})


def write(path, lines):
    with open(path, "w") as f:
        f.write("".join(l + "\n" for l in lines))
    return path


def line_of(path, pattern, after=None):
    """1-based number of the first line matching pattern (after a line
    matching `after`, when given)."""
    seen = after is None
    for n, l in enumerate(open(path, encoding="utf-8"), 1):
        if not seen:
            seen = re.search(after, l) is not None
            continue
        if re.search(pattern, l):
            return n
    raise AssertionError(f"{pattern} not in {path}")


def expect(out, path, n, what):
    pat = rf"^{re.escape(path)}:(line )?{n}: .*{what}"
    check(re.search(pat, out, re.M), f"no error for {os.path.basename(path)} line {n} "
          f"({what}) in:\n{out}")


def body(env):
    prov = env.provision(tls=True)
    d = env.dir
    # Good copies first: they pass.
    policy = os.path.join(d, "policy.conf")
    registry = os.path.join(d, "registry.csv")
    shutil.copy(os.path.join(harness.SOURCE, "data", "policy.conf"), policy)
    shutil.copy(harness.REGISTRY, registry)
    members = write(os.path.join(d, "members.csv"), [
        "id,name,station,phone,categories",
        "m1,王强,611025100,13800000000,dispute;security",
        "m2,李梅,611025100201,,livelihood"])
    hub_conf = write(os.path.join(d, "hub.conf"), [
        "# the operator's file",
        f"db = {d}/hub.db",
        f"registry = {registry}",
        "policy = policy.conf",  # relative: beside this file
        f"members = {members}",
        "keepalive = 30"])
    station_conf = write(os.path.join(d, "station.conf"), [
        "# the operator's station file", "log_level = info", "window = 32"])
    bundle = os.path.join(prov, "stations", A, "station.conf")
    hub_cmd = [env.bin("hub/minqing-hub"), "check-config", "--config",
               os.path.join(prov, "hub.conf"), "--config", hub_conf]
    st_cmd = [env.bin("station/minqing-station"), "--check-config", "--config", bundle,
              "--config", station_conf, "--data", d]
    for cmd in (hub_cmd, st_cmd):
        r = sh(cmd)
        check(r.returncode == 0 and "configuration ok" in r.stdout,
              f"good files refused: {r.returncode} {r.stdout} {r.stderr}")
    print("good hub, station, policy, registry and team: configuration ok")

    # Break one key in each kind of file.
    with open(hub_conf, "a") as f:
        f.write("keepalive = 2\nsky_colour = blue\n")
    n_keepalive, n_sky = line_of(hub_conf, "^keepalive = 2"), line_of(hub_conf, "^sky_colour")
    text = open(policy).read()
    open(policy, "w").write(text.replace("sign = 4h\n", "sign = 4 hours\n", 1))
    n_policy = line_of(policy, "^sign = 4 hours", after=r"^\[orange\]")
    lines = open(registry, encoding="utf-8").read().splitlines()
    n_registry = line_of(registry, "^611025100201,")
    lines[n_registry - 1] = lines[n_registry - 1].replace("611025100201", "61102510020X", 1)
    write(registry, lines)
    with open(members, "a") as f:
        f.write("m3,赵磊,611025100,,farming\nm1,王强,611025100,,dispute\n")
    with open(station_conf, "a") as f:
        f.write("window = many\n")
    n_window = line_of(station_conf, "^window = many")

    r = sh(hub_cmd)
    out = r.stderr
    check(r.returncode == 1, f"check-config passed broken files: {r.returncode} {out}")
    expect(out, hub_conf, n_keepalive, "key 'keepalive'")
    expect(out, hub_conf, n_sky, "unknown key 'sky_colour'")
    expect(out, policy, n_policy, "key 'sign'")
    expect(out, registry, n_registry, "")
    expect(out, members, 4, "unknown service item")
    expect(out, members, 5, "listed twice")
    check("6 errors" in out, f"not every error counted: {out}")
    print("check-config, all in one run:\n  " + "\n  ".join(
        l for l in out.splitlines() if l))

    r = sh(st_cmd)
    check(r.returncode == 1, f"station check passed a broken file: {r.stderr}")
    expect(r.stderr, station_conf, n_window, "key 'window'")
    print("station: " + r.stderr.splitlines()[0])

    # The hub itself refuses the broken config, naming the same line.
    r = sh([env.bin("hub/minqing-hub"), "--config", os.path.join(prov, "hub.conf"),
            "--config", hub_conf])
    check(r.returncode == 2, f"the hub started on a broken config: {r.returncode}")
    expect(r.stderr.replace("minqing-hub: ", ""), hub_conf, n_keepalive, "keepalive")
    print("the hub refuses to start on it: " + r.stderr.strip())


run("41-check-config", body)
