"""Reload under load (SIGHUP, as `systemctl reload minqing-hub` sends it):
while a fleet of 300 stations sends 80 reports a second, the hub is told to
reload six times: with a changed policy, with a broken policy (refused
whole: the running rules stay, the hub runs on), with a registry that adds
a station, and three times in a row. Nothing is lost: every report is stored
exactly once and receipted; the new station is accepted after the reload
and its blue report gets the new policy's sign-for limit."""
import sys, os, re, signal, time, calendar
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check
import harness

STATIONS, RATE, SECONDS = 300, 80, 15


def replace(path, text):
    """Writes a file whole (rename), as an editor or a deploy tool would."""
    with open(path + ".new", "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(path + ".new", path)


def ms(iso):
    return calendar.timegm(time.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S")) * 1000


def registered(env, code):
    """Whether the hub's database lists the station (seen or not)."""
    return env.hub_sql("SELECT count(*) FROM stations WHERE code = ?", code)[0][0] == 1


def body(env):
    full = open(harness.REGISTRY, encoding="utf-8").read()
    new_station = full.rstrip("\n").splitlines()[-1].split(",")[0]
    check(len(new_station) == 15, f"the registry's last line is not a group: {new_station}")
    registry = os.path.join(env.dir, "registry.csv")
    replace(registry, "".join(l + "\n" for l in full.splitlines()
                              if not l.startswith(new_station + ",")))
    policy = os.path.join(env.dir, "policy.conf")
    shipped = open(os.path.join(harness.SOURCE, "data", "policy.conf")).read()
    check("sign = 24h\n" in shipped, "the shipped policy's blue limit moved")
    replace(policy, shipped)

    env.start_broker()
    env.start_hub("--policy", policy, registry=registry)
    fleet = env.start_fleet(stations=STATIONS, rate=RATE, duration=SECONDS)
    env.wait_until(lambda: len(env.hub_reports()) >= 2 * RATE, 60,
                   "reports at the hub before the first reload", interval=0.25)
    check(not registered(env, new_station), "the hub knows the new station already")

    def reload_and_wait(what, pattern, count):
        env.hub.p.send_signal(signal.SIGHUP)
        env.wait_until(lambda: len(re.findall(pattern, env.hub.text())) >= count, 20,
                       f"the hub to log {what}")
        check(env.hub.alive(), f"the hub died on {what}")

    replace(policy, shipped.replace("sign = 24h\n", "sign = 12h\n", 1))
    reload_and_wait("a reload (policy)", r"reloaded: policy", 1)
    replace(policy, shipped.replace("sign = 24h\n", "sign = soon\n", 1))
    reload_and_wait("a refused reload", r"reload: policy: .*line \d+: key 'sign'", 1)
    replace(policy, shipped.replace("sign = 24h\n", "sign = 12h\n", 1))
    replace(registry, full)
    reload_and_wait("a reload (registry)", r"reloaded: policy", 2)
    for _ in range(3):
        env.hub.p.send_signal(signal.SIGHUP)
        time.sleep(0.3)
    env.wait_until(lambda: len(re.findall(r"reloaded: policy", env.hub.text())) >= 5, 20,
                   "three reloads in a row")
    check(fleet.alive(), "the fleet ended before the reloads; they were not under load")
    check(registered(env, new_station),
          "the reloaded registry's new station is not at the hub")
    print("6 SIGHUPs under load: 5 reloads, 1 refused (bad policy, old rules kept); "
          f"the new station {new_station} registered by the reload")

    # The new station is accepted, under the new policy.
    env.start_station(new_station)
    item = env.report(new_station, title="重载后的新站点", colour="blue")
    row = env.wait_until(lambda: next((r for r in env.hub_reports() if r["id"] == item),
                                      None), 30, "the new station's report at the hub")
    hours = (ms(row["deadline"]) - ms(row["received_at"])) / 3600000
    check(11.9 < hours < 12.1, f"the new station's blue item has {hours:.2f}h to sign "
          "for, not the reloaded policy's 12h")
    print(f"new station {new_station}: report {item} accepted, sign-for limit "
          f"{hours:.1f}h (the reloaded policy; the default is 24h)")

    result = env.finish_fleet(fleet, SECONDS + 90)
    n = env.check_exactly_once(result, extra=[item])
    print(f"{n} reports stored exactly once across the reloads")


run("43-reload-under-load", body)
