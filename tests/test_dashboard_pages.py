"""Manager pages over HTTP: SLA policy settings (forms, CSRF, validation, escaping), and who may see them."""
import re

import sqlalchemy as sa

from app.ingest.items import InboundAuthor, InboundItem
from app.ingest.pipeline import ingest
from app.models import Conversation, SlaPolicy, SocialAccount
from tests.conftest import csrf_from, login, writing


def form(csrf, **fields):
    base = {"csrf_token": csrf, "name": "Office", "warn_minutes": "30", "breach_minutes": "60",
            "timezone": "Europe/Paris", "holidays": ""}
    return {**base, **fields}


def test_manager_creates_edits_assigns_and_deletes_a_policy(client, db, make_user, custom_account):
    login(client, make_user("manager"))
    csrf = csrf_from(client)
    page = client.get("/settings/sla")
    assert page.status_code == 200 and b"around the clock" not in page.data

    created = client.post("/settings/sla/policies", data=form(
        csrf, hours_enabled="1", hours_mon="09:00-12:30, 13:30-18:00", hours_sat="22:00-02:00",
        holidays="2026-12-25\n2026-01-01"), follow_redirects=True)
    assert created.status_code == 200 and "Policy “Office” saved." in created.get_data(as_text=True)
    policy = db.session.scalars(sa.select(SlaPolicy)).one()
    assert policy.business_hours == {"mon": [["09:00", "12:30"], ["13:30", "18:00"]], "sat": [["22:00", "02:00"]]}
    assert policy.holidays == ["2026-01-01", "2026-12-25"] and policy.timezone == "Europe/Paris"

    edit = client.get(f"/settings/sla?edit={policy.id}").get_data(as_text=True)
    assert 'value="09:00-12:30, 13:30-18:00"' in edit  # the form shows the periods back as typed

    with writing(db) as session:
        (r,) = ingest(session, session.get(SocialAccount, custom_account.id),
                      [InboundItem("m1", "hi", author=InboundAuthor("c1"))])
    assigned = client.post(f"/settings/sla/accounts/{custom_account.id}",
                           data={"csrf_token": csrf, "policy_id": str(policy.id)}, follow_redirects=True)
    assert "Web chat now follows Office. 1 running clock got a new due time." in assigned.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(SocialAccount, custom_account.id).sla_policy_id == policy.id

    refused = client.post(f"/settings/sla/policies/{policy.id}/delete", data={"csrf_token": csrf}, follow_redirects=True)
    assert "use this policy" in refused.get_data(as_text=True)
    client.post(f"/settings/sla/accounts/{custom_account.id}", data={"csrf_token": csrf, "policy_id": ""})
    deleted = client.post(f"/settings/sla/policies/{policy.id}/delete", data={"csrf_token": csrf}, follow_redirects=True)
    assert "Policy “Office” deleted." in deleted.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SlaPolicy)) == 0
    assert db.session.get(Conversation, r.conversation_id).sla_breach_at is not None


def test_invalid_form_comes_back_with_errors_and_hostile_text_escaped(client, db, make_user):
    login(client, make_user("manager"))
    csrf = csrf_from(client)
    resp = client.post("/settings/sla/policies", data=form(
        csrf, name="<script>alert(1)</script>", warn_minutes="90", hours_enabled="1", hours_tue="9 to 5",
        timezone="Europe/Paris"))
    text = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Tuesday: write periods like 09:00-17:00" in text
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    resp = client.post("/settings/sla/policies", data=form(csrf, warn_minutes="90"))
    assert resp.status_code == 422 and "breach_minutes must be at least warn_minutes" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SlaPolicy)) == 0


def test_forms_need_csrf(client, make_user):
    login(client, make_user("manager"))
    resp = client.post("/settings/sla/policies", data={"name": "x", "warn_minutes": "1", "breach_minutes": "2"})
    assert resp.status_code == 400


def test_agents_get_no_manager_pages_or_links(client, make_user):
    login(client, make_user("agent"))
    for url in ("/dashboard", "/reports", "/settings/sla"):
        assert client.get(url).status_code == 403
    assert client.post("/settings/sla/policies", data={"csrf_token": csrf_from(client)}).status_code == 403
    assert b'href="/dashboard"' not in client.get("/").data


def test_manager_pages_load_their_scripts_and_nav(client, make_user):
    login(client, make_user("manager"))
    home = client.get("/").get_data(as_text=True)
    assert all(f'href="{u}"' in home for u in ("/dashboard", "/reports", "/settings/sla"))
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "js/dashboard.js" in dashboard and "<script>" not in re.sub(r"<script src=[^>]+>", "", dashboard)
    reports = client.get("/reports").get_data(as_text=True)
    assert "/vendor/chart.js/chart.umd.min.js" in reports
    assert client.get("/vendor/chart.js/chart.umd.min.js").status_code == 200


def test_dashboard_and_reports_pages_offer_the_channel_kinds(client, make_user):
    login(client, make_user("manager"))
    dashboard = client.get("/dashboard").get_data(as_text=True)
    select = re.search(r'<select id="channel-filter"[^>]*>(.*?)</select>', dashboard, re.S).group(1)
    assert re.findall(r'<option value="(\w*)">([^<]+)</option>', select) == [
        ("", "all"), ("public", "Public"), ("private", "Private")]
    # Every count tile has its public / private split beside the figure, which dashboard.js fills.
    for key in ("open", "unassigned", "warning", "breached", "paused"):
        assert f'data-count="{key}">—</span><span class="split" data-split="{key}"></span>' in dashboard
    reports = client.get("/reports").get_data(as_text=True)
    assert '<option value="channel">channel</option>' in reports
    channel = re.search(r'<select name="channel">(.*?)</select>', reports, re.S).group(1)
    assert re.findall(r'<option value="(\w*)">', channel) == ["", "public", "private"]
