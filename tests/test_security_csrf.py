"""CSRF on the API: skipped only for callers a valid Bearer token authenticated, never for the session.

A Bearer header decides who calls, whatever session cookie comes with it: a junk token is 401 even
for a signed-in browser (which would otherwise have been served as the session user, without CSRF).
"""
import sqlalchemy as sa

from app.models import Message
from tests.conftest import csrf_from, login


def open_conversation(client, account, token, external_id="m-1"):
    resp = client.post("/api/v1/messages", headers={"Authorization": f"Bearer {token}"}, json={
        "account_id": account.id, "external_id": external_id, "text": "my parcel is late",
        "author": {"external_id": "cust-1", "handle": "cust"}})
    assert resp.status_code == 201, resp.json
    return resp.json["conversation_id"]


def notes(db, conversation_id):
    db.session.rollback()
    return db.session.scalars(sa.select(Message.text).where(
        Message.conversation_id == conversation_id, Message.direction == "note")).all()


def test_junk_bearer_beside_a_session_is_401_with_or_without_csrf(app, db, custom_account, make_user, make_token):
    agent = make_user("agent")
    conversation_id = open_conversation(app.test_client(), custom_account, make_token(agent))
    browser = app.test_client()
    login(browser, agent)
    csrf = csrf_from(browser)
    url = f"/api/v1/conversations/{conversation_id}/notes"
    for headers in ({"Authorization": "Bearer junk"}, {"Authorization": "Bearer junk", "X-CSRFToken": csrf}):
        resp = browser.post(url, headers=headers, json={"text": "forged"})
        assert resp.status_code == 401, resp.json
        assert resp.json["error"]["code"] == "unauthorized"
    assert browser.get(f"/api/v1/conversations/{conversation_id}", headers={"Authorization": "Bearer junk"}).status_code == 401
    assert notes(db, conversation_id) == []


def test_session_callers_always_need_csrf(app, db, custom_account, make_user, make_token):
    agent = make_user("agent")
    conversation_id = open_conversation(app.test_client(), custom_account, make_token(agent))
    browser = app.test_client()
    login(browser, agent)
    url = f"/api/v1/conversations/{conversation_id}/notes"
    refused = browser.post(url, json={"text": "no token, no csrf"})
    assert refused.status_code == 400 and refused.json["error"]["code"] == "csrf_failed"
    accepted = browser.post(url, headers={"X-CSRFToken": csrf_from(browser)}, json={"text": "with csrf"})
    assert accepted.status_code == 201, accepted.json
    assert notes(db, conversation_id) == ["with csrf"]


def test_a_valid_token_beside_a_session_is_what_authenticates(app, db, custom_account, make_user, make_token):
    """The token's user and scopes apply, not the session's: an admin's browser sending a read-only token of an
    agent cannot write, and a write token needs no CSRF."""
    admin, agent = make_user("admin"), make_user("agent")
    conversation_id = open_conversation(app.test_client(), custom_account, make_token(agent))
    browser = app.test_client()
    login(browser, admin)
    url = f"/api/v1/conversations/{conversation_id}/notes"
    read_only = browser.post(url, headers={"Authorization": f"Bearer {make_token(agent, scopes=('read',))}"},
                             json={"text": "read-only token"})
    assert read_only.status_code == 403 and read_only.json["error"]["code"] == "insufficient_scope"
    admin_only = browser.get("/api/v1/users", headers={"Authorization": f"Bearer {make_token(agent)}"})
    assert admin_only.status_code == 403  # the agent's token, though the session is an admin's
    written = browser.post(url, headers={"Authorization": f"Bearer {make_token(agent)}"}, json={"text": "by token"})
    assert written.status_code == 201, written.json
    assert written.json["author"]["user_id"] == agent.id
    assert notes(db, conversation_id) == ["by token"]
