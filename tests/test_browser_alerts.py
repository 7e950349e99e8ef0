"""Spike alerts on the managers' dashboard in a real browser: raised by the worker's job, shown live, acknowledged."""
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from app.accounts import create_account
from app.ingest.items import InboundAuthor, InboundItem
from app.ingest.pipeline import ingest
from app.models import Alert, User
from app.worker.spike_job import run_spike_job
from tests.conftest import writing
from tests.fixtures.browser import screenshot

HOSTILE = '<img src=x onerror="window.__pwned=1">'


def spike(db, account, count=30):
    at = datetime.now(timezone.utc) - timedelta(minutes=2)
    with writing(db) as session:
        ingest(session, account, [InboundItem(f"s{i}", "where is my parcel?", created_at=at,
                                              author=InboundAuthor(f"c{i}")) for i in range(count)])


def hostile_account(db):
    """An account whose name is hostile text, connected long ago (its past week is known history)."""
    with writing(db) as session:
        account = create_account(session, network="custom", name=HOSTILE + " Shop")
        account.created_at = datetime.now(timezone.utc) - timedelta(days=30)
    return account


def test_a_spike_appears_live_and_is_acknowledged(app, open_page, db, make_user):
    account = hostile_account(db)
    manager = make_user("manager", name="Mina")
    page = open_page(manager, path="/dashboard")
    page.wait_for_selector("#connection-state.conn-live")
    assert page.is_hidden("#spike-alerts")
    page.evaluate("window.__sameDocument = true")

    spike(db, account)
    run_spike_job(app, "worker-1")
    item = page.locator("#spike-alert-list li.spike-alert")
    item.wait_for()
    assert page.get_attribute("#spike-alert-list", "aria-live") == "polite"
    text = item.text_content()
    assert "Message volume spike" in text and f"on {HOSTILE} Shop (" in text  # the name shown as text
    assert "30 messages in the last 15 minutes, usually 0" in text and "since" in text
    assert page.evaluate("window.__pwned") is None
    screenshot(page, "spike-alert")

    item.get_by_role("button", name="Acknowledge").click()
    page.wait_for_selector("#spike-alert-list .spike-acknowledged")
    assert "acknowledged by Mina" in item.text_content()
    db.session.commit()
    assert db.session.scalars(sa.select(Alert.acknowledged_by_id)).all() == [manager.id]
    assert page.evaluate("window.__sameDocument") is True
    assert page.errors == []


def test_the_alert_goes_away_when_the_spike_ends_and_reads_right_to_left(app, open_page, db, make_user):
    account = hostile_account(db)
    manager = make_user("manager")
    with writing(db) as session:
        session.execute(sa.update(User).where(User.id == manager.id).values(locale="ar"))
    spike(db, account)
    run_spike_job(app, "worker-1")
    page = open_page(manager, path="/dashboard")
    item = page.locator("#spike-alert-list li.spike-alert")
    item.wait_for()  # already open when the page loads: read from the API
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("getComputedStyle(document.querySelector('#spike-alerts')).direction") == "rtl"
    button = item.locator("button.spike-acknowledge").bounding_box()
    title = item.locator(".spike-kind").bounding_box()
    assert button["x"] < title["x"]  # the line starts on the right

    run_spike_job(app, "worker-1", now=datetime.now(timezone.utc) + timedelta(minutes=20))  # ended
    page.wait_for_selector("#spike-alerts", state="hidden")
    assert page.errors == []
