"""Reports, the SLA summary and account health by channel kind (public: mentions and comments; private: DMs).

The clocks, on one X account, all on 2026-03-02 (UTC), made through ingest and the answer rule:

    clock  channel  customer  started  ends                        response
    p1     public   cust-a    09:00    Ana replies 09:10            600 s
    p2     public   cust-b    10:00    Bob replies 10:40           2400 s
    d1     private  cust-a    09:30    Ana replies 09:35            300 s
    d2     private  cust-c    11:00    Bob replies 12:00           3600 s
    d3     private  cust-d    13:00    still waiting (months open)     -

Public:  first response 600, 2400: median 1500, p90 600 + 0.9 x 1800 = 2220; within 30: 1/2; within 60: 2/2.
Private: first response 300, 3600: median 1950, p90 300 + 0.9 x 3300 = 3270; within 30: d1 of (2 answered +
d3) = 1/3; within 60: d1, d2 of 3 = 2/3.
"""
import csv
import io
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from app.accounts import create_account
from app.ingest.items import InboundAuthor, InboundItem
from app.ingest.pipeline import ingest
from app.models import Conversation, SocialAccount
from app.sla.conversation import on_answer
from tests.conftest import writing

DAY = "from=2026-03-02&to=2026-03-02&tz=UTC"
PUBLIC = {"clocks": 2, "answered": 2, "running": 0, "first_response": {"count": 2, "median": 1500.0, "p90": 2220.0},
          "within_30": 0.5, "within_60": 1.0}
PRIVATE = {"clocks": 3, "answered": 2, "running": 1, "first_response": {"count": 2, "median": 1950.0, "p90": 3270.0},
           "within_30": 0.3333, "within_60": 0.6667}


def at(hour, minute=0):
    return datetime(2026, 3, 2, hour, minute, tzinfo=timezone.utc)


def picked(figures, like):
    return {key: figures[key] for key in like}


def write(db, account, ext, when, who, channel):
    with writing(db) as session:
        (r,) = ingest(session, session.get(SocialAccount, account.id), [InboundItem(
            ext, "help", created_at=when, author=InboundAuthor(who), channel=channel)])
    return r.conversation_id


def answer(db, conv_id, when, user):
    with writing(db) as session:
        on_answer(session, session.get(Conversation, conv_id), when, by_user_id=user.id)


@pytest.fixture
def x_account(db):
    with writing(db) as session:
        return create_account(session, network="twitter", name="Brand on X", credentials={"bearer_token": "t"})


@pytest.fixture
def channels(db, x_account, make_user):
    ana, bob = make_user("agent", name="Ana"), make_user("agent", name="Bob")
    answer(db, write(db, x_account, "p1", at(9), "cust-a", "public"), at(9, 10), ana)
    answer(db, write(db, x_account, "p2", at(10), "cust-b", "public"), at(10, 40), bob)
    answer(db, write(db, x_account, "d1", at(9, 30), "cust-a", "private"), at(9, 35), ana)
    answer(db, write(db, x_account, "d2", at(11), "cust-c", "private"), at(12), bob)
    write(db, x_account, "d3", at(13), "cust-d", "private")
    return {"ana": ana, "bob": bob}


@pytest.fixture
def manager_get(client, make_user, make_token):
    token = make_token(make_user("manager", name="Max"))
    return lambda url: client.get(url, headers={"Authorization": f"Bearer {token}"})


def test_the_customer_has_a_public_and_a_private_conversation(db, channels):
    kinds = db.session.execute(sa.select(Conversation.channel, sa.func.count()).group_by(Conversation.channel)).all()
    assert dict(kinds) == {"public": 2, "private": 3}


def test_report_grouped_by_channel(channels, manager_get):
    body = manager_get(f"/api/v1/reports/response-times?{DAY}&group=channel").json
    public, private = body["groups"]
    assert (public["key"], private["key"]) == ("public", "private")
    assert picked(public, PUBLIC) == PUBLIC and picked(private, PRIVATE) == PRIVATE
    assert body["totals"]["clocks"] == 5 and body["channel"] is None
    assert picked(body["totals"]["channels"]["public"], PUBLIC) == PUBLIC
    assert picked(body["totals"]["channels"]["private"], PRIVATE) == PRIVATE


def test_every_group_and_day_carries_its_channel_split(channels, manager_get):
    agents = {g["label"]: g for g in manager_get(f"/api/v1/reports/response-times?{DAY}&group=agent").json["groups"]}
    ana = agents["Ana"]["channels"]
    assert (ana["public"]["first_response"]["median"], ana["private"]["first_response"]["median"]) == (600.0, 300.0)
    bob = agents["Bob"]["channels"]
    assert (bob["public"]["within_30"], bob["private"]["within_60"]) == (0.0, 1.0)
    assert agents["Not answered"]["channels"]["private"]["running"] == 1
    assert agents["Not answered"]["channels"]["public"]["clocks"] == 0

    body = manager_get(f"/api/v1/reports/response-times?{DAY}&group=account").json
    (account,) = body["groups"]
    assert (account["channels"]["public"]["clocks"], account["channels"]["private"]["clocks"]) == (2, 3)
    (day,) = body["days"]
    assert picked(day["channels"]["private"], PRIVATE) == PRIVATE


def test_channel_filter(channels, manager_get):
    private = manager_get(f"/api/v1/reports/response-times?{DAY}&channel=private").json
    assert private["channel"] == "private" and picked(private["totals"], PRIVATE) == PRIVATE
    assert private["totals"]["channels"]["public"]["clocks"] == 0
    assert private["by_hour"][13] == 1 and sum(private["by_hour"]) == 3

    clocks = manager_get(f"/api/v1/reports/clocks?{DAY}&channel=public").json["items"]
    assert len(clocks) == 2 and {c["channel"] for c in clocks} == {"public"}
    assert manager_get(f"/api/v1/reports/response-times?{DAY}&channel=dm").status_code == 422


def test_figures_csv_has_a_channel_column(channels, manager_get):
    resp = manager_get(f"/api/v1/reports/response-times?{DAY}&group=agent&format=csv")
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert list(rows[0])[:3] == ["agent", "label", "channel"]
    lines = {(r["label"], r["channel"]): r for r in rows}
    assert {channel for _, channel in lines} == {"all", "public", "private"}
    assert (lines[("All", "all")]["clocks"], lines[("All", "public")]["clocks"], lines[("All", "private")]["clocks"]) == (
        "5", "2", "3")
    assert lines[("Bob", "private")]["first_response_median_s"] == "3600.0"
    assert lines[("Ana", "public")]["within_30"] == "1.0"

    by_channel = list(csv.DictReader(io.StringIO(manager_get(
        f"/api/v1/reports/response-times?{DAY}&group=channel&format=csv").get_data(as_text=True))))
    # Grouped by channel, the group column is the channel column: one line per channel kind, then the total.
    assert [(r["channel"], r["clocks"]) for r in by_channel] == [("public", "2"), ("private", "3"), ("total", "5")]

    filtered = list(csv.DictReader(io.StringIO(manager_get(
        f"/api/v1/reports/response-times?{DAY}&group=day&channel=private&format=csv").get_data(as_text=True))))
    assert [(r["label"], r["channel"], r["clocks"]) for r in filtered] == [
        ("2026-03-02", "private", "3"), ("All", "private", "3")]


def test_clocks_csv_has_a_channel_column(channels, manager_get):
    text = manager_get(f"/api/v1/reports/clocks?{DAY}&format=csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(r["channel"] for r in rows) == ["private"] * 3 + ["public"] * 2
    assert sorted(r["response_seconds"] for r in rows if r["channel"] == "public") == ["2400.0", "600.0"]


def _statements(db, call):
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    return len(seen)


def test_report_queries_stay_batched_whatever_the_number_of_clocks(db, channels, x_account, manager_get):
    urls = [f"/api/v1/reports/response-times?{DAY}&group={g}" for g in ("day", "channel", "agent")]
    urls += [f"/api/v1/reports/response-times?{DAY}&group=agent&format=csv", f"/api/v1/reports/clocks?{DAY}&format=csv"]

    def counted():
        for url in urls:
            manager_get(url)  # a write empties the policy cache: fill it again first
        return [_statements(db, lambda u=url: manager_get(u)) for url in urls]

    before = counted()
    for n in range(20):
        write(db, x_account, f"more-{n}", at(14, n), f"more-{n}", ("public", "private")[n % 2])
    assert counted() == before


def test_summary_counts_by_channel(db, x_account, manager_get):
    recent = datetime.now(timezone.utc) - timedelta(minutes=5)
    write(db, x_account, "m1", recent, "cust-a", "public")
    write(db, x_account, "dm1", recent, "cust-a", "private")
    write(db, x_account, "dm2", recent, "cust-b", "private")
    with writing(db) as session:  # dm2 waits past its breach time
        session.execute(sa.update(Conversation).where(Conversation.id == write(db, x_account, "dm3", recent,
                                                                               "cust-c", "private"))
                        .values(sla_breach_at=recent, sla_warn_at=recent - timedelta(minutes=30)))
    body = manager_get("/api/v1/sla/summary").json
    assert body["totals"]["open"] == 4
    assert (body["channels"]["public"]["open"], body["channels"]["private"]["open"]) == (1, 3)
    assert (body["channels"]["private"]["breached"], body["channels"]["public"]["breached"]) == (1, 0)
    (account,) = [a for a in body["accounts"] if a["id"] == x_account.id]
    assert account["channels"]["private"] == {**body["channels"]["private"]}
    assert account["channels"]["public"]["ok"] == 1
    (network,) = [n for n in body["networks"] if n["network"] == "twitter"]
    assert network["channels"]["private"]["running"] == 3
    assert {r["channel"] for r in body["at_risk"]} == {"public", "private"}


def test_summary_lists_the_at_risk_clocks_of_one_channel_kind(app, db, x_account):
    from app.reports.summary import summary

    recent = datetime.now(timezone.utc) - timedelta(minutes=5)
    for n in range(3):
        write(db, x_account, f"m{n}", recent - timedelta(minutes=n), f"cust-{n}", "public")
    write(db, x_account, "dm", recent, "cust-dm", "private")
    with app.test_request_context():
        everything = summary(db.session, at_risk_limit=3)
        private = summary(db.session, at_risk_limit=3, channel="private")
    assert [r["channel"] for r in everything["at_risk"]] == ["public"] * 3  # the DM is not among the nearest three
    assert [r["channel"] for r in private["at_risk"]] == ["private"]
    assert private["channels"] == everything["channels"] and private["totals"]["open"] == 4


def test_summary_shows_each_endpoints_rate_limit_and_nothing_else(db, x_account, manager_get):
    with writing(db) as session:
        session.get(SocialAccount, x_account.id).rate_limits = {
            "mentions": {"limit": 450, "remaining": 12, "reset_at": "2026-03-02T09:15:00Z"},
            "dm_send": {"limit": 15, "remaining": 0, "reset_at": "2026-03-02T09:20:00Z", "extra": "<b>x</b>"},
            "<script>": {"limit": "many", "remaining": True, "reset_at": 5},
            "conversations": {"limit": 200, "remaining": 199, "reset_at": "soon"},
            "broken": "not a budget",
        }
    (account,) = [a for a in manager_get("/api/v1/sla/summary").json["accounts"] if a["id"] == x_account.id]
    assert account["poller"]["rate_limits"] == {
        "<script>": {"limit": None, "remaining": None, "reset_at": None},
        "conversations": {"limit": 200, "remaining": 199, "reset_at": None},
        "dm_send": {"limit": 15, "remaining": 0, "reset_at": "2026-03-02T09:20:00Z"},
        "mentions": {"limit": 450, "remaining": 12, "reset_at": "2026-03-02T09:15:00Z"},
    }


def test_summary_queries_stay_batched_whatever_the_number_of_conversations(db, x_account, manager_get):
    recent = datetime.now(timezone.utc) - timedelta(minutes=5)
    write(db, x_account, "m0", recent, "cust-0", "public")

    def counted():
        manager_get("/api/v1/sla/summary")  # a write empties the policy cache: fill it again first
        return _statements(db, lambda: manager_get("/api/v1/sla/summary"))

    before = counted()
    for n in range(1, 16):
        write(db, x_account, f"m{n}", recent, f"cust-{n}", ("public", "private")[n % 2])
    assert counted() == before
