"""A station.db made by a release opens under this build without loss (issue
19 §3). tests/fixtures/station-v0.sql is such a store, dumped (see
make-station-v0.py beside it): a village with its team, inbox, timeline
and an outbox of sent and queued messages, at the release's user_version.

Loaded into fresh files and opened by the clerk's client: a store of 0.1.0
(meta and outbox only, user_version 0), one of before the versions with
every table (user_version 0) and the release's own each come out at this
build's version with every row of the dump still there, unchanged. The
agent then delivers the release store's queued messages to a hub. A store
of a newer version is refused by the client and the agent alike, each
exiting non-zero with a clear message, and is left as it was."""
import os
import re
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import SAN_ENV, SOURCE, check, run

VILLAGE = "611025100201"
VERSION = 2  # the steps of station/store-schema.c
FIXTURE = os.path.join(SOURCE, "tests", "fixtures", "station-v0.sql")
LATER = ("inbox", "timeline", "team")  # the tables added after 0.1.0


def fixture(tables=None, version=None):
    """The dump's SQL, only the statements of tables when given, with its
    user_version line replaced by version when given (None: dropped)."""
    out = []
    for line in open(FIXTURE, encoding="utf-8").read().splitlines():
        m = re.match(r"(?:CREATE TABLE|INSERT INTO) (\w+)", line)
        if tables is not None and m and m.group(1) not in tables:
            continue
        if line.startswith("PRAGMA user_version"):
            if version is None:
                continue
            line = f"PRAGMA user_version = {version};"
        out.append(line)
    return "\n".join(out) + "\n"


def dumped_counts():
    """Rows per table, counted in the dump's text."""
    counts = {}
    for line in open(FIXTURE, encoding="utf-8"):
        m = re.match(r"INSERT INTO (\w+) ", line)
        if m:
            counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    return counts


def load(d, sql):
    os.makedirs(d, exist_ok=True)
    db = sqlite3.connect(os.path.join(d, "station.db"))
    db.executescript(sql)
    db.close()


def contents(d):
    """user_version, the tables' definitions and every table's rows, sorted."""
    db = sqlite3.connect(os.path.join(d, "station.db"))
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        schema = sorted(db.execute("SELECT type, name, sql FROM sqlite_master"))
        rows = {name: sorted(db.execute(f"SELECT * FROM {name}"), key=repr)
                for (kind, name, _) in schema if kind == "table"}
        return version, schema, rows
    finally:
        db.close()


def expected(sql):
    db = sqlite3.connect(":memory:")
    db.executescript(sql)
    rows = {name: sorted(db.execute(f"SELECT * FROM {name}"), key=repr)
            for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    db.close()
    return rows


def client(d, *args):
    return subprocess.run([os.path.join(os.environ.get("MINQING_BUILD", "build"),
                                        "station", "minqing"), "--data", d, *args],
                          capture_output=True, text=True, env={**os.environ, **SAN_ENV},
                          stdin=subprocess.DEVNULL, timeout=60)


def opens(d, what):
    r = client(d, "list", "--json")
    check(r.returncode == 0, f"{what}: the client failed ({r.returncode}): {r.stderr}")
    check("runtime error" not in r.stderr and "LeakSanitizer" not in r.stderr,
          f"{what}: sanitizer report: {r.stderr}")
    return r


def migrates(env, name, sql, before):
    """Loads sql, opens it with the client: at VERSION, every row kept."""
    d = os.path.join(env.dir, name)
    load(d, sql)
    check(contents(d)[0] == before, f"{name}: loaded at version {contents(d)[0]}")
    want = expected(sql)
    opens(d, name)
    version, schema, rows = contents(d)
    check(version == VERSION, f"{name}: version {version} after opening, not {VERSION}")
    for table, kept in want.items():
        check(rows.get(table) == kept, f"{name}: {table} changed:\n{rows.get(table)}\n"
              f"!=\n{kept}")
    for table in LATER:
        check(table in rows, f"{name}: no table {table} after opening")
    check(any(n == "outbox_queued" for (_, n, _) in schema), f"{name}: index lost")
    print(f"{name}: version {before} -> {version}, rows kept: "
          + ", ".join(f"{t} {len(r)}" for t, r in sorted(want.items())))
    return want


def body(env):
    counts = dumped_counts()
    every = expected(fixture(version=VERSION))
    check({t: len(r) for t, r in every.items() if r} == counts,
          f"the dump's rows {counts} load as {({t: len(r) for t, r in every.items()})}")
    queued = [r for r in every["outbox"] if r[4] == "queued"]
    sent = [r for r in every["outbox"] if r[4] != "queued"]
    check(len(queued) >= 3 and sent and every["inbox"] and every["timeline"] and
          every["team"], f"the fixture lacks a kind of row: {counts}")

    # 1. A newer store: refused by both programs, left as it was.
    d = os.path.join(env.dir, "newer")
    load(d, fixture(version=VERSION + 7))
    before = contents(d)
    r = client(d, "list", "--json")
    check(r.returncode != 0, f"the client opened a newer store: {r.stdout}")
    check(f"schema version {VERSION + 7} is newer than this program's {VERSION}" in r.stderr,
          f"the client's refusal says: {r.stderr!r}")
    conf = os.path.join(env.provision(), "stations", VILLAGE, "station.conf")
    r = subprocess.run([env.bin("station/minqing-station"), "--config", conf, "--data", d],
                       capture_output=True, text=True, env={**os.environ, **SAN_ENV},
                       stdin=subprocess.DEVNULL, timeout=60)
    check(r.returncode != 0, "the agent ran on a newer store")
    check("is newer than this program's" in r.stderr, f"the agent's refusal: {r.stderr!r}")
    check(contents(d) == before, "the newer store was changed")
    print(f"a store at version {VERSION + 7}: refused by the client and the agent "
          f"(exit {r.returncode}), untouched")

    # 2. 0.1.0's store, and one of before the versions with every table.
    old = ("meta", "outbox")
    migrates(env, "store-0.1.0", fixture(tables=old), 0)
    migrates(env, "store-unversioned", fixture(), 0)

    # 3. The release's store: opened, then its queued messages delivered.
    d = env.station_dir(VILLAGE)
    os.rmdir(d)
    migrates(env, os.path.basename(d), fixture(version=VERSION), VERSION)
    env.start_broker()
    env.start_hub()
    env.start_station(VILLAGE)
    db = os.path.join(d, "station.db")

    def waiting():
        c = sqlite3.connect(db, timeout=10)
        try:
            return c.execute("SELECT count(*) FROM outbox WHERE state = 'queued'").fetchone()[0]
        finally:
            c.close()
    env.wait_until(lambda: waiting() == 0, 60, "the queued messages receipted")
    c = sqlite3.connect(db, timeout=10)
    now = {r[0]: r for r in c.execute("SELECT * FROM outbox")}
    c.close()
    stored = {r["id"] for r in env.hub_reports()}
    for r in queued:
        if r[1] == "report":
            check(now[r[0]][4] == "accepted", f"report {r[0]}: {now[r[0]]}")
            check(f"{VILLAGE}-{r[0]}" in stored, f"report {r[0]} not at the hub")
    for r in sent:
        check(now[r[0]] == r, f"a sent message changed: {now[r[0]]} (was {r})")
    print(f"the release's store: {len(queued)} queued messages receipted by the hub "
          f"({sum(1 for r in queued if r[1] == 'report')} reports stored), "
          f"{len(sent)} sent ones unchanged")


if __name__ == "__main__":
    run("22-station-migrate", body)
