"""The rules API over HTTP: CRUD, order, dry runs (saved and unsaved), validation, audit, and who may."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from app.ingest.items import InboundAuthor, InboundItem
from app.ingest.pipeline import ingest
from app.models import AuditEvent, Rule
from app.permissions import set_lowest_roles
from tests.conftest import login, writing

REFUND = {"name": "Refunds", "conditions": [{"type": "keywords", "keywords": ["refund"]}],
          "actions": [{"type": "tag", "tags": ["money"]}, {"type": "set_priority", "priority": "high"}]}


def api_as(client, token):
    def call(method, url, **kwargs):
        return client.open(url, method=method, headers={"Authorization": f"Bearer {token}"}, **kwargs)

    return call


@pytest.fixture
def manager_api(client, make_user, make_token):
    return api_as(client, make_token(make_user("manager")))


@pytest.fixture
def agent_api(client, make_user, make_token):
    return api_as(client, make_token(make_user("agent")))


def test_crud_order_and_audit(manager_api, db):
    created = manager_api("POST", "/api/v1/rules", json=REFUND)
    assert created.status_code == 201, created.json
    rule = created.json["rule"]
    assert rule["enabled"] is False and rule["hit_count"] == 0 and rule["position"] == 1  # off until switched on
    assert rule["conditions"] == REFUND["conditions"] and rule["actions"] == REFUND["actions"]
    second = manager_api("POST", "/api/v1/rules", json={
        "name": "Everything else", "stop": True, "actions": [{"type": "mark_spam"}]}).json["rule"]
    assert second["position"] == 2 and second["stop"] is True
    listed = manager_api("GET", "/api/v1/rules").json["items"]
    assert [r["id"] for r in listed] == [rule["id"], second["id"]]
    changed = manager_api("PATCH", f"/api/v1/rules/{rule['id']}", json={
        "enabled": True, "conditions": [{"type": "keywords", "keywords": ["refund"], "not": True}]})
    assert changed.status_code == 200, changed.json
    assert changed.json["rule"]["enabled"] is True
    assert changed.json["rule"]["conditions"] == [{"type": "keywords", "keywords": ["refund"], "not": True}]
    assert changed.json["rule"]["actions"] == REFUND["actions"]
    ordered = manager_api("POST", "/api/v1/rules/order", json={"ids": [second["id"], rule["id"]]})
    assert [r["id"] for r in ordered.json["items"]] == [second["id"], rule["id"]]
    assert manager_api("GET", f"/api/v1/rules/{rule['id']}").json["rule"]["position"] == 2
    assert manager_api("DELETE", f"/api/v1/rules/{second['id']}").status_code == 204
    assert manager_api("GET", f"/api/v1/rules/{second['id']}").status_code == 404
    actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert [a for a in actions if a.startswith("rule.")] == [
        "rule.created", "rule.created", "rule.updated", "rule.reordered", "rule.deleted"]


@pytest.mark.parametrize("body, where", [
    ({"name": "x", "actions": []}, "actions"),
    ({"name": "x", "actions": [{"type": "explode"}]}, "actions"),
    ({"name": "x", "actions": [{"type": "hide"}], "conditions": [{"type": "regex", "pattern": "(a+)+$"}]},
     "conditions.0.pattern"),
    ({"name": "x", "actions": [{"type": "assign_team", "team_id": 999}]}, None),
    ({"name": "x", "actions": [{"type": "hide"}], "conditions": [{"type": "followers"}]}, "conditions.0.min"),
    ({"name": "", "actions": [{"type": "hide"}]}, "name"),
])
def test_invalid_rules_are_refused_with_the_field(manager_api, body, where):
    answer = manager_api("POST", "/api/v1/rules", json=body)
    assert answer.status_code == 422, answer.json
    if where:
        assert where in answer.json["error"]["message"]
    assert manager_api("GET", "/api/v1/rules").json["items"] == []


def test_order_must_name_every_rule_once(manager_api):
    one = manager_api("POST", "/api/v1/rules", json=REFUND).json["rule"]["id"]
    two = manager_api("POST", "/api/v1/rules", json=REFUND).json["rule"]["id"]
    assert manager_api("POST", "/api/v1/rules/order", json={"ids": [one]}).status_code == 422
    assert manager_api("POST", "/api/v1/rules/order", json={"ids": [one, one, two]}).status_code == 422


def test_dry_runs_of_a_saved_and_an_unsaved_rule(manager_api, db, custom_account):
    now = datetime.now(timezone.utc)
    with writing(db) as session:
        ingest(session, custom_account, [
            InboundItem("1", "Refund please", now - timedelta(hours=2), InboundAuthor("a")),
            InboundItem("2", "hello", now - timedelta(hours=1), InboundAuthor("b")),
            InboundItem("old", "refund from long ago", now - timedelta(days=8), InboundAuthor("c")),
        ], received_at=now - timedelta(days=8))
    rule = manager_api("POST", "/api/v1/rules", json=REFUND).json["rule"]
    saved = manager_api("POST", f"/api/v1/rules/{rule['id']}/dry-run", json={})
    assert saved.status_code == 200, saved.json
    body = saved.json
    assert body["rule_id"] == rule["id"] and body["scanned"] == 2 and body["matched"] == 1
    [hit] = body["items"]
    assert hit["text"] == "Refund please" and hit["actions"] == REFUND["actions"]
    assert db.session.scalar(sa.select(Rule.hit_count).where(Rule.id == rule["id"])) == 0  # changes nothing
    unsaved = manager_api("POST", "/api/v1/rules/dry-run", json={
        "conditions": [{"type": "keywords", "keywords": ["hello"]}], "actions": [{"type": "mark_spam"}]})
    assert unsaved.status_code == 200, unsaved.json
    assert unsaved.json["rule_id"] is None and [i["text"] for i in unsaved.json["items"]] == ["hello"]
    assert manager_api("POST", "/api/v1/rules/dry-run", json={"actions": []}).status_code == 422


def test_agents_are_refused(agent_api, manager_api):
    rule = manager_api("POST", "/api/v1/rules", json=REFUND).json["rule"]["id"]
    for method, url, body in [("GET", "/api/v1/rules", None), ("POST", "/api/v1/rules", REFUND),
                              ("GET", f"/api/v1/rules/{rule}", None), ("PATCH", f"/api/v1/rules/{rule}", {"stop": True}),
                              ("DELETE", f"/api/v1/rules/{rule}", None), ("POST", "/api/v1/rules/order", {"ids": [rule]}),
                              ("POST", f"/api/v1/rules/{rule}/dry-run", {}),
                              ("POST", "/api/v1/rules/dry-run", {"actions": [{"type": "hide"}]})]:
        answer = agent_api(method, url, json=body) if body is not None else agent_api(method, url)
        assert answer.status_code == 403, (method, url)


def test_a_manager_whose_role_lost_the_permission_is_refused(manager_api, db):
    with writing(db) as session:
        set_lowest_roles(session, {"rules.manage": "admin"})
    answer = manager_api("GET", "/api/v1/rules")
    assert answer.status_code == 403 and answer.json["error"]["code"] == "not_permitted"


def test_session_callers_need_csrf(client, make_user):
    manager = make_user("manager")
    login(client, manager)
    assert client.post("/api/v1/rules", json=REFUND).status_code == 400  # no CSRF token
    assert client.get("/api/v1/rules").status_code == 200
