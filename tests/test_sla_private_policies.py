"""SLA policies per channel kind: private messages may have their own minutes, the default stays 30/60 for
both; resolution, ingest, the sweep, recompute on assignment, the API's validation and one default per kind."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from app.ingest.items import InboundAuthor, InboundItem
from app.ingest.pipeline import ingest
from app.models import Conversation, SlaPolicy, SocialAccount
from app.sla import manage
from app.sla.policies import effective_policy
from app.sla.sweep import flag_due
from tests.conftest import csrf_from, login, writing

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def policy_data(name, warn, breach, channel="any", is_default=False):
    return {"name": name, "warn_minutes": warn, "breach_minutes": breach, "is_default": is_default,
            "channel": channel, "timezone": "UTC", "business_hours": None, "holidays": []}


def minutes(db, account, channel):
    with writing(db) as session:
        policy = effective_policy(session, account.id, channel)
        return policy.warn_minutes, policy.breach_minutes


def write_both(db, account, minutes_ago, customer="c1"):
    """A customer mention and a customer DM, posted `minutes_ago`. Returns {channel: conversation id}."""
    posted = NOW - timedelta(minutes=minutes_ago)
    with writing(db) as session:
        results = ingest(session, session.get(SocialAccount, account.id), [
            InboundItem(f"{customer}-pub", "public", posted, InboundAuthor(customer)),
            InboundItem(f"{customer}-dm", "private", posted, InboundAuthor(customer), channel="private")],
            received_at=NOW)
    return {"public": results[0].conversation_id, "private": results[1].conversation_id}


def due_minutes(db, conversation_id):
    conv = db.session.get(Conversation, conversation_id, populate_existing=True)
    started = conv.sla_started_at
    return (conv.sla_warn_at - started) / timedelta(minutes=1), (conv.sla_breach_at - started) / timedelta(minutes=1)


@pytest.fixture
def manager_api(client, make_user, make_token):
    token = make_token(make_user("manager"))

    def call(method, url, **kwargs):
        return client.open(url, method=method, headers={"Authorization": f"Bearer {token}"}, **kwargs)

    return call


def test_without_any_policy_both_channels_follow_the_configured_30_60(db, custom_account):
    assert minutes(db, custom_account, "public") == minutes(db, custom_account, "private") == (30, 60)
    convs = write_both(db, custom_account, 5)
    assert due_minutes(db, convs["public"]) == due_minutes(db, convs["private"]) == (30, 60)


def test_a_default_private_policy_gives_dms_their_own_minutes_and_public_stays_30_60(db, custom_account):
    with writing(db) as session:
        manage.create_policy(session, policy_data("DMs", 10, 20, "private", is_default=True))
    assert minutes(db, custom_account, "public") == (30, 60)
    assert minutes(db, custom_account, "private") == (10, 20)
    convs = write_both(db, custom_account, 5)
    assert due_minutes(db, convs["public"]) == (30, 60) and due_minutes(db, convs["private"]) == (10, 20)


def test_resolution_order_per_channel(db, custom_account):
    with writing(db) as session:
        anything, _ = manage.create_policy(session, policy_data("Any", 40, 80, "any", is_default=True))
    assert minutes(db, custom_account, "public") == minutes(db, custom_account, "private") == (40, 80)
    with writing(db) as session:
        public, _ = manage.create_policy(session, policy_data("Public", 25, 50, "public", is_default=True))
    # public: its own default beats "any"; private without a private policy: what public gets
    assert minutes(db, custom_account, "public") == minutes(db, custom_account, "private") == (25, 50)
    with writing(db) as session:
        own, _ = manage.create_policy(session, policy_data("Own", 15, 45))
        manage.assign_policy(session, session.get(SocialAccount, custom_account.id), own)
    assert minutes(db, custom_account, "public") == minutes(db, custom_account, "private") == (15, 45)
    with writing(db) as session:
        manage.create_policy(session, policy_data("DM default", 12, 24, "private", is_default=True))
    assert minutes(db, custom_account, "public") == (15, 45) and minutes(db, custom_account, "private") == (12, 24)
    with writing(db) as session:
        own_dm, _ = manage.create_policy(session, policy_data("Own DMs", 5, 9))
        manage.assign_policy(session, session.get(SocialAccount, custom_account.id), own_dm, "private")
    assert minutes(db, custom_account, "public") == (15, 45) and minutes(db, custom_account, "private") == (5, 9)


def test_the_sweep_warns_and_breaches_private_clocks_at_their_own_minutes(db, custom_account):
    with writing(db) as session:
        manage.create_policy(session, policy_data("DMs", 10, 20, "private", is_default=True))
    convs = write_both(db, custom_account, 15)  # past the DM warning, before the public one
    with writing(db) as session:
        moved = flag_due(session, now=NOW, limit=100)
    assert [(t.conversation_id, t.to_state) for t in moved] == [(convs["private"], "warning")]
    with writing(db) as session:
        later = flag_due(session, now=NOW + timedelta(minutes=10), limit=100)  # 25 minutes in
    assert [(t.conversation_id, t.to_state) for t in later] == [(convs["private"], "breached")]
    states = {ch: db.session.get(Conversation, cid, populate_existing=True).sla_state for ch, cid in convs.items()}
    assert states == {"public": "ok", "private": "breached"}


def test_assigning_a_private_policy_recomputes_only_the_private_clocks(db, custom_account, manager_api):
    convs = write_both(db, custom_account, 5)
    created = manager_api("POST", "/api/v1/sla/policies", json={"name": "DMs", "warn_minutes": 10,
                                                                "breach_minutes": 20, "channel": "private"})
    assert created.status_code == 201 and created.json["channel"] == "private" and not created.json["is_default"]
    put = manager_api("PUT", f"/api/v1/accounts/{custom_account.id}/sla-policy",
                      json={"private_policy_id": created.json["id"]})
    assert put.status_code == 200, put.json
    assert put.json == {"account_id": custom_account.id, "policy_id": None,
                        "private_policy_id": created.json["id"], "recomputed": 1}
    assert due_minutes(db, convs["public"]) == (30, 60) and due_minutes(db, convs["private"]) == (10, 20)
    listed = manager_api("GET", "/api/v1/sla/policies").json
    assert listed["items"][0]["account_ids"] == [custom_account.id]
    assert listed["default"]["warn_minutes"] == 30 and listed["private_default"]["warn_minutes"] == 30

    # Changing the policy's minutes moves the clocks it governs: the private one.
    patched = manager_api("PATCH", f"/api/v1/sla/policies/{created.json['id']}", json={"breach_minutes": 25})
    assert patched.status_code == 200 and patched.json["recomputed"] == 1
    assert due_minutes(db, convs["private"]) == (10, 25)
    # Back to the default: 30/60 again; the public assignment was never touched.
    back = manager_api("PUT", f"/api/v1/accounts/{custom_account.id}/sla-policy", json={"private_policy_id": None})
    assert back.json["recomputed"] == 1 and due_minutes(db, convs["private"]) == (30, 60)
    assert db.session.get(SocialAccount, custom_account.id, populate_existing=True).sla_policy_id is None
    unused = manager_api("DELETE", f"/api/v1/sla/policies/{created.json['id']}")
    assert unused.status_code == 204


def test_a_policy_used_only_for_private_messages_cannot_be_deleted(db, custom_account, manager_api):
    created = manager_api("POST", "/api/v1/sla/policies", json={"name": "DMs", "warn_minutes": 10,
                                                                "breach_minutes": 20})
    manager_api("PUT", f"/api/v1/accounts/{custom_account.id}/sla-policy", json={"private_policy_id": created.json["id"]})
    refused = manager_api("DELETE", f"/api/v1/sla/policies/{created.json['id']}")
    assert refused.status_code == 409


def test_api_refuses_an_unknown_channel_with_a_clear_message(manager_api, custom_account):
    body = {"name": "SMS", "warn_minutes": 10, "breach_minutes": 20, "channel": "sms"}
    bad = manager_api("POST", "/api/v1/sla/policies", json=body)
    assert bad.status_code == 422
    assert bad.json["error"]["message"] == "channel: Input should be 'any', 'public' or 'private'"
    created = manager_api("POST", "/api/v1/sla/policies", json={**body, "channel": "public"})
    assert created.status_code == 201 and created.json["channel"] == "public"
    patched = manager_api("PATCH", f"/api/v1/sla/policies/{created.json['id']}", json={"channel": "email"})
    assert patched.status_code == 422 and patched.json["error"]["message"].startswith("channel: Input should be")
    assert manager_api("GET", f"/api/v1/sla/policies/{created.json['id']}").json["channel"] == "public"
    empty = manager_api("PUT", f"/api/v1/accounts/{custom_account.id}/sla-policy", json={})
    assert empty.status_code == 422 and "private_policy_id" in empty.json["error"]["message"]
    missing = manager_api("PUT", f"/api/v1/accounts/{custom_account.id}/sla-policy", json={"private_policy_id": 9999})
    assert missing.status_code == 404


def test_one_default_per_channel_kind(db, manager_api):
    def create(name, channel):
        made = manager_api("POST", "/api/v1/sla/policies", json={"name": name, "warn_minutes": 10, "breach_minutes": 20,
                                                                  "channel": channel, "is_default": True})
        assert made.status_code == 201, made.json
        return made.json["id"]

    def defaults():
        db.session.expire_all()
        return sorted((p.channel, p.name) for p in db.session.scalars(sa.select(SlaPolicy).where(SlaPolicy.is_default)))

    create("Any", "any")
    create("DMs", "private")
    create("Public", "public")
    assert defaults() == [("any", "Any"), ("private", "DMs"), ("public", "Public")]
    create("DMs 2", "private")  # takes the mark off the private default only
    assert defaults() == [("any", "Any"), ("private", "DMs 2"), ("public", "Public")]
    moved = manager_api("PATCH", f"/api/v1/sla/policies/{create('Any 2', 'any')}", json={"channel": "public"})
    assert moved.status_code == 200  # now the public default: the old public one steps down, "any" has none
    assert defaults() == [("private", "DMs 2"), ("public", "Any 2")]


def test_settings_page_sets_a_policys_channel_and_an_accounts_private_policy(client, db, make_user, custom_account):
    login(client, make_user("manager"))
    csrf = csrf_from(client)
    page = client.get("/settings/sla").get_data(as_text=True)
    assert 'name="channel"' in page and 'name="private_policy_id"' in page
    created = client.post("/settings/sla/policies", data={
        "csrf_token": csrf, "name": "DMs", "warn_minutes": "10", "breach_minutes": "20", "timezone": "UTC",
        "holidays": "", "channel": "private"}, follow_redirects=True)
    assert created.status_code == 200
    policy = db.session.scalars(sa.select(SlaPolicy)).one()
    assert policy.channel == "private"
    bad = client.post("/settings/sla/policies", data={
        "csrf_token": csrf, "name": "SMS", "warn_minutes": "10", "breach_minutes": "20", "timezone": "UTC",
        "channel": "sms"})
    assert bad.status_code == 422 and "Applies to" in bad.get_data(as_text=True)
    assigned = client.post(f"/settings/sla/accounts/{custom_account.id}", data={
        "csrf_token": csrf, "policy_id": "", "private_policy_id": str(policy.id)}, follow_redirects=True)
    assert assigned.status_code == 200
    account = db.session.get(SocialAccount, custom_account.id, populate_existing=True)
    assert (account.sla_policy_id, account.private_sla_policy_id) == (None, policy.id)
    shown = client.get("/settings/sla").get_data(as_text=True)
    assert f'<option value="{policy.id}" selected>DMs</option>' in shown
