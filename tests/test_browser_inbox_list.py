"""The inbox list in a real browser: urgency order, live updates in place, filters with counts, search in
Cyrillic and Arabic, keyboard shortcuts, canned responses, paging on scroll, re-sync after a reconnect,
and hostile customer text that is shown as text and never executed."""
import re
from datetime import datetime, timedelta, timezone

import requests
from playwright.sync_api import expect

from app.ingest.items import InboundAuthor, InboundItem
from app.ingest.pipeline import ingest
from app.models import CannedResponse
from tests.conftest import writing
from tests.fixtures.browser import screenshot

HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>'
FAMILY = "\U0001F469\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466"  # one grapheme, seven code points


def customer_message(db, account, external_id, text, *, author, name=None, handle=None, minutes_ago=1, profile_url=None):
    """A customer post ingested the way pollers do it; returns its conversation id."""
    created = datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)
    who = InboundAuthor(author, handle=handle or author, name=name, profile_url=profile_url)
    with writing(db) as session:
        (result,) = ingest(session, account, [InboundItem(external_id, text, created, who)])
    return result.conversation_id


def live(page):
    expect(page.locator("#connection-state")).to_have_class("conn conn-live")
    page.wait_for_selector("body[data-inbox-ready]", state="attached")
    return page


def count(page, key):
    return page.locator(f"[data-count='{key}']")


def test_urgency_order_live_updates_filters_counts_and_shortcuts(db, open_page, make_user, custom_account):
    alex = make_user("agent", name="Alex Agent")
    with writing(db) as session:
        session.add(CannedResponse(title="Greeting", shortcut="hi", text="Hi {{contact.name}}, {{agent.name}} here."))
    customer_message(db, custom_account, "k1", "Where is my parcel?", author="c1", name="Fresh Fay", minutes_ago=5)
    customer_message(db, custom_account, "k2", "Посылка не пришла", author="c2", name="Warned Wim", minutes_ago=45)
    customer_message(db, custom_account, "k3", "وين طلبي؟", author="c3", name="Breached Bea", minutes_ago=70)
    page = live(open_page(alex))
    rows, names = page.locator(".conversation"), page.locator(".conversation .who")
    expect(names).to_have_text(["Breached Bea @c3", "Warned Wim @c2", "Fresh Fay @c1"])  # most urgent first
    for index, level in enumerate(("breached", "warning", "ok")):
        expect(rows.nth(index)).to_have_class(re.compile(f"sla-{level}"))
    expect(rows.nth(0).locator(".sla-clock")).to_contain_text("over")
    for key, value in {"status.open": "3", "sla.breached": "1", "sla.warning": "1", "sla.ok": "1", "assignee.none": "3"}.items():
        expect(count(page, key)).to_have_text(value)

    # Live: a new customer lands in its place (latest breach: last); a follow-up updates its row in place.
    customer_message(db, custom_account, "k4", "hello?", author="c4", name="New Ned", minutes_ago=0)
    expect(names).to_have_text(["Breached Bea @c3", "Warned Wim @c2", "Fresh Fay @c1", "New Ned @c4"])
    customer_message(db, custom_account, "k5", "any news?", author="c2", name="Warned Wim", minutes_ago=0)
    expect(rows.nth(1).locator(".snippet")).to_have_text("any news?")
    expect(names).to_have_text(["Breached Bea @c3", "Warned Wim @c2", "Fresh Fay @c1", "New Ned @c4"])
    expect(count(page, "status.open")).to_have_text("4")

    # Keyboard: j moves, ? shows the shortcuts, / searches (Cyrillic, Arabic), a assigns to me, e resolves.
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_class(re.compile("is-cursor"))
    page.keyboard.press("?")
    expect(page.locator("#shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#shortcuts")).to_be_hidden()
    page.keyboard.press("/")
    expect(page.locator("#search")).to_be_focused()
    page.keyboard.type("посылка")
    expect(names).to_have_text(["Warned Wim @c2"])
    page.fill("#search", "طلبي")
    expect(names).to_have_text(["Breached Bea @c3"])
    page.fill("#search", "")
    expect(names).to_have_count(4)
    page.keyboard.press("Escape")
    expect(rows.nth(0)).to_have_class(re.compile("is-cursor"))  # Wim was filtered out meanwhile: back to the top
    page.keyboard.press("j")
    page.keyboard.press("a")
    expect(rows.nth(1).locator(".assignee")).to_have_text("→ Alex Agent")
    expect(count(page, "assignee.me")).to_have_text("1")
    page.click(".ib-seg[data-filter=assignee] [data-value=me]")
    expect(names).to_have_text(["Warned Wim @c2"])
    page.click(".ib-seg[data-filter=assignee] [data-value=all]")
    expect(names).to_have_count(4)

    # Canned response by shortcut, variables filled; then resolve with e: the row leaves the open list.
    page.keyboard.press("r")
    expect(page.locator("#composer-text")).to_be_focused()
    page.keyboard.type("/hi")
    expect(page.locator("#suggestions")).to_contain_text("/hi")
    page.keyboard.press("Tab")
    expect(page.locator("#composer-text")).to_have_value("Hi Warned Wim, Alex Agent here.")
    page.keyboard.press("Escape")
    page.keyboard.press("e")
    expect(names).to_have_text(["Breached Bea @c3", "Fresh Fay @c1", "New Ned @c4"])
    expect(page.locator("#conversation-head .status-select")).to_have_value("resolved")
    expect(count(page, "status.resolved")).to_have_text("1")

    # Clocks tick in the page: a conversation 2 s short of the warning turns to warning on its own.
    customer_message(db, custom_account, "k6", "still waiting", author="c6", name="Soon Sue", minutes_ago=30 - 2 / 60)
    expect(names).to_have_text(["Breached Bea @c3", "Soon Sue @c6", "Fresh Fay @c1", "New Ned @c4"])
    expect(rows.nth(1)).to_have_class(re.compile("sla-ok"))
    expect(rows.nth(1)).to_have_class(re.compile("sla-warning"), timeout=8000)
    expect(rows.nth(1).locator(".sla-clock")).to_have_text(re.compile(r"^29m left$|^30m left$"))

    # Bulk: select two rows, tag them, then resolve them.
    rows.nth(2).locator(".pick").click()
    page.keyboard.press("j")  # shortcuts still work after ticking a box: the cursor moves to Ned, x selects him
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(page.locator("#bulk-count")).to_have_text("2 selected")
    page.fill("#bulk-tag", "shipping")
    page.click("[data-bulk=tag]")
    expect(page.locator(".conversation .tag", has_text="shipping")).to_have_count(2)
    expect(page.locator("#bulk-bar")).to_be_hidden()
    rows.nth(2).locator(".pick").click()
    rows.nth(3).locator(".pick").click()
    page.click("[data-bulk=resolve]")
    expect(names).to_have_text(["Breached Bea @c3", "Soon Sue @c6"])
    expect(count(page, "status.resolved")).to_have_text("3")
    assert page.errors == []


def test_hostile_customer_text_is_shown_as_text_everywhere(db, live_server, open_page, make_user, make_token, custom_account):
    alex = make_user("agent", name="Alex Agent")
    mallory = make_user("agent", name=f"{HOSTILE}Mallory")
    text = f"{HOSTILE} track it at https://example.com/track?id=1. or javascript:window.__pwned=1 — مرحبا بكم"
    conv_id = customer_message(db, custom_account, "h1", text, author="c-h", handle="<b>h</b>", name=f"{HOSTILE}Eve",
                               profile_url="javascript:window.__pwned=1")
    page = live(open_page(alex))
    row = page.locator(".conversation").first
    expect(row.locator(".who")).to_have_text(f"{HOSTILE}Eve @<b>h</b>")
    expect(row.locator(".snippet")).to_have_text(text)
    page.keyboard.press("Enter")
    message = page.locator("#thread .msg-inbound .msg-text")
    expect(message).to_have_text(text)
    link = message.locator("a")
    expect(link).to_have_count(1)  # only the http(s) URL became a link
    assert link.get_attribute("href") == "https://example.com/track?id=1"
    assert link.get_attribute("rel") == "noopener noreferrer nofollow" and link.get_attribute("target") == "_blank"
    assert page.locator("a[href^='javascript' i]").count() == 0
    expect(page.locator(".cust-profile")).to_have_count(0)  # a javascript: profile URL is not a link
    expect(page.locator(".ib-customer .cust-name")).to_have_text(f"{HOSTILE}Eve")
    expect(page.locator(".ib-customer")).not_to_contain_text("null")  # no followers known: nothing shown
    assert f"{HOSTILE}Eve" in page.title()
    for selector in (".conversation .who", ".conversation .snippet", "#thread .msg-text", "#conversation-head .who", ".cust-name"):
        assert page.locator(selector).first.get_attribute("dir") == "auto", selector

    # A colleague with a hostile name mentions Alex in a note: the note and the notification stay text.
    resp = requests.post(f"{live_server.url}/api/v1/conversations/{conv_id}/notes", timeout=5,
                         headers={"Authorization": f"Bearer {make_token(mallory)}"},
                         json={"text": f"@AlexAgent look {HOSTILE}", "mentions": [alex.id]})
    assert resp.status_code == 201, resp.text
    expect(page.locator(".toast")).to_contain_text(f"{HOSTILE}Mallory mentioned you")
    expect(page.locator("#thread .msg-note .msg-text")).to_have_text(f"@AlexAgent look {HOSTILE}")
    expect(page.locator("#thread .msg-note .msg-author")).to_have_text(f"Note by {HOSTILE}Mallory")
    page.click("#notifications-button")
    expect(page.locator("#notifications-list .notif")).to_contain_text(f"{HOSTILE}Mallory")

    # Truncation in the list keeps emoji and combining characters whole.
    customer_message(db, custom_account, "h2", "x" * 158 + FAMILY * 3, author="c-e", minutes_ago=0)
    customer_message(db, custom_account, "h3", "x" * 150 + "e\u0301" * 15, author="c-c", minutes_ago=0)
    snippets = page.locator(".conversation .snippet")
    expect(snippets).to_have_count(3)
    expect(snippets.nth(1)).to_have_text("x" * 158 + FAMILY * 2 + "…")
    expect(snippets.nth(2)).to_have_text("x" * 150 + "e\u0301" * 10 + "…")
    screenshot(page, "inbox-hostile")
    assert page.evaluate("window.__pwned") is None
    assert page.errors == []


def test_pages_load_on_scroll_and_a_reconnect_resyncs(db, live_server, open_page, make_user, make_token, custom_account,
                                                      monkeypatch):
    from app import realtime
    from app.events import STAFF
    from app.extensions import socketio

    alex = make_user("agent", name="Alex Agent")
    now = datetime.now(timezone.utc)
    with writing(db) as session:
        ingest(session, custom_account, [InboundItem(f"p{i}", f"message {i}", now - timedelta(seconds=i),
                                                     InboundAuthor(f"cust{i}", handle=f"cust{i}")) for i in range(120)])
    page = live(open_page(alex))
    rows = page.locator(".conversation")
    expect(rows).to_have_count(50)
    for expected in (100, 120):
        page.locator("#list-scroll").evaluate("el => { el.scrollTop = el.scrollHeight; }")
        expect(rows).to_have_count(expected)
    api = requests.get(f"{live_server.url}/api/v1/conversations", params={"status": "open", "limit": 200}, timeout=5,
                       headers={"Authorization": f"Bearer {make_token(alex)}"}).json()
    shown = page.eval_on_selector_all(".conversation", "els => els.map((e) => Number(e.dataset.id))")
    assert shown == [c["id"] for c in api["items"]]  # the same order as the API, no duplicates

    # Offline: the server drops the connection and refuses new ones while two things happen.
    monkeypatch.setattr(realtime, "_authenticate", lambda auth: None)
    for sid, _engine_sid in list(socketio.server.manager.get_participants("/", STAFF)):
        socketio.server.disconnect(sid, namespace="/")
    expect(page.locator("#connection-state")).to_have_class("conn conn-offline")
    customer_message(db, custom_account, "off-1", "sent while you were offline", author="cust119", minutes_ago=0)
    customer_message(db, custom_account, "off-2", "a new customer", author="olga", minutes_ago=0)
    expect(rows.first.locator(".snippet")).to_have_text("message 119")
    monkeypatch.undo()
    expect(page.locator("#connection-state")).to_have_class("conn conn-live")
    expect(rows.first.locator(".snippet")).to_have_text("sent while you were offline")
    expect(count(page, "status.open")).to_have_text("121")
    assert page.errors == []
