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
from app.ingest import InboundAuthor, InboundItem, ingest
from app.models import Conversation, JobLease, SlaClock
from app.sla.sweep import LEASE_NAME, LEASE_SECONDS, run_sweep_job, sweep, sweep_batch
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
    from app.sla import stop_clock

    (conv_id,) = waiting_customers(db, custom_account, 1, minutes_ago=90)
    with writing(db) as session:
        stop_clock(session, session.get(Conversation, conv_id), now() - timedelta(minutes=80), "reply")
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
