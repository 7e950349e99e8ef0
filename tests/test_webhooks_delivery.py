"""Webhook delivery end to end: the one publisher, the outbox, the worker, a real receiver verifying signatures.

Time is travelled with time-machine (never slept): a retry due in 5 minutes is
made due by moving the clock, then the worker pass runs for real.
"""
import json
import threading
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
import time_machine

from app import events
from app.models import Notification, WebhookDelivery, WebhookEndpoint
from app.webhooks import delivery as worker
from app.webhooks.endpoints import rotate_secret
from tests.conftest import writing
from tests.fixtures.webhook_receiver import receiver  # noqa: F401  (fixture)
from tests.webhook_helpers import account_event, attempts_of, deliveries, push_messages, register, run_worker

pytestmark = pytest.mark.config(CAREBOX_WEBHOOK_TIMEOUT=1)


@pytest.fixture
def agent_token(make_user, make_token):
    return make_token(make_user("agent"))


def test_every_event_arrives_signed_with_the_rest_api_shapes(app, db, client, agent_token, custom_account, receiver):
    register(db, receiver)
    push_messages(client, agent_token, custom_account, 2)
    conversation = client.get("/api/v1/conversations", headers={"Authorization": f"Bearer {agent_token}"}).json["items"]
    run_worker(app)
    got = receiver.requests
    assert [r.payload["type"] for r in got] == ["conversation.created", "message.received"] * 2
    assert all(r.verified for r in got), [r.error for r in got]
    assert len({r.webhook_id for r in got}) == 4 and all(r.webhook_id.startswith("msg_") for r in got)
    first = got[1].payload
    assert set(first) == {"type", "timestamp", "data"}
    assert first["data"]["message"]["text"] == "hello 0" and first["data"]["message"]["direction"] == "inbound"
    api_conv = next(c for c in conversation if c["id"] == first["data"]["conversation"]["id"])
    assert set(first["data"]["conversation"]) == set(api_conv)  # the same shape as GET /conversations
    assert {r.headers["content-type"] for r in got} == {"application/json"}
    assert all(d.status == "delivered" and d.attempts == 1 for d in deliveries(db))


def test_outbox_rows_belong_to_the_transaction_that_published(app, db, receiver):
    endpoint, _ = register(db, receiver)
    data = account_event(db)
    with writing(db) as session:
        session.get(WebhookEndpoint, endpoint.id).description = "changed, then rolled back"
        events.publish(session, "account.unhealthy", data)
        session.flush()
        session.rollback()
    assert deliveries(db) == []
    with writing(db) as session:
        events.publish(session, "account.unhealthy", data)
        events.publish(session, "account.updated", data)  # Socket.IO only: no webhook type
        events.publish(session, "presence", {"conversation_id": 1, "viewers": [], "typers": []})
    rows = deliveries(db)
    assert [(d.event_type, d.endpoint_id) for d in rows] == [("account.unhealthy", endpoint.id)]
    assert json.loads(rows[0].payload)["data"] == data


def test_subscriptions_and_disabled_endpoints(app, db, client, agent_token, custom_account, receiver):
    only_messages, _ = register(db, receiver, events=["message.received"])
    everything, _ = register(db, receiver)
    with writing(db) as session:
        session.get(WebhookEndpoint, everything.id).enabled = False
    push_messages(client, agent_token, custom_account, 1)
    assert [(d.endpoint_id, d.event_type) for d in deliveries(db)] == [(only_messages.id, "message.received")]


def test_receiver_down_then_up_nothing_lost_retries_spaced_ids_stable(app, db, client, agent_token, custom_account,
                                                                       receiver):
    register(db, receiver)
    start = datetime.now(timezone.utc)
    with time_machine.travel(start, tick=False) as clock:  # frozen between the steps below
        push_messages(client, agent_token, custom_account, 3)  # 3 conversation.created + 3 message.received
        receiver.script = [503, "close", "slow"]
        receiver.mode = 503
        run_worker(app)  # attempt 1 of the oldest: 503; the endpoint pauses (its first probe in ~1 s)
        assert len(receiver.requests) == 1
        run_worker(app)  # still paused: nothing is sent
        assert len(receiver.requests) == 1
        clock.shift(timedelta(seconds=6))
        run_worker(app)  # the probe, past the 5 s slot, so attempt 2: the connection is closed without an answer
        clock.shift(timedelta(minutes=5, seconds=31))
        run_worker(app)  # attempt 3: the receiver answers too late (timeout)
        receiver.mode = "ok"
        clock.shift(timedelta(minutes=33))
        run_worker(app, passes=2)
    rows = deliveries(db)
    assert [d.status for d in rows] == ["delivered"] * 6
    modes = [r.mode for r in receiver.requests]
    assert modes[:3] == ["503", "close", "slow"] and modes[3:] == ["ok"] * 6
    head = rows[0]
    assert {r.webhook_id for r in receiver.requests[:4]} == {head.message_id}  # stable across retries
    # Delivered in the order the events happened, each exactly once after recovery.
    assert [r.webhook_id for r in receiver.requests[3:]] == [d.message_id for d in rows]
    assert all(r.verified for r in receiver.requests[3:])
    tries = attempts_of(db, head.id)
    assert [a.attempt for a in tries] == [1, 2, 3, 4]
    assert tries[0].status_code == 503 and tries[1].error and tries[2].error.startswith("no answer within")
    gaps = [(b.started_at - a.started_at).total_seconds() for a, b in zip(tries, tries[1:])]
    assert 5 * 0.9 <= gaps[0] <= 5 * 1.1 + 2
    assert 300 * 0.9 <= gaps[1] <= 300 * 1.1 + 2
    assert 1800 * 0.9 <= gaps[2] <= 1800 * 1.1 + 3
    assert all(d.attempts == 1 for d in rows[1:])  # the backlog waited without spending retries
    assert not any(a.probe for a in tries)  # each try came at or after its slot: every one counted


def test_schedule_and_jitter():
    import random

    rng = random.Random(7)
    assert worker.retry_delay(0, rng=rng) == 0
    expected = [5, 300, 1800, 7200, 18000, 36000, 36000]
    for made, base in enumerate(expected, start=1):
        delay = worker.retry_delay(made, rng=rng)
        assert base * 0.9 <= delay <= base * 1.1
    assert worker.retry_delay(8) is None  # used up: the delivery fails
    assert worker.retry_delay(1, retry_after=120) == 120  # never sooner than Retry-After
    assert worker.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0  # a date in the past
    assert worker.parse_retry_after("soon") is None


def test_retry_after_is_honoured(app, db, client, agent_token, custom_account, receiver):
    register(db, receiver, events=["message.received"])
    push_messages(client, agent_token, custom_account, 1)
    receiver.mode, receiver.retry_after = 429, 120
    start = datetime.now(timezone.utc)
    with time_machine.travel(start, tick=True) as clock:
        run_worker(app)
        (row,) = deliveries(db)
        assert (row.next_attempt_at - start).total_seconds() >= 119
        clock.shift(timedelta(seconds=60))  # the schedule's 5 s have passed, Retry-After's 120 s have not
        run_worker(app)
        assert len(receiver.requests) == 1
        receiver.mode = "ok"
        clock.shift(timedelta(seconds=61))
        run_worker(app)
    assert [r.mode for r in receiver.requests] == ["429", "ok"]


def test_non_2xx_is_a_failure_and_exhausted_retries_fail_then_redeliver(app, db, client, agent_token, custom_account,
                                                                        receiver, make_user, make_token):
    endpoint, _ = register(db, receiver, events=["message.received"])
    push_messages(client, agent_token, custom_account, 1)
    receiver.mode = 400  # answered, but refused: retried on its own schedule, no endpoint pause
    start = datetime.now(timezone.utc)
    with time_machine.travel(start, tick=True) as clock:
        for _ in range(len(worker.SCHEDULE)):
            run_worker(app)
            clock.shift(timedelta(hours=11))
    (row,) = deliveries(db)
    assert row.status == "failed" and row.attempts == len(worker.SCHEDULE) and row.last_status_code == 400
    assert len(receiver.requests) == len(worker.SCHEDULE)
    admin_token = make_token(make_user("admin"), scopes=("read", "write", "admin"))
    headers = {"Authorization": f"Bearer {admin_token}"}
    log = client.get(f"/api/v1/webhooks/{endpoint.id}/deliveries", headers=headers).json["items"]
    assert log[0]["status"] == "failed" and len(log[0]["attempt_log"]) == len(worker.SCHEDULE)
    assert log[0]["attempt_log"][0]["status_code"] == 400 and '"status": 400' in log[0]["attempt_log"][0]["response_excerpt"]
    receiver.mode = "ok"
    resp = client.post(f"/api/v1/webhooks/{endpoint.id}/deliveries/{row.id}/redeliver", headers=headers)
    assert resp.status_code == 202 and resp.json["status"] == "pending"
    run_worker(app)
    assert deliveries(db)[0].status == "delivered"
    assert receiver.requests[-1].webhook_id == row.message_id and receiver.requests[-1].verified


def test_410_disables_the_endpoint_and_tells_admins_live(app, db, client, agent_token, custom_account, receiver,
                                                         make_user, make_token, live_server):
    import queue

    import socketio

    admin = make_user("admin")
    endpoint, _ = register(db, receiver, events=["message.received"])
    push_messages(client, agent_token, custom_account, 2)
    heard = queue.Queue()
    sio = socketio.Client(reconnection=False)
    sio.on("notification", heard.put)
    sio.connect(live_server.url, transports=["websocket"], auth={"token": make_token(admin)}, wait_timeout=5)
    try:
        receiver.mode = 410
        run_worker(app)
        note = heard.get(timeout=5)
    finally:
        sio.disconnect()
    assert note["kind"] == "webhook_disabled" and "410" in note["text"]
    db.session.commit()
    stored = db.session.get(WebhookEndpoint, endpoint.id)
    assert stored.enabled is False and "410" in stored.disabled_reason
    assert db.session.scalar(sa.select(sa.func.count(Notification.id)).where(Notification.user_id == admin.id)) == 1
    assert len(receiver.requests) == 1  # the other delivery waits for the endpoint to be enabled again
    assert [d.status for d in deliveries(db)] == ["pending", "pending"]


def test_endpoint_failing_for_days_is_disabled(app, db, client, agent_token, custom_account, receiver, make_user):
    admin = make_user("admin")
    endpoint, _ = register(db, receiver, events=["message.received"])
    push_messages(client, agent_token, custom_account, 1)
    receiver.mode = 500
    unhealthy = account_event(db)
    start = datetime.now(timezone.utc)
    with time_machine.travel(start, tick=True) as clock:
        run_worker(app)
        for _ in range(6):
            clock.shift(timedelta(days=1))
            with writing(db) as session:  # a fresh event every day keeps the endpoint being tried
                events.publish(session, "account.unhealthy", unhealthy)
            with writing(db) as session:
                session.get(WebhookEndpoint, endpoint.id).events = []
            run_worker(app, passes=2)
    db.session.commit()
    stored = db.session.get(WebhookEndpoint, endpoint.id)
    assert stored.enabled is False and "failed since" in stored.disabled_reason
    notes = db.session.scalars(sa.select(Notification).where(Notification.user_id == admin.id)).all()
    assert [n.kind for n in notes] == ["webhook_disabled"]


def test_two_workers_never_send_the_same_delivery(app, db, client, agent_token, custom_account, receiver):
    register(db, receiver)
    push_messages(client, agent_token, custom_account, 40)  # 80 deliveries with the conversation.created ones
    total = len(deliveries(db))
    errors = []

    def work(owner):
        with app.app_context():
            try:
                while worker.deliver_due(app, owner, limit=7):
                    pass
            except Exception as exc:  # surfaced below
                errors.append(exc)
            finally:
                from app.extensions import db as database

                database.session.remove()

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    ids = [r.webhook_id for r in receiver.requests]
    assert len(ids) == total == len(set(ids))
    assert all(d.status == "delivered" and d.attempts == 1 for d in deliveries(db))


def test_a_worker_that_dies_mid_delivery_loses_nothing(app, db, client, agent_token, custom_account, receiver):
    register(db, receiver, events=["message.received"])
    push_messages(client, agent_token, custom_account, 2)
    with writing(db) as session:
        claimed = worker.claim(session, "dead-worker", 10, 60)  # claimed, then the process died
    assert len(claimed) == 2
    run_worker(app, owner="survivor")
    assert receiver.requests == []  # the dead worker's lease still holds
    with time_machine.travel(datetime.now(timezone.utc) + timedelta(seconds=61), tick=True):
        run_worker(app, owner="survivor")
    assert len(receiver.requests) == 2 and all(d.status == "delivered" for d in deliveries(db))


def test_rotated_secret_signs_beside_the_old_one_during_the_grace_period(app, db, client, agent_token, custom_account,
                                                                        receiver):
    endpoint, old = register(db, receiver, events=["message.received"])
    with writing(db) as session:
        new = rotate_secret(session, session.get(WebhookEndpoint, endpoint.id), grace=timedelta(hours=1))
    push_messages(client, agent_token, custom_account, 1)
    receiver.secrets = [old]  # a receiver that has not switched yet
    run_worker(app)
    receiver.secrets = [new]
    with writing(db) as session:
        worker_row = session.scalars(sa.select(WebhookDelivery)).one()
        worker_row.status, worker_row.next_attempt_at = "pending", datetime.now(timezone.utc)
    run_worker(app)
    assert [r.verified for r in receiver.requests] == [True, True]
    assert len(receiver.requests[0].headers["webhook-signature"].split(" ")) == 2
    with time_machine.travel(datetime.now(timezone.utc) + timedelta(hours=2), tick=True):
        push_messages(client, agent_token, custom_account, 1, start=5)
        receiver.secrets = [old]
        run_worker(app)
        assert not receiver.requests[-1].verified  # the grace period is over: only the new secret signs
        assert len(receiver.requests[-1].headers["webhook-signature"].split(" ")) == 1


def test_delivery_refuses_private_addresses_when_not_allowed(app, db, client, agent_token, custom_account, receiver):
    register(db, receiver, events=["message.received"])  # registered while private addresses were allowed
    push_messages(client, agent_token, custom_account, 1)
    app.config["CAREBOX_WEBHOOK_ALLOW_PRIVATE"] = False
    run_worker(app)
    assert receiver.requests == []  # nothing was sent: the guard refused before connecting
    (attempt,) = attempts_of(db, deliveries(db)[0].id)
    assert attempt.status_code is None and "loopback, private or reserved" in attempt.error


def test_publishing_stays_cheap_on_the_ingest_hot_path(app, db, custom_account, receiver):
    """A batch of 60 customer messages: one endpoint read and one multi-row insert for the whole outbox."""
    from sqlalchemy import event

    from app.ingest.items import InboundAuthor, InboundItem
    from app.ingest.pipeline import ingest

    register(db, receiver)
    register(db, receiver, events=["message.received"])
    statements = []

    def count(conn, cursor, statement, *args):
        if "webhook_" in statement:
            statements.append(statement.split()[0].upper())

    items = [InboundItem(external_id=f"hot-{n}", text=f"text {n}", author=InboundAuthor(f"c{n % 5}")) for n in range(60)]
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with writing(db) as session:
            ingest(session, session.get(type(custom_account), custom_account.id), items)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert statements == ["SELECT", "INSERT"]
    rows = deliveries(db)
    assert len(rows) == 5 * 1 + 60 * 2  # conversation.created to one endpoint, message.received to both
    assert len({r.message_id for r in rows}) == 65  # one webhook-id per event, shared by its endpoints


def test_the_worker_process_delivers_published_events_by_itself(app, db, client, agent_token, custom_account,
                                                                receiver):
    """The real Worker (APScheduler) runs the delivery job from PERIODIC_JOBS: nothing calls the pass by hand."""
    import time

    from app.worker import Worker

    register(db, receiver, events=["message.received"])
    worker_ = Worker(app, owner="scheduler-test", threads=2).start()
    try:
        push_messages(client, agent_token, custom_account, 2)
        deadline = time.monotonic() + 10
        while len(receiver.delivered()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker_.shutdown()
    assert [r.payload["data"]["message"]["external_id"] for r in receiver.delivered()] == ["m-0", "m-1"]
