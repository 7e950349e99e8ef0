"""Pushed messages that arrive together share one ingest transaction (app/group_commit.py).

The batching tests hold the first writer inside ingest() until the others have queued, so what
they share is certain rather than a matter of timing; the HTTP test pushes from many clients at
once through a real server and checks that every message is stored exactly once.
"""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa

from app import group_commit
from app.database import write_intent
from app.ingest.items import InboundAuthor, InboundItem
from app.models import Conversation, Message


def item(external_id, customer="cust-1"):
    return InboundItem(external_id, f"message {external_id}", author=InboundAuthor(customer, f"h_{customer}"))


class HeldFirstWrite:
    """Wraps app.group_commit's ingest(): records each call's external ids and holds the first call until released."""

    def __init__(self, monkeypatch, fail_on=None):
        self.calls, self.fail_on = [], fail_on
        self.first_started, self.release = threading.Event(), threading.Event()
        self.real = group_commit.ingest
        monkeypatch.setattr(group_commit, "ingest", self)

    def __call__(self, session, account, items):
        self.calls.append([i.external_id for i in items])
        if len(self.calls) == 1:
            self.first_started.set()
            assert self.release.wait(10)
        if self.fail_on in [i.external_id for i in items]:
            raise RuntimeError(f"cannot store {self.fail_on}")
        return self.real(session, account, items)


def push_from_threads(app, db, account_id, items, held):
    """Push the first item (it becomes the writer and is held), queue the others behind it, then release."""

    def push(one):
        with app.app_context(), write_intent():
            try:
                return group_commit.ingest_pushed(db.session, account_id, one)
            finally:
                db.session.remove()

    group = app.extensions["carebox_group_commit"]
    pool = ThreadPoolExecutor(len(items))
    futures = [pool.submit(push, items[0])]
    assert held.first_started.wait(10)
    futures += [pool.submit(push, one) for one in items[1:]]
    deadline = time.monotonic() + 10
    while len(group._waiting) < len(items) - 1:
        assert time.monotonic() < deadline, "the pushes did not queue"
        time.sleep(0.01)
    held.release.set()
    pool.shutdown(wait=True)
    return futures


def test_pushes_waiting_for_a_write_are_written_together(app, db, custom_account, monkeypatch):
    held = HeldFirstWrite(monkeypatch)
    items = [item("m0", "c0")] + [item(f"m{n}", f"c{n % 2}") for n in range(1, 5)]
    futures = push_from_threads(app, db, custom_account.id, items, held)

    results = [f.result() for f in futures]
    assert held.calls[0] == ["m0"]
    assert sorted(held.calls[1]) == ["m1", "m2", "m3", "m4"] and len(held.calls) == 2  # one ingest, one commit
    assert [r.external_id for r in results] == [i.external_id for i in items]
    assert all(r.created and r.message["external_id"] == r.external_id for r in results)
    db.session.rollback()
    stored = dict(db.session.execute(sa.select(Message.external_id, Message.conversation_id)).all())
    assert sorted(stored) == ["m0", "m1", "m2", "m3", "m4"]
    assert stored["m1"] == stored["m3"] and stored["m2"] == stored["m4"] == stored["m0"]  # c1 and c0 each one conversation
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Conversation)) == 2


def test_a_bad_item_fails_only_its_own_push(app, db, custom_account, monkeypatch):
    held = HeldFirstWrite(monkeypatch, fail_on="bad")
    items = [item("m0"), item("m1", "c1"), item("bad", "c2"), item("m3", "c3")]
    futures = push_from_threads(app, db, custom_account.id, items, held)

    with pytest.raises(RuntimeError, match="cannot store bad"):
        futures[2].result()
    assert [f.result().created for i, f in enumerate(futures) if i != 2] == [True, True, True]
    assert sorted(held.calls[1]) == ["bad", "m1", "m3"]  # together first, then one by one
    assert sorted(map(tuple, held.calls[2:])) == [("bad",), ("m1",), ("m3",)]
    db.session.rollback()
    assert sorted(db.session.scalars(sa.select(Message.external_id)).all()) == ["m0", "m1", "m3"]


def test_the_same_message_pushed_twice_at_once_is_stored_once(app, db, custom_account, monkeypatch):
    held = HeldFirstWrite(monkeypatch)
    futures = push_from_threads(app, db, custom_account.id, [item("m0"), item("dup", "c1"), item("dup", "c1")], held)

    first, second = futures[1].result(), futures[2].result()
    assert first.message_id == second.message_id
    assert sorted([first.created, second.created]) == [False, True]
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(Message.external_id == "dup")) == 1


def test_many_clients_pushing_at_once_store_every_message_once(live_server, make_user, make_token, custom_account, db):
    token = make_token(make_user("agent"))
    account_id = custom_account.id

    def client(n):
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {token}"
        answers = []
        for k in range(8):
            body = {"account_id": account_id, "external_id": f"load-{n}-{k}", "text": f"message {k} of client {n}",
                    "author": {"external_id": f"customer-{(n + k) % 5}"}}
            resp = http.post(f"{live_server.url}/api/v1/messages", json=body, timeout=30)
            answers.append((resp.status_code, resp.json()))
        return answers

    with ThreadPoolExecutor(8) as pool:
        answers = [a for client_answers in pool.map(client, range(8)) for a in client_answers]

    assert [status for status, _ in answers] == [201] * 64
    ids = [body["id"] for _, body in answers]
    assert len(set(ids)) == 64
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 64
    per_customer = db.session.execute(sa.select(Conversation.contact_id, Conversation.message_count)).all()
    assert len(per_customer) == 5 and sum(count for _, count in per_customer) == 64
