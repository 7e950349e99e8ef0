"""POST /api/v1/messages: the custom channel through the one ingest path."""
import sqlalchemy as sa

from app.models import Message


def body(account, ext="ext-1", **kw):
    data = {"account_id": account.id, "external_id": ext, "text": "Where is my order? 📦",
            "created_at": "2026-01-15T10:30:00Z", "author": {"external_id": "cust-1", "handle": "jane", "name": "Jane"}}
    data.update(kw)
    return data


def test_push_message_is_idempotent(client, make_user, make_token, custom_account, db):
    token = make_token(make_user("agent"))
    h = {"Authorization": f"Bearer {token}"}
    first = client.post("/api/v1/messages", json=body(custom_account), headers=h)
    assert first.status_code == 201, first.json
    assert first.json["conversation_id"] and first.json["external_id"] == "ext-1"
    assert first.json["created_at"] == "2026-01-15T10:30:00Z"
    again = client.post("/api/v1/messages", json=body(custom_account), headers=h)
    assert again.status_code == 200
    assert again.json["id"] == first.json["id"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 1
    conv = client.get(f"/api/v1/conversations/{first.json['conversation_id']}", headers=h).json
    assert conv["contact"]["handle"] == "jane"
    assert [m["text"] for m in conv["messages"]] == ["Where is my order? 📦"]
    assert conv["sla"]["started_at"] == "2026-01-15T10:30:00Z"


def test_push_message_validation_errors_are_clear(client, make_user, make_token, custom_account):
    h = {"Authorization": f"Bearer {make_token(make_user('agent'))}"}
    missing = client.post("/api/v1/messages", json={"account_id": custom_account.id}, headers=h)
    assert missing.status_code == 422
    assert missing.json["error"]["code"] == "validation_error"
    assert "external_id" in missing.json["error"]["message"] or missing.json["error"]["details"]
    naive = client.post("/api/v1/messages", json=body(custom_account, created_at="2026-01-15T10:30:00"), headers=h)
    assert naive.status_code == 422 and "created_at" in naive.json["error"]["message"]
    broken = client.post("/api/v1/messages", data="{not json", headers={**h, "Content-Type": "application/json"})
    assert broken.status_code == 400 and broken.json["error"]["code"] == "invalid_json"
    nul = client.post("/api/v1/messages", json=body(custom_account, text="a\u0000b"), headers=h)
    assert nul.status_code == 422 and "NUL" in nul.json["error"]["message"]
    nul_author = client.post("/api/v1/messages", json=body(custom_account, author={"external_id": "c\u0000"}),
                             headers=h)
    assert nul_author.status_code == 422 and nul_author.json["error"]["message"].startswith("author.external_id")
    unknown = client.post("/api/v1/messages", json=body(custom_account, account_id=9999), headers=h)
    assert unknown.status_code == 404
    extra = client.post("/api/v1/messages", json=body(custom_account, surprise=1), headers=h)
    assert extra.status_code == 422


def test_push_message_refuses_non_custom_accounts(client, make_user, make_token, db):
    from app.accounts import create_account

    x = create_account(db.session, network="twitter", name="X", credentials={"bearer_token": "t"})
    db.session.commit()
    h = {"Authorization": f"Bearer {make_token(make_user('agent'))}"}
    resp = client.post("/api/v1/messages", json=body(x), headers=h)
    assert resp.status_code == 422 and resp.json["error"]["code"] == "not_a_custom_account"


def test_push_message_needs_write_scope_and_valid_token(client, make_user, make_token, custom_account, db):
    user = make_user("agent")
    read_only = make_token(user, scopes=("read",))
    resp = client.post("/api/v1/messages", json=body(custom_account), headers={"Authorization": f"Bearer {read_only}"})
    assert resp.status_code == 403 and resp.json["error"]["code"] == "insufficient_scope"
    bad = client.post("/api/v1/messages", json=body(custom_account), headers={"Authorization": "Bearer cbx_nope"})
    assert bad.status_code == 401
    assert client.post("/api/v1/messages", json=body(custom_account)).status_code == 401


def test_revoked_token_is_refused(client, make_user, make_token, db):
    from app.models import ApiToken, utcnow

    raw = make_token(make_user("agent"))
    h = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/conversations", headers=h).status_code == 200
    token = db.session.scalars(sa.select(ApiToken)).one()
    assert token.last_used_at is not None and raw not in (token.token_hash, token.prefix)
    token.revoked_at = utcnow()
    db.session.commit()
    assert client.get("/api/v1/conversations", headers=h).status_code == 401


def test_session_callers_need_csrf_for_writes(client, make_user, custom_account):
    from tests.conftest import csrf_from, login

    login(client, make_user("agent"))
    no_csrf = client.post("/api/v1/messages", json=body(custom_account))
    assert no_csrf.status_code == 400 and no_csrf.json["error"]["code"] == "csrf_failed"
    ok = client.post("/api/v1/messages", json=body(custom_account), headers={"X-CSRFToken": csrf_from(client)})
    assert ok.status_code == 201
