"""The manager pages in a real browser: the dashboard follows a breach live, the reports page draws the API's figures."""
from datetime import datetime, timedelta, timezone

import requests
import sqlalchemy as sa

from app.accounts import create_account
from app.ingest.items import InboundAuthor, InboundItem
from app.ingest.pipeline import ingest
from app.models import Conversation, SlaClock, SocialAccount
from app.worker.sla_sweep import sweep
from tests.conftest import writing
from tests.fixtures.browser import screenshot
from tests.test_reports import dataset  # noqa: F401  (fixture)

HOSTILE = '<img src=x onerror="window.__pwned=1">'


def test_dashboard_updates_live_when_a_clock_breaches(open_page, db, make_user, custom_account):
    agent = make_user("agent", name="Ana")
    with writing(db) as session:
        account = session.get(SocialAccount, custom_account.id)
        (r,) = ingest(session, account, [InboundItem(
            "m1", HOSTILE + " where is my parcel?", created_at=datetime.now(timezone.utc) - timedelta(minutes=10),
            author=InboundAuthor("c1", HOSTILE, "Eve"))])
        session.get(Conversation, r.conversation_id).assignee_id = agent.id
        stalled = create_account(session, network="twitter", name="Brand on X", credentials={"bearer_token": "t"})
        stalled.last_success_at = datetime.now(timezone.utc) - timedelta(minutes=20)
        stalled.next_poll_at = datetime.now(timezone.utc) + timedelta(seconds=30)

    page = open_page(make_user("manager"), path="/dashboard")
    page.wait_for_selector("#connection-state.conn-live")
    page.wait_for_function("document.querySelector('#tile-open .value').textContent === '1'")
    assert page.text_content("#tile-breached .value") == "0"
    row = page.locator("#at-risk tr.risk")
    assert row.get_attribute("class") == "risk sla-ok" and "to warning" in row.locator(".time-left").text_content()
    assert row.locator(".who").text_content() == f"Eve @{HOSTILE}"  # customer text shown as text
    assert HOSTILE in row.locator(".snippet").text_content()
    assert page.is_visible("#stall-alert") and "no successful poll for 20 min" in page.text_content("#stall-list")
    page.evaluate("window.__sameDocument = true")

    # Time passes: the clock is now overdue, and the worker's sweep flags it.
    overdue = datetime.now(timezone.utc) - timedelta(seconds=1)
    with writing(db) as session:
        session.execute(sa.update(SlaClock).values(warn_at=overdue - timedelta(minutes=30), breach_at=overdue))
        session.execute(sa.update(Conversation).where(Conversation.id == r.conversation_id)
                        .values(sla_warn_at=overdue - timedelta(minutes=30), sla_breach_at=overdue))
    assert [t.to_state for t in sweep(db.session)] == ["breached"]

    page.wait_for_function("document.querySelector('#tile-breached .value').textContent === '1'")
    page.wait_for_selector("#at-risk tr.risk.sla-breached")
    assert "over" in page.text_content("#at-risk .time-left")
    assert page.text_content("#agents tr:has-text('Ana') td:nth-child(3)") == "1"  # Ana holds a breached one
    assert page.evaluate("window.__sameDocument") is True  # updated in place, never reloaded
    assert page.evaluate("window.__pwned") is None
    screenshot(page, "sla-dashboard-breach")
    assert page.errors == []


def test_reports_page_draws_the_api_figures(open_page, live_server, dataset, make_user, make_token):  # noqa: F811
    manager = make_user("manager")
    page = open_page(manager, path="/reports")
    page.fill("input[name=from]", "2026-03-02")
    page.fill("input[name=to]", "2026-03-03")
    page.select_option("select[name=group]", "agent")
    page.evaluate("document.querySelector('input[name=tz]').value = 'UTC'")
    page.click("#report-form button[type=submit]")
    page.wait_for_function(
        "document.querySelector('[data-figure=first_median]').textContent === CareboxI18n.duration(1800)")
    assert page.text_content("[data-figure=first_median]") == "30 min"  # Intl, in the page's locale (en)

    api = requests.get(f"{live_server.url}/api/v1/reports/response-times",
                       params={"from": "2026-03-02", "to": "2026-03-03", "group": "agent", "tz": "UTC"},
                       headers={"Authorization": f"Bearer {make_token(manager)}"}, timeout=5).json()
    assert page.text_content("[data-figure=first_p90]") == page.evaluate("CareboxI18n.duration(4500)")
    assert "1" in page.text_content("[data-figure=first_p90]") and "15" in page.text_content("[data-figure=first_p90]")
    assert page.text_content("[data-figure=within_30]") == f"{api['totals']['within_30'] * 100:.1f}%" == "42.9%"
    assert page.text_content("[data-figure=breaches]") == str(api["totals"]["breaches"]) == "2"
    labels = page.locator("#report-table tbody th").all_text_contents()
    assert sorted(labels) == sorted(g["label"] for g in api["groups"])
    assert page.text_content("#report-table tfoot td:nth-child(2)") == "8"
    for chart in ("chart-response", "chart-attainment", "chart-hours"):
        assert page.evaluate(f"Chart.getChart('{chart}') !== undefined")
    assert page.evaluate("Chart.getChart('chart-hours').data.datasets[0].data[9]") == 2
    csv_href = page.get_attribute("#csv-figures", "href")
    assert "format=csv" in csv_href and "group=agent" in csv_href
    screenshot(page, "sla-reports")
    assert page.errors == []
