"""The manager pages in a real browser: the dashboard follows a breach live, the reports page draws the API's figures."""
from datetime import datetime, timedelta, timezone

import requests
import sqlalchemy as sa
from playwright.sync_api import expect

from app.accounts import create_account
from app.ingest.items import InboundAuthor, InboundItem
from app.ingest.pipeline import ingest
from app.models import Conversation, SlaClock, SocialAccount, User
from app.worker.sla_sweep import sweep
from tests.conftest import writing
from tests.fixtures.browser import screenshot, show_report
from tests.test_channel_reports import channels, x_account  # noqa: F401  (fixtures)
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


def test_dashboard_channel_filter_and_rate_limits(open_page, db, make_user):
    recent = datetime.now(timezone.utc) - timedelta(minutes=5)
    with writing(db) as session:
        x = create_account(session, network="twitter", name="Brand on X", credentials={"bearer_token": "t"})
        x.last_success_at = datetime.now(timezone.utc)
        x.next_poll_at = datetime.now(timezone.utc) + timedelta(seconds=30)
        x.rate_limits = {
            "mentions": {"limit": 450, "remaining": 440, "reset_at": "2030-01-05T09:15:00Z"},
            "dm_send": {"limit": 15, "remaining": 0, "reset_at": "2030-01-05T09:20:00Z"},
            HOSTILE: {"limit": 5, "remaining": 1, "reset_at": None},
        }
        ingest(session, x, [InboundItem("m1", "public complaint", created_at=recent, author=InboundAuthor("c1"))])
        for n in range(2):
            ingest(session, x, [InboundItem(f"dm{n}", "my order number", created_at=recent,
                                            author=InboundAuthor(f"c{n}"), channel="private")])
        session.flush()
        late = session.scalars(sa.select(Conversation).where(Conversation.channel == "private")
                               .order_by(Conversation.id)).first()
        late.sla_warn_at, late.sla_breach_at = recent - timedelta(minutes=30), recent
    manager = make_user("manager")
    with writing(db) as session:
        session.execute(sa.update(User).where(User.id == manager.id).values(timezone="Asia/Tokyo"))

    page = open_page(manager, path="/dashboard")
    page.wait_for_function("document.querySelector('#tile-open .value').textContent === '3'")
    assert page.text_content("#tile-open .split") == "public 1 · private 2"
    assert page.text_content("#tile-breached .split") == "public 0 · private 1"
    account_rows = page.locator(f"#accounts tr[data-account-id='{x.id}'] ~ tr.channel-row")
    assert account_rows.locator("td.channel-name").all_text_contents()[:2] == ["Public", "Private"]
    assert page.text_content("#accounts tr.channel-private .count-open") == "2"
    assert page.locator("#at-risk tr.risk").count() == 3
    page.evaluate("window.__sameDocument = true")

    page.select_option("#channel-filter", "private")
    page.wait_for_function("document.querySelector('#tile-open .value').textContent === '2'")
    assert page.text_content("#tile-breached .value") == "1" and page.text_content("#tile-open .split") == ""
    assert page.locator("#accounts tr.channel-row").count() == 0
    assert page.text_content(f"#accounts tr[data-account-id='{x.id}'] .count-open") == "2"
    risks = page.locator("#at-risk tr.risk")
    assert risks.count() == 2 and risks.locator(".channel-private").count() == 2
    page.select_option("#channel-filter", "public")
    page.wait_for_function("document.querySelector('#tile-open .value').textContent === '1'")
    assert page.text_content("#tile-breached .value") == "0"
    expect(page.locator("#at-risk tr.risk")).to_have_count(1)  # the server's list for that channel kind
    assert page.evaluate("window.__sameDocument") is True  # filtered in place, from the figures already there

    # Each endpoint's budget, its reset time in the manager's time zone (Tokyo), the unknown name as text.
    limits = page.locator(f"#accounts tr[data-account-id='{x.id}'] .rate-limit")
    assert limits.count() == 3
    dm_send = page.locator(".rate-limit[data-endpoint=dm_send]")
    expected = page.evaluate("new Intl.DateTimeFormat(document.documentElement.lang, {timeZone: 'Asia/Tokyo', "
                             "dateStyle: 'short', timeStyle: 'short'}).format(new Date('2030-01-05T09:20:00Z'))")
    assert dm_send.text_content() == f"DM sending: 0 of 15 left, resets {expected}"
    assert "6:20" in expected or "18:20" in expected  # 09:20 UTC is 18:20 in Tokyo
    assert "exhausted" in dm_send.get_attribute("class")
    assert dm_send.locator("time").get_attribute("datetime") == "2030-01-05T09:20:00Z"
    hostile = page.locator(".rate-limit").filter(has_text="onerror")
    assert hostile.text_content() == f"{HOSTILE}: 1 of 5 left"
    assert page.locator("#accounts img").count() == 0 and page.evaluate("window.__pwned") is None
    screenshot(page, "sla-dashboard-channels")
    assert page.errors == []


def test_reports_page_splits_by_channel_and_filters_to_one(open_page, channels, make_user):  # noqa: F811
    page = open_page(make_user("manager"), path="/reports")
    page.select_option("select[name=group]", "agent")
    show_report(page, "2026-03-02", "2026-03-02")
    # Each agent's row is followed by its public and private halves (Ana: 600 s public, 300 s private).
    ana = page.locator("#report-table tbody tr.group-row").filter(has_text="Ana")
    key = ana.get_attribute("data-key")
    halves = page.locator(f"#report-table tbody tr.channel-row[data-key='{key}']")
    assert halves.locator("th").all_text_contents() == ["Public", "Private"]
    assert halves.locator("td:nth-child(4)").all_text_contents() == [
        page.evaluate("CareboxI18n.duration(600)"), page.evaluate("CareboxI18n.duration(300)")]
    totals = page.locator("#report-table tfoot tr.channel-row td:nth-child(2)").all_text_contents()
    assert totals == ["2", "3"]

    page.select_option("select[name=channel]", "private")
    show_report(page, "2026-03-02", "2026-03-02")
    assert page.locator("#report-table tr.channel-row").count() == 0  # one channel: nothing to split
    assert page.text_content("#report-table tfoot td:nth-child(2)") == "3"
    assert page.text_content("[data-figure=first_median]") == page.evaluate("CareboxI18n.duration(1950)")
    assert "channel=private" in page.get_attribute("#csv-figures", "href")

    page.select_option("select[name=channel]", "")
    page.select_option("select[name=group]", "channel")
    show_report(page, "2026-03-02", "2026-03-02")
    assert page.locator("#report-table tbody th").all_text_contents() == ["Public", "Private"]
    assert page.text_content("#group-heading") == "Channel"
    screenshot(page, "sla-reports-channels")
    assert page.errors == []


def test_channel_rows_indent_from_the_start_side_in_arabic(open_page, db, make_user, custom_account):
    with writing(db) as session:
        ingest(session, session.get(SocialAccount, custom_account.id), [InboundItem(
            "dm1", "رقم الطلب", author=InboundAuthor("c1"), channel="private")])
    manager = make_user("manager")
    with writing(db) as session:
        session.execute(sa.update(User).where(User.id == manager.id).values(locale="ar"))
    page = open_page(manager, path="/dashboard")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    # Every refresh (a reconnect, an event) draws the rows anew: read one drawing, laid out, in a single
    # evaluation instead of element by element (a row replaced in between has no box).
    name, count, padding = page.wait_for_function("""() => {
        const row = document.querySelector('#accounts tr.channel-private');
        const cells = row && [row.querySelector('.channel-name'), row.querySelector('.count-open')];
        if (!cells || cells.some((cell) => !cell || !cell.getBoundingClientRect().width)) return null;
        const style = getComputedStyle(cells[0]);
        return [...cells.map((cell) => cell.getBoundingClientRect().x),
                [parseFloat(style.paddingRight), parseFloat(style.paddingLeft)]];
    }""")
    assert padding[0] > padding[1]  # indented from the right, where an Arabic row starts
    assert name > count
    assert page.text_content("#accounts tr.channel-private .count-open") == page.evaluate(
        "new Intl.NumberFormat('ar').format(1)")
    assert page.errors == []
