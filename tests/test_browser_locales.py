"""The app read in Russian and in Arabic (and English, for comparison), in a real browser.

An agent and a manager whose locale is ru or ar: the inbox, an open conversation, the dashboard and the reports
show the catalogues' words (looked up at test time in app/translations, never copied here), Arabic is mirrored
(right to left: the conversation list on the right of the thread, the brand on the right of the top bar), Russian
is not, and a conversation is answered with the keyboard alone. Screenshots per locale: test-artifacts/locale-*.png.
"""
import functools
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.support import Translations
from playwright.sync_api import expect

from app.ingest.items import InboundAuthor, InboundItem
from app.ingest.pipeline import ingest
from app.models import Message, SocialAccount, User
from tests.conftest import writing
from tests.fixtures.browser import screenshot, show_report
from tests.test_reports import dataset  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

TRANSLATIONS = Path(__file__).resolve().parents[1] / "app" / "translations"
LOCALES = ["en", "ru", "ar"]
REPLIES = {"en": "Hello! Your parcel is on its way.", "ru": "Здравствуйте! Посылка уже в пути.",
           "ar": "مرحبا! طلبك في الطريق."}


@functools.cache
def catalogue(locale, domain):
    return Translations.load(str(TRANSLATIONS), [locale], domain=domain)


def tr(locale, msgid, *, context=None, domain="messages"):
    cat = catalogue(locale, domain)
    return cat.pgettext(context, msgid) if context else cat.gettext(msgid)


def text_of(page, selector):
    return " ".join(page.locator(selector).first.text_content().split())


class Words:
    """Compares what the page shows with the catalogue; collects every miss, reported together at the end."""

    def __init__(self, page, locale):
        self.page, self.locale, self.misses = page, locale, []

    def shows(self, selector, msgid, *, context=None, domain="messages", pattern=False):
        want = tr(self.locale, msgid, context=context, domain=domain)
        label = f"{msgid!r}" + (f" ({context})" if context else "") + f" [{domain}]"
        if self.locale != "en" and want == msgid:
            self.misses.append(f"{self.locale}: no translation of {label} in the catalogue")
            return
        shown = text_of(self.page, selector)
        if pattern:  # a sentence with a placeholder: the rest of it must be the translation's
            ok = re.fullmatch(re.sub(r"%\\\(\w+\\\)s", ".+", re.escape(want)), shown) is not None
        else:
            ok = shown == want
        if not ok:
            self.misses.append(f"{self.locale}: {selector} shows {shown!r}, the catalogue says {want!r} for {label}")

    def assert_all(self):
        assert not self.misses, "\n".join(self.misses)


def with_locale(db, user, locale):
    with writing(db) as session:
        session.execute(sa.update(User).where(User.id == user.id).values(locale=locale))
    return user


def seed(db, account_id):
    now = datetime.now(timezone.utc)
    with writing(db) as session:
        account = session.get(SocialAccount, account_id)
        for n, (text, name, minutes) in enumerate([
                ("Where is my parcel?", "Fay Jones", 25), ("Посылка не пришла", "Вим", 15), ("وين طلبي؟", "ليلى", 5)]):
            ingest(session, account, [InboundItem(f"loc-{n}", text, created_at=now - timedelta(minutes=minutes),
                                                  author=InboundAuthor(f"cust{n}", handle=f"cust{n}", name=name))])


def box(page, selector):
    return page.locator(selector).first.bounding_box()


def assert_direction(page, locale):
    rtl = locale == "ar"
    assert page.evaluate("[document.documentElement.dir, document.documentElement.lang]") == \
        ["rtl" if rtl else "ltr", locale]
    assert page.evaluate("CareboxI18n.direction") == ("rtl" if rtl else "ltr")
    width = page.viewport_size["width"]
    brand = box(page, ".topbar .brand")
    if rtl:
        assert brand["x"] > width / 2, "the brand starts the bar: on the right"
    else:
        assert brand["x"] + brand["width"] < width / 2, "the brand starts the bar: on the left"


def live_inbox(page):
    expect(page.locator("#connection-state")).to_have_class("conn conn-live")
    page.wait_for_selector("body[data-inbox-ready]", state="attached")
    expect(page.locator("#conversation-list .conversation")).to_have_count(3)
    return page


@pytest.mark.parametrize("locale", LOCALES)
def test_inbox_in_the_agents_language_answered_with_the_keyboard(db, open_page, make_user, custom_account, locale):
    seed(db, custom_account.id)
    agent = with_locale(db, make_user("agent", name="Alex Agent"), locale)
    page = live_inbox(open_page(agent))
    words = Words(page, locale)
    assert_direction(page, locale)

    # The frame (Jinja, the messages domain) and what the scripts write (the js domain).
    words.shows(".mainnav a[href='/']", "Inbox")
    words.shows(".me button[type=submit]", "Sign out")
    words.shows("#f-status-label", "Status")
    words.shows("#f-assignee-label", "Assignee")
    words.shows("label[for=f-network]", "Network")
    words.shows("label[for=f-sort]", "Sort")
    words.shows("#f-sort option[value=sla]", "Most urgent first")
    words.shows("#connection-state", "live", context="connection state", domain="js")
    words.shows(".conversation .sla-clock", "%(time)s left", domain="js", pattern=True)
    screenshot(page, f"locale-{locale}-inbox")

    # The list's empty state: nothing is resolved yet.
    page.click(".ib-seg[data-filter=status] button[data-value=resolved]")
    expect(page.locator("#empty-state")).to_be_visible()
    words.shows("#empty-state", "Nothing here. New mentions and comments appear as they arrive.")
    page.click(".ib-seg[data-filter=status] button[data-value=open]")
    live_inbox(page)

    # The panes mirror: in Arabic the list is on the right of the thread.
    listpane, thread = box(page, ".ib-listpane"), box(page, ".ib-conversation")
    if locale == "ar":
        assert listpane["x"] > thread["x"] + thread["width"] - 1
    else:
        assert listpane["x"] + listpane["width"] <= thread["x"] + 1

    # Keyboard only: j j k moves to the second conversation, Enter (o in Arabic) opens it, r replies,
    # Ctrl+Enter sends.
    rows = page.locator("#conversation-list .conversation")
    page.locator("#conversation-list").focus()
    for key in ("j", "j", "k"):
        page.keyboard.press(key)
    expect(rows.nth(1)).to_have_class(re.compile("is-cursor"))
    conversation_id = int(rows.nth(1).get_attribute("data-id"))
    page.keyboard.press("o" if locale == "ar" else "Enter")
    expect(page.locator("#thread .msg-inbound")).to_have_count(1)
    expect(rows.nth(1)).to_have_class(re.compile("is-open"))
    page.keyboard.press("r")
    expect(page.locator("#composer-text")).to_be_focused()
    words.shows("#composer [data-mode=reply]", "Reply", context="noun")
    words.shows("#composer [data-mode=note]", "Private note")
    words.shows("#composer-send .send-label", "Send", context="verb", domain="js")
    page.keyboard.type(REPLIES[locale])
    page.keyboard.press("Control+Enter")
    sent = page.locator("#thread .msg-outbound .msg-text")
    expect(sent).to_have_text(REPLIES[locale])
    expect(page.locator("#composer-text")).to_have_value("")
    db.session.commit()  # a fresh read: the reply went through the live server
    stored = db.session.scalars(sa.select(Message).where(Message.conversation_id == conversation_id,
                                                         Message.direction == "outbound")).all()
    assert [m.text for m in stored] == [REPLIES[locale]]
    assert stored[0].author_user_id == agent.id
    screenshot(page, f"locale-{locale}-conversation")
    assert page.errors == []
    words.assert_all()


@pytest.mark.parametrize("locale", LOCALES)
def test_dashboard_and_reports_in_the_managers_language(db, live_server, open_page, make_user, dataset,  # noqa: F811
                                                        custom_account, locale):
    seed(db, custom_account.id)
    manager = with_locale(db, make_user("manager", name="Mia Manager"), locale)
    page = open_page(manager, path="/dashboard")
    page.wait_for_selector("#connection-state.conn-live")
    page.wait_for_function("document.querySelector('#tile-open .value').textContent !== '—'")
    page.wait_for_selector("#at-risk tr.risk")
    words = Words(page, locale)
    assert_direction(page, locale)
    if locale == "ar":  # tiles run from the right
        assert box(page, "#tile-open")["x"] > box(page, "#tile-unassigned")["x"]
    else:
        assert box(page, "#tile-open")["x"] < box(page, "#tile-unassigned")["x"]
    words.shows(".mainnav a[href='/dashboard']", "Dashboard")
    words.shows(".mainnav a[href='/reports']", "Reports")
    words.shows(".dash-toolbar h1", "SLA dashboard")
    words.shows("#tile-open .label", "Open", context="conversations")
    words.shows("#tile-unassigned .label", "Unassigned")
    words.shows("#tile-warning .label", "Warning", context="SLA level")
    words.shows("#tile-breached .label", "Breached", context="SLA level")
    words.shows("#tile-paused .label", "Paused", context="SLA level")
    words.shows("#connection-state", "live", domain="js")
    words.shows("#at-risk thead th:nth-child(1)", "Time left")
    screenshot(page, f"locale-{locale}-dashboard")
    assert page.errors == []

    page.goto(f"{live_server.url}/reports")
    show_report(page, "2026-03-02", "2026-03-04", submit=send_by_keyboard)
    assert page.text_content("[data-figure=breaches]") == page.evaluate("CareboxI18n.number(3)")
    assert_direction(page, locale)
    words.page = page
    words.shows("#reports h1", "Response times")
    words.shows("#report-form button[type=submit]", "Show", context="report form")
    words.shows("#report-totals .tile:nth-child(1) .label", "First response, median")
    words.shows("#report-totals .tile-breached .label", "Breaches")
    words.shows(".charts figure:nth-child(3) figcaption", "Volume by hour of day")
    screenshot(page, f"locale-{locale}-reports")
    assert page.errors == []
    words.assert_all()


def send_by_keyboard(page):
    page.keyboard.press("Tab")
    page.locator("#report-form button[type=submit]").press("Enter")
