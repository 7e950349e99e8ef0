"""Users API (admins): list, create, change role, deactivate; the last active admin is kept."""
import pytest


@pytest.fixture
def admin_headers(make_user, make_token):
    admin = make_user("admin")
    headers = {"Authorization": f"Bearer {make_token(admin, scopes=('read', 'write', 'admin'))}"}
    return admin, headers


def test_create_user_with_generated_password_that_signs_in(client, admin_headers):
    _admin, headers = admin_headers
    resp = client.post("/api/v1/users", headers=headers, json={"email": "New.Agent@Example.test", "role": "agent"})
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert body["email"] == "new.agent@example.test" and body["role"] == "agent" and body["is_active"]
    assert body["password"] and len(body["password"]) >= 10
    fresh = client.application.test_client()
    from tests.conftest import login

    login(fresh, type("U", (), {"email": body["email"]})(), password=body["password"])
    assert fresh.get("/").status_code == 200
    # Given a password, none is echoed back.
    again = client.post("/api/v1/users", headers=headers,
                        json={"email": "m@example.test", "role": "manager", "password": "a long password"})
    assert again.status_code == 201 and again.json["password"] is None


def test_duplicate_email_is_a_conflict_and_bad_input_is_422(client, admin_headers):
    admin, headers = admin_headers
    dup = client.post("/api/v1/users", headers=headers, json={"email": admin.email})
    assert dup.status_code == 409 and dup.json["error"]["code"] == "conflict"
    for body in ({"email": "not-an-email"}, {"email": "a@b.test", "role": "owner"}):
        resp = client.post("/api/v1/users", headers=headers, json=body)
        assert resp.status_code == 422 and resp.json["error"]["code"] == "validation_error", body
    # The password rule (app/passwords.py) answers with its own code and says what to fix.
    for password, says in (("short", "at least 12 characters"), ("password1234", "most common passwords"),
                           ("Ana.Smith.2024", "close to your e-mail")):
        resp = client.post("/api/v1/users", headers=headers, json={"email": "ana.smith@example.test",
                                                                    "password": password})
        assert resp.status_code == 422 and resp.json["error"]["code"] == "weak_password", password
        assert says in resp.json["error"]["message"], resp.json


def test_list_filter_change_role_and_deactivate(client, make_user, make_token, admin_headers):
    _admin, headers = admin_headers
    agent = make_user("agent")
    agent_token = make_token(agent)
    listed = client.get("/api/v1/users?role=agent", headers=headers).json["items"]
    assert [u["id"] for u in listed] == [agent.id]
    promoted = client.patch(f"/api/v1/users/{agent.id}", headers=headers, json={"role": "manager", "name": "Sam"})
    assert promoted.status_code == 200 and promoted.json["role"] == "manager" and promoted.json["name"] == "Sam"
    off = client.patch(f"/api/v1/users/{agent.id}", headers=headers, json={"is_active": False})
    assert off.status_code == 200 and off.json["is_active"] is False
    # A deactivated user's tokens stop working.
    assert client.get("/api/v1/conversations", headers={"Authorization": f"Bearer {agent_token}"}).status_code == 401
    assert [u["id"] for u in client.get("/api/v1/users?active=false", headers=headers).json["items"]] == [agent.id]
    assert client.patch("/api/v1/users/999999", headers=headers, json={"role": "agent"}).status_code == 404


def test_the_last_active_admin_cannot_be_demoted_or_deactivate_themselves(client, make_user, admin_headers):
    admin, headers = admin_headers
    demote = client.patch(f"/api/v1/users/{admin.id}", headers=headers, json={"role": "agent"})
    assert demote.status_code == 409 and "last active admin" in demote.json["error"]["message"]
    self_off = client.patch(f"/api/v1/users/{admin.id}", headers=headers, json={"is_active": False})
    assert self_off.status_code == 409
    other = make_user("admin")
    assert client.patch(f"/api/v1/users/{other.id}", headers=headers, json={"role": "manager"}).status_code == 200


def test_only_admins_manage_users(client, make_user, make_token):
    for role in ("agent", "manager"):
        headers = {"Authorization": f"Bearer {make_token(make_user(role))}"}
        assert client.get("/api/v1/users", headers=headers).status_code == 403
        assert client.post("/api/v1/users", headers=headers, json={"email": "x@y.test"}).status_code == 403
