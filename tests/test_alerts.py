"""Spike alerts against a real database: messages seeded through the real ingest path at chosen times, the
worker's job run for real, events seen by a real Socket.IO client, the webhook delivered to a real receiver."""
import queue
import threading
from datetime import datetime, timedelta, timezone

import pytest
import socketio
import sqlalchemy as sa

from app.alerts import SpikeSettings, check_spikes
from app.database import write_intent
from app.extensions import db as database
from app.ingest.items import InboundAuthor, InboundItem
from app.ingest.pipeline import ingest
from app.models import Alert, AuditEvent, Message, SocialAccount
from app.worker.spike_job import run_spike_job
from tests.conftest import writing
from tests.fixtures.webhook_receiver import receiver  # noqa: F401  (fixture)
from tests.webhook_helpers import register, run_worker

NOW = datetime.now(timezone.utc).replace(microsecond=0)


@pytest.fixture
def custom_account(custom_account, db):
    """The account, connected long enough ago for its past week to be known history."""
    with writing(db) as session:
        session.execute(sa.update(SocialAccount).where(SocialAccount.id == custom_account.id)
                        .values(created_at=NOW - timedelta(days=30)))
    return custom_account


def seed(db, account, count, *, at, negative=0, prefix=None):
    """`count` customer messages written at `at`, the first `negative` of them triaged negative."""
    prefix = prefix or f"m{int(at.timestamp())}-{count}"
    items = [InboundItem(f"{prefix}-{i}", f"message {i}", created_at=at, author=InboundAuthor(f"{prefix}-c{i}"))
             for i in range(count)]
    with writing(db) as session:
        ingest(session, account, items)
    if negative:
        with writing(db) as session:
            session.execute(sa.update(Message).where(Message.external_id.in_([f"{prefix}-{i}" for i in range(negative)]))
                            .values(sentiment="negative"))


def seed_history(db, account, per_day, *, negative=0):
    for day in range(1, 8):
        seed(db, account, per_day, at=NOW - timedelta(days=day, minutes=5), negative=negative, prefix=f"h{day}")


class Listener:
    """A staff member's Socket.IO connection, collecting `alert` events."""

    def __init__(self, url, token):
        self.events = queue.Queue()
        self.client = socketio.Client(reconnection=False)
        self.client.on("alert", self.events.put)
        self.client.connect(url, transports=["websocket"], auth={"token": token}, wait_timeout=5)

    def take(self, timeout=10):
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no alert event arrived") from None

    def nothing(self, wait=0.5):
        try:
            extra = self.events.get(timeout=wait)
        except queue.Empty:
            return True
        raise AssertionError(f"unexpected alert event: {extra['alert']}")


@pytest.fixture
def listeners(live_server, make_user, make_token):
    manager = Listener(live_server.url, make_token(make_user("manager")))
    agent = Listener(live_server.url, make_token(make_user("agent")))
    yield manager, agent
    manager.client.disconnect()
    agent.client.disconnect()


def alerts(db):
    db.session.commit()
    return db.session.scalars(sa.select(Alert).order_by(Alert.id)).all()


def test_a_volume_spike_raises_one_alert_that_managers_hear_of_once(app, db, custom_account, listeners):
    manager, agent = listeners
    seed_history(db, custom_account, 4)
    seed(db, custom_account, 30, at=NOW - timedelta(minutes=2))
    (raised,) = run_spike_job(app, "worker-1", now=NOW)
    assert raised[1] == "raised"
    event = manager.take()
    assert event["alert"]["kind"] == "volume" and event["alert"]["state"] == "open"
    assert event["alert"]["observed"] == 30 and event["alert"]["baseline"] == 4
    assert event["account"]["id"] == custom_account.id and event["account"]["name"] == "Web chat"
    assert run_spike_job(app, "worker-1", now=NOW + timedelta(minutes=1)) == []  # still spiking: no second alert
    manager.nothing()
    agent.nothing(0.1)  # the alert goes to the managers' room only
    (alert,) = alerts(db)
    assert (alert.kind, alert.state, alert.window_end) == ("volume", "open", NOW)


def test_an_alert_ends_once_below_the_lower_threshold(app, db, custom_account, listeners):
    manager, _ = listeners
    seed(db, custom_account, 20, at=NOW - timedelta(minutes=10))
    seed(db, custom_account, 12, at=NOW - timedelta(minutes=2))  # raise at 20, end below 7.5
    assert [what for _, what in run_spike_job(app, "w", now=NOW)] == ["raised"]
    assert manager.take()["alert"]["state"] == "open"
    # Only the 12 later ones are in the window: under the raising threshold, above the ending one.
    assert run_spike_job(app, "w", now=NOW + timedelta(minutes=6)) == []
    manager.nothing()
    assert [what for _, what in run_spike_job(app, "w", now=NOW + timedelta(minutes=14))] == ["ended"]
    ended = manager.take()["alert"]
    assert ended["state"] == "ended" and ended["ended_at"] is not None
    assert run_spike_job(app, "w", now=NOW + timedelta(minutes=15)) == []
    manager.nothing()
    assert [(a.state, a.ended_at) for a in alerts(db)] == [("ended", NOW + timedelta(minutes=14))]


def test_a_negative_share_spike_without_a_volume_one(app, db, custom_account):
    seed_history(db, custom_account, 20, negative=2)  # usually 10 % negative
    seed(db, custom_account, 15, at=NOW - timedelta(minutes=3), negative=12)
    (alert, what), = run_spike_job(app, "w", now=NOW)
    assert (alert.kind, what, alert.observed, alert.baseline) == ("negative_share", "raised", 0.8, 0.1)


def test_the_webhook_is_delivered_once_when_raised_not_when_ended(app, db, custom_account, receiver):  # noqa: F811
    register(db, receiver, events=["alert.spike"])
    seed(db, custom_account, 25, at=NOW - timedelta(minutes=1))
    run_spike_job(app, "w", now=NOW)
    run_spike_job(app, "w", now=NOW + timedelta(minutes=1))
    run_spike_job(app, "w", now=NOW + timedelta(minutes=20))  # ended
    assert [a.state for a in alerts(db)] == ["ended"]
    run_worker(app, passes=2)
    (delivered,) = receiver.requests
    assert delivered.verified and delivered.payload["type"] == "alert.spike"
    assert delivered.payload["data"]["alert"]["state"] == "open"
    assert delivered.payload["data"]["account"]["id"] == custom_account.id


def _race(app, calls):
    """Run each call (a function of the app) in its own thread and app context, released together."""
    barrier, results = threading.Barrier(len(calls)), [None] * len(calls)

    def run(n, call):
        with app.app_context():
            barrier.wait()
            try:
                results[n] = call(app)
            finally:
                database.session.remove()

    threads = [threading.Thread(target=run, args=(n, call)) for n, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_workers_racing_raise_once(app, db, custom_account):
    seed(db, custom_account, 30, at=NOW - timedelta(minutes=2))
    results = _race(app, [lambda a, n=n: run_spike_job(a, f"worker-{n}", now=NOW) for n in range(2)])
    assert sorted(len(r or []) for r in results) == [0, 1]  # the lease let one of them check
    assert len(alerts(db)) == 1


def test_without_the_lease_the_open_index_still_refuses_a_second_raise(app, db, custom_account):
    seed(db, custom_account, 30, at=NOW - timedelta(minutes=2))

    def check(_app):
        with write_intent():
            made = check_spikes(database.session, SpikeSettings(), now=NOW)
            database.session.commit()
        return made

    results = _race(app, [check, check])
    assert sorted(len(r) for r in results) == [0, 1]
    assert len(alerts(db)) == 1


def test_managers_list_and_acknowledge_alerts(app, db, client, custom_account, make_user, make_token):
    seed(db, custom_account, 30, at=NOW - timedelta(minutes=2))
    run_spike_job(app, "w", now=NOW)
    manager = make_user("manager")
    headers = {"Authorization": f"Bearer {make_token(manager)}"}
    agent_headers = {"Authorization": f"Bearer {make_token(make_user('agent'))}"}
    listed = client.get("/api/v1/alerts", headers=headers)
    assert listed.status_code == 200
    (item,) = listed.json["items"]
    assert item["alert"]["kind"] == "volume" and item["account"]["id"] == custom_account.id
    assert item["acknowledged_by"] is None
    assert client.get("/api/v1/alerts?state=ended", headers=headers).json["items"] == []
    assert client.get(f"/api/v1/alerts?account={custom_account.id + 1}", headers=headers).json["items"] == []
    assert client.get("/api/v1/alerts", headers=agent_headers).status_code == 403
    alert_id = item["alert"]["id"]
    assert client.post(f"/api/v1/alerts/{alert_id}/acknowledge", headers=agent_headers).status_code == 403
    done = client.post(f"/api/v1/alerts/{alert_id}/acknowledge", headers=headers)
    assert done.status_code == 200 and done.json["acknowledged_by"]["id"] == manager.id
    assert client.post("/api/v1/alerts/999999/acknowledge", headers=headers).status_code == 404
    db.session.commit()
    audit = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "alert.acknowledged")).all()
    assert [(a.actor_user_id, a.target_id) for a in audit] == [(manager.id, str(alert_id))]


def test_admins_choose_who_may_acknowledge(app, db, client, custom_account, make_user, make_token):
    from app.permissions import set_lowest_roles

    seed(db, custom_account, 30, at=NOW - timedelta(minutes=2))
    run_spike_job(app, "w", now=NOW)
    manager = make_user("manager")
    with writing(db) as session:
        set_lowest_roles(session, {"alerts.acknowledge": "admin"})
    alert_id = alerts(db)[0].id
    refused = client.post(f"/api/v1/alerts/{alert_id}/acknowledge",
                          headers={"Authorization": f"Bearer {make_token(manager)}"})
    assert refused.status_code == 403 and refused.json["error"]["code"] == "not_permitted"
    with writing(db) as session:
        set_lowest_roles(session, {"alerts.acknowledge": "agent"})
    agent = make_user("agent")
    allowed = client.post(f"/api/v1/alerts/{alert_id}/acknowledge",
                          headers={"Authorization": f"Bearer {make_token(agent)}"})
    assert allowed.status_code == 200 and allowed.json["acknowledged_by"]["id"] == agent.id


def test_an_account_connected_just_now_alerts_on_nothing_its_usual_pace_explains(app, db, custom_account):
    with writing(db) as session:  # connected two hours ago, busy since
        session.execute(sa.update(SocialAccount).where(SocialAccount.id == custom_account.id)
                        .values(created_at=NOW - timedelta(hours=2)))
    for n in range(1, 5):
        seed(db, custom_account, 25, at=NOW - timedelta(minutes=15 * n + 5))
    seed(db, custom_account, 30, at=NOW - timedelta(minutes=2))
    assert run_spike_job(app, "w", now=NOW) == []  # 30 against 25 an hour: no spike, though no day is known
    seed(db, custom_account, 50, at=NOW - timedelta(minutes=1))
    assert [(a.kind, a.baseline) for a, _ in run_spike_job(app, "w", now=NOW)] == [("volume", 25)]
