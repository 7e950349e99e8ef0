"""The agent inbox in a real browser (Playwright driving Debian's chromium) against the live app and the sandbox.

Two agents in two browser contexts: a sandbox mention appears live, one replies with the keyboard
alone, the reply lands in the sandbox; the duplicate guard (409) fires and the agent re-reads, then
discards or sends anyway; a reply the network refuses shows the network's reason.
"""
import requests
from playwright.sync_api import expect

from app.models import SocialAccount, utcnow
from app.sandbox import DEMO_X
from app.worker.polling import poll_account
from tests.conftest import writing
from tests.fixtures.browser import screenshot
from tests.fixtures.polling import BRAND_ID, connect

BRAND = BRAND_ID["twitter"]


def poll_now(app, db, account_id):
    """Run one poll of the account right now, as the worker would (no worker thread in these tests)."""
    with writing(db) as session:
        session.get(SocialAccount, account_id).next_poll_at = utcnow()
    outcome = poll_account(app, account_id, "test-owner")
    # poll_account's metrics read the account after its commit, inside write_intent(): on SQLite that
    # re-opens a write transaction; end it so the live server can write.
    db.session.commit()
    assert outcome.startswith("ok"), outcome
    return outcome


def mention(app, db, sandbox, account, text, author):
    tweet = sandbox.network.inject_tweet(BRAND, f"@{DEMO_X['username']} {text}", author=author)
    poll_now(app, db, account.id)
    return tweet


def sandbox_replies(sandbox):
    resp = requests.get(f"{sandbox.url}/_sandbox/replies", params={"network": "twitter"}, timeout=5)
    resp.raise_for_status()
    return resp.json()["replies"]


def live(page):
    expect(page.locator("#connection-state")).to_have_class("conn conn-live")
    page.wait_for_selector("body[data-inbox-ready]", state="attached")
    return page


def test_two_agents_see_a_mention_live_and_one_replies_with_the_keyboard(app, db, sandbox, open_page, make_user):
    account = connect(db, sandbox, "twitter")
    alex = make_user("agent", name="Alex Agent")
    sam = make_user("agent", name="Sam Agent")
    alex_page, sam_page = live(open_page(alex)), live(open_page(sam))

    tweet = mention(app, db, sandbox, account, "my order #1234 never arrived",
                    author={"id": "900001", "username": "maria_k", "name": "Maria K", "followers_count": 321})
    for page in (alex_page, sam_page):  # appears without a reload, on both screens
        row = page.locator(".conversation").first
        expect(row.locator(".who")).to_have_text("Maria K @maria_k")
        expect(row.locator(".snippet")).to_contain_text("never arrived")
        expect(row.locator(".sla-clock")).to_contain_text("left")
    expect(alex_page.locator("[data-count='status.open']")).to_have_text("1")
    screenshot(alex_page, "inbox")

    # Alex: r opens the most urgent conversation with the cursor in the composer; he types, Sam sees it.
    alex_page.evaluate("window.sameDocument = true")  # gone if anything below loaded a page
    alex_page.keyboard.press("r")
    expect(alex_page.locator("#composer-text")).to_be_focused()
    expect(alex_page.locator("#thread .msg-inbound .msg-text")).to_contain_text("never arrived")
    alex_page.keyboard.type("Sorry about that, Maria! ")
    expect(sam_page.locator(".conversation .pres-typing")).to_have_text("Alex Agent typing…")
    sam_page.keyboard.press("Enter")  # Sam opens it too: each sees the other
    expect(sam_page.locator(".presence-line")).to_contain_text("Alex Agent is typing…")
    expect(alex_page.locator(".presence-line")).to_contain_text("Sam Agent is viewing")
    alex_page.keyboard.type("We are on it.")
    expect(alex_page.locator("#composer-count")).to_have_text("38 / 280")
    alex_page.keyboard.press("Control+Enter")

    sent = alex_page.locator("#thread .msg-outbound")
    expect(sent.locator(".msg-text")).to_have_text("Sorry about that, Maria! We are on it.")
    expect(sent.locator(".delivery-state")).to_have_text("Sent")
    expect(alex_page.locator("#composer-text")).to_have_value("")
    assert alex_page.evaluate("window.sameDocument") is True  # r, the text, Ctrl+Enter: no page load
    expect(sam_page.locator("#thread .msg-outbound .delivery-state")).to_have_text("Sent")  # live on Sam's screen
    replies = sandbox_replies(sandbox)
    assert [(r["text"], r["in_reply_to"]) for r in replies] == [("Sorry about that, Maria! We are on it.", tweet.id)]
    # Answered: the clock stopped, on both screens.
    expect(alex_page.locator("#conversation-head .sla-clock")).to_have_text("")
    expect(sam_page.locator(".conversation .sla-clock")).to_have_text("")
    expect(alex_page.locator(".ib-customer .cust-followers")).to_have_text("321 followers")

    # A private note mentioning Sam (n, @Sa + Tab picks him, Ctrl+Enter saves): Sam is notified live.
    alex_page.keyboard.press("Escape")
    alex_page.keyboard.press("n")
    alex_page.keyboard.type("@Sa")
    expect(alex_page.locator("#suggestions")).to_contain_text("Sam Agent")
    alex_page.keyboard.press("Tab")
    alex_page.keyboard.type("please follow up tomorrow")
    alex_page.keyboard.press("Control+Enter")
    expect(sam_page.locator("#thread .msg-note .msg-text")).to_have_text("@Sam Agent please follow up tomorrow")
    expect(sam_page.locator(".toast")).to_contain_text("Alex Agent mentioned you")
    expect(sam_page.locator("#notifications-count")).to_have_text("1")
    expect(alex_page.locator("[data-count='sla.stopped']")).to_have_text("1")  # counts follow: answered
    screenshot(alex_page, "conversation")
    assert alex_page.errors == [] and sam_page.errors == []


def test_duplicate_guard_makes_the_agent_reread_then_discard_or_send(app, db, sandbox, open_page, make_user):
    account = connect(db, sandbox, "twitter")
    alex = make_user("agent", name="Alex Agent")
    sam = make_user("agent", name="Sam Agent")
    mention(app, db, sandbox, account, "is the store open on Sunday?", author={"id": "900002", "username": "tom"})
    alex_page, sam_page = live(open_page(alex)), live(open_page(sam))
    for page in (alex_page, sam_page):
        expect(page.locator(".conversation")).to_have_count(1)
        page.keyboard.press("r")
        expect(page.locator("#thread .msg-inbound")).to_have_count(1)

    # Both write; Sam sends first. Alex's screen shows Sam's reply as new, and his send is refused.
    alex_page.keyboard.type("Yes, 10 to 4!")
    sam_page.keyboard.type("Hi Tom, yes: 10:00-16:00.")
    sam_page.keyboard.press("Control+Enter")
    expect(sam_page.locator("#thread .msg-outbound .delivery-state")).to_have_text("Sent")
    expect(alex_page.locator("#thread .msg-outbound.is-new")).to_have_count(1)
    alex_page.keyboard.press("Control+Enter")
    conflict = alex_page.locator("#conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text("a reply was sent")
    expect(conflict.locator(".conflict-messages")).to_contain_text("Hi Tom, yes: 10:00-16:00.")
    expect(alex_page.locator("#composer-text")).to_have_value("Yes, 10 to 4!")  # nothing lost while deciding
    conflict.locator(".discard-reply").click()
    expect(conflict).to_be_hidden()
    expect(alex_page.locator("#composer-text")).to_have_value("")
    assert [r["text"] for r in sandbox_replies(sandbox)] == ["Hi Tom, yes: 10:00-16:00."]

    # The customer writes again while Alex drafts: refused once, then he sends anyway with Ctrl+Enter.
    alex_page.locator("#composer-text").focus()
    alex_page.keyboard.type("Anything else, Tom?")
    mention(app, db, sandbox, account, "and on holidays?", author={"id": "900002", "username": "tom"})
    expect(alex_page.locator("#thread .msg-inbound.is-new")).to_contain_text("and on holidays?")
    alex_page.keyboard.press("Control+Enter")
    expect(conflict).to_contain_text("the customer wrote again")
    alex_page.keyboard.press("Control+Enter")
    expect(conflict).to_be_hidden()
    expect(alex_page.locator("#thread .msg-outbound .delivery-state")).to_have_text(["Sent", "Sent"])
    assert [r["text"] for r in sandbox_replies(sandbox)] == ["Anything else, Tom?", "Hi Tom, yes: 10:00-16:00."]
    assert alex_page.errors == [] and sam_page.errors == []


def test_a_refused_reply_shows_the_network_reason_and_can_be_discarded(app, db, sandbox, open_page, make_user):
    account = connect(db, sandbox, "twitter")
    alex = make_user("agent", name="Alex Agent")
    tweet = mention(app, db, sandbox, account, "where is my parcel", author={"id": "900003", "username": "li"})
    page = live(open_page(alex))
    sandbox.network.delete(tweet.id)  # the customer deleted the tweet before we answered
    page.keyboard.press("r")
    page.keyboard.type("Let me check.")
    page.keyboard.press("Control+Enter")
    failed = page.locator("#thread .msg-outbound .delivery")
    expect(failed.locator(".delivery-state")).to_have_text("Failed")
    expect(failed.locator(".delivery-error")).to_contain_text("deleted")
    expect(failed.locator("button.retry")).to_be_visible()
    failed.locator("button.discard").click()
    expect(page.locator("#thread .msg-outbound")).to_have_count(0)
    assert sandbox_replies(sandbox) == []
    assert page.errors == []
