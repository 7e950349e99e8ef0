"""Response-time reports against figures worked out by hand, in JSON and CSV, and the clocks export.

The clocks (all made through the real paths: ingest, replies, native replies, resolving, the sweep):

    clock  day    account  started  ends                           kind   response  flagged
    c1     03-02  chat     09:00    Ana replies 09:10              first    600 s
    c6     03-02  chat     11:00    Ana replies 11:05 (c1's        next     300 s
                                    customer, writing again)
    c2     03-02  chat     09:30    Ana replies 10:10              first   2400 s
    c3     03-02  X        10:00    native reply 10:20             first   1200 s
    c4     03-02  chat     14:00    Bob replies 15:30              first   5400 s   breached
    c5     03-02  X        16:00    still waiting                  first      -     breached
    c7     03-03  chat     08:00    resolved 08:05, no answer      first      -
    c8     03-03  chat     12:00    resolved 12:45, no answer      first      -
    c9     03-04  chat     10:00    (outside the range)

Totals over 03-02..03-03: 8 clocks, 5 answered, 2 unanswered, 1 running, 2 breaches.
First response over 600, 1200, 2400, 5400: median 1800, p90 2400 + 0.7 x 3000 = 4500.
Within 30 min: c1, c3, c6 of (5 answered + c8 open 45 min + c5 still open) = 3/7.
Within 60 min: c1, c2, c3, c6 of (5 answered + c5) = 4/6 (c8 closed before 60 minutes: not counted).
"""
import csv
import io
from datetime import datetime, timedelta, timezone

import pytest

from app.accounts import create_account
from app.ingest.items import InboundAuthor, InboundItem
from app.ingest.pipeline import ingest
from app.models import Conversation
from app.sla.conversation import on_answer, on_resolve
from app.worker.sla_sweep import sweep
from tests.conftest import writing

RANGE = "from=2026-03-02&to=2026-03-03"


def at(day, hour, minute=0):
    return datetime(2026, 3, day, hour, minute, tzinfo=timezone.utc)


@pytest.fixture
def dataset(db, custom_account, make_user):
    ana, bob = make_user("agent", name="Ana"), make_user("agent", name="Bob")
    with writing(db) as session:
        x = create_account(session, network="twitter", name="=HYPERLINK(\"http://evil\")", credentials={"bearer_token": "t"})

    def customer(account, ext, when, who=None):
        with writing(db) as session:
            (r,) = ingest(session, account, [InboundItem(ext, "help", created_at=when,
                                                         author=InboundAuthor(who or f"cust-{ext}"))])
        return r.conversation_id

    def stop(conv_id, when, reason, user=None, resolve=False):
        with writing(db) as session:
            conv = session.get(Conversation, conv_id)
            if resolve:
                conv.status = "resolved"
            if reason == "reply":  # as reply delivery does (app/conversations/sending.py)
                on_answer(session, conv, when, by_user_id=user.id if user else None)
            else:
                on_resolve(session, conv, when)

    c1 = customer(custom_account, "c1", at(2, 9))
    stop(c1, at(2, 9, 10), "reply", ana)
    customer(custom_account, "c6", at(2, 11), who="cust-c1")
    stop(c1, at(2, 11, 5), "reply", ana)
    stop(customer(custom_account, "c2", at(2, 9, 30)), at(2, 10, 10), "reply", ana)
    customer(x, "c3", at(2, 10))
    with writing(db) as session:
        ingest(session, x, [InboundItem("c3-reply", "on it", created_at=at(2, 10, 20), in_reply_to="c3", from_brand=True)])
    stop(customer(custom_account, "c7", at(3, 8)), at(3, 8, 5), "resolved", resolve=True)
    stop(customer(custom_account, "c8", at(3, 12)), at(3, 12, 45), "resolved", resolve=True)
    c4 = customer(custom_account, "c4", at(2, 14))
    customer(x, "c5", at(2, 16))
    customer(custom_account, "c9", at(4, 10))
    assert len(sweep(db.session)) == 3  # c4, c5 and c9 breach
    stop(c4, at(2, 15, 30), "reply", bob)
    return {"ana": ana, "bob": bob, "x": x}


@pytest.fixture
def manager_get(client, make_user, make_token):
    token = make_token(make_user("manager", name="Max"))
    return lambda url: client.get(url, headers={"Authorization": f"Bearer {token}"})


def test_totals_and_days(dataset, manager_get):
    body = manager_get(f"/api/v1/reports/response-times?{RANGE}&group=day").json
    t = body["totals"]
    assert (t["clocks"], t["answered"], t["unanswered"], t["running"], t["breaches"]) == (8, 5, 2, 1, 2)
    assert t["first_response"] == {"count": 4, "median": 1800.0, "p90": 4500.0}
    assert t["next_response"] == {"count": 1, "median": 300.0, "p90": 300.0}
    assert (t["within_30_count"], t["within_30_eligible"], t["within_30"]) == (3, 7, 0.4286)
    assert (t["within_60_count"], t["within_60_eligible"], t["within_60"]) == (4, 6, 0.6667)
    day1, day2 = body["days"]
    assert (day1["day"], day1["clocks"], day1["within_30"], day1["within_60"]) == ("2026-03-02", 6, 0.5, 0.6667)
    assert (day2["day"], day2["clocks"], day2["unanswered"], day2["within_30"], day2["within_60"]) == (
        "2026-03-03", 2, 2, 0.0, None)
    assert body["groups"] == [{"key": d["day"], "label": d["day"], **{k: v for k, v in d.items() if k != "day"}}
                              for d in body["days"]]
    hours = body["by_hour"]
    assert (hours[8], hours[9], hours[10], hours[11], hours[12], hours[14], hours[16], sum(hours)) == (
        1, 2, 1, 1, 1, 1, 1, 8)


def test_by_agent_account_and_network(dataset, manager_get):
    agents = {g["label"]: g for g in manager_get(f"/api/v1/reports/response-times?{RANGE}&group=agent").json["groups"]}
    ana = agents["Ana"]
    assert (ana["answered"], ana["first_response"]["median"], ana["first_response"]["p90"]) == (3, 1500.0, 2220.0)
    assert (ana["next_response"]["median"], ana["within_30"], ana["within_60"]) == (300.0, 0.6667, 1.0)
    assert (agents["Bob"]["breaches"], agents["Bob"]["within_60"]) == (1, 0.0)
    assert agents["Replied natively on the network"]["first_response"]["median"] == 1200.0
    waiting = agents["Not answered"]
    assert (waiting["clocks"], waiting["running"], waiting["within_30"], waiting["within_60_eligible"]) == (3, 1, 0.0, 1)

    accounts = {g["key"]: g for g in manager_get(f"/api/v1/reports/response-times?{RANGE}&group=account").json["groups"]}
    assert {k: g["clocks"] for k, g in accounts.items()} == {1: 6, dataset["x"].id: 2}
    networks = manager_get(f"/api/v1/reports/response-times?{RANGE}&group=network").json["groups"]
    assert [(g["key"], g["clocks"], g["breaches"]) for g in networks] == [("custom", 6, 1), ("twitter", 2, 1)]
    only_x = manager_get(f"/api/v1/reports/response-times?{RANGE}&network=twitter").json["totals"]
    assert (only_x["clocks"], only_x["first_response"]["median"]) == (2, 1200.0)


def test_days_and_hours_follow_the_report_time_zone(dataset, manager_get):
    body = manager_get("/api/v1/reports/response-times?from=2026-03-02&to=2026-03-02&tz=America/New_York").json
    # New York is UTC-5 in early March: 09:00Z is 04:00 there, and c7 (03-03 08:00Z) is 03:00 on 03-03: outside.
    assert body["totals"]["clocks"] == 6
    assert body["by_hour"][4] == 2 and body["by_hour"][9] == 1  # c1, c2 at 04:00; c4 (14:00Z) at 09:00
    assert body["range"]["start"] == "2026-03-02T05:00:00+00:00"


def test_csv_carries_the_same_figures(dataset, manager_get):
    data = manager_get(f"/api/v1/reports/response-times?{RANGE}&group=agent").json
    resp = manager_get(f"/api/v1/reports/response-times?{RANGE}&group=agent&format=csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    by_label = {r["label"]: r for r in rows if r["channel"] == "all"}
    for group in data["groups"]:
        row = by_label[group["label"]]
        assert int(row["clocks"]) == group["clocks"]
        assert row["first_response_median_s"] == ("" if group["first_response"]["median"] is None
                                                  else str(group["first_response"]["median"]))
        assert row["within_30"] == ("" if group["within_30"] is None else str(group["within_30"]))
    total = by_label["All"]
    assert (total["agent"], total["clocks"], total["first_response_p90_s"], total["within_60"]) == (
        "total", "8", "4500.0", "0.6667")


def test_clocks_export_pages_and_csv_with_formula_cells_defused(dataset, manager_get):
    seen, cursor = [], None
    while True:
        page = manager_get(f"/api/v1/reports/clocks?{RANGE}&limit=3" + (f"&cursor={cursor}" if cursor else "")).json
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 8 and len({c["id"] for c in seen}) == 8
    c4 = next(c for c in seen if c["answered_by"] == "Bob")
    assert (c4["state"], c4["stop_reason"], c4["response_seconds"], c4["met"]) == ("breached", "reply", 5400, False)

    resp = manager_get(f"/api/v1/reports/clocks?{RANGE}&format=csv")
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert sorted(int(r["id"]) for r in rows) == sorted(c["id"] for c in seen)
    on_x = [r for r in rows if r["network"] == "twitter"]
    assert on_x and all(r["account"] == "'=HYPERLINK(\"http://evil\")" for r in on_x)  # never a live formula
    assert manager_get(f"/api/v1/reports/clocks?{RANGE}&cursor=bm9wZQ").status_code == 400


def test_bad_ranges_are_refused(manager_get, db):
    assert manager_get("/api/v1/reports/response-times?from=2026-03-05&to=2026-03-01").status_code == 422
    assert manager_get("/api/v1/reports/response-times?from=2024-01-01&to=2026-03-01").status_code == 422
    assert manager_get("/api/v1/reports/response-times?from=2026-03-01").status_code == 422
    empty = manager_get("/api/v1/reports/response-times?from=2026-03-01&to=2026-03-01").json["totals"]
    assert empty["clocks"] == 0 and empty["within_30"] is None and empty["first_response"]["median"] is None


def test_percentile_by_linear_interpolation():
    from app.reports.stats import percentile

    assert percentile([1, 2, 3, 10], 0.5) == 2.5
    assert percentile([1, 2, 3, 10], 0.9) == 7.9
    assert percentile([42], 0.9) == 42 and percentile([], 0.5) is None
    assert timedelta(seconds=percentile([600, 1200, 2400, 5400], 0.9)) == timedelta(minutes=75)
