"""Station liveness: the birth marks a station online with its session, the
heartbeat carries the outbox depth, the will marks it offline after a crash,
a late will of an older session is ignored, a clean stop says offline."""
import sys, os, json, subprocess, time
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check, MONITOR

CODE = "611025105201"


def body(env):
    env.start_broker()
    env.start_hub()
    conf = os.path.join(env.dir, "station.conf")
    with open(conf, "w") as f:
        f.write("keepalive = 5\nheartbeat = 1\n")
    st = env.start_station(CODE, "--config", conf)
    s1 = env.wait_until(lambda: env.hub_stations().get(CODE, {}).get("online") and
                        env.hub_stations()[CODE], 20, "the station online")
    session1 = s1["session"]
    # Heartbeats keep last_seen moving.
    env.wait_until(lambda: env.hub_stations()[CODE]["last_seen"] != s1["last_seen"], 10,
                   "a heartbeat")
    # Crash: the broker publishes the will after 1.5 x keepalive.
    st.kill9()
    env.wait_until(lambda: not env.hub_stations()[CODE]["online"], 30,
                   "the will to mark the station offline")
    st = env.start_station(CODE, "--config", conf)
    s2 = env.wait_until(lambda: env.hub_stations()[CODE]["online"] and
                        env.hub_stations()[CODE], 20, "the station back online")
    check(s2["session"] > session1, "the new connection did not get a newer session")
    # A late will from the first connection must not mark it offline.
    late = {"v": 1, "type": "status", "station": CODE, "state": "offline",
            "session": session1}
    subprocess.run(env.mqtt("mosquitto_pub", MONITOR, "-q", "1", "-t",
                            f"minqing/611025/up/{CODE}/status", "-m", json.dumps(late)),
                   check=True, timeout=20)
    time.sleep(1.5)
    check(env.hub_stations()[CODE]["online"], "a late will marked a live station offline")
    # Outbox depth travels in the heartbeat: stop the hub so nothing is receipted.
    env.hub.stop()
    env.report(CODE, title="一")
    env.report(CODE, title="二")
    env.start_hub()
    env.wait_until(lambda: len(env.hub_reports()) == 2, 30, "the two reports")
    env.wait_until(lambda: env.hub_stations()[CODE]["outbox"] == 0, 10,
                   "a heartbeat with an empty outbox")
    # A clean stop publishes offline at once.
    st.stop()
    env.wait_until(lambda: not env.hub_stations()[CODE]["online"], 5,
                   "the clean stop to mark the station offline")


run("06-station-liveness", body)
