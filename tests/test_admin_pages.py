"""Admin pages (tokens, users, webhooks): admins only, CSRF-protected forms, secrets shown once."""
import re

import pytest
import sqlalchemy as sa

from app.models import ApiToken, User, WebhookDelivery
from tests.conftest import login
from tests.fixtures.webhook_receiver import receiver  # noqa: F401  (fixture)
from tests.webhook_helpers import run_worker

PAGES = ["/admin/", "/admin/tokens", "/admin/users", "/admin/webhooks"]


def form_token(html):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


@pytest.fixture
def admin_client(app, make_user):
    client = app.test_client()
    admin = make_user("admin")
    login(client, admin)
    return client, admin


@pytest.mark.parametrize("role", ["agent", "manager"])
def test_lower_roles_are_refused(app, make_user, role):
    client = app.test_client()
    login(client, make_user(role))
    for path in PAGES:
        assert client.get(path).status_code == 403, path
    assert client.post("/admin/tokens", data={"name": "x"}).status_code == 403  # the role is checked before CSRF
    assert b">Admin<" not in client.get("/").data  # no nav link either


def test_admin_sees_the_nav_link_and_every_page(admin_client):
    client, _ = admin_client
    assert b">Admin</a>" in client.get("/").data
    assert client.get("/admin/").status_code == 302
    for path in PAGES[1:]:
        assert client.get(path).status_code == 200, path


def test_forms_need_csrf(admin_client):
    client, admin = admin_client
    resp = client.post("/admin/tokens", data={"name": "x", "user_id": admin.id, "scopes": ["read"]})
    assert resp.status_code == 400


def test_token_is_shown_once_works_and_can_be_revoked(admin_client, db):
    client, admin = admin_client
    page = client.get("/admin/tokens").get_data(as_text=True)
    created = client.post("/admin/tokens", data={"name": "CRM <sync>", "user_id": admin.id, "scopes": ["read"],
                                                 "csrf_token": form_token(page)})
    assert created.status_code == 201
    html = created.get_data(as_text=True)
    raw = re.search(r'data-testid="secret">(cbx_[^<]+)<', html).group(1)
    assert "CRM &lt;sync&gt;" in html and "CRM <sync>" not in html  # names are escaped
    api = client.application.test_client()
    assert api.get("/api/v1/accounts", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    assert raw not in client.get("/admin/tokens").get_data(as_text=True)  # never shown again
    token = db.session.scalars(sa.select(ApiToken).where(ApiToken.name == "CRM <sync>")).one()
    page = client.get("/admin/tokens").get_data(as_text=True)
    assert client.post(f"/admin/tokens/{token.id}/revoke", data={"csrf_token": form_token(page)}).status_code == 302
    assert api.get("/api/v1/accounts", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_users_create_change_role_deactivate(admin_client, db):
    client, admin = admin_client
    csrf = form_token(client.get("/admin/users").get_data(as_text=True))
    created = client.post("/admin/users", data={"email": "new@example.test", "name": "New", "role": "agent",
                                                "csrf_token": csrf})
    assert created.status_code == 201
    password = re.search(r'data-testid="secret">([^<]+)<', created.get_data(as_text=True)).group(1)
    user = db.session.scalars(sa.select(User).where(User.email == "new@example.test")).one()
    assert user.check_password(password)
    assert client.post(f"/admin/users/{user.id}/role", data={"role": "manager", "csrf_token": csrf}).status_code == 302
    assert client.post(f"/admin/users/{user.id}/deactivate", data={"csrf_token": csrf}).status_code == 302
    db.session.commit()
    user = db.session.get(User, user.id)
    assert user.role == "manager" and user.is_active is False
    # The last admin cannot demote themselves: the page says why.
    resp = client.post(f"/admin/users/{admin.id}/role", data={"role": "agent", "csrf_token": csrf}, follow_redirects=True)
    assert "last active admin" in resp.get_data(as_text=True)


def test_webhook_pages_register_test_and_show_the_log(app, admin_client, db, receiver):
    client, _ = admin_client
    csrf = form_token(client.get("/admin/webhooks").get_data(as_text=True))
    created = client.post("/admin/webhooks", data={"url": receiver.url, "description": "CRM", "events": ["message.received"],
                                                   "enabled": "y", "csrf_token": csrf})
    assert created.status_code == 201
    secret = re.search(r'data-testid="secret">(whsec_[^<]+)<', created.get_data(as_text=True)).group(1)
    receiver.secrets = [secret]
    endpoint_id = db.session.scalars(sa.select(WebhookDelivery.endpoint_id)).first()  # none yet
    assert endpoint_id is None
    detail_path = re.search(r'action="(/admin/webhooks/\d+)/test"', created.get_data(as_text=True)).group(1)
    assert client.post(f"{detail_path}/test", data={"csrf_token": csrf}).status_code == 302
    run_worker(app)
    assert receiver.requests[0].verified and receiver.requests[0].payload["type"] == "webhook.test"
    log = client.get(detail_path).get_data(as_text=True)
    assert "webhook.test" in log and "delivered" in log and receiver.requests[0].webhook_id in log
    rotated = client.post(f"{detail_path}/rotate", data={"grace_hours": "1", "csrf_token": csrf})
    new_secret = re.search(r'data-testid="secret">(whsec_[^<]+)<', rotated.get_data(as_text=True)).group(1)
    assert new_secret != secret and "keeps signing beside it" in rotated.get_data(as_text=True)


@pytest.mark.config(CAREBOX_WEBHOOK_ALLOW_PRIVATE=False)
def test_private_urls_are_refused_until_an_admin_allows_them(admin_client, receiver):
    client, _ = admin_client
    csrf = form_token(client.get("/admin/webhooks").get_data(as_text=True))
    refused = client.post("/admin/webhooks", data={"url": receiver.url, "csrf_token": csrf})
    assert refused.status_code == 400 and "loopback, private or reserved" in refused.get_data(as_text=True)
    assert client.post("/admin/webhooks/private-addresses", data={"allow_private": "y", "csrf_token": csrf}).status_code == 302
    assert client.post("/admin/webhooks", data={"url": receiver.url, "csrf_token": csrf}).status_code == 201
