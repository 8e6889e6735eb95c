"""The figures of docs/FIGURES.md recounted from a hub database's `items`
and `events` tables alone, by FIGURES.md's words: what the tests compare
every reader's figures with (64-figures-agree, 67-ledger, 35-demo-workflow). Never call
the hub's code from here: a recount that shared it would prove nothing."""

OPEN = ("reported", "signed", "assigned")
DONE = ("resolved", "verified", "rated")
NAMES = ("collected", "open", "open_blue", "open_orange", "open_red", "overdue",
         "sign_due", "signed_on_time", "sign_rate", "resolve_due", "resolved_on_time",
         "on_time_rate", "solved", "mediated", "visit_due", "visited", "visit_rate",
         "rated", "satisfied", "satisfaction", "escalated")


def recount(db, scope, now, frm=0, to=1 << 62, by="origin"):
    """The figures by docs/FIGURES.md, from the tables alone; by "handler":
    of the items each station handles now (the ranking by work done)."""
    f = {k: 0 for k in NAMES if not k.endswith(("_rate", "satisfaction"))}
    for (item, state, colour, cat, esc, sign_by, resolve_by, rating) in db.execute(
            "SELECT item, state, colour, category, escalations, sign_by, resolve_by, "
            f"rating FROM items WHERE {by} >= ? AND {by} < ? || ';' AND received >= ? "
            "AND received < ?", (scope, scope, frm, to)):
        ev = db.execute("SELECT seq, at, kind FROM events WHERE item = ? ORDER BY seq",
                        (item,)).fetchall()
        # The tier it is at began with its last escalation or return.
        tier = max([s for s, _, k in ev if k in ("escalate", "return")], default=-1)
        signs = [a for s, a, k in ev if k == "sign" and s > tier]
        resolves = [a for s, a, k in ev if k == "resolve"]
        f["collected"] += 1
        if state in OPEN:
            f["open"] += 1
            f["open_" + colour] += 1
            deadline = sign_by if state == "reported" else resolve_by
            f["overdue"] += deadline < now
            f["sign_due"] += state == "reported" and sign_by < now
            f["resolve_due"] += resolve_by < now
        if signs:
            f["sign_due"] += 1
            f["signed_on_time"] += signs[-1] <= sign_by
        if state in DONE:
            f["resolve_due"] += 1
            f["resolved_on_time"] += bool(resolves) and resolves[-1] <= resolve_by
            f["visit_due"] += 1
            f["visited"] += state in ("verified", "rated")
        solved = state in ("verified", "rated")
        f["solved"] += solved
        f["mediated"] += solved and cat == "dispute"
        f["rated"] += rating is not None
        f["satisfied"] += rating in ("satisfied", "basic")
        f["escalated"] += esc > 0
    for rate, part, whole in (("sign_rate", "signed_on_time", "sign_due"),
                              ("on_time_rate", "resolved_on_time", "resolve_due"),
                              ("visit_rate", "visited", "visit_due"),
                              ("satisfaction", "satisfied", "rated")):
        f[rate] = f[part] / f[whole] if f[whole] else None
    return f


def differ(a, b):
    return {k: (a.get(k), b.get(k)) for k in NAMES
            if not (a.get(k) == b.get(k) or (isinstance(a.get(k), float) and
                    isinstance(b.get(k), float) and abs(a[k] - b[k]) < 1e-9))}


# The Chinese names FIGURES.md gives each figure (and its parts), as a
# county office reads them on a sheet.
ZH = {"collected": "收集民情", "open": "在办", "open_blue": "在办(蓝)",
      "open_orange": "在办(橙)", "open_red": "在办(红)", "overdue": "超期",
      "sign_due": "应签收", "signed_on_time": "按期签收", "sign_rate": "按期签收率",
      "resolve_due": "应办结", "resolved_on_time": "按期办结", "on_time_rate": "按期办结率",
      "solved": "化解困难", "mediated": "调处纠纷", "visit_due": "应回访", "visited": "已回访",
      "visit_rate": "回访率", "rated": "已评价", "satisfied": "满意", "satisfaction": "满意率",
      "escalated": "升级"}
