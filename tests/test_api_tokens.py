"""API tokens: created by admins (API, admin page, CLI), shown once, stored hashed, scoped, revocable, last-used time."""
import sqlalchemy as sa

from app.models import ApiToken, hash_token


def bearer(raw):
    return {"Authorization": f"Bearer {raw}"}


def test_admin_creates_a_token_shown_once_and_stored_hashed(client, db, make_user, make_token):
    admin = make_user("admin")
    agent = make_user("agent")
    admin_token = make_token(admin, scopes=("read", "write", "admin"))
    resp = client.post("/api/v1/tokens", headers=bearer(admin_token),
                       json={"name": "CRM sync", "scopes": ["read"], "user_id": agent.id})
    assert resp.status_code == 201, resp.json
    raw = resp.json["token"]
    assert raw.startswith("cbx_") and resp.json["prefix"] == raw[:12] and resp.json["user_email"] == agent.email
    stored = db.session.scalars(sa.select(ApiToken).where(ApiToken.id == resp.json["id"])).one()
    assert stored.token_hash == hash_token(raw) and raw not in (stored.token_hash, stored.prefix)
    listed = client.get("/api/v1/tokens", headers=bearer(admin_token)).json["items"]
    assert {t["name"] for t in listed} >= {"CRM sync"}
    assert all("token" not in t for t in listed)  # never shown again
    assert client.get("/api/v1/conversations", headers=bearer(raw)).status_code == 200


def test_scopes_are_enforced(client, make_user, make_token, custom_account):
    admin = make_user("admin")
    read_only = make_token(admin, scopes=("read",))
    read_write = make_token(admin, scopes=("read", "write"))
    message = {"account_id": custom_account.id, "external_id": "s-1", "text": "hi", "author": {"external_id": "c"}}
    assert client.get("/api/v1/conversations", headers=bearer(read_only)).status_code == 200
    denied = client.post("/api/v1/messages", headers=bearer(read_only), json=message)
    assert denied.status_code == 403 and denied.json["error"]["code"] == "insufficient_scope"
    assert client.post("/api/v1/messages", headers=bearer(read_write), json=message).status_code == 201
    # An admin's token without the admin scope cannot manage tokens, users or webhooks.
    for path in ("/api/v1/tokens", "/api/v1/users", "/api/v1/webhooks"):
        resp = client.get(path, headers=bearer(read_write))
        assert resp.status_code == 403 and resp.json["error"]["code"] == "insufficient_scope", path


def test_admin_scope_is_for_admins_only(client, make_user, make_token):
    admin = make_user("admin")
    manager = make_user("manager")
    admin_token = make_token(admin, scopes=("read", "write", "admin"))
    resp = client.post("/api/v1/tokens", headers=bearer(admin_token),
                       json={"name": "x", "scopes": ["admin"], "user_id": manager.id})
    assert resp.status_code == 422 and "Only admins" in resp.json["error"]["message"]
    # And managers cannot manage tokens at all, whatever their token says.
    manager_token = make_token(manager, scopes=("read", "write"))
    assert client.get("/api/v1/tokens", headers=bearer(manager_token)).status_code == 403


def test_revoked_token_stops_working_at_once(client, make_user, make_token):
    admin = make_user("admin")
    admin_token = make_token(admin, scopes=("read", "write", "admin"))
    created = client.post("/api/v1/tokens", headers=bearer(admin_token), json={"name": "temp"}).json
    assert client.get("/api/v1/accounts", headers=bearer(created["token"])).status_code == 200
    revoked = client.delete(f"/api/v1/tokens/{created['id']}", headers=bearer(admin_token))
    assert revoked.status_code == 200 and revoked.json["active"] is False and revoked.json["revoked_at"]
    resp = client.get("/api/v1/accounts", headers=bearer(created["token"]))
    assert resp.status_code == 401 and resp.json["error"]["code"] == "unauthorized"
    assert client.delete(f"/api/v1/tokens/{created['id']}", headers=bearer(admin_token)).status_code == 200  # idempotent
    assert client.delete("/api/v1/tokens/999999", headers=bearer(admin_token)).status_code == 404


def test_last_used_time_is_recorded(client, db, make_user, make_token):
    admin = make_user("admin")
    raw = make_token(admin, scopes=("read", "write", "admin"))
    before = client.get("/api/v1/tokens", headers=bearer(raw)).json["items"]
    mine = next(t for t in before if t["prefix"] == raw[:12])
    assert mine["last_used_at"] is not None  # this very request used it


def test_validation_errors_are_json(client, make_user, make_token):
    raw = make_token(make_user("admin"), scopes=("read", "write", "admin"))
    for body in ({"name": ""}, {"name": "x", "scopes": ["root"]}, {"name": "x", "surprise": 1}, {"name": "x", "scopes": []}):
        resp = client.post("/api/v1/tokens", headers=bearer(raw), json=body)
        assert resp.status_code == 422 and resp.json["error"]["code"] == "validation_error", body
    resp = client.post("/api/v1/tokens", headers={**bearer(raw), "Content-Type": "application/json"}, data="{nope")
    assert resp.status_code == 400 and resp.json["error"]["code"] == "invalid_json"


def test_cli_creates_a_token_through_the_same_rules(app, db, make_user):
    user = make_user("agent")
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["tokens", "create", "--user", user.email, "--name", "n", "--scope", "admin"])
    assert refused.exit_code != 0 and "Only admins" in refused.output
    ok = runner.invoke(args=["tokens", "create", "--user", user.email, "--name", "Zapier", "--scope", "read"])
    assert ok.exit_code == 0, ok.output
    raw = ok.output.strip().splitlines()[-1]
    db.session.commit()
    token = db.session.scalars(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(raw))).one()
    assert token.scopes == ["read"] and token.name == "Zapier"
