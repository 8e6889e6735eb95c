"""The fleet works items through the workflow: every station of the first town's subtree
(and the county) signs for and resolves the items routed to it, and verifies
and rates its own reports once resolved. Every report is stored exactly once;
every item ends rated (an unsatisfied resident reopens it, and it goes round
again); no step is refused; each item's history is the loop's in order."""
import collections, sys, os
sys.path.insert(0, os.path.dirname(__file__))
from harness import run, check

STATIONS, RATE, SECONDS = 120, 15, 10
LOOP = ["route", "sign", "resolve", "verify", "rate"]


def body(env):
    env.start_broker()
    env.start_hub()
    fleet = env.start_fleet("--all-tiers", "--act-share", "1", stations=STATIONS,
                            rate=RATE, duration=SECONDS, drain=90)
    result = env.finish_fleet(fleet, SECONDS + 150)
    n = env.check_exactly_once(result)
    check(result["actions"] >= 4 * n,
          f"{result['actions']} steps for {n} items: the loop was not worked")
    check(result["actions_refused"] == 0,
          f"{result['actions_refused']} steps refused (see the fleet's log)")
    check(result["actions_accepted"] == result["actions"],
          f"{result['actions'] - result['actions_accepted']} steps never receipted")
    states = collections.Counter(r["state"] for r in env.hub_reports())
    check(states == {"rated": n}, f"items not all rated: {dict(states)}")
    # The history of a few items: the loop's steps in order (a reopened one
    # goes round again after "rate").
    reopened = 0
    for item in result["ids"][:: max(1, n // 10)]:
        kinds = [e["event"] for e in env.hub_events(item)
                 if e["event"] in LOOP + ["reopen"]]
        check(kinds[:5] == LOOP, f"{item}: history {kinds}")
        reopened += kinds.count("reopen")
    print(f"{n} items worked through the loop by {STATIONS} stations: "
          f"{result['actions']} steps, all accepted; {reopened} reopened among those "
          f"checked; {result['items']} item messages answered")


run("16-fleet-workflow", body)
