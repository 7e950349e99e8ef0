"""GET /accounts and PATCH /accounts/{id}: the human-agent tag, admins only, audited, clear refusals."""
import sqlalchemy as sa

from app.models import AuditEvent, SocialAccount


def _account(db, network):
    account = SocialAccount(network=network, name=f"Acme on {network}", cursor={}, health="unknown")
    account.credentials = {}
    db.session.add(account)
    db.session.commit()
    return account.id


def test_admins_turn_the_human_agent_tag_on_and_off(client, db, make_user, make_token):
    page = _account(db, "facebook")
    x = _account(db, "twitter")
    admin = {"Authorization": f"Bearer {make_token(make_user('admin'), scopes=('read', 'write', 'admin'))}"}

    listed = client.get("/api/v1/accounts", headers=admin).get_json()["items"]
    assert [a["human_agent_enabled"] for a in listed] == [False, False]

    on = client.patch(f"/api/v1/accounts/{page}", json={"human_agent_enabled": True}, headers=admin)
    assert on.status_code == 200, on.get_json()
    assert on.get_json()["human_agent_enabled"] is True
    db.session.expire_all()
    assert db.session.get(SocialAccount, page).human_agent_enabled
    audit = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "account.human_agent")).one()
    assert audit.data == {"enabled": True} and audit.actor_user_id is not None

    refused = client.patch(f"/api/v1/accounts/{x}", json={"human_agent_enabled": True}, headers=admin)
    assert refused.status_code == 422 and "only Facebook" in refused.get_json()["error"]["message"]
    assert client.patch("/api/v1/accounts/999", json={"human_agent_enabled": True}, headers=admin).status_code == 404
    bad = client.patch(f"/api/v1/accounts/{page}", json={"human_agent_enabled": "yes please"}, headers=admin)
    assert bad.status_code == 422
    unknown = client.patch(f"/api/v1/accounts/{page}", json={"name": "renamed"}, headers=admin)
    assert unknown.status_code == 422


def test_agents_and_managers_cannot_change_accounts(client, db, make_user, make_token):
    page = _account(db, "facebook")
    for role in ("agent", "manager"):
        headers = {"Authorization": f"Bearer {make_token(make_user(role), scopes=('read', 'write'))}"}
        answer = client.patch(f"/api/v1/accounts/{page}", json={"human_agent_enabled": True}, headers=headers)
        assert answer.status_code == 403, role
    db.session.expire_all()
    assert not db.session.get(SocialAccount, page).human_agent_enabled


def test_instagram_accounts_take_the_human_agent_tag_and_show_their_call_budget(client, db, make_user, make_token):
    insta = _account(db, "instagram")
    admin = {"Authorization": f"Bearer {make_token(make_user('admin'), scopes=('read', 'write', 'admin'))}"}
    on = client.patch(f"/api/v1/accounts/{insta}", json={"human_agent_enabled": True}, headers=admin)
    assert on.status_code == 200 and on.get_json()["human_agent_enabled"] is True
    assert on.get_json()["health"]["budget"] == {"kind": "business_use_case", "calls_per_impression": 4800,
                                                 "window_hours": 24}
    db.session.expire_all()
    assert db.session.get(SocialAccount, insta).human_agent_enabled
