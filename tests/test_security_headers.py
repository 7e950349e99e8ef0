"""Security headers on pages and API answers; no caching of personal data; HSTS over https only."""
import pytest

from tests.conftest import login

PAGES = ["/", "/dashboard", "/reports", "/api/v1/docs", "/admin/tokens"]


def csp_of(resp):
    return dict(part.strip().split(" ", 1) for part in resp.headers["Content-Security-Policy"].split(";"))


def test_every_page_gets_the_security_headers(client, make_user):
    login(client, make_user("admin"))
    for path in PAGES + ["/login"]:
        resp = client.get(path)
        assert resp.status_code in (200, 302), path
        csp = csp_of(resp)
        assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'", path  # no inline script or style
        assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'" and csp["base-uri"] == "'none'"
        assert csp["connect-src"] == "'self' ws://localhost wss://localhost"
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"] == "same-origin"
        assert resp.headers["Cache-Control"] == "no-store", path
        assert "Strict-Transport-Security" not in resp.headers  # plain http: no HSTS


def test_api_answers_are_not_cached_and_not_sniffed(client, make_user, make_token):
    headers = {"Authorization": f"Bearer {make_token(make_user('agent'))}"}
    for path in ("/api/v1/conversations", "/api/v1/me", "/api/v1/nope"):
        resp = client.get(path, headers=headers)
        assert resp.headers["Cache-Control"] == "no-store", path
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/api/v1/conversations").headers["Cache-Control"] == "no-store"  # errors too


def test_static_files_keep_their_caching(client):
    resp = client.get("/static/css/app.css")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] != "no-store"


def test_hsts_only_over_https(client):
    secure = client.get("/login", base_url="https://care.example.test")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in client.get("/login").headers


@pytest.mark.config(CAREBOX_HSTS_SECONDS=0)
def test_hsts_can_be_switched_off(client):
    assert "Strict-Transport-Security" not in client.get("/login", base_url="https://care.example.test").headers


def test_a_hostile_host_header_never_shapes_the_policy(client):
    resp = client.get("/login", headers={"Host": "evil.example; script-src *"})
    csp = csp_of(resp)
    assert csp["connect-src"] == "'self'" and csp["script-src"] == "'self'"
