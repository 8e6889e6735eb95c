"""Provisioning a county: re-running keeps every password and the CA and adds
new stations; --rotate changes one station's password only (the broker takes
the new one and refuses the old); secrets are 0600; a half-lost CA stops the
run instead of silently replacing the CA every bundle trusts."""
import sys, os, subprocess, shutil
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check
import harness

A, B = "611025100201", "611025100202"


def creds(prov):
    with open(os.path.join(prov, "credentials")) as f:
        return dict(l.strip().split(":", 1) for l in f if ":" in l)


def body(env):
    prov = os.path.join(env.dir, "county")
    small = os.path.join(env.dir, "small.csv")
    with open(harness.REGISTRY) as src, open(small, "w") as dst:
        lines = [l for l in src if not l.startswith("611025100202")]
        dst.writelines(lines)

    def provision(registry, *extra, ok=True):
        r = subprocess.run([env.bin("hub/minqing-hub"), "provision", "--registry", registry,
                            "--out", prov, "--port", str(env.port), "--tls",
                            "--tls-port", str(harness.free_port()), *extra],
                           capture_output=True, text=True, timeout=120)
        check((r.returncode == 0) == ok, f"provision {extra}: {r.returncode} {r.stderr}")
        return r

    provision(small)
    first = creds(prov)
    check(B not in first and A in first, "the small registry was not used")
    ca = open(os.path.join(prov, "ca.crt")).read()
    for f in ("passwd", "credentials", "ca.key", "server.key",
              f"stations/{A}/station.conf"):
        mode = os.stat(os.path.join(prov, f)).st_mode & 0o777
        check(mode == 0o600, f"{f} has mode {oct(mode)}")
    conf = open(os.path.join(prov, "mosquitto.conf")).read()
    check(conf.count("use_username_as_clientid true") == 2,
          "each listener must tie the client id to the user name")
    # Without it every small receipt waits for the peer's delayed ACK.
    check("\nset_tcp_nodelay true\n" in conf, "the broker must not delay small packets")
    print(f"{len(first)} accounts, secrets 0600, client id = user name on both listeners")

    # Re-run with a station added: old passwords and the CA kept.
    provision(harness.REGISTRY)
    second = creds(prov)
    check(B in second, "the new station has no account")
    check(all(second[u] == p for u, p in first.items()), "a password changed on re-run")
    check(open(os.path.join(prov, "ca.crt")).read() == ca, "the CA changed on re-run")
    print("re-run: new station added, every password and the CA kept")

    # Rotate A: only A changes; the broker takes the new password only.
    provision(harness.REGISTRY, "--rotate", A)
    third = creds(prov)
    check(third[A] != second[A], "--rotate did not change A's password")
    check(all(third[u] == p for u, p in second.items() if u != A),
          "--rotate changed another password")
    env.prov = prov
    env.start_broker()
    base = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(env.port), "-u", A, "-q", "1",
            "-t", f"minqing/611025/up/{A}/status", "-m", "{}"]
    r = subprocess.run(base + ["-P", second[A]], capture_output=True, timeout=20)
    check(r.returncode != 0, "the old password still works after --rotate")
    r = subprocess.run(base + ["-P", third[A]], capture_output=True, timeout=20)
    check(r.returncode == 0, f"the new password is refused: {r.stderr}")
    print("--rotate: one password changed; the broker refuses the old, takes the new")

    # Half a CA: refused, nothing replaced.
    os.remove(os.path.join(prov, "ca.key"))
    r = provision(harness.REGISTRY, ok=False)
    check("restore the county CA" in r.stderr, f"unclear error: {r.stderr}")
    check(open(os.path.join(prov, "ca.crt")).read() == ca, "the CA was replaced")
    print("ca.key lost: provisioning stops and says to restore it; ca.crt untouched")


run("15-provision", body)
