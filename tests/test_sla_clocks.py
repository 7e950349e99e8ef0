"""Clocks start, stop and restart as docs/design.md's SLA semantics say, and are kept for reports.

Messages go through the real ingest path (as pollers and POST /messages do); replies and
resolving go through app/sla/conversation.py as the conversation actions do.
"""
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
import time_machine

from app.ingest.items import InboundAuthor, InboundItem
from app.ingest.pipeline import ingest
from app.models import Conversation, SlaClock, SlaPolicy, SocialAccount
from app.sla import manage
from app.sla.conversation import on_answer, on_resolve
from app.sla.policies import effective_policy
from tests.conftest import writing

T0 = datetime(2026, 6, 10, 10, 0, tzinfo=timezone.utc)  # a Wednesday
CUSTOMER = InboundAuthor("cust-1", "cust", "Customer")
OFFICE_HOURS = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def customer_says(db, account, external_id, at, *, author=CUSTOMER):
    with writing(db) as session:
        result = ingest(session, account, [InboundItem(external_id, "help", created_at=at, author=author)])
    return db.session.get(Conversation, result[0].conversation_id)


def brand_replies_natively(db, account, external_id, at, in_reply_to):
    with writing(db) as session:
        ingest(session, account, [InboundItem(external_id, "on it", created_at=at, in_reply_to=in_reply_to,
                                              from_brand=True)])


def clocks(db, conversation_id):
    db.session.expire_all()
    return db.session.scalars(sa.select(SlaClock).where(SlaClock.conversation_id == conversation_id)
                              .order_by(SlaClock.id)).all()


def test_first_and_next_response_clocks(db, custom_account):
    conv = customer_says(db, custom_account, "m1", T0)
    brand_replies_natively(db, custom_account, "r1", T0 + timedelta(minutes=15), "m1")
    customer_says(db, custom_account, "m2", T0 + timedelta(minutes=30))  # a follow-up after our answer
    brand_replies_natively(db, custom_account, "r2", T0 + timedelta(minutes=105), "m2")
    first, second = clocks(db, conv.id)
    assert (first.kind, first.started_at, first.stop_reason, first.response_seconds, first.met) == (
        "first", T0, "native_reply", 900, True)
    assert (second.kind, second.started_at, second.response_seconds, second.met) == (
        "next", T0 + timedelta(minutes=30), 75 * 60, False)  # answered after its 60 minutes
    assert conv.sla_state == "stopped" and conv.sla_started_at is None


def test_messages_after_an_answer_in_the_same_batch_start_the_next_clock(db, custom_account):
    with writing(db) as session:
        ingest(session, custom_account, [
            InboundItem("a", "first", created_at=T0, author=CUSTOMER),
            InboundItem("b", "still there?", created_at=T0 + timedelta(minutes=10), author=CUSTOMER),
            InboundItem("r", "answer", created_at=T0 + timedelta(minutes=5), in_reply_to="a", from_brand=True),
        ])
    conv = db.session.scalars(sa.select(Conversation)).one()
    first, second = clocks(db, conv.id)
    assert (first.started_at, first.stopped_at) == (T0, T0 + timedelta(minutes=5))
    assert (second.kind, second.started_at, second.stopped_at) == ("next", T0 + timedelta(minutes=10), None)
    assert conv.sla_started_at == T0 + timedelta(minutes=10)


def test_an_older_message_arriving_late_moves_the_start_back(db, custom_account):
    conv = customer_says(db, custom_account, "later", T0 + timedelta(minutes=10))
    customer_says(db, custom_account, "earlier", T0)  # e.g. the poll found it after a push delivered the later one
    (clock,) = clocks(db, conv.id)
    assert clock.started_at == conv.sla_started_at == T0
    assert clock.breach_at == conv.sla_breach_at == T0 + timedelta(minutes=60)


def test_a_message_older_than_our_answer_starts_no_clock(db, custom_account):
    conv = customer_says(db, custom_account, "m1", T0)
    brand_replies_natively(db, custom_account, "r1", T0 + timedelta(minutes=5), "m1")
    customer_says(db, custom_account, "m0", T0 + timedelta(minutes=2))  # posted before our answer, seen after it
    assert len(clocks(db, conv.id)) == 1
    assert conv.sla_started_at is None


def test_reply_and_resolve_stop_the_clock(db, custom_account, make_user):
    agent = make_user("agent")
    answered = customer_says(db, custom_account, "m1", T0)
    with writing(db) as session:
        on_answer(session, answered, T0 + timedelta(minutes=20), by_user_id=agent.id)
    quiet = customer_says(db, custom_account, "m2", T0, author=InboundAuthor("cust-2"))
    late = customer_says(db, custom_account, "m3", T0, author=InboundAuthor("cust-3"))
    with writing(db) as session:
        on_resolve(session, quiet, T0 + timedelta(minutes=10))  # a thank-you: no answer needed
        on_resolve(session, late, T0 + timedelta(minutes=90))  # closed unanswered after its breach
    (a,), (q,), (lt,) = clocks(db, answered.id), clocks(db, quiet.id), clocks(db, late.id)
    assert (a.stop_reason, a.answered_by_user_id, a.response_seconds, a.met) == ("reply", agent.id, 1200, True)
    assert (q.stop_reason, q.answered_by_user_id, q.met) == ("resolved", None, None)
    assert (lt.stop_reason, lt.met) == ("resolved", False)


def test_business_hours_count_only_open_time(db, custom_account, make_user):
    with writing(db) as session:
        policy, _ = manage.create_policy(session, {
            "name": "Office", "warn_minutes": 30, "breach_minutes": 60, "is_default": False,
            "timezone": "Europe/London", "business_hours": OFFICE_HOURS, "holidays": []})
        manage.assign_policy(session, session.get(SocialAccount, custom_account.id), policy)
    friday_evening = datetime(2026, 6, 12, 15, 45, tzinfo=timezone.utc)  # 16:45 in London
    conv = customer_says(db, custom_account, "m1", friday_evening)
    assert conv.sla_warn_at == datetime(2026, 6, 15, 8, 15, tzinfo=timezone.utc)  # Monday 09:15 London
    with writing(db) as session:
        on_answer(session, conv, datetime(2026, 6, 15, 8, 20, tzinfo=timezone.utc))
    (clock,) = clocks(db, conv.id)
    assert clock.policy_id == policy.id
    assert clock.response_seconds == 35 * 60 and clock.met is True  # 15 min on Friday, 20 on Monday


def test_changing_a_policy_recomputes_running_clocks_but_not_flagged_ones(db, custom_account):
    fresh = customer_says(db, custom_account, "m1", T0, author=InboundAuthor("c1"))
    warned = customer_says(db, custom_account, "m2", T0, author=InboundAuthor("c2"))
    breached = customer_says(db, custom_account, "m3", T0, author=InboundAuthor("c3"))
    with writing(db) as session:
        session.execute(sa.update(SlaClock).where(SlaClock.conversation_id == warned.id).values(state="warning"))
        session.execute(sa.update(SlaClock).where(SlaClock.conversation_id == breached.id).values(state="breached"))
    with writing(db) as session:
        policy, _ = manage.create_policy(session, {
            "name": "Relaxed", "warn_minutes": 120, "breach_minutes": 240, "is_default": False,
            "timezone": "UTC", "business_hours": None, "holidays": []})
        moved = manage.assign_policy(session, session.get(SocialAccount, custom_account.id), policy)
    assert moved == 2
    (f,), (w,), (b,) = clocks(db, fresh.id), clocks(db, warned.id), clocks(db, breached.id)
    assert (f.warn_at, f.breach_at, f.policy_id) == (T0 + timedelta(hours=2), T0 + timedelta(hours=4), policy.id)
    assert (w.warn_at, w.breach_at) == (T0 + timedelta(minutes=30), T0 + timedelta(hours=4))  # its warning stands
    # A breach stands; the clock still follows the new policy (its answer is counted in its hours).
    assert (b.warn_at, b.breach_at, b.policy_id) == (T0 + timedelta(minutes=30), T0 + timedelta(hours=1), policy.id)
    assert db.session.get(Conversation, fresh.id).sla_breach_at == T0 + timedelta(hours=4)  # the inbox mirror too

    with writing(db) as session:  # editing the policy moves its clocks again
        manage.update_policy(session, session.get(SlaPolicy, policy.id), {
            "name": "Relaxed", "warn_minutes": 45, "breach_minutes": 90, "is_default": False,
            "timezone": "UTC", "business_hours": None, "holidays": []})
    (f,) = clocks(db, fresh.id)
    assert (f.warn_at, f.breach_at) == (T0 + timedelta(minutes=45), T0 + timedelta(minutes=90))


def test_default_policy_replaces_the_configured_minutes(db, custom_account):
    with writing(db) as session:
        assert effective_policy(session, custom_account.id, "public").warn_minutes == 30  # configured
        manage.create_policy(session, {"name": "Strict", "warn_minutes": 10, "breach_minutes": 20,
                                       "is_default": True, "timezone": "UTC", "business_hours": None, "holidays": []})
    conv = customer_says(db, custom_account, "m1", T0)
    assert conv.sla_breach_at == T0 + timedelta(minutes=20)


def test_conversation_json_shows_a_paused_clock_and_when_it_resumes(app, db, client, custom_account, make_user,
                                                                    make_token):
    with writing(db) as session:
        policy, _ = manage.create_policy(session, {
            "name": "Office", "warn_minutes": 30, "breach_minutes": 60, "is_default": True,
            "timezone": "Europe/London", "business_hours": OFFICE_HOURS, "holidays": ["2026-06-15"]})
    friday = datetime(2026, 6, 12, 15, 45, tzinfo=timezone.utc)  # 16:45 in London, 15 minutes before closing
    conv = customer_says(db, custom_account, "m1", friday)
    # A token rather than a session: a signed session cookie from "the future" would be refused.
    auth = {"Authorization": f"Bearer {make_token(make_user('agent'))}"}
    with time_machine.travel(friday + timedelta(minutes=5), tick=False):
        sla = client.get(f"/api/v1/conversations/{conv.id}", headers=auth).json["sla"]
        assert sla["state"] == "ok" and sla["paused"] is False
        assert sla["pauses_at"] == "2026-06-12T16:00:00Z"
        assert sla["policy"]["name"] == "Office" and sla["policy"]["business_hours"] is True
    with time_machine.travel(datetime(2026, 6, 13, 12, 0, tzinfo=timezone.utc), tick=False):  # Saturday
        sla = client.get(f"/api/v1/conversations/{conv.id}", headers=auth).json["sla"]
        assert (sla["state"], sla["level"], sla["paused_reason"]) == ("paused", "ok", "outside_business_hours")
        assert sla["resumes_at"] == "2026-06-16T08:00:00Z"  # Monday is a holiday: Tuesday 09:00 London
        assert sla["breach_at"] == "2026-06-16T08:45:00Z"
    with time_machine.travel(datetime(2026, 6, 15, 10, 0, tzinfo=timezone.utc), tick=False):  # the holiday
        assert client.get(f"/api/v1/conversations/{conv.id}", headers=auth).json["sla"]["paused_reason"] == "holiday"


def test_native_reply_seen_by_the_poller_stops_the_clock(app, db, sandbox):
    """Over real HTTP: the customer mentions the brand on X, the poller starts a clock; the brand answers
    in the X app (not through Carebox), the next poll sees it and stops the clock as a native reply."""
    from app.accounts import create_account
    from app.sandbox import DEMO_X
    from app.worker.polling import poll_account

    keys = ("bearer_token", "consumer_key", "consumer_secret", "access_token", "access_token_secret", "user_id")
    with writing(db) as session:
        account = create_account(session, network="twitter", name="Brand on X", api_base_url=sandbox.url,
                                 credentials={k: DEMO_X[k] for k in keys})
    posted = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=20)
    tweet = sandbox.network.inject_tweet(DEMO_X["user_id"], "@carebox_demo my order is late",
                                         author={"id": "4242", "username": "waiting_cust"}, created_at=posted)
    assert poll_account(app, account.id, "test-worker").startswith("ok")
    conv = db.session.scalars(sa.select(Conversation)).one()
    assert conv.sla_started_at == posted

    reply = sandbox.network.post_brand_tweet(DEMO_X["user_id"], "@waiting_cust sorry, checking now",
                                             in_reply_to=tweet.id)
    with writing(db) as session:
        session.execute(sa.update(SocialAccount).where(SocialAccount.id == account.id)
                        .values(next_poll_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
    assert poll_account(app, account.id, "test-worker").startswith("ok")
    (clock,) = clocks(db, conv.id)
    assert clock.stop_reason == "native_reply"
    assert abs((clock.stopped_at - reply.created_at).total_seconds()) < 1  # the time it was posted on X
    assert clock.met is True and 19 * 60 <= clock.response_seconds <= 21 * 60
    db.session.refresh(conv)
    assert conv.sla_state == "stopped" and conv.sla_started_at is None
