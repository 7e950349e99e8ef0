"""SLA API over HTTP: policies (CRUD, validation, conflicts, recompute), account assignment, live summary, workload."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from app.accounts import create_account
from app.ingest.items import InboundAuthor, InboundItem
from app.ingest.pipeline import ingest
from app.models import Conversation, SlaClock, SocialAccount
from app.sla.conversation import on_answer, on_resolve
from tests.conftest import writing

OFFICE = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def now():
    return datetime.now(timezone.utc)


@pytest.fixture
def manager_api(client, make_user, make_token):
    token = make_token(make_user("manager"))

    def call(method, url, **kwargs):
        return client.open(url, method=method, headers={"Authorization": f"Bearer {token}"}, **kwargs)

    return call


def waiting(db, account, external_id, minutes_ago, *, customer=None):
    with writing(db) as session:
        (result,) = ingest(session, account, [InboundItem(
            external_id, f"post {external_id}", created_at=now() - timedelta(minutes=minutes_ago),
            author=InboundAuthor(customer or f"cust-{external_id}", f"handle_{external_id}"))])
    return db.session.get(Conversation, result.conversation_id)


def test_policy_crud_and_validation(manager_api, db, custom_account):
    body = {"name": "Office hours", "warn_minutes": 20, "breach_minutes": 45, "timezone": "Europe/Paris",
            "business_hours": OFFICE, "holidays": ["2026-12-25"]}
    created = manager_api("POST", "/api/v1/sla/policies", json=body)
    assert created.status_code == 201, created.json
    policy = created.json
    assert policy["business_hours"]["mon"] == [["09:00", "17:00"]] and policy["holidays"] == ["2026-12-25"]
    assert manager_api("POST", "/api/v1/sla/policies", json=body).status_code == 409  # the name is taken

    bad = manager_api("POST", "/api/v1/sla/policies", json={**body, "name": "B", "business_hours": {"mon": [["9", "5"]]}})
    assert bad.status_code == 422 and "not a time" in bad.json["error"]["message"]
    assert manager_api("POST", "/api/v1/sla/policies", json={**body, "name": "C", "warn_minutes": 50}).status_code == 422

    patched = manager_api("PATCH", f"/api/v1/sla/policies/{policy['id']}", json={"breach_minutes": 90})
    assert patched.status_code == 200 and patched.json["breach_minutes"] == 90 and patched.json["warn_minutes"] == 20
    invalid = manager_api("PATCH", f"/api/v1/sla/policies/{policy['id']}", json={"warn_minutes": 120})
    assert invalid.status_code == 422 and "breach_minutes" in invalid.json["error"]["message"]

    listed = manager_api("GET", "/api/v1/sla/policies").json
    assert [p["name"] for p in listed["items"]] == ["Office hours"]
    assert listed["default"]["warn_minutes"] == 30  # configured: no policy is marked default

    assigned = manager_api("PUT", f"/api/v1/accounts/{custom_account.id}/sla-policy", json={"policy_id": policy["id"]})
    assert assigned.status_code == 200 and assigned.json["policy_id"] == policy["id"]
    in_use = manager_api("DELETE", f"/api/v1/sla/policies/{policy['id']}")
    assert in_use.status_code == 409 and str(custom_account.id) in in_use.json["error"]["message"]
    manager_api("PUT", f"/api/v1/accounts/{custom_account.id}/sla-policy", json={"policy_id": None})
    assert manager_api("DELETE", f"/api/v1/sla/policies/{policy['id']}").status_code == 204
    assert manager_api("GET", f"/api/v1/sla/policies/{policy['id']}").status_code == 404
    assert manager_api("PUT", f"/api/v1/accounts/{custom_account.id}/sla-policy",
                       json={"policy_id": 999}).status_code == 404


def test_one_default_policy_and_changes_recompute_running_clocks(manager_api, db, custom_account):
    conv = waiting(db, custom_account, "m1", 10)
    started = conv.sla_started_at
    strict = manager_api("POST", "/api/v1/sla/policies", json={
        "name": "Strict", "warn_minutes": 5, "breach_minutes": 15, "is_default": True}).json
    assert strict["recomputed"] == 1
    db.session.expire_all()
    assert db.session.get(Conversation, conv.id).sla_breach_at == started + timedelta(minutes=15)

    gentle = manager_api("POST", "/api/v1/sla/policies", json={
        "name": "Gentle", "warn_minutes": 60, "breach_minutes": 120, "is_default": True}).json
    assert gentle["recomputed"] == 1
    policies = {p["name"]: p for p in manager_api("GET", "/api/v1/sla/policies").json["items"]}
    assert (policies["Strict"]["is_default"], policies["Gentle"]["is_default"]) == (False, True)
    db.session.expire_all()
    assert db.session.get(Conversation, conv.id).sla_breach_at == started + timedelta(minutes=120)


def test_agents_cannot_read_or_change_sla_settings_or_figures(client, make_user, make_token, custom_account):
    headers = {"Authorization": f"Bearer {make_token(make_user('agent'))}"}
    for method, url in [("GET", "/api/v1/sla/summary"), ("GET", "/api/v1/sla/workload"),
                        ("GET", "/api/v1/sla/policies"), ("POST", "/api/v1/sla/policies"),
                        ("PUT", f"/api/v1/accounts/{custom_account.id}/sla-policy"),
                        ("GET", "/api/v1/reports/response-times?from=2026-01-01&to=2026-01-02")]:
        resp = client.open(url, method=method, headers=headers, json={})
        assert resp.status_code == 403, (method, url, resp.status_code)


def test_summary_counts_at_risk_and_stalled_pollers(manager_api, db, custom_account, make_user):
    agent = make_user("agent", name="Ana Agent")
    ok = waiting(db, custom_account, "ok", 5)
    warning = waiting(db, custom_account, "warn", 40)
    breached = waiting(db, custom_account, "late", 70)
    pending = waiting(db, custom_account, "pend", 2)
    resolved = waiting(db, custom_account, "done", 80)
    spam = waiting(db, custom_account, "spam", 80)
    with writing(db) as session:
        session.get(Conversation, warning.id).assignee_id = agent.id
        session.get(Conversation, pending.id).status = "pending"
        done = session.get(Conversation, resolved.id)
        done.status = "resolved"
        on_resolve(session, done, now())
        junk = session.get(Conversation, spam.id)
        junk.is_spam = True
        on_resolve(session, junk, now())
        x = create_account(session, network="twitter", name="Brand on X", credentials={"bearer_token": "t"})
        x.last_success_at = now() - timedelta(minutes=30)  # the poller has not succeeded for half an hour
        x.next_poll_at = now() + timedelta(seconds=5)
        x.last_error = "HTTP 503 from the network"
    on_x = waiting(db, x, "x1", 45)

    body = manager_api("GET", "/api/v1/sla/summary").json
    assert body["totals"] == {"open": 4, "pending": 1, "unassigned": 4, "running": 5, "ok": 2, "warning": 2,
                              "breached": 1, "paused": 0}
    accounts = {a["name"]: a for a in body["accounts"]}
    assert accounts["Web chat"]["counts"] == {"open": 3, "pending": 1, "unassigned": 3, "running": 4, "ok": 2,
                                              "warning": 1, "breached": 1, "paused": 0}
    assert accounts["Web chat"]["poller"]["polled"] is False and accounts["Web chat"]["poller"]["stalled"] is False
    stalled = accounts["Brand on X"]["poller"]
    assert stalled["stalled"] is True and "no successful poll for 30 min" in stalled["stalled_reason"]
    assert stalled["last_error"] == "HTTP 503 from the network"
    assert body["stalled_accounts"] == [x.id]
    assert {n["network"]: n["counts"]["warning"] for n in body["networks"]} == {"custom": 1, "twitter": 1}
    risk = body["at_risk"]
    assert [r["conversation_id"] for r in risk] == [breached.id, on_x.id, warning.id, ok.id, pending.id]
    assert [r["sla"]["state"] for r in risk] == ["breached", "warning", "warning", "ok", "ok"]
    assert risk[2]["assignee"] == {"id": agent.id, "name": "Ana Agent"} and risk[0]["assignee"] is None
    assert risk[0]["contact"]["handle"] == "handle_late"
    assert body["attainment"]["window_hours"] == 24 and body["attainment"]["clocks"] == 7


def test_summary_counts_paused_clocks_outside_business_hours(manager_api, db, custom_account):
    tomorrow = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[(now().weekday() + 1) % 7]
    policy = manager_api("POST", "/api/v1/sla/policies", json={
        "name": "Tomorrow only", "warn_minutes": 30, "breach_minutes": 60, "timezone": "UTC",
        "business_hours": {tomorrow: [["00:00", "24:00"]]}}).json
    manager_api("PUT", f"/api/v1/accounts/{custom_account.id}/sla-policy", json={"policy_id": policy["id"]})
    waiting(db, custom_account, "m1", 40)
    counts = manager_api("GET", "/api/v1/sla/summary").json["accounts"][0]["counts"]
    assert (counts["paused"], counts["ok"], counts["warning"]) == (1, 0, 0)


def test_workload_per_agent(manager_api, db, custom_account, make_user):
    ana, bob = make_user("agent", name="Ana"), make_user("agent", name="Bob")
    convs = [waiting(db, custom_account, f"m{i}", 90 - i) for i in range(4)]
    with writing(db) as session:
        for conv, seconds in zip(convs[:3], (600, 1200, 3000)):
            c = session.get(Conversation, conv.id)
            on_answer(session, c, c.sla_started_at + timedelta(seconds=seconds), by_user_id=ana.id)
        session.get(Conversation, convs[3].id).assignee_id = bob.id
    items = {u["name"]: u for u in manager_api("GET", "/api/v1/sla/workload?tz=UTC").json["items"]}
    assert (items["Ana"]["answered_today"], items["Ana"]["median_response_seconds"]) == (3, 1200)
    assert (items["Bob"]["open_assigned"], items["Bob"]["breached_assigned"], items["Bob"]["answered_today"]) == (1, 1, 0)
    assert manager_api("GET", "/api/v1/sla/workload?tz=Nowhere/Land").status_code == 422


def test_clock_rows_are_kept_when_a_policy_is_deleted(manager_api, db, custom_account):
    policy = manager_api("POST", "/api/v1/sla/policies", json={"name": "Temp", "warn_minutes": 10,
                                                                "breach_minutes": 20}).json
    manager_api("PUT", f"/api/v1/accounts/{custom_account.id}/sla-policy", json={"policy_id": policy["id"]})
    conv = waiting(db, custom_account, "m1", 5)
    manager_api("PUT", f"/api/v1/accounts/{custom_account.id}/sla-policy", json={"policy_id": None})
    assert manager_api("DELETE", f"/api/v1/sla/policies/{policy['id']}").status_code == 204
    db.session.expire_all()
    clock = db.session.scalars(sa.select(SlaClock).where(SlaClock.conversation_id == conv.id)).one()
    assert clock.policy_id is None and clock.breach_at == clock.started_at + timedelta(minutes=60)
    assert db.session.get(SocialAccount, custom_account.id).sla_policy_id is None
