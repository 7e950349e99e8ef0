"""The sweep: ok -> warning -> breached, each transition made and published exactly once.

Events are observed the way the inbox and dashboard observe them: a real Socket.IO client
connected to the live server, which shares the app (and its Socket.IO server) with the
sweeps these tests run.
"""
import queue
import threading
from datetime import datetime, timedelta, timezone

import pytest
import socketio
import sqlalchemy as sa
import time_machine

from app.database import write_intent
from app.ingest.items import InboundAuthor, InboundItem
from app.ingest.pipeline import ingest
from app.models import Conversation, JobLease, SlaClock
from app.worker.sla_sweep import LEASE_NAME, LEASE_SECONDS, run_sweep_job, sweep, sweep_batch
from tests.conftest import writing


def now():
    return datetime.now(timezone.utc)


def waiting_customers(db, account, count, *, minutes_ago, prefix="m"):
    """`count` customers who each posted `minutes_ago` and are waiting. Returns their conversation ids."""
    at = now() - timedelta(minutes=minutes_ago)
    items = [InboundItem(f"{prefix}{i}", "hello?", created_at=at, author=InboundAuthor(f"{prefix}-cust-{i}"))
             for i in range(count)]
    with writing(db) as session:
        results = ingest(session, account, items)
    return [r.conversation_id for r in results]


class Listener:
    """A staff member's Socket.IO connection, collecting sla.changed events."""

    def __init__(self, url, token):
        self.events = queue.Queue()
        self.client = socketio.Client(reconnection=False)
        self.client.on("sla.changed", self.events.put)
        self.client.connect(url, transports=["websocket"], auth={"token": token}, wait_timeout=5)

    def take(self, count, timeout=10):
        got = []
        try:
            for _ in range(count):
                got.append(self.events.get(timeout=timeout))
        except queue.Empty:
            raise AssertionError(f"only {len(got)} of {count} events arrived") from None
        return got

    def nothing_more(self, wait=0.5):
        try:
            extra = self.events.get(timeout=wait)
        except queue.Empty:
            return True
        raise AssertionError(f"unexpected extra event: {extra['clock']['id']} {extra['from']}->{extra['to']}")

    def close(self):
        self.client.disconnect()


@pytest.fixture
def listener(live_server, make_user, make_token):
    listening = Listener(live_server.url, make_token(make_user("agent")))
    yield listening
    listening.close()


def clock_rows(db):
    db.session.expire_all()
    return db.session.scalars(sa.select(SlaClock).order_by(SlaClock.id)).all()


def test_warning_then_breach_each_published_once(db, custom_account, listener):
    (conv_id,) = waiting_customers(db, custom_account, 1, minutes_ago=31)
    made = sweep(db.session)
    assert [(t.from_state, t.to_state) for t in made] == [("ok", "warning")]
    (event,) = listener.take(1)
    assert (event["from"], event["to"], event["conversation"]["id"]) == ("ok", "warning", conv_id)
    assert event["conversation"]["sla"]["state"] == "warning"
    assert event["clock"]["state"] == "warning" and event["clock"]["warned_at"] is not None

    assert sweep(db.session) == []  # nothing more is due
    listener.nothing_more()
    assert db.session.get(Conversation, conv_id).sla_state == "warning"  # the inbox mirror

    with time_machine.travel(now() + timedelta(minutes=30), tick=False):
        made = sweep(db.session)
    assert [(t.from_state, t.to_state) for t in made] == [("warning", "breached")]
    (event,) = listener.take(1)
    assert (event["from"], event["to"]) == ("warning", "breached")
    (clock,) = clock_rows(db)
    assert clock.state == "breached" and clock.warned_at < clock.breached_at
    assert db.session.get(Conversation, conv_id).sla_state == "breached"


def test_a_clock_already_past_its_breach_goes_straight_to_breached(db, custom_account, listener):
    waiting_customers(db, custom_account, 1, minutes_ago=90)  # e.g. found by a poller after an outage
    made = sweep(db.session)
    assert [(t.from_state, t.to_state) for t in made] == [("ok", "breached")]
    (event,) = listener.take(1)
    assert (event["from"], event["to"]) == ("ok", "breached")
    assert clock_rows(db)[0].warned_at is None


def test_stopped_clocks_are_never_flagged(db, custom_account, listener):
    from app.sla.conversation import on_answer

    (conv_id,) = waiting_customers(db, custom_account, 1, minutes_ago=90)
    with writing(db) as session:
        on_answer(session, session.get(Conversation, conv_id), now() - timedelta(minutes=80))
    assert sweep(db.session) == []
    listener.nothing_more()


def test_a_crash_before_commit_loses_the_change_and_its_event_together(db, custom_account, listener):
    waiting_customers(db, custom_account, 3, minutes_ago=61)
    db.session.commit()
    with write_intent():
        made = sweep_batch(db.session, now=now())  # the worker dies here: its transaction never commits
        assert len(made) == 3
        db.session.rollback()
    listener.nothing_more()
    assert {c.state for c in clock_rows(db)} == {"ok"}
    assert len(sweep(db.session)) == 3  # the next sweep redoes it, and publishes once
    assert sorted(e["clock"]["id"] for e in listener.take(3)) == [c.id for c in clock_rows(db)]
    listener.nothing_more()


def test_only_the_lease_holder_sweeps_and_a_dead_holder_hands_over(app, db, custom_account):
    waiting_customers(db, custom_account, 2, minutes_ago=45)
    assert len(run_sweep_job(app, "worker-a")) == 2
    waiting_customers(db, custom_account, 1, minutes_ago=45, prefix="late")
    assert run_sweep_job(app, "worker-b") is None  # worker-a holds the lease
    # worker-a dies without releasing it; once the lease runs out, worker-b takes over.
    with time_machine.travel(now() + timedelta(seconds=LEASE_SECONDS + 1), tick=False):
        made = run_sweep_job(app, "worker-b")
    assert len(made) == 1
    assert db.session.get(JobLease, LEASE_NAME).owner == "worker-b"


def test_two_workers_sweeping_at_once_flag_every_clock_exactly_once(app, db, custom_account, listener):
    """On PostgreSQL the two sweeps really overlap (row locks, SKIP LOCKED, conditional UPDATEs);
    on SQLite they take turns at the write lock. Either way: one transition and one event per clock."""
    count = 120
    waiting_customers(db, custom_account, count, minutes_ago=61)
    db.session.commit()
    start = threading.Barrier(2)
    made = {}

    def worker(name):
        with app.app_context():
            from app.extensions import db as database

            start.wait()
            made[name] = []
            for _ in range(30):  # small batches, many rounds: maximum interleaving
                made[name] += sweep(database.session, batch=7, max_batches=1)
            database.session.remove()

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    ids = [t.clock_id for t in made["a"] + made["b"]]
    assert len(ids) == len(set(ids)) == count
    events = listener.take(count)
    assert sorted(e["clock"]["id"] for e in events) == sorted(ids)
    assert {(e["from"], e["to"]) for e in events} == {("ok", "breached")}
    listener.nothing_more()
    assert {c.state for c in clock_rows(db)} == {"breached"}


def test_event_payloads_say_what_the_shared_shapes_say(db, custom_account, make_user):
    """The sweep serialises the rows its UPDATEs return, not ORM objects. The payload must equal
    conversation_summary() and clock_dict() of the same conversation and clock loaded through the ORM,
    keys in the same order (webhook bodies are signed JSON text): here for a warning paused by business
    hours, a breach on another account, a contact with a name, tags and an assignee."""
    import json

    from app.accounts import create_account
    from app.events import PENDING_KEY
    from app.models import Contact, SlaPolicy, SocialAccount
    from app.serialize import conversation_summary
    from app.sla.policies import forget
    from app.sla.state import clock_dict

    agent = make_user("agent")
    with writing(db) as session:
        other = create_account(session, network="custom", name="Second")
    (warned,) = waiting_customers(db, custom_account, 1, minutes_ago=31, prefix="w")
    (breached,) = waiting_customers(db, other, 1, minutes_ago=61, prefix="b")
    frozen = now()
    tomorrow = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[(frozen.weekday() + 1) % 7]
    with writing(db) as session:
        conv = session.get(Conversation, warned)
        conv.tags, conv.assignee_id, conv.priority = ["vip", "refund"], agent.id, "high"
        contact = session.get(Contact, conv.contact_id)
        contact.name, contact.followers_count, contact.profile_url = "Ada", 42, "https://example.com/ada"
        # Closed now: the warning shows as paused. Assigned directly, so the due times stay as they are.
        policy = SlaPolicy(name="Tomorrow only", warn_minutes=30, breach_minutes=60, timezone="UTC",
                           business_hours={tomorrow: [["00:00", "24:00"]]}, holidays=[])
        session.add(policy)
        session.flush()
        session.get(SocialAccount, custom_account.id).sla_policy_id = policy.id

    with time_machine.travel(frozen, tick=False), write_intent():
        forget(db.session)
        made = sweep_batch(db.session, now=frozen)
        payloads = [evt.data for evt in db.session.info[PENDING_KEY]]
        db.session.expire_all()
        expected = [{
            "conversation": conversation_summary(db.session.get(Conversation, t.conversation_id)),
            "clock": clock_dict(db.session.get(SlaClock, t.clock_id)),
            "from": t.from_state,
            "to": t.to_state,
        } for t in made]
        db.session.rollback()
    assert [(t.conversation_id, t.to_state) for t in made] == [(breached, "breached"), (warned, "warning")]
    assert [p["conversation"]["sla"]["state"] for p in payloads] == ["breached", "paused"]
    warning = payloads[1]["conversation"]
    assert warning["tags"] == ["vip", "refund"] and warning["contact"]["name"] == "Ada"
    assert [json.dumps(p) for p in payloads] == [json.dumps(e) for e in expected]


def test_due_clocks_are_found_through_the_due_indexes(db, custom_account):
    """Flat cost needs the planner on the partial due indexes, not on the stopped_at index (which
    holds every running clock): SQLite's planner, without statistics (nothing runs ANALYZE), takes
    `stopped_at IS NULL` for a selective lookup unless told otherwise. On PostgreSQL sequential
    scans are switched off, so the tiny test tables do not hide which index the queries can use."""
    waiting_customers(db, custom_account, 2, minutes_ago=61)
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().startswith("SELECT sla_clocks.id, sla_clocks.conversation_id"):
            statements.append((statement, parameters))

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        sweep(db.session)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    postgres = engine.dialect.name == "postgresql"
    plans = []
    with engine.connect() as conn:
        if postgres:
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        for statement, parameters in statements[:2]:  # the breach query, then the warning one
            prefix = "EXPLAIN" if postgres else "EXPLAIN QUERY PLAN"
            plans.append(" ".join(str(c) for row in conn.exec_driver_sql(f"{prefix} {statement}", parameters)
                                  for c in row))
    assert "ix_sla_clocks_due_breach" in plans[0] and "ix_sla_clocks_due_warn" in plans[1], plans
