"""Every mutating API route takes JSON or nothing: a body that is not JSON never succeeds and never changes data.

The routes come from the URL map, so a route added later is covered without touching this test. Path
parameters are real ids (so the request would have done something had the body been taken as "{}").
"""
import re

import pytest
import sqlalchemy as sa

from app.models import WebhookDelivery

NOT_JSON = [
    # (content type, body, status, error code)
    ("text/plain", '{"status": "resolved", "text": "hi", "name": "x"}', 415, "unsupported_media_type"),
    ("application/x-www-form-urlencoded", "status=resolved&text=hi", 415, "unsupported_media_type"),
    (None, '{"status": "resolved"}', 415, "unsupported_media_type"),
    ("application/json", '{"status": "resolved",', 400, "invalid_json"),
    ("application/json", "\x00\xff not json", 400, "invalid_json"),
    ("application/json", '["status", "resolved"]', 422, "validation_error"),
    ("application/json", "null", 422, "validation_error"),
]


def mutating_api_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            for method in sorted(rule.methods & {"POST", "PUT", "PATCH"}):
                yield method, rule


def snapshot(db):
    """Every row of every table, order-independent."""
    db.session.rollback()
    with db.engine.connect() as conn:
        return {t.name: sorted(map(repr, conn.execute(sa.select(t)).all())) for t in db.metadata.sorted_tables}


@pytest.fixture
def ids(db, client, custom_account, make_user, make_token):
    admin = make_user("admin")
    token = make_token(admin, scopes=("read", "write", "admin"))
    auth = {"Authorization": f"Bearer {token}"}

    def post(path, body):
        resp = client.post(f"/api/v1{path}", headers=auth, json=body)
        assert resp.status_code in (200, 201, 202), (path, resp.json)
        return resp.json

    message = post("/messages", {"account_id": custom_account.id, "external_id": "m-1", "text": "hello",
                                 "author": {"external_id": "cust-1", "handle": "cust"}})
    canned = post("/canned-responses", {"title": "Thanks", "shortcut": "thanks", "text": "Thank you!"})
    policy = post("/sla/policies", {"name": "Fast", "warn_minutes": 10, "breach_minutes": 20})
    webhook = post("/webhooks", {"url": "http://127.0.0.1:9/hook"})
    post(f"/webhooks/{webhook['id']}/test", {})
    db.session.rollback()
    delivery_id = db.session.scalars(sa.select(WebhookDelivery.id)).first()
    return auth, {
        "conversation_id": message["conversation_id"], "message_id": message["id"], "canned_id": canned["id"],
        "policy_id": policy["id"], "account_id": custom_account.id, "user_id": make_user("agent").id,
        "endpoint_id": webhook["id"], "delivery_id": delivery_id,
    }


def test_non_json_bodies_never_succeed_nor_change_anything(app, db, client, ids):
    auth, known = ids
    routes = list(mutating_api_routes(app))
    assert len(routes) > 15  # the map really was read
    before = snapshot(db)
    for method, rule in routes:
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(known.get(m.group(1), 1)), rule.rule)
        for content_type, body, status, code in NOT_JSON:
            headers = dict(auth, **({"Content-Type": content_type} if content_type else {}))
            resp = client.open(path, method=method, data=body.encode("latin-1"), headers=headers)
            where = f"{method} {path} ({content_type}: {body!r})"
            assert not 200 <= resp.status_code < 300, where
            assert (resp.status_code, resp.json["error"]["code"]) == (status, code), f"{where}: {resp.json}"
    assert snapshot(db) == before


def test_patch_with_a_text_body_leaves_the_conversation_as_it_was(db, client, ids):
    auth, known = ids
    url = f"/api/v1/conversations/{known['conversation_id']}"
    resp = client.patch(url, headers=dict(auth, **{"Content-Type": "text/plain"}), data='{"status": "resolved"}')
    assert resp.status_code == 415
    assert client.get(url, headers=auth).json["status"] == "open"
    assert client.patch(url, headers=auth, json={"status": "resolved"}).json["status"] == "resolved"


def test_json_with_a_charset_and_empty_action_bodies_still_work(client, ids):
    auth, known = ids
    url = f"/api/v1/conversations/{known['conversation_id']}"
    typed = client.patch(url, headers=dict(auth, **{"Content-Type": "application/json; charset=utf-8"}),
                         data='{"priority": "high"}')
    assert typed.status_code == 200 and typed.json["priority"] == "high"
    claimed = client.post(f"{url}/claim", headers=auth)  # an action with no body at all
    assert claimed.status_code == 200, claimed.json
