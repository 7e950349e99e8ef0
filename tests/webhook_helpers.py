"""Helpers shared by the webhook tests: register an endpoint, push customer messages, run the worker."""
import sqlalchemy as sa

from app.models import WebhookAttempt, WebhookDelivery
from app.webhooks.delivery import deliver_due
from app.webhooks.endpoints import create_endpoint
from tests.conftest import writing


def register(db, receiver, *, events=None, admin=None):
    """An endpoint pointing at the test receiver, whose secret the receiver verifies with."""
    with writing(db) as session:
        endpoint, secret = create_endpoint(session, url=receiver.url, events=events, actor=admin)
    receiver.secrets = [secret]
    return endpoint, secret


def account_event(db, health="unhealthy"):
    """A real account's account.* event payload (a custom account created for it)."""
    from app.accounts import create_account
    from app.serialize import account_dict

    with writing(db) as session:
        account = create_account(session, network="custom", name="Events probe")
        account.health = health
        session.flush()
        data = {"account": account_dict(account), "previous_health": "ok"}
    return data


def push_messages(client, token, account, count, *, start=0, prefix="m"):
    """POST customer messages through the real API (the one ingest path); returns their external ids."""
    ids = []
    # Read once: after a request commits, `account` is expired, and refreshing it between requests would open
    # a plain read transaction on the session the test client shares, which the next POST would then write in.
    account_id = account.id
    for n in range(start, start + count):
        ext = f"{prefix}-{n}"
        resp = client.post("/api/v1/messages", headers={"Authorization": f"Bearer {token}"}, json={
            "account_id": account_id, "external_id": ext, "text": f"hello {n}",
            "author": {"external_id": f"cust-{n % 3}", "handle": f"cust{n % 3}"}})
        assert resp.status_code == 201, resp.json
        ids.append(ext)
    from app.extensions import db

    db.session.commit()  # the test client shares the test's session: end the write transaction it left open
    return ids


def run_worker(app, owner="worker-1", passes=1):
    """Run the delivery pass like the worker job does; returns how many deliveries were claimed in all."""
    return sum(deliver_due(app, owner) for _ in range(passes))


def deliveries(db, **where):
    db.session.commit()  # a fresh read transaction
    query = sa.select(WebhookDelivery).order_by(WebhookDelivery.id)
    for key, value in where.items():
        query = query.where(getattr(WebhookDelivery, key) == value)
    return list(db.session.scalars(query))


def attempts_of(db, delivery_id):
    db.session.commit()
    return list(db.session.scalars(
        sa.select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id).order_by(WebhookAttempt.id)))
