"""The inbox in another language, in a real browser: an agent whose locale is Arabic gets a right-to-left page
that loads without a script error, customer text keeps its own direction, and the keyboard shortcuts follow
the physical keys, so they work on an Arabic or a Cyrillic layout. The canned-response picker asks for the
open conversation's language and badges each response's language.

(Which words the page shows in Russian or Arabic is the catalogues' business, checked when they are translated.)
"""
import json
import re
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.ingest.items import InboundAuthor, InboundItem
from app.ingest.pipeline import ingest
from app.models import User
from tests.conftest import writing
from tests.fixtures.browser import screenshot

pytestmark = pytest.mark.browser


def customer_message(db, account, external_id, text, *, author, name, minutes_ago):
    created = datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)
    with writing(db) as session:
        (result,) = ingest(session, account, [InboundItem(external_id, text, created, InboundAuthor(author, handle=author, name=name))])
    return result.conversation_id


def set_locale(db, user, locale):
    with writing(db) as session:
        session.execute(sa.update(User).where(User.id == user.id).values(locale=locale))


def live(page):
    expect(page.locator("#connection-state")).to_have_class("conn conn-live")
    page.wait_for_selector("body[data-inbox-ready]", state="attached")
    return page


def press_on_layout(page, key, code, shift=False):
    """A keydown as a non-Latin layout sends it: the character it types in `key`, the physical key in `code`."""
    page.evaluate("""([key, code, shift]) => (document.activeElement || document.body).dispatchEvent(
        new KeyboardEvent("keydown", {key, code, shiftKey: shift, bubbles: true, cancelable: true}))""", [key, code, shift])


def cursor_index(page):
    return page.eval_on_selector_all(".conversation", "rows => rows.findIndex((r) => r.classList.contains('is-cursor'))")


def test_an_arabic_agent_gets_a_right_to_left_inbox_whose_shortcuts_follow_the_keys(db, open_page, make_user,
                                                                                     custom_account):
    alex = make_user("agent", name="Alex Agent")
    set_locale(db, alex, "ar")
    customer_message(db, custom_account, "a1", "Where is my parcel?", author="c1", name="Fay", minutes_ago=70)
    customer_message(db, custom_account, "a2", "Посылка не пришла", author="c2", name="Вим", minutes_ago=45)
    customer_message(db, custom_account, "a3", "وين طلبي؟", author="c3", name="بيا", minutes_ago=5)
    page = live(open_page(alex))
    html = page.locator("html")
    expect(html).to_have_attribute("dir", "rtl")
    expect(html).to_have_attribute("lang", "ar")
    rows = page.locator(".conversation")
    expect(rows).to_have_count(3)
    assert page.evaluate("window.CareboxI18n.locale") == "ar"

    # Customer text keeps its own direction whatever the page's; the clocks and times are formatted, not NaN.
    for selector in (".who", ".snippet"):
        assert rows.first.locator(selector).get_attribute("dir") == "auto", selector
    for clock in page.locator(".conversation .sla-clock").all_text_contents():
        assert clock.strip() and "NaN" not in clock and "undefined" not in clock, clock
    assert "NaN" not in page.locator(".conversation .when").first.text_content()

    # j/k by the physical key: Playwright's KeyJ, then the same key on an Arabic layout (ت) and a Russian one (о).
    assert cursor_index(page) == 0
    page.keyboard.press("KeyJ")
    expect(rows.nth(1)).to_have_class(re.compile("is-cursor"))
    press_on_layout(page, "ت", "KeyJ")
    expect(rows.nth(2)).to_have_class(re.compile("is-cursor"))
    press_on_layout(page, "ن", "KeyK")
    expect(rows.nth(1)).to_have_class(re.compile("is-cursor"))
    press_on_layout(page, "л", "KeyK")  # Russian layout: K types л
    expect(rows.nth(0)).to_have_class(re.compile("is-cursor"))
    press_on_layout(page, "о", "KeyJ")
    expect(rows.nth(1)).to_have_class(re.compile("is-cursor"))

    # The help: the Arabic question mark (Shift+Slash on that layout) opens it; Escape closes it.
    press_on_layout(page, "؟", "Slash", shift=True)
    expect(page.locator("#shortcuts")).to_be_visible()
    expect(page.locator("#shortcuts kbd", has_text="j").first).to_be_visible()  # the Latin key caps
    page.keyboard.press("Escape")
    expect(page.locator("#shortcuts")).to_be_hidden()
    # "/" on an Arabic layout types ظ: the search still takes the focus.
    press_on_layout(page, "ظ", "Slash")
    expect(page.locator("#search")).to_be_focused()
    page.keyboard.press("Escape")
    page.locator("#conversation-list").focus()

    # r (ق on an Arabic layout) opens the conversation under the cursor with the cursor in the composer.
    press_on_layout(page, "ق", "KeyR")
    expect(page.locator("#composer-text")).to_be_focused()
    expect(page.locator("#thread .msg-inbound .msg-text")).to_have_attribute("dir", "auto")
    expect(page.locator("#conversation-head .who")).to_have_attribute("dir", "auto")
    expect(page.locator("#conversation-head .sla-clock")).not_to_have_text("")

    # Live changes are announced politely, without taking the focus from the composer.
    announcer = page.locator("#announcer")
    expect(announcer).to_have_attribute("aria-live", "polite")
    customer_message(db, custom_account, "a4", "مرحبا", author="c4", name="نور", minutes_ago=0)
    expect(rows).to_have_count(4)
    expect(announcer).not_to_have_text("", timeout=5000)
    assert "NaN" not in announcer.text_content()
    expect(page.locator("#composer-text")).to_be_focused()
    screenshot(page, "inbox-ar")
    assert page.errors == []


def test_the_canned_picker_asks_for_the_conversations_language_and_badges_each(db, open_page, make_user,
                                                                               custom_account):
    """Coded against the contract: conversation.language, canned.language, GET /canned-responses?language=xx."""
    alex = make_user("agent", name="Alex Agent")
    customer_message(db, custom_account, "l1", "Посылка не пришла", author="c1", name="Wim", minutes_ago=3)
    page = open_page(alex)
    asked = []

    def with_language(route):
        response = route.fetch()
        body = response.json()
        for conv in body.get("items", [body]):
            conv["language"] = "ru"
        route.fulfill(response=response, body=json.dumps(body))

    def canned(route):
        asked.append(route.request.url)
        items = [{"id": 1, "title": "Thanks", "shortcut": "thanks", "text": "Thank you!", "language": "en"},
                 {"id": 2, "title": "Спасибо", "shortcut": "thanks-ru", "text": "Спасибо!", "language": "ru"},
                 {"id": 3, "title": "Any", "shortcut": "thanks-any", "text": "Thanks.", "language": None}]
        route.fulfill(status=200, content_type="application/json", body=json.dumps({"items": items}))

    page.route(re.compile(r".*/api/v1/conversations(/\d+)?(\?.*)?$"), with_language)
    page.route(re.compile(r".*/api/v1/canned-responses.*"), canned)
    page.reload()
    live(page)
    page.keyboard.press("r")
    expect(page.locator("#composer-text")).to_be_focused()
    page.wait_for_function("() => [...document.querySelectorAll('#canned-select option')].length === 4")
    assert any("language=ru" in url for url in asked), asked
    options = page.locator("#canned-select option")
    expect(options.nth(1)).to_have_text("[RU] /thanks-ru — Спасибо")  # the conversation's language first
    page.keyboard.type("/thanks")
    suggestions = page.locator("#suggestions .suggestion")
    expect(suggestions.first).to_contain_text("/thanks-ru")
    expect(suggestions.first.locator(".lang-badge")).to_have_text("RU")
    assert suggestions.first.locator(".lang-badge").get_attribute("lang") == "ru"
    expect(page.locator("#suggestions .suggestion", has_text="/thanks-any").locator(".lang-badge")).to_have_count(0)
    assert page.errors == []
    # A list refresh still in flight when the page closes must not fail in its handler (and so in the next test).
    page.unroute_all(behavior="ignoreErrors")
