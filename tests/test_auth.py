"""Sign-in, sign-out, and authorization on every route (a walk over the whole URL map)."""
import pytest

from app.auth.guard import is_public_endpoint
from app.models import ROLES
from tests.conftest import login

# Reviewed list of what anyone may reach. Adding to it is a security decision: update it on purpose.
PUBLIC_ENDPOINTS = {"auth.login", "ops.healthz", "ops.readyz", "ops.metrics", "inbox.vendor", "api.openapi_document", "static",
                    "push.facebook_handshake", "push.facebook_push",  # signed by Facebook (app/push/)
                    "i18n.catalogue"}  # the sign-in page's strings; no user data


def sample_urls(app):
    """(endpoint, method, url) for every route, with placeholder values for its arguments."""
    values = {"int": 1, "default": "x", "path": "x", "string": "x"}
    out = []
    for rule in app.url_map.iter_rules():
        args = {}
        for name in rule.arguments:
            conv = type(rule._converters[name]).__name__.replace("Converter", "").lower()
            args[name] = values.get("int" if "integer" in conv else conv, "x")
        url = rule.build(args, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((rule.endpoint, method, url))
    return out


def test_public_endpoints_are_exactly_the_reviewed_ones(app):
    public = {ep for ep in app.view_functions if is_public_endpoint(app, ep)}
    assert public == PUBLIC_ENDPOINTS


def test_every_other_route_refuses_anonymous_callers(app, client):
    checked = 0
    for endpoint, method, url in sample_urls(app):
        if endpoint in PUBLIC_ENDPOINTS:
            continue
        resp = client.open(url, method=method)
        checked += 1
        if url.startswith("/api/"):
            assert resp.status_code == 401, (endpoint, method, url, resp.status_code)
            assert resp.json["error"]["code"] == "unauthorized"
        else:
            assert resp.status_code in (302, 401), (endpoint, method, url, resp.status_code)
            if resp.status_code == 302:
                assert "/login" in resp.headers["Location"]
    assert checked >= 5


def test_every_role_restricted_route_refuses_lower_roles(app, make_user, make_token):
    """API routes with each lower role's token, pages with each lower role's signed-in session."""
    users = {role: make_user(role) for role in ROLES}
    tokens = {role: make_token(user, scopes=("read", "write", "admin") if role == "admin" else ("read", "write"))
              for role, user in users.items()}
    sessions = {}
    for role, user in users.items():
        sessions[role] = app.test_client()
        login(sessions[role], user)
    restricted = 0
    for endpoint, method, url in sample_urls(app):
        required = getattr(app.view_functions[endpoint], "required_role", None)
        if required in (None, "agent"):
            continue
        for role in ROLES[: ROLES.index(required)]:
            if url.startswith("/api/"):
                resp = sessions[role].open(url, method=method, headers={"Authorization": f"Bearer {tokens[role]}"})
            else:
                resp = sessions[role].open(url, method=method)
            assert resp.status_code == 403, (endpoint, method, role, resp.status_code)
            restricted += 1
    assert restricted >= 20  # the dashboard, reports, workflow, admin pages and their APIs


def test_api_tokens_do_not_open_pages(client, make_user, make_token):
    token = make_token(make_user("admin"), scopes=("read", "write", "admin"))
    assert client.get("/", headers={"Authorization": f"Bearer {token}"}).status_code == 302


def test_login_logout_round_trip(client, make_user):
    user = make_user("agent")
    assert client.get("/").status_code == 302
    login(client, user)
    page = client.get("/")
    assert page.status_code == 200 and b"Inbox" in page.data
    token = __import__("tests.conftest", fromlist=["csrf_from"]).csrf_from(client)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_and_unknown_user_get_the_same_answer(client, make_user):
    import re

    user = make_user("agent")
    page = client.get("/login")
    csrf = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data).group(1).decode()
    wrong = client.post("/login", data={"email": user.email, "password": "nope nope nope", "csrf_token": csrf})
    nobody = client.post("/login", data={"email": "who@example.test", "password": "nope nope nope", "csrf_token": csrf})
    assert wrong.status_code == nobody.status_code == 401
    assert b"Wrong email or password" in wrong.data and b"Wrong email or password" in nobody.data


def test_login_form_needs_csrf(client, make_user):
    user = make_user("agent")
    resp = client.post("/login", data={"email": user.email, "password": "correct horse battery"})
    assert resp.status_code == 400


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_login_never_redirects_off_site(client, make_user, target):
    import re

    user = make_user("agent")
    page = client.get("/login")
    csrf = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data).group(1).decode()
    resp = client.post(f"/login?next={target}", data={"email": user.email, "password": "correct horse battery",
                                                      "csrf_token": csrf})
    assert resp.status_code == 302 and resp.headers["Location"] == "/"


def test_deactivated_user_cannot_sign_in_or_use_tokens(client, make_user, make_token, db):
    user = make_user("agent")
    raw = make_token(user)
    user.is_active = False
    db.session.commit()
    assert client.get("/api/v1/conversations", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
