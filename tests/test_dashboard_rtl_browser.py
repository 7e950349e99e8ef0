"""The manager pages for a reader of Arabic: right to left, mirrored, numbers in Intl's Arabic forms.

Translations come later: this checks direction, layout and formats, never the words.
"""
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from app.ingest.items import InboundAuthor, InboundItem
from app.ingest.pipeline import ingest
from app.models import SocialAccount, User
from tests.conftest import writing
from tests.fixtures.browser import screenshot, show_report
from tests.test_reports import dataset  # noqa: F401  (fixture)


def arabic_manager(db, make_user):
    manager = make_user("manager")
    with writing(db) as session:
        session.execute(sa.update(User).where(User.id == manager.id).values(locale="ar", timezone="Asia/Riyadh"))
    return manager


def box(page, selector):
    return page.locator(selector).first.bounding_box()


def assert_mirrored_topbar(page):
    assert page.evaluate("[document.documentElement.dir, document.documentElement.lang]") == ["rtl", "ar"]
    assert page.evaluate("CareboxI18n.direction") == "rtl"
    width = page.viewport_size["width"]
    brand, nav, me = box(page, ".topbar .brand"), box(page, ".mainnav"), box(page, ".topbar .me")
    assert brand["x"] > width / 2  # the brand starts the bar: on the right
    assert me["x"] + me["width"] < width / 2  # the account menu ends it: on the left
    assert nav["x"] < brand["x"]


def test_dashboard_right_to_left_in_arabic(open_page, db, make_user, custom_account):
    with writing(db) as session:
        account = session.get(SocialAccount, custom_account.id)
        for n in range(12):  # twelve open conversations: a count with two digits
            ingest(session, account, [InboundItem(f"m{n}", "مرحبا، أين طلبي؟", author=InboundAuthor(f"c{n}", "ليلى"),
                                                  created_at=datetime.now(timezone.utc) - timedelta(minutes=5))])
    page = open_page(arabic_manager(db, make_user), path="/dashboard")
    page.wait_for_function("document.querySelector('#tile-open .value').textContent !== '—'")
    assert_mirrored_topbar(page)

    assert page.text_content("#tile-open .value") == page.evaluate("new Intl.NumberFormat('ar').format(12)")
    assert page.text_content("#tile-breached .value") == page.evaluate("new Intl.NumberFormat('ar').format(0)")
    # Tiles and table columns run from the right: the first tile and the first column are rightmost.
    assert box(page, "#tile-open")["x"] > box(page, "#tile-unassigned")["x"]
    heads = page.locator("#at-risk thead th")
    assert heads.first.bounding_box()["x"] > heads.last.bounding_box()["x"]
    page.wait_for_selector("#at-risk tr.risk")
    clock = page.text_content("#at-risk tr.risk .time-left")
    # The clock's remaining time is Intl's duration, in Arabic digits where Intl uses them.
    digits = page.evaluate("new Intl.NumberFormat('ar').format(1234567890)")
    assert any(ch in digits for ch in clock)
    assert page.get_attribute("#at-risk .snippet", "dir") == "auto"  # customer text keeps its own direction
    screenshot(page, "sla-dashboard-rtl")
    assert page.errors == []


def test_reports_right_to_left_in_arabic(open_page, db, dataset, make_user):  # noqa: F811
    page = open_page(arabic_manager(db, make_user), path="/reports")
    show_report(page, "2026-03-02", "2026-03-03")
    assert_mirrored_topbar(page)

    within = page.evaluate(
        "new Intl.NumberFormat('ar', {style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1}).format(3 / 7)")
    assert page.text_content("[data-figure=within_30]") == within
    assert page.text_content("[data-figure=breaches]") == page.evaluate("new Intl.NumberFormat('ar').format(2)")
    assert page.text_content("#report-table tfoot td:nth-child(2)") == page.evaluate("new Intl.NumberFormat('ar').format(8)")
    assert page.text_content("[data-figure=first_median]") == page.evaluate("CareboxI18n.duration(1800)")
    assert page.evaluate("new Intl.NumberFormat('ar').format(30)") in page.text_content("[data-figure=first_median]")
    # Dates in the table and on the charts' axes are Intl's, in Arabic.
    assert page.text_content("#report-table tbody th") == page.evaluate(
        "new Intl.DateTimeFormat('ar', {dateStyle: 'medium', timeZone: 'UTC'}).format(new Date('2026-03-02T12:00:00Z'))")
    assert page.evaluate("Chart.getChart('chart-hours').data.labels[9]") == page.evaluate(
        "new Intl.DateTimeFormat('ar', {hour: '2-digit', minute: '2-digit', timeZone: 'UTC'})"
        ".format(Date.UTC(2000, 0, 1, 9))")
    assert page.evaluate("Chart.getChart('chart-response').options.plugins.legend.rtl") is True
    # Mirrored: the form's first field and the first tile are on the right.
    assert box(page, "#report-form label")["x"] > box(page, "#report-form button")["x"]
    tiles = page.locator("#report-totals .tile")
    assert tiles.first.bounding_box()["x"] > tiles.nth(1).bounding_box()["x"]
    cells = page.locator("#report-table thead th")
    assert cells.first.bounding_box()["x"] > cells.last.bounding_box()["x"]
    screenshot(page, "sla-reports-rtl")
    assert page.errors == []
