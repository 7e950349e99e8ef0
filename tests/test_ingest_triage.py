"""Triage in the one ingest path: every new customer message is stored (and announced) with its sentiment and
intent, whichever network and caller brought it; a remote provider is asked before the account's row lock is
taken (a real chat completions server on a loopback port checks, from another connection, that the lock is
free while it answers), and a slow or failing one leaves the baseline's labels."""
import json
import logging
import sqlite3
import threading
from datetime import timedelta
from http.server import ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from app.events import PENDING_KEY
from app.ingest.items import InboundAuthor, InboundItem
from app.ingest.pipeline import ingest
from app.models import Message, utcnow
from app.triage import BaselineProvider, Signals
from app.worker.polling import poll_account
from tests.conftest import writing
from tests.fixtures.polling import BRAND_ID, brand_posts, connect
from tests.fixtures.push import receiver  # noqa: F401  (fixture)
from tests.test_triage import MODEL_LABELS, SECRET_KEY, ChatCompletions

COMPLAINT = "my order arrived broken and nobody answers, worst service ever 😡"
QUESTION = "what time does the Leeds branch open on Sunday?"
PRAISE = "Thank you so much, the refund came in an hour. Amazing support ❤️"


def item(ext, text, author="c1", **kw):
    return InboundItem(external_id=ext, text=text, created_at=utcnow() - timedelta(minutes=1),
                       author=InboundAuthor(author, handle=f"h_{author}"), **kw)


def stored(db, account_id):
    db.session.commit()
    return db.session.scalars(sa.select(Message).where(Message.account_id == account_id).order_by(Message.id)).all()


def baseline(text):
    return BaselineProvider().classify([(text, None)])[0]


def test_the_baseline_labels_each_new_customer_message_and_the_events_carry_the_labels(db, custom_account):
    with writing(db) as session:
        ingest(session, custom_account, [item("1", COMPLAINT), item("2", QUESTION, author="c2"), item("3", "")])
        pending = list(session.info[PENDING_KEY])
    got = {m.external_id: (m.sentiment, m.intent) for m in stored(db, custom_account.id)}
    assert got == {"1": ("negative", "complaint"), "2": ("neutral", "question"), "3": ("neutral", "other")}
    created = {e.data["message"]["external_id"]: e.data["message"] for e in pending if e.name == "message.created"}
    assert {ext: (m["sentiment"], m["intent"]) for ext, m in created.items()} == got


def test_brand_posts_get_no_signals(db, custom_account):
    with writing(db) as session:
        ingest(session, custom_account, [item("q", QUESTION)])
    with writing(db) as session:
        ingest(session, custom_account, [item("a", "We open at ten!", in_reply_to="q", from_brand=True)])
    brand = next(m for m in stored(db, custom_account.id) if m.external_id == "a")
    assert brand.direction == "outbound" and (brand.sentiment, brand.intent) == (None, None)


def test_signals_attached_to_an_item_are_stored_unless_they_are_not_the_designs_words(db, custom_account):
    with writing(db) as session:
        ingest(session, custom_account, [item("1", COMPLAINT, signals=("positive", "praise")),
                                         item("2", COMPLAINT, author="c2", signals=("furious", "rant"))])
    assert [(m.sentiment, m.intent) for m in stored(db, custom_account.id)] == [
        ("positive", "praise"), tuple(baseline(COMPLAINT))]


@pytest.mark.parametrize("network", ["twitter", "facebook"])
def test_polled_messages_of_each_network_are_labelled(app, db, sandbox, network):
    account = connect(db, sandbox, network)
    brand_posts(sandbox, network, 1, prefix="my parcel arrived broken, terrible service, I want a refund")
    assert poll_account(app, account.id, "w") == "ok:1"
    (message,) = stored(db, account.id)
    assert (message.sentiment, message.intent) == ("negative", "complaint")


def test_polled_instagram_comments_are_labelled(app, db, sandbox):
    book = sandbox.network.instagram
    account = connect(db, sandbox, "instagram")
    media = book.media_of(book.accounts[BRAND_ID["instagram"]])[0]
    book.add_comment(media.id, PRAISE, {"username": "fan1"})
    assert poll_account(app, account.id, "w").startswith("ok:")
    comments = [m for m in stored(db, account.id) if m.text == PRAISE]
    assert [(m.sentiment, m.intent) for m in comments] == [("positive", "praise")]


def test_pushed_api_messages_are_labelled(client, db, make_user, make_token, custom_account):
    headers = {"Authorization": f"Bearer {make_token(make_user('agent'))}"}
    body = {"account_id": custom_account.id, "external_id": "p1", "text": COMPLAINT,
            "author": {"external_id": "cust-1", "handle": "jane"}}
    assert client.post("/api/v1/messages", json=body, headers=headers).status_code == 201
    (message,) = stored(db, custom_account.id)
    assert (message.sentiment, message.intent) == ("negative", "complaint")


# --- a remote provider: asked before the lock, its answers stored; the baseline when it fails


def lock_probe(db, account_id):
    """A function telling, from a connection of its own, whether the account's row lock (on SQLite: the
    database's write lock) is free right now."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        def free():
            conn = sqlite3.connect(url.database, timeout=0.05)
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.rollback()
                return True
            except sqlite3.OperationalError:
                return False
            finally:
                conn.close()
        return free
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)

    def free():
        with engine.connect() as conn:
            try:
                conn.execute(sa.text("SELECT id FROM social_accounts WHERE id = :id FOR UPDATE NOWAIT"),
                             {"id": account_id})
                return True
            except sa.exc.OperationalError:
                return False
            finally:
                conn.rollback()
    return free


class ProbingChatCompletions(ChatCompletions):
    def do_POST(self):
        self.server.lock_free.append(self.server.probe())
        super().do_POST()


@pytest.fixture
def model(app):
    server = ThreadingHTTPServer(("127.0.0.1", 0), ProbingChatCompletions)
    server.daemon_threads = True
    server.mode, server.slow_seconds, server.requests, server.lock_free = "ok", 2.0, [], []
    server.probe = lambda: True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config.update({"CAREBOX_TRIAGE_PROVIDER": "openai", "CAREBOX_TRIAGE_OPENAI_MODEL": "tiny-labeller",
                       "CAREBOX_TRIAGE_OPENAI_URL": f"http://127.0.0.1:{server.server_port}/v1",
                       "CAREBOX_TRIAGE_OPENAI_API_KEY": SECRET_KEY, "CAREBOX_TRIAGE_OPENAI_TIMEOUT": 5})
    yield server
    server.shutdown()
    server.server_close()


def test_the_lock_probe_sees_a_held_lock(db, custom_account):
    free = lock_probe(db, custom_account.id)
    assert free()
    from app.accounts import lock_accounts

    with writing(db) as session:
        lock_accounts(session, [custom_account.id])
        session.execute(sa.text("UPDATE social_accounts SET name = name WHERE id = :id"), {"id": custom_account.id})
        assert not free()


def test_a_poll_asks_the_model_before_the_lock_and_stores_its_labels(app, db, sandbox, model, caplog):
    caplog.set_level(logging.DEBUG)
    account = connect(db, sandbox, "twitter")
    model.probe = lock_probe(db, account.id)
    texts = [COMPLAINT, QUESTION, PRAISE]
    for text in texts:
        sandbox.network.inject_tweet(BRAND_ID["twitter"], f"@brand {text}")
    assert poll_account(app, account.id, "w") == "ok:3"
    assert model.lock_free == [True]  # one request for the batch, while nobody held the account's lock
    (request,) = model.requests
    sent = json.loads(request["body"]["messages"][1]["content"])["messages"]
    assert sorted(m["text"] for m in sent) == sorted(f"@brand {text}" for text in texts)
    assert all(m["language"] == "en" for m in sent)
    labels = {m["text"]: Signals(*MODEL_LABELS[m["id"] % 3]) for m in sent}
    assert {m.text: (m.sentiment, m.intent) for m in stored(db, account.id)} == labels
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not any(text[:12] in logged for text in texts) and SECRET_KEY not in logged


def test_a_pushed_api_message_asks_the_model_before_the_lock(client, db, make_user, make_token, custom_account, model):
    model.probe = lock_probe(db, custom_account.id)
    headers = {"Authorization": f"Bearer {make_token(make_user('agent'))}"}
    body = {"account_id": custom_account.id, "external_id": "p1", "text": COMPLAINT,
            "author": {"external_id": "cust-1", "handle": "jane"}}
    assert client.post("/api/v1/messages", json=body, headers=headers).status_code == 201
    assert model.lock_free == [True]
    (message,) = stored(db, custom_account.id)
    assert (message.sentiment, message.intent) == MODEL_LABELS[0]


@pytest.mark.parametrize("mode", ["slow", "500", "bad_json"])
def test_a_slow_or_failing_model_leaves_the_baselines_labels(app, db, sandbox, model, mode, caplog):
    caplog.set_level(logging.DEBUG)
    app.config["CAREBOX_TRIAGE_OPENAI_TIMEOUT"] = 0.3
    model.mode, model.slow_seconds = mode, 1.0
    account = connect(db, sandbox, "facebook")
    brand_posts(sandbox, "facebook", 1, prefix=COMPLAINT)
    assert poll_account(app, account.id, "w") == "ok:1"
    (message,) = stored(db, account.id)
    assert (message.sentiment, message.intent) == tuple(baseline(message.text)) == ("negative", "complaint")
    assert len(model.requests) == 1
    assert COMPLAINT[:12] not in "\n".join(r.getMessage() for r in caplog.records)


def test_ingest_itself_never_asks_the_model(db, custom_account, model):
    with writing(db) as session:
        ingest(session, custom_account, [item("1", COMPLAINT)])
    assert model.requests == []
    (message,) = stored(db, custom_account.id)
    assert (message.sentiment, message.intent) == ("negative", "complaint")


def test_a_facebook_push_asks_the_model_before_the_lock(app, db, client, sandbox, receiver, model):
    from app.sandbox import DEMO_FACEBOOK
    from tests.fixtures.push import FAST_RETRIES, captured, deliver, subscribed

    sandbox.network.reset(FAST_RETRIES)
    account = connect(db, sandbox, "facebook")
    model.probe = lock_probe(db, account.id)
    subscribed(sandbox, DEMO_FACEBOOK["page_id"], receiver.url)
    sandbox.network.messenger.customer_message(DEMO_FACEBOOK["page_id"], COMPLAINT, {"id": "2400001", "name": "Ann"})
    ((raw, signature),) = captured(receiver, 1)
    assert deliver(client, raw, signature).status_code == 200
    assert model.lock_free == [True]
    (message,) = stored(db, account.id)
    assert (message.sentiment, message.intent) == MODEL_LABELS[0]
