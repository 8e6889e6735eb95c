"""A made-up county: minqing-fleet writes its registry (--towns, --villages,
--groups, no broker), the county is provisioned from it, and the fleet runs
every station of it against the hub, connecting at a paced rate, with a
colour, service-item and personal-data mix of its own: every report is
stored exactly once, as the mix says, and the connections took the time the
pace gives them. On a terminal the fleet shows its progress line."""
import sys, os, csv, subprocess, pty, select, time
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check

TOWNS, VILLAGES, GROUPS = 2, 3, 2
CONNECT_RATE = 10  # a second, with Poisson gaps: ~2 s for 21 stations


def body(env):
    reg = os.path.join(env.dir, "county.csv")

    def write(*args):
        return subprocess.run([env.bin("bench/minqing-fleet"), *args],
                              capture_output=True, text=True, timeout=30)
    r = write("--towns", str(TOWNS), "--villages", str(VILLAGES), "--groups",
              str(GROUPS), "--write-registry", reg)
    check(r.returncode == 0, f"writing the registry: {r.returncode} {r.stderr}")
    # A shape without villages is a usage error (2); a file that cannot be
    # written a failure (1).
    r = write("--towns", "2", "--write-registry", reg + ".x")
    check(r.returncode == 2 and "usage" in r.stderr, f"no --villages: {r.returncode}")
    r = write("--towns", "1", "--villages", "1", "--groups", "1", "--write-registry",
              os.path.join(env.dir, "no-such-dir", "county.csv"))
    check(r.returncode == 1 and "cannot write" in r.stderr,
          f"unwritable registry: {r.returncode} {r.stderr}")
    with open(reg, encoding="utf-8") as f:
        codes = [row["code"] for row in csv.DictReader(
            line for line in f if not line.startswith("#"))]
    by_len = {n: [c for c in codes if len(c) == n] for n in (6, 9, 12, 15)}
    check([len(by_len[n]) for n in (6, 9, 12, 15)] ==
          [1, TOWNS, TOWNS * VILLAGES, TOWNS * VILLAGES * GROUPS],
          f"registry shape {[len(by_len[n]) for n in (6, 9, 12, 15)]}")
    check(all(c[:-3] in codes for c in codes if len(c) > 6),
          "a station whose parent is not in the registry")
    check(len(set(codes)) == len(codes), "a code twice")
    print(f"registry: {len(codes)} stations, every parent present")

    env.provision(registry=reg)
    env.start_broker()
    env.start_hub(registry=reg)
    fleet = env.start_fleet("--all-tiers", "--connect-rate", str(CONNECT_RATE),
                            "--seed", "7", "--colours", "orange=1",
                            "--categories", "dispute=3,security=1",
                            "--personal-share", "1", registry=reg, stations="all",
                            rate=20, duration=5, drain=60)
    result = env.finish_fleet(fleet, 120)
    check(result["stations"] == len(codes), f"{result['stations']} stations simulated")
    n = env.check_exactly_once(result)
    # Unpaced, 21 stations connect in a few ms; at 10 a second, 20 gaps.
    check(result["connected_s"] >= 1.0,
          f"all connected in {result['connected_s']} s: the pace was not kept")
    print(f"{n} reports stored exactly once from {result['stations']} stations; "
          f"connected in {result['connected_s']} s at {CONNECT_RATE} a second")
    rows = env.hub_reports()
    colours = {r["colour"] for r in rows}
    kinds = {r["category"] for r in rows}
    check(colours == {"orange"}, f"colours {colours} for --colours orange=1")
    check(kinds == {"dispute", "security"}, f"service items {kinds} for "
          "--categories dispute=3,security=1")
    unnamed = env.hub_sql("SELECT count(*) FROM reports WHERE reporter IS NULL "
                          "OR phone IS NULL")[0][0]
    check(unnamed == 0, f"{unnamed} reports without a resident at --personal-share 1")
    print("mix: all orange, disputes and security only, every one naming its resident")

    # On a terminal: the progress line, rewritten in place, and the last one
    # kept.
    master, slave = pty.openpty()
    p = subprocess.Popen([env.bin("bench/minqing-fleet"), "--broker",
                          f"127.0.0.1:{env.port}", "--registry", reg, "--user-file",
                          os.path.join(env.prov, "credentials"), "--stations",
                          "all", "--rate", "10", "--count", "20", "--json",
                          os.path.join(env.dir, "tty.json")],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=slave)
    os.close(slave)
    out, end = b"", time.time() + 60
    try:
        while time.time() < end:
            if select.select([master], [], [], 0.5)[0]:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # the other end closed
                    break
                if not chunk:
                    break
                out += chunk
            elif p.poll() is not None:
                break
        p.wait(30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        os.close(master)
    text = out.decode("utf-8", "replace")
    last = text.rstrip().split("\r")[-1]
    check(p.returncode == 0, f"fleet on a terminal exited {p.returncode}: {text[-300:]}")
    check(text.count("\r") >= 2 and "done" in last and "receipted 20" in last and
          "connected" in last, f"progress line: {text[-300:]!r}")
    print(f"progress line: {last.strip()}")


run("17-fleet-synthetic", body)
