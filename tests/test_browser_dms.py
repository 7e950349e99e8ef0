"""Private conversations in the inbox, in a real browser against the live app and the sandbox.

The first test needs only what the branch has: the channel filter in the URL, the DM marker on rows and in
the header, the "m" key in the shortcut help and its dialog, the messaging window in the composer (from
the detail's `reply_window`), refusals said in sentences (the API's 422 codes, answered here by a routed
endpoint in the contract's error shape; a failed message's delivery_error_code), and hostile DM text shown
as text. The second is the whole story of issue 14:
an agent answers a mention with the keyboard, moves it to DM with m + Ctrl+Enter, sees the private
conversation beside the public one, the customer's DM arrives live (the poll brings it), and the agent
answers it with the keyboard (a canned response), delivered to the sandbox. It runs once the server side
of the contract (POST /conversations/{id}/move-to-private, DM polling) is there.
"""
import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from app.conversations.windows import x_dm_link
from app.ingest.items import InboundAuthor, InboundItem
from app.ingest.pipeline import ingest
from app.models import CannedResponse
from tests.conftest import writing
from tests.fixtures.browser import screenshot
from tests.fixtures.polling import connect
from tests.test_browser_inbox import BRAND, live, mention, poll_now, sandbox_replies

MARIA = {"id": "900001", "username": "maria_k", "name": "Maria K"}
HOSTILE = '<img src=x onerror="window.__pwned=1">my order is 1234'
DEFAULT_MOVE_TEXT = "Hello, we have moved our conversation to a private message so we can help you with your details."


def private_message(db, account, external_id, text, author=MARIA, minutes_ago=1):
    """A customer's DM ingested the way the poller does it (channel "private")."""
    created = datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)
    who = InboundAuthor(author["id"], handle=author["username"], name=author["name"])
    with writing(db) as session:
        (result,) = ingest(session, account, [InboundItem(external_id, text, created, who, channel="private")])
    return result.conversation_id


def set_reply_window(page, reply_window):
    """Give the open conversation a `reply_window` as GET /conversations/{id} answers it (the contract's shape)."""
    page.evaluate("""async (replyWindow) => {
        const { state } = await import("/static/js/inbox/store.js");
        const composer = await import("/static/js/inbox/composer.js");
        state.detail.reply_window = replyWindow;
        composer.detailLoaded(state.detail);
    }""", reply_window)


def refuse_replies(page, code, details=None):
    """The replies endpoint answers a 422 refusal with `code` (the contract's error shape), nothing queued."""
    body = {"error": {"code": code, "message": f"refused: {code}", **({"details": details} if details else {})}}
    page.unroute("**/api/v1/conversations/*/replies")
    page.route("**/api/v1/conversations/*/replies", lambda route: route.fulfill(status=422, json=body))


def iso_in(**delta):
    return (datetime.now(timezone.utc) + timedelta(**delta)).isoformat()


def test_channel_filter_markers_move_key_and_the_messaging_window(app, db, sandbox, open_page, make_user):
    account = connect(db, sandbox, "twitter")
    alex = make_user("agent", name="Alex Agent")
    mention(app, db, sandbox, account, "my parcel never arrived", author=MARIA)
    private_message(db, account, "dm-1", HOSTILE)
    page = live(open_page(alex))
    rows = page.locator(".conversation")
    expect(rows).to_have_count(2)

    # The private row says so, in words beside the icon; the public one has no mark.
    private_row = rows.filter(has=page.locator(".channel-private"))
    expect(private_row).to_have_count(1)
    expect(private_row.locator(".channel-private .channel-name")).to_have_text("Private")
    expect(private_row.locator(".channel-icon")).to_have_attribute("aria-hidden", "true")
    expect(private_row.locator(".snippet")).to_have_text(HOSTILE)  # as text, never markup
    expect(rows.filter(has_not=page.locator(".channel-private")).locator(".snippet")).to_contain_text("never arrived")

    # The channel filter: in the URL like the others, kept across a reload.
    page.locator(".ib-seg[data-filter=channel] button[data-value=private]").click()
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".channel-private")).to_be_visible()
    assert re.search(r"[?&]channel=private\b", page.url)
    page.reload()
    live(page)
    expect(page.locator(".ib-seg[data-filter=channel] button[data-value=private]")).to_have_attribute("aria-pressed", "true")
    expect(rows).to_have_count(1)

    # The private conversation's header names its channel; it has no "Move to DM".
    page.keyboard.press("Enter")
    head = page.locator("#conversation-head")
    expect(head.locator(".channel-private")).to_have_text(re.compile("Private"))
    expect(head.locator(".move-to-dm")).to_have_count(0)
    expect(page.locator("#thread .msg-inbound .msg-text")).to_have_text(HOSTILE)

    # The messaging window (Messenger's 24 hours, then the human-agent tag, then closed), ticking live.
    page.locator("#composer-text").fill("Thanks, checking now.")
    window = page.locator("#composer-window")
    set_reply_window(page, {"state": "open", "closes_at": iso_in(hours=3, minutes=12, seconds=30),
                            "human_agent_until": iso_in(days=6)})
    expect(window).to_have_text(re.compile(r"^Window closes in 3 hr,? 12 min$"))
    set_reply_window(page, {"state": "open", "closes_at": iso_in(minutes=2, seconds=10), "human_agent_until": None})
    first = window.text_content()
    expect(window).not_to_have_text(first)  # seconds tick down without a server call
    expect(page.locator("#composer-send")).to_be_enabled()
    set_reply_window(page, {"state": "human_agent", "closes_at": iso_in(hours=-1), "human_agent_until": iso_in(days=5)})
    expect(window).to_contain_text("Only the human-agent tag is allowed: sent tagged HUMAN_AGENT")
    expect(page.locator("#composer-send")).to_be_enabled()

    # Refusals before queueing (the API's 422 codes) and by the network (delivery_error_code), in our words.
    error = page.locator("#composer-error")
    for code, details, said in [
        ("reply_too_long", [{"length": 10001, "limit": 10000}], "Not sent: 10,001 characters, the limit here is 10,000."),
        ("recipient_refuses_dms", None, "Not sent: this customer does not accept direct messages from the brand."),
        ("outside_window", None, "Not sent: the messaging window has closed. The customer must write first."),
    ]:
        refuse_replies(page, code, details)
        page.locator("#composer-text").focus()
        page.keyboard.press("Control+Enter")
        expect(error).to_have_text(said)
        expect(page.locator("#composer-text")).to_have_value("Thanks, checking now.")  # nothing lost
    expect(window).to_have_text("Closed: the customer must write first")  # outside_window closes it here too
    page.unroute("**/api/v1/conversations/*/replies")
    page.evaluate("""async () => {
        const { state } = await import("/static/js/inbox/store.js");
        const conversation = await import("/static/js/inbox/conversation.js");
        conversation.applyMessage({
            id: 99999, conversation_id: state.openId, direction: "outbound", text: "Hello?", is_native: false,
            created_at: new Date().toISOString(), author: { user_id: null, name: "Demo" }, send_as: null,
            delivery_status: "failed", delivery_error: "You cannot send messages to this user.",
            delivery_error_code: "recipient_refuses_dms" }, { seen: true });
    }""")
    failed = page.locator("#thread .msg-outbound .delivery")
    expect(failed.locator(".delivery-reason")).to_have_text("Not sent: this customer does not accept direct messages from the brand.")
    expect(failed.locator(".delivery-error")).to_have_text("You cannot send messages to this user.")

    set_reply_window(page, {"state": "open", "closes_at": iso_in(seconds=2), "human_agent_until": None})
    expect(window).to_have_text("Closed: the customer must write first", timeout=5000)  # the clock closed it
    expect(page.locator("#composer-send")).to_be_disabled()
    expect(page.locator("#composer-send")).to_have_attribute("aria-describedby", "composer-window")
    page.locator("[data-mode=note]").click()  # a note for the team is never refused
    expect(window).to_be_hidden()
    expect(page.locator("#composer-send")).to_be_enabled()
    screenshot(page, "dm-window-closed")

    # Back to all channels: the public conversation offers "Move to DM"; m opens its dialog (Esc closes it).
    page.keyboard.press("Escape")
    page.locator(".ib-seg[data-filter=channel] button[data-value='']").click()
    expect(rows).to_have_count(2)
    assert "channel=" not in page.url
    rows.filter(has_not=page.locator(".channel-private")).click()
    expect(head.locator(".channel-public")).to_have_text(re.compile("Public"))
    expect(head.locator(".move-to-dm")).to_be_enabled()
    expect(head.locator(".move-to-dm")).to_have_attribute("aria-keyshortcuts", "m")
    page.locator("#conversation-list").focus()
    page.keyboard.press("?")
    expect(page.locator("#shortcuts")).to_contain_text("move a public conversation to a private message (DM)")
    page.keyboard.press("Escape")
    page.keyboard.press("m")
    dialog = page.locator("#move-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#move-text")).to_be_focused()
    expect(page.locator("#move-text")).to_have_value(DEFAULT_MOVE_TEXT)
    screenshot(page, "dm-move-dialog")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert page.evaluate("window.__pwned") is None
    assert page.errors == []


def move_to_private_is_served(app):
    return any(rule.rule.endswith("/move-to-private") for rule in app.url_map.iter_rules())


def test_answer_a_mention_move_it_to_dm_and_answer_the_dm_live_with_the_keyboard(app, db, sandbox, open_page, make_user):
    if not move_to_private_is_served(app):
        pytest.skip("waits for the server side of the contract: POST /conversations/{id}/move-to-private, DM polling")
    account = connect(db, sandbox, "twitter")
    alex = make_user("agent", name="Alex Agent")
    with writing(db) as session:
        session.add(CannedResponse(title="Thanks", shortcut="thanks", text="Thank you {{contact.name}}, {{agent.name}} here."))
    page = live(open_page(alex))
    tweet = mention(app, db, sandbox, account, "my order never arrived", author=MARIA)
    row = page.locator(".conversation").first
    expect(row.locator(".who")).to_have_text("Maria K @maria_k")
    expect(page.locator("[data-count='channel.public']")).to_have_text("1")

    # The public answer, with the keyboard.
    page.evaluate("window.sameDocument = true")
    page.keyboard.press("r")
    page.keyboard.type("Sorry, Maria! Let us look into it.")
    expect(page.locator("#composer-count")).to_have_text("34 / 280")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#thread .msg-outbound .delivery-state")).to_have_text("Sent")
    public_id = int(row.get_attribute("data-id"))

    # m, the default first message, Ctrl+Enter: the view switches to the private conversation.
    page.keyboard.press("Escape")
    page.keyboard.press("m")
    expect(page.locator("#move-text")).to_have_value(DEFAULT_MOVE_TEXT)
    page.keyboard.press("Control+Enter")
    expect(page.locator("#move-dialog")).to_be_hidden()
    head = page.locator("#conversation-head")
    expect(head.locator(".channel-private")).to_be_visible()
    expect(page.locator("#composer-text")).to_be_focused()  # the composer now writes to the private one
    expect(page.locator("#composer-count")).to_have_text("0 / 10,000")
    expect(page.locator("#composer-window")).to_be_hidden()  # X DMs have no messaging window
    expect(page.locator("#thread .msg-outbound .msg-text")).to_have_text(DEFAULT_MOVE_TEXT)
    expect(page.locator("#thread .msg-outbound .delivery-state")).to_have_text("Sent")
    replies = sandbox_replies(sandbox)
    assert sorted((r["text"], r["in_reply_to"]) for r in replies) == sorted([
        ("Sorry, Maria! Let us look into it.", tweet.id),
        (f"{DEFAULT_MOVE_TEXT} {x_dm_link(BRAND)}", tweet.id),  # public: the DM deep link
        (DEFAULT_MOVE_TEXT, None),  # the first DM, Maria accepts DMs
    ])

    # Public and private side by side: in the strip above the thread and in the customer panel.
    strip = page.locator("#related .related-item")
    expect(strip).to_have_count(2)
    expect(strip.nth(0).locator(".channel-public")).to_be_visible()
    expect(strip.nth(1)).to_have_attribute("aria-current", "true")
    expect(page.locator(".ib-customer .cust-related-item")).to_have_count(2)
    expect(page.locator(f"#conv-{public_id} .channel-moved")).to_have_text("moved to DM")
    expect(page.locator("[data-count='channel.private']")).to_have_text("1")
    private_id = int(page.evaluate("(async () => (await import('/static/js/inbox/store.js')).state.openId)()"))
    assert private_id != public_id

    # The customer's DM arrives live (the poll brings it), and the agent answers it with the keyboard.
    sandbox.network.inject_dm(BRAND, "The order number is 1234", author=MARIA)
    poll_now(app, db, account.id)
    expect(page.locator("#thread .msg-inbound .msg-text")).to_have_text("The order number is 1234")
    expect(page.locator(f"#conv-{private_id} .snippet")).to_have_text("The order number is 1234")
    page.locator("#composer-text").focus()
    page.keyboard.type("/thanks")
    expect(page.locator("#suggestions")).to_contain_text("/thanks")
    page.keyboard.press("Tab")  # canned responses work in DMs as in public replies
    page.keyboard.type(" It ships today.")
    expect(page.locator("#composer-text")).to_have_value("Thank you Maria K, Alex Agent here. It ships today.")
    page.keyboard.press("Control+Enter")
    sent = page.locator("#thread .msg-outbound")
    expect(sent.last.locator(".msg-text")).to_have_text("Thank you Maria K, Alex Agent here. It ships today.")
    expect(sent.last.locator(".delivery-state")).to_have_text("Sent")
    dms = [r["text"] for r in sandbox_replies(sandbox) if r["in_reply_to"] is None]
    assert sorted(dms) == sorted([DEFAULT_MOVE_TEXT, "Thank you Maria K, Alex Agent here. It ships today."])
    screenshot(page, "dm-private-conversation")

    # The public conversation links to where it went; the link switches back.
    strip.nth(0).click()
    expect(head.locator(".channel-public")).to_be_visible()
    head.locator(".moved-link").click()
    expect(head.locator(".channel-private")).to_be_visible()
    assert page.evaluate("window.sameDocument") is True  # all of it without a page load
    assert page.errors == []
