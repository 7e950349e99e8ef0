"""The rules page on the server side: who opens it, CSRF on the session's API calls, nothing unescaped."""
import re
from pathlib import Path

import pytest

from app.permissions import set_lowest_roles
from tests.conftest import csrf_from, login, writing

PAGE = "/settings/workflow/rules"
HOSTILE = '<script>window.__pwned=1</script>"><img src=x onerror=alert(1)>'
STATIC_JS = Path(__file__).resolve().parents[1] / "static" / "js"
RULES_JS = ["rules.js", "rules_api.js", "rules_editor.js", "rules_words.js"]


def test_agents_get_403_and_no_link(client, make_user):
    login(client, make_user("agent"))
    assert client.get(PAGE).status_code == 403
    assert PAGE.encode() not in client.get("/").data


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_managers_and_admins_get_the_page_and_its_link(client, make_user, role):
    login(client, make_user(role))
    page = client.get(PAGE)
    assert page.status_code == 200
    html = page.data.decode()
    assert f'href="{PAGE}"' in client.get("/").data.decode()
    # CSP-safe: every script is a file of our own, no inline script or style; the session's CSRF token is there.
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="/' in attrs and not body.strip() for attrs, body in scripts)
    assert [f"/static/js/{name}" for name in ("rules_api.js", "rules_words.js", "rules_editor.js", "rules.js")] == \
        [m for m in re.findall(r'src="(/static/js/rules[^"]*)"', html)]
    assert "<style" not in html and " style=" not in html
    assert re.search(r'<meta name="csrf-token" content="[^"]+">', html)
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]


def test_a_manager_without_the_permission_is_refused(client, db, make_user):
    with writing(db) as session:
        set_lowest_roles(session, {"rules.manage": "admin"})
    login(client, make_user("manager"))
    assert client.get(PAGE).status_code == 403


def test_the_session_api_calls_need_the_csrf_header(client, db, make_user):
    login(client, make_user("manager"))
    body = {"name": "Spam words", "conditions": [{"type": "keywords", "keywords": ["casino"]}],
            "actions": [{"type": "mark_spam"}]}
    refused = client.post("/api/v1/rules", json=body)
    assert refused.status_code == 400 and refused.json["error"]["code"] == "csrf_failed"
    token = csrf_from(client)
    created = client.post("/api/v1/rules", json=body, headers={"X-CSRFToken": token})
    assert created.status_code == 201, created.json
    rule_id = created.json["rule"]["id"]
    assert client.patch(f"/api/v1/rules/{rule_id}", json={"enabled": True}).status_code == 400
    assert client.delete(f"/api/v1/rules/{rule_id}").status_code == 400
    assert client.post("/api/v1/rules/dry-run", json={"actions": [{"type": "mark_spam"}]}).status_code == 400
    assert client.get("/api/v1/rules").json["items"][0]["enabled"] is False


def test_hostile_names_are_never_markup(client, db, make_user):
    from app.accounts import create_account

    with writing(db) as session:
        create_account(session, network="custom", name=HOSTILE)
    login(client, make_user("manager"))
    token = csrf_from(client)
    created = client.post("/api/v1/rules", headers={"X-CSRFToken": token}, json={
        "name": HOSTILE, "actions": [{"type": "tag", "tags": [HOSTILE[:60]]}]})
    assert created.status_code == 201, created.json
    page = client.get(PAGE).data.decode()
    assert HOSTILE not in page and "<img src=x" not in page
    listed = client.get("/api/v1/rules")
    assert listed.content_type == "application/json" and listed.json["items"][0]["name"] == HOSTILE


@pytest.mark.parametrize("name", RULES_JS)
def test_the_page_scripts_write_text_never_markup(name):
    """Customer text, rule names and account names reach the page through textContent only."""
    source = (STATIC_JS / name).read_text(encoding="utf-8")
    for markup_sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert markup_sink not in source, (name, markup_sink)
