"""Residents' names and phones are sealed at the hub: a copy of the database
(with its WAL) shows neither in clear, not even to sqlite3, in the reports
or in the item messages kept for a handler; the key holder can unseal them;
no log line carries them."""
import sys, os, shutil, subprocess
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check
import harness

CODE = "611025107201"
NAME, PHONE = "王秀英", "13912345678"


def body(env):
    env.start_broker()
    env.start_hub()
    env.start_station(CODE)
    item = env.report(CODE, title="低保申请", category="livelihood", text="家中困难",
                      reporter=NAME, phone=PHONE)
    # Orange: the town handles it, so its item message to the town names the
    # resident; one more without a name.
    env.report(CODE, title="道路塌方", colour="orange", category="infrastructure",
               text="路断", reporter=NAME, phone=PHONE)
    env.report(CODE, title="路灯损坏", colour="orange", category="infrastructure",
               text="不亮")
    env.wait_until(lambda: len(env.hub_reports()) == 3, 20, "the reports at the hub")
    import sqlite3
    db = sqlite3.connect(env.hub_db)
    kinds = sorted(r[0] for r in db.execute(
        "SELECT typeof(payload) FROM downbox WHERE station = ?", (CODE[:9],)))
    db.close()
    # The one that names the resident sealed; the other plain, as its words
    # are in the reports table.
    check(kinds == ["blob", "text"], f"the town's item messages stored as {kinds}")
    # A thief's copy: the database and its WAL, without the key.
    copy = os.path.join(env.dir, "stolen")
    os.makedirs(copy)
    for ext in ("", "-wal", "-shm"):
        if os.path.exists(env.hub_db + ext):
            shutil.copy(env.hub_db + ext, os.path.join(copy, "hub.db" + ext))
    dump = subprocess.run(["sqlite3", os.path.join(copy, "hub.db"), ".dump"],
                          capture_output=True, text=True, timeout=30)
    check(dump.returncode == 0 and "低保申请" in dump.stdout,
          f"sqlite3 could not read the copy: {dump.stderr}")
    check(NAME not in dump.stdout and PHONE not in dump.stdout,
          "the name or phone is in clear in the database")
    for f in os.listdir(copy):
        raw = open(os.path.join(copy, f), "rb").read()
        check(NAME.encode() not in raw and PHONE.encode() not in raw,
              f"the name or phone is in clear in {f}")
    print("sqlite3 .dump of a copy of the database: no name, no phone")
    # The key holder can unseal them.
    r = subprocess.run([env.bin("hub/minqing-hub"), "query", "--db", env.hub_db,
                        "--personal", "--keyfile", os.path.join(env.prov, "hub.key")],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 0 and NAME in r.stdout and PHONE in r.stdout,
          f"the key holder cannot unseal: {r.stdout} {r.stderr}")
    # Without --personal, or with another key, they stay hidden.
    check(NAME not in "".join(str(x) for x in env.hub_reports()), "query shows the name")
    other = os.path.join(env.dir, "other.key")
    with open(other, "wb") as f:
        f.write(os.urandom(32))
    r = subprocess.run([env.bin("hub/minqing-hub"), "query", "--db", env.hub_db,
                        "--personal", "--keyfile", other],
                       capture_output=True, text=True, timeout=30)
    check(NAME not in r.stdout and PHONE not in r.stdout, "another key unsealed them")
    print("unsealed with the county key; another key gets nothing")
    # Files the hub makes are its user's alone.
    for path in (env.hub_db, os.path.join(env.prov, "hub.key")):
        mode = os.stat(path).st_mode & 0o777
        check(mode == 0o600, f"{os.path.basename(path)} has mode {oct(mode)}")
    # The key gone beside an existing database: the hub refuses to start
    # rather than seal new reports under a second key.
    env.hub.stop()
    key = os.path.join(env.prov, "hub.key")
    os.rename(key, key + ".away")
    r = subprocess.run([env.bin("hub/minqing-hub"), "--config",
                        os.path.join(env.prov, "hub.conf"), "--db", env.hub_db,
                        "--registry", harness.REGISTRY],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode != 0 and "restore it from its backup" in r.stderr and
          not os.path.exists(key), f"hub started without its key: {r.returncode} {r.stderr}")
    os.rename(key + ".away", key)
    env.start_hub()
    env.wait_until(lambda: env.hub.text().count("connected to broker") >= 2, 20,
                   "the hub back with its key")
    print("database and key are mode 0600; a missing key stops the hub at start")
    env.stop_all()
    for p in env.procs:
        text = p.text()
        check(NAME not in text and PHONE not in text, f"{p.name} logged personal data")
    print(f"no log line carries them ({item})")


run("09-privacy", body)
