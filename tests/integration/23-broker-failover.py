"""Broker lists: the hub, a station agent and a fleet of 300 stations are
given two brokers, `A, B`. A is down at the start, so everyone must try B
after A; then B is killed (SIGKILL) while A comes up, and everyone must fail
over to A. The two are separate mosquittos (no shared session), so what the
failover keeps is the protocol's own guarantee: every report stored exactly
once and receipted, none rejected, the agent's outbox drained. The time from
B's death to the first report stored through A is printed: the failover time.
The hub is given its list on the command line, over its config's single
broker (a --broker list overrides the one in a config file)."""
import sys, os, time, subprocess
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check, free_port, Proc

STATIONS, RATE, SECONDS = 300, 40, 40
GROUP = "611025118209008"  # a group the fleet (the first 300) does not take


def broker_b(env, port):
    """A second broker with the county's accounts, its own port and store."""
    d = os.path.join(env.dir, "broker-b")
    os.makedirs(d, exist_ok=True)
    conf = os.path.join(d, "mosquitto.conf")
    with open(os.path.join(env.provision(), "mosquitto.conf")) as f:
        text = f.read()
    text = text.replace(f"listener {env.port} ", f"listener {port} ")
    text = text.replace(f"persistence_location {env.prov}/",
                        f"persistence_location {d}/")
    check(f"listener {port} " in text and d in text, "broker B's config not made")
    with open(conf, "w") as f:
        f.write(text)
    p = Proc("mosquitto-b", ["mosquitto", "-c", conf], os.path.join(d, "log"), env={})
    env.procs.append(p)
    return p


def refused(env, argv, says, rc=2):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    check(r.returncode == rc and says in r.stderr,
          f"{argv[0]} {argv[1:]} did not refuse ({r.returncode}): {r.stderr}")


def body(env):
    hub = [env.bin("hub/minqing-hub"), "--config",
           os.path.join(env.provision(), "hub.conf"), "--db", env.hub_db,
           "--registry", env.prov + "/../nothing"]
    refused(env, hub + ["--broker", "127.0.0.1:1883,"], "key 'broker'")
    refused(env, hub + ["--broker", "127.0.0.1:1883, localhost"], "'localhost'")
    refused(env, hub + ["--mqtt", "4"], "key 'mqtt'")
    refused(env, [env.bin("station/minqing-station"), "--config",
                  os.path.join(env.prov, "stations", GROUP, "station.conf"),
                  "--data", env.station_dir(GROUP), "--broker", "127.0.0.1:1,x:",
                  "--check-config"], "'x:'", rc=1)
    port_b = free_port()
    brokers = f"127.0.0.1:{env.port}, 127.0.0.1:{port_b}"
    b = broker_b(env, port_b)
    env.start_hub("--broker", brokers)
    env.start_station(GROUP, "--broker", brokers)
    # The fleet's list as one argument, as an operator types it.
    fleet = env.start_fleet("--broker", brokers, stations=STATIONS, rate=RATE, duration=SECONDS, drain=90)
    env.report(GROUP, title="经B上报")
    env.wait_until(lambda: len(env.hub_reports()) >= 5 * RATE, 60,
                   "reports at the hub through B (A down)", interval=0.25)
    check(any(r["title"] == "经B上报" for r in env.hub_reports()),
          "the agent's report did not reach the hub through B")
    # A comes up; B dies with what it held in memory.
    env.start_broker()
    before = len(env.hub_reports())
    b.p.kill()
    b.p.wait(10)
    killed = time.time()
    env.wait_until(lambda: len(env.hub_reports()) > before + RATE, 30,
                   "reports stored through A after B's death", interval=0.1)
    failover = time.time() - killed
    env.report(GROUP, title="经A上报", colour="orange")
    result = env.finish_fleet(fleet, SECONDS + 150)
    env.wait_until(lambda: {"经B上报", "经A上报"} <=
                   {r["title"] for r in env.hub_reports()}, 30,
                   "the agent's second report, through A")
    extra = [r["id"] for r in env.hub_reports() if r["station"] == GROUP and
             r["title"] in ("经B上报", "经A上报")]
    check(len(extra) == 2, f"the agent's reports stored {len(extra)} times, not 2")
    n = env.check_exactly_once(result, extra=extra)
    check(failover < 15, f"failover took {failover:.1f} s")
    print(f"failover to A in {failover:.1f} s (B killed, A up); {n} reports stored "
          f"exactly once; {result['reconnects']} reconnects")


run("23-broker-failover", body)
