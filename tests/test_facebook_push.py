"""Facebook push (/hooks/facebook): handshake, signatures, and one ingest path shared with polling.

Notifications are built in real Facebook's format from comments held by the sandbox, so
the poller (through the Facebook connector and real HTTP) can read the very same comments.
"""
import hashlib
import hmac
import json
import time

import pytest
import sqlalchemy as sa

from app.connectors.base import AccountInfo
from app.connectors.facebook import FacebookConnector
from app.connectors.facebook_items import feed_change_item
from app.models import Message
from app.sandbox import DEMO_FACEBOOK
from app.worker.polling import poll_account
from tests.fixtures.polling import assert_stored_exactly_once, brand_posts, connect

PAGE_ID = DEMO_FACEBOOK["page_id"]
SECRET = DEMO_FACEBOOK["app_secret"]


def notification(*comments, page_id=PAGE_ID, verb="add"):
    """A `feed` notification for sandbox comments, as Facebook sends it."""
    changes = [{"field": "feed", "value": {
        "from": c.author, "post_id": c.post_id, "comment_id": c.id, "parent_id": c.parent_id or c.post_id,
        "created_time": int(c.created_time.timestamp()), "item": "comment", "verb": verb, "message": c.message,
    }} for c in comments]
    for change in changes:
        if change["value"]["from"] is None:
            del change["value"]["from"]  # Facebook leaves `from` out when it will not say who wrote
    return {"object": "page", "entry": [{"id": page_id, "time": int(time.time()), "changes": changes}]}


def post(client, body, secret=SECRET, signature=None):
    raw = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if signature is None and secret is not None:
        signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return client.post("/hooks/facebook", data=raw, headers=headers)


def comments(sandbox, ids):
    return [sandbox.network.comments[i] for i in ids]


def stored(db):
    db.session.commit()
    return db.session.scalars(sa.select(Message).order_by(Message.id)).all()


@pytest.mark.config(CAREBOX_FACEBOOK_VERIFY_TOKEN="verify-me")
def test_handshake_echoes_the_challenge_only_with_the_verify_token(client):
    ok = client.get("/hooks/facebook?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444")
    assert ok.status_code == 200 and ok.data == b"1158201444" and ok.mimetype == "text/plain"
    assert client.get("/hooks/facebook?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1").status_code == 403
    assert client.get("/hooks/facebook?hub.mode=unsubscribe&hub.verify_token=verify-me&hub.challenge=1").status_code == 403
    assert client.get("/hooks/facebook?hub.mode=subscribe&hub.verify_token=vérifié&hub.challenge=1").status_code == 403


def test_handshake_is_refused_when_no_verify_token_is_configured(client):
    assert client.get("/hooks/facebook?hub.mode=subscribe&hub.verify_token=&hub.challenge=1").status_code == 403


def test_signed_comment_is_ingested_once_and_shows_live(app, db, client, sandbox, caplog):
    account = connect(db, sandbox, "facebook")
    ids = brand_posts(sandbox, "facebook", 2, prefix="my order is late")
    resp = post(client, notification(*comments(sandbox, ids)))
    assert resp.status_code == 200 and resp.data == b"EVENT_RECEIVED"
    assert_stored_exactly_once(db, account.id, ids)
    again = post(client, notification(*comments(sandbox, ids)))  # Facebook retries: stored once all the same
    assert again.status_code == 200
    assert_stored_exactly_once(db, account.id, ids)


BAD_SIGNATURES = ["missing", "malformed", "non-ascii", "wrong secret", "tampered body", "unknown page"]


def test_bad_or_missing_signatures_store_nothing(app, db, client, sandbox, caplog):
    connect(db, sandbox, "facebook")
    (cid,) = brand_posts(sandbox, "facebook", 1)
    for case in BAD_SIGNATURES:
        caplog.clear()
        refuse(client, db, sandbox, caplog, cid, case)


def refuse(client, db, sandbox, caplog, cid, case):
    body = notification(*comments(sandbox, [cid]))
    if case == "missing":
        resp, expected = post(client, body, secret=None), 401
    elif case == "malformed":
        resp, expected = post(client, body, signature="sha1=abc"), 401
    elif case == "non-ascii":
        resp, expected = post(client, body, signature="sha256=" + "é" * 64), 403
    elif case == "wrong secret":
        resp, expected = post(client, body, secret="not-the-app-secret"), 403
    elif case == "tampered body":
        good = "sha256=" + hmac.new(SECRET.encode(), json.dumps(body).encode(), hashlib.sha256).hexdigest()
        body["entry"][0]["changes"][0]["value"]["message"] = "injected"
        resp, expected = post(client, body, signature=good), 403
    else:
        resp, expected = post(client, notification(*comments(sandbox, [cid]), page_id="999"), secret=SECRET), 403
    assert resp.status_code == expected, case
    assert stored(db) == []
    assert any("facebook push refused" in r.getMessage() for r in caplog.records)
    assert all(SECRET not in r.getMessage() for r in caplog.records)


def test_push_and_poll_map_comments_identically_and_store_them_once(app, db, client, sandbox):
    account = connect(db, sandbox, "facebook")
    net = sandbox.network
    top = net.inject_comment(PAGE_ID, "where is my parcel?")
    reply = net.inject_comment(PAGE_ID, "still waiting", parent_id=top.id)
    anonymous = net.inject_comment(PAGE_ID, "who am I?", author=None)
    brand = net.post_page_comment(PAGE_ID, top.id, "Looking into it!")
    pushed = [top, reply, anonymous, brand]

    info = AccountInfo(id=account.id, network="facebook", name=account.name, external_id=PAGE_ID, handle=None,
                       api_base_url=sandbox.url, credentials=account.credentials)
    polled = {i.external_id: i for i in FacebookConnector(info, timeout=5).fetch({}).items}
    for change in notification(*pushed)["entry"][0]["changes"]:
        item = feed_change_item(change, account.external_id)
        assert item == polled[item.external_id]  # the same InboundItem, field for field

    assert post(client, notification(*pushed)).status_code == 200
    assert poll_account(app, account.id, "worker") == "ok:0"  # the poll finds nothing new
    assert_stored_exactly_once(db, account.id, [c.id for c in pushed])
    by_id = {m.external_id: m for m in stored(db)}
    assert by_id[brand.id].direction == "outbound" and by_id[brand.id].is_native
    assert by_id[reply.id].in_reply_to_external_id == top.id and by_id[anonymous.id].author_external_id is None


def test_polled_first_then_pushed_is_not_stored_twice(app, db, client, sandbox):
    account = connect(db, sandbox, "facebook")
    ids = brand_posts(sandbox, "facebook", 3)
    assert poll_account(app, account.id, "worker") == "ok:3"
    assert post(client, notification(*comments(sandbox, ids))).status_code == 200
    assert_stored_exactly_once(db, account.id, ids)


def test_other_fields_items_and_verbs_are_acknowledged_and_ignored(app, db, client, sandbox):
    connect(db, sandbox, "facebook")
    (cid,) = brand_posts(sandbox, "facebook", 1)
    removal = notification(*comments(sandbox, [cid]), verb="remove")
    removal["entry"][0]["changes"].append({"field": "feed", "value": {"item": "reaction", "verb": "add", "post_id": "1"}})
    removal["entry"][0]["changes"].append({"field": "mention", "value": {"post_id": "1"}})
    assert post(client, removal).status_code == 200
    assert stored(db) == []
