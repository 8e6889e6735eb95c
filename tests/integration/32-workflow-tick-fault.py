"""One item the timer cannot change must not stop the others. An item whose
stored history is inconsistent (its seq below its last event's, as a bad
restore could leave it) fails when reminded; before, it stayed first in due
order and every tick stopped at it, so no other item was ever reminded or
escalated again, and half of its change stayed in the batch. Now its change
is undone, it is looked at again in an hour, and the others go on.

A station's step on that item fails the same way at ingest. Messages are
staged without savepoints of their own, so the first failure costs the
whole batch (its stations resend); the message is then remembered and each
resend of it is staged alone and undone alone, while other stations'
reports go on being stored."""
import sys, os, json, sqlite3, time
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check, publish, COUNTY

VILLAGE = "611025100201"
SCALE = 3600  # red's 30 minutes to sign for pass in half a second


def body(env):
    env.start_broker()
    env.start_hub()
    env.start_station(VILLAGE)
    ids = []
    for title in ("甲", "乙", "丙"):
        ids.append(env.report(VILLAGE, title=title, colour="red"))
        time.sleep(0.05)  # the first filed is first due
    env.wait_until(lambda: len(env.hub_reports()) == 3, 30, "3 items at the hub")
    items = [r["id"] for r in sorted(env.hub_reports(), key=lambda r: r["msg_id"])]
    bad, good = items[0], items[1:]
    env.hub.stop()
    db = sqlite3.connect(env.hub_db)
    db.execute("UPDATE items SET seq = 0 WHERE item = ?", (bad,))
    db.commit()
    before = db.execute("SELECT colour, handler, sign_by, reminders FROM items "
                        "WHERE item = ?", (bad,)).fetchone()
    db.close()
    env.start_hub("--time-scale", str(SCALE), testing=True)

    # Reminded (催办) before the deadline, supervised (督办) past it: the
    # hub's one-second tick is half an hour of hub time here.
    def reminded(item):
        return any(e["event"] in ("remind", "supervise") for e in env.hub_events(item))
    env.wait_until(lambda: all(reminded(i) for i in good), 30,
                   "the other items reminded although one cannot be")
    # Ingest goes on, too.
    env.report(VILLAGE, title="丁", colour="blue")
    env.wait_until(lambda: len(env.hub_reports()) == 4, 30, "a new report stored")
    # The village comments on the damaged item: a step the hub cannot
    # store. Sent three times with one id, as an agent resends it, each
    # time beside another village's report.
    other = "611025100202"
    # Above every id the village's agent has given out (and called settled).
    mid = int(time.time() * 1000) + 3600000
    comment = json.dumps({"v": 1, "type": "action", "station": VILLAGE,
                          "id": mid, "ts": "2026-11-23T08:00:00.000Z",
                          "item": bad, "action": "comment", "note": "请尽快处理"},
                         ensure_ascii=False)
    for k in range(3):
        publish(env, f"minqing/{COUNTY}/up/{VILLAGE}/action", comment)
        report = json.dumps({"v": 1, "type": "report", "station": other,
                             "id": mid + 1 + k, "ts": "2026-11-23T08:00:00.000Z",
                             "colour": "blue", "category": "dispute", "title": f"报{k}",
                             "text": "内容"}, ensure_ascii=False)
        publish(env, f"minqing/{COUNTY}/up/{other}/report", report)
        time.sleep(0.5)
    # The first report may have shared the lost batch (its station would
    # resend it); those sent beside the resends are stored.
    env.wait_until(lambda: sum(r["station"] == other for r in env.hub_reports()) >= 2,
                   30, "the other village's reports stored beside the resends")
    # The last resend's line may follow the reports stored beside it.
    def counts():
        log = env.hub.text()
        return (log.count("could not be stored; the batch is rolled back"),
                log.count("failed again; only it is undone"))
    env.wait_until(lambda: counts()[0] >= 1 and counts()[1] >= 2, 10,
                   "the lost batch and the resends undone alone in the log")
    lost, alone = counts()
    check(lost == 1 and alone == 2, f"{lost} batches lost and {alone} resends undone "
          "alone, want 1 and 2")
    env.hub.stop()
    db = sqlite3.connect(env.hub_db)
    after = db.execute("SELECT colour, handler, sign_by, reminders, due FROM items "
                       "WHERE item = ?", (bad,)).fetchone()
    events = db.execute("SELECT count(*) FROM events WHERE item = ?", (bad,)).fetchone()[0]
    db.close()
    check(after[:4] == before, f"half a change kept for the bad item: {before} -> {after[:4]}")
    check(events == 1, f"the bad item has {events} events, want its route only")
    log = open(os.path.join(env.dir, "hub.log")).read()
    check(f"item {bad} cannot be reminded or escalated" in log,
          "the hub did not say which item it could not change")
    print(f"{bad} left as it was and put off; {len(good)} others reminded; ingest went on;"
          f" a step on it lost one batch, then was undone alone {alone} times")


run("32-workflow-tick-fault", body)
