"""Instagram in the inbox, in a real browser (Playwright driving Debian's chromium) against the live app.

The first test needs no network: Instagram conversations are ingested the way the poller and the push receiver
do it (app.ingest.pipeline.ingest with InboundItems and their InboundPost), and the agent, with the keyboard,
filters by network, opens a comment (the context card above the run: thumbnail, caption, kind, link), a
reply to a reply (Instagram's one level of replies), a hidden comment (the refusal in our words, before
sending and as a delivery_error_code), a caption mention ("Mentioned in @owner's post") and a DM (Instagram's
1,000 characters). Where the server does not serve the contract's JSON yet (the detail's `posts`, each
message's `post_external_id`, Instagram's reply limit and Private Reply), the test adds those parts to the
detail's answer in the contract's shape, so the page is checked against the contract either way.

The second is the whole story over the sandbox: a customer comments on the brand's media, the poll brings it,
the agent answers with Ctrl+Enter and the sandbox has the reply on that comment; a customer's DM is answered
the same way; a comment the brand hid is refused by the network and the thread says why; a caption mention
arrives by push and its card says whose post it is. It runs once the Instagram connector, the sandbox's
Instagram slice and the server's detail JSON are there.
"""
import importlib.util
import re
from datetime import datetime, timedelta, timezone

import pytest
import requests
from playwright.sync_api import expect

from app.ingest.items import InboundAuthor, InboundItem, InboundPost
from app.ingest.pipeline import ingest
from app.models import SocialAccount, utcnow
from app.sandbox.demo_accounts import DEMO_INSTAGRAM
from tests.conftest import writing
from tests.fixtures.browser import screenshot
from tests.test_browser_csp import WATCH_VIOLATIONS
from tests.test_browser_inbox import live, poll_now

pytestmark = pytest.mark.browser

IG_USER = DEMO_INSTAGRAM["ig_user_id"]
MARIA = InboundAuthor("6100000000000001", handle="maria.k", name="Maria K")
LENA = InboundAuthor("6100000000000005", handle="lena.style", name="Lena")
TOM = InboundAuthor("6100000000000009", handle="tom_b", name="Tom B")
ZARA = InboundAuthor("6100000000000011", handle="zara.live", name="Zara")
HOSTILE_CAPTION = '<img src=x onerror="window.__pwned=1"> Our autumn drop is here 🍂 ' + "Soft wool, warm colours. " * 12
REEL = InboundPost("17900000000000001", caption=HOSTILE_CAPTION, permalink="https://www.instagram.com/reel/C1autumn/",
                   thumbnail_url="https://scontent.cdninstagram.com/v/t51.2885-15/autumn-reel.jpg",
                   media_type="VIDEO", product_type="REELS", owner_handle=DEMO_INSTAGRAM["username"], owned=True)
PHOTO = InboundPost("17900000000000002", caption="New store in Lisbon", permalink="https://www.instagram.com/p/C2lisbon/",
                    thumbnail_url="https://scontent.cdninstagram.com/v/t51.2885-15/lisbon.jpg",
                    media_type="IMAGE", product_type="FEED", owner_handle=DEMO_INSTAGRAM["username"], owned=True)
LIVE = InboundPost("17900000000000003", caption="Live from the Lisbon opening", permalink="https://www.instagram.com/p/C3live/",
                   thumbnail_url=None, media_type="VIDEO", product_type="LIVE", owner_handle=DEMO_INSTAGRAM["username"])
# Someone else's media whose caption mentions the brand (the item's external id is the media's own).
LENAS = InboundPost("17900000000000077", caption="Loving my new jacket from carebox.demo",
                    permalink="https://www.instagram.com/p/C9lena/", thumbnail_url=None,
                    media_type="CAROUSEL_ALBUM", product_type="FEED", owner_handle="lena.style", owned=False)
REFUSALS = {
    "comment_hidden": "Not sent: the comment is hidden, and Instagram does not allow replies to a hidden comment.",
    "comment_deleted": "Not sent: the comment was deleted.",
    "live_comment": "Not sent: Instagram does not allow replies to comments on a live video.",
    "comments_disabled": "Not sent: comments are turned off on this post.",
}
ONE_LEVEL = "Instagram keeps one level of replies: this reply goes under the top-level comment this one answers."


def instagram_account(db, api_base_url=None):
    """The demo Instagram account as a committed SocialAccount (created as the server creates it when it can)."""
    from app.accounts import CREDENTIAL_KEYS, create_account

    with writing(db) as session:
        if "instagram" in CREDENTIAL_KEYS:
            credentials = {k: v for k, v in DEMO_INSTAGRAM.items() if k in CREDENTIAL_KEYS["instagram"]}
            account = create_account(session, network="instagram", name="Carebox Instagram",
                                     api_base_url=api_base_url, credentials=credentials)
        else:  # before the server side of the contract: the account as the contract describes it
            account = SocialAccount(network="instagram", name="Carebox Instagram", enabled=True, cursor={},
                                    health="unknown", next_poll_at=utcnow() + timedelta(days=1),
                                    external_id=IG_USER, handle=DEMO_INSTAGRAM["username"], human_agent_enabled=False)
            account.credentials = {}
            session.add(account)
            session.flush()
    return account


def seed(db, account_id, items):
    """Ingest `items` as the poller does; the conversation id of each."""
    with writing(db) as session:
        account = session.get(SocialAccount, account_id)
        return [result.conversation_id for result in ingest(session, account, items)]


def ago(minutes):
    return datetime.now(timezone.utc) - timedelta(minutes=minutes)


def comment(external_id, text, author, post, parent=None, minutes=5):
    return InboundItem(external_id, text, ago(minutes), author, in_reply_to=parent or post.external_id,
                       thread_id=parent or external_id, network="instagram", post=post)


def serve_contract(page, posts_by_message):
    """Fill in the contract's parts of GET /conversations/{id} when the server's answer lacks them: posts by
    external id, each message's post_external_id, Instagram's public reply limit, Private Reply to move to DM."""
    def fulfil(route):
        response = route.fetch()
        body = response.json()
        if "posts" not in body:
            posts = {}
            for message in body.get("messages", []):
                post = posts_by_message.get(message["external_id"])
                message["post_external_id"] = post.external_id if post else None
                if post:
                    posts[post.external_id] = post_json(post)
            body["posts"] = posts
            if body.get("network") == "instagram" and body.get("channel") == "public":
                body["reply_limit"] = {"network": "instagram", "max": 2200, "counting": "characters"}
                body["can_move_to_private"] = {"allowed": True, "reason": None, "via": "private_reply"}
        route.fulfill(response=response, json=body)

    page.route(re.compile(r".*/api/v1/conversations/\d+$"), fulfil)


def post_json(post):
    return {"external_id": post.external_id, "caption": post.caption, "permalink": post.permalink,
            "thumbnail_url": post.thumbnail_url, "media_type": post.media_type, "product_type": post.product_type,
            "owner_handle": post.owner_handle, "owned": post.owned,
            "posted_at": post.posted_at.isoformat() if post.posted_at else None}


def refuse_replies(page, code):
    body = {"error": {"code": code, "message": f"refused: {code}"}}
    page.unroute("**/api/v1/conversations/*/replies")
    page.route("**/api/v1/conversations/*/replies", lambda route: route.fulfill(status=422, json=body))


def open_row(page, text):
    """Put the list cursor on the row whose snippet has `text` (j/k), then Enter: the keyboard alone."""
    rows = page.locator(".conversation")
    expect(rows.filter(has_text=text)).to_have_count(1)
    page.locator("#conversation-list").focus()
    target = rows.filter(has_text=text).get_attribute("id")
    for _ in range(rows.count()):
        if page.locator("#conversation-list").get_attribute("aria-activedescendant") == target:
            break
        page.keyboard.press("j")
    else:
        for _ in range(rows.count()):
            if page.locator("#conversation-list").get_attribute("aria-activedescendant") == target:
                break
            page.keyboard.press("k")
    assert page.locator("#conversation-list").get_attribute("aria-activedescendant") == target
    page.keyboard.press("Enter")
    expect(page.locator("#thread .msg-inbound").filter(has_text=text).first).to_be_visible()


def test_instagram_comments_mentions_and_dms_in_the_inbox_with_the_keyboard(app, db, open_page, make_user, custom_account):
    account = instagram_account(db)
    seed(db, account.id, [
        comment("ig-c-1", "Does it come in size M?", MARIA, REEL, minutes=30),
        comment("ig-c-2", "And in blue?", MARIA, REEL, parent="ig-c-1", minutes=20),
        comment("ig-c-9", "Where is my refund???", TOM, PHOTO, minutes=10),
        comment("ig-live-1", "Is the store open late tonight?", ZARA, LIVE, minutes=9),
        InboundItem(LENAS.external_id, LENAS.caption, ago(8), LENA, network="instagram", post=LENAS),
        InboundItem("mid.ig-1", "Hi, where is my order 1234?", ago(3), MARIA, network="instagram", channel="private"),
    ])
    with writing(db) as session:  # another network's conversation, for the filter
        ingest(session, session.get(SocialAccount, custom_account.id),
               [InboundItem("web-1", "Web chat question", ago(2), InboundAuthor("w1", name="Walt"))])
    alex = make_user("agent", name="Alex Agent")
    page = open_page(alex)
    serve_contract(page, {"ig-c-1": REEL, "ig-c-2": REEL, "ig-c-9": PHOTO, "ig-live-1": LIVE, LENAS.external_id: LENAS})
    live(page)
    rows = page.locator(".conversation")
    expect(rows).to_have_count(6)

    # The network in words on every row (the mark beside it is hidden from screen readers), and as a filter.
    ig_rows = rows.filter(has=page.locator(".network-instagram"))
    expect(ig_rows).to_have_count(5)
    expect(ig_rows.first.locator(".network-name")).to_have_text("Instagram")
    expect(ig_rows.first.locator(".network-icon")).to_have_attribute("aria-hidden", "true")
    page.select_option("#f-network", "instagram")
    expect(rows).to_have_count(5)
    assert re.search(r"[?&]network=instagram\b", page.url)
    expect(page.locator("#f-network option[value=instagram]")).to_have_text("Instagram")

    # A comment on the brand's reel: the context card above its run of messages.
    open_row(page, "And in blue?")  # the row shows the latest comment of the thread
    expect(page.locator("#thread .msg-inbound")).to_have_count(2)
    head = page.locator("#conversation-head")
    expect(head.locator(".network-instagram .network-name")).to_have_text("Instagram")
    cards = page.locator("#thread > .post-card")
    expect(cards).to_have_count(1)
    card = cards.first
    expect(card).to_have_attribute("data-post", REEL.external_id)
    assert page.locator("#thread > li").first.get_attribute("class").startswith("post-card")  # above the run
    expect(card.locator(".post-kind")).to_have_text("Reel")
    caption = card.locator(".post-caption")
    expect(caption).to_have_text(HOSTILE_CAPTION.strip())  # text, never markup
    expect(caption).to_have_attribute("dir", "auto")
    expect(caption).to_have_class(re.compile(r"\bis-clamped\b"))
    thumb = card.locator("img.post-thumb")
    expect(thumb).to_have_attribute("src", REEL.thumbnail_url)
    expect(thumb).to_have_attribute("loading", "lazy")
    expect(thumb).to_have_attribute("referrerpolicy", "no-referrer")
    assert thumb.get_attribute("alt").startswith('<img src=x onerror="window.__pwned=1"> Our autumn drop')
    link = card.locator("a.post-link")
    expect(link).to_have_text("Open on Instagram")
    expect(link).to_have_attribute("href", REEL.permalink)
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(card.locator(".post-owner")).to_have_count(0)  # the brand's own media
    # Keyboard reachable: the caption's button and the link take the focus; Enter shows the whole caption.
    more = card.locator(".post-more")
    more.focus()
    expect(more).to_be_focused()
    page.keyboard.press("Enter")
    expect(more).to_have_attribute("aria-expanded", "true")
    expect(caption).not_to_have_class(re.compile(r"\bis-clamped\b"))
    page.keyboard.press("Tab")
    expect(link).to_be_focused()
    screenshot(page, "instagram-comment-card")

    # Instagram's limit, and its one level of replies: answering the reply goes under the top-level comment.
    page.keyboard.press("Escape")
    page.locator("#conversation-list").focus()
    page.keyboard.press("r")
    expect(page.locator("#composer-text")).to_be_focused()
    page.keyboard.type("Yes, M and L!")
    expect(page.locator("#composer-count")).to_have_text("13 / 2,200")
    expect(page.locator("#reply-target")).to_contain_text("And in blue?")  # the latest comment: a reply
    expect(page.locator("#composer-note")).to_have_text(ONE_LEVEL)
    page.locator("#thread .msg-inbound", has_text="Does it come in size M?").locator(".reply-to").click()
    expect(page.locator("#composer-note")).to_be_hidden()  # a top-level comment: the reply goes right under it
    page.locator("[data-mode=note]").click()
    expect(page.locator("#composer-note")).to_be_hidden()
    page.locator("[data-mode=reply]").click()

    # Move to DM by Private Reply, said in Instagram's terms (Esc closes the dialog).
    page.keyboard.press("Escape")
    page.locator("#conversation-list").focus()
    page.keyboard.press("m")
    expect(page.locator("#move-dialog")).to_be_visible()
    expect(page.locator("#move-how")).to_have_text(
        "Sent as the one private reply Instagram allows to the customer's comment. "
        "The customer's answer opens the 24-hour messaging window.")
    page.keyboard.press("Escape")
    expect(page.locator("#move-dialog")).to_be_hidden()

    # A hidden comment: Instagram refuses, before sending (422) and as a failed delivery; said in our words.
    open_row(page, "Where is my refund???")
    expect(page.locator("#thread > .post-card .post-kind")).to_have_text("Post")
    page.keyboard.press("Escape")
    page.locator("#conversation-list").focus()
    page.keyboard.press("r")
    page.keyboard.type("We are sorry, Tom.")
    error = page.locator("#composer-error")
    for code, said in REFUSALS.items():
        refuse_replies(page, code)
        page.keyboard.press("Control+Enter")
        expect(error).to_have_text(said)
        expect(page.locator("#composer-text")).to_have_value("We are sorry, Tom.")  # nothing lost
    page.unroute("**/api/v1/conversations/*/replies")
    page.evaluate("""async () => {
        const { state } = await import("/static/js/inbox/store.js");
        const conversation = await import("/static/js/inbox/conversation.js");
        conversation.applyMessage({
            id: 99999, conversation_id: state.openId, direction: "outbound", text: "We are sorry, Tom.",
            is_native: false, created_at: new Date().toISOString(), author: { user_id: null, name: "Carebox" },
            send_as: null, in_reply_to: "ig-c-9", post_external_id: "17900000000000002",
            delivery_status: "failed", delivery_error: "(#100) The comment is hidden.",
            delivery_error_code: "comment_hidden" }, { seen: true });
    }""")
    failed = page.locator("#thread .msg-outbound .delivery")
    expect(failed.locator(".delivery-reason")).to_have_text(REFUSALS["comment_hidden"])
    expect(failed.locator(".delivery-error")).to_have_text("(#100) The comment is hidden.")
    expect(page.locator("#thread > .post-card")).to_have_count(1)  # the reply joins its post's run
    screenshot(page, "instagram-hidden-comment")

    # A comment on a live video: no public reply on Instagram, said before the agent writes one.
    page.keyboard.press("Escape")
    open_row(page, "Is the store open late tonight?")
    expect(page.locator("#thread > .post-card .post-kind")).to_have_text("Live video")
    page.keyboard.press("Escape")
    page.locator("#conversation-list").focus()
    page.keyboard.press("r")
    expect(page.locator("#composer-note")).to_have_text(
        "Instagram does not allow public replies to comments on a live video: move it to DM (a private reply) "
        "while the video is live.")

    # A caption mention in someone else's post.
    page.keyboard.press("Escape")
    open_row(page, "Loving my new jacket")
    mention_card = page.locator("#thread > .post-card")
    expect(mention_card).to_have_count(1)
    expect(mention_card.locator(".post-owner")).to_have_text("Mentioned in @lena.style's post")
    expect(mention_card.locator(".post-kind")).to_have_text("Carousel")
    expect(mention_card.locator("img")).to_have_count(0)  # no thumbnail given: none loaded
    expect(mention_card.locator("a.post-link")).to_have_attribute("href", LENAS.permalink)
    page.keyboard.press("Escape")
    page.locator("#conversation-list").focus()
    page.keyboard.press("r")
    expect(page.locator("#composer-note")).to_have_text(
        "This reply is posted as a comment on @lena.style's post, where the brand was mentioned.")
    screenshot(page, "instagram-mention")

    # The customer's DM: Instagram's 1,000 characters, no post card.
    open_row(page, "Hi, where is my order 1234?")
    expect(head.locator(".channel-private")).to_be_visible()
    expect(page.locator("#thread > .post-card")).to_have_count(0)
    page.keyboard.press("Escape")
    page.locator("#conversation-list").focus()
    page.keyboard.press("r")
    page.keyboard.type("Checking!")
    expect(page.locator("#composer-count")).to_have_text("9 / 1,000")
    expect(page.locator("#composer-note")).to_be_hidden()
    screenshot(page, "instagram-dm")
    assert page.evaluate("window.__pwned") is None
    assert page.errors == []


def instagram_stack_is_there(sandbox):
    """The connector, the sandbox's Instagram slice and Instagram accounts on the server."""
    from app.accounts import CREDENTIAL_KEYS

    return (importlib.util.find_spec("app.connectors.instagram") is not None and "instagram" in CREDENTIAL_KEYS
            and getattr(sandbox.network, "instagram", None) is not None)


def control(sandbox, path, body):
    """The sandbox's control API (/_sandbox/instagram/…): what customers do on Instagram."""
    resp = requests.post(f"{sandbox.url}/_sandbox/instagram/{path}", json=body, timeout=5)
    resp.raise_for_status()
    return resp.json()


def sent_on_instagram(sandbox):
    resp = requests.get(f"{sandbox.url}/_sandbox/instagram/sent", timeout=5)
    resp.raise_for_status()
    return resp.json()["sent"]


@pytest.mark.config(CAREBOX_FACEBOOK_VERIFY_TOKEN="verify-me")
def test_answer_an_instagram_comment_and_an_instagram_dm_with_the_keyboard(app, db, sandbox, live_server, open_page,
                                                                          make_user):
    if not instagram_stack_is_there(sandbox):
        pytest.skip("waits for the Instagram connector, the sandbox's Instagram slice and Instagram accounts")
    from tests.test_instagram_push import subscribe

    app.config["CAREBOX_IMAGE_SOURCES"] = sandbox.url  # the sandbox serves the media's pictures itself
    account = instagram_account(db, api_base_url=sandbox.url)
    subscribe(sandbox, f"{live_server.url}/hooks/facebook")  # the signed webhooks reach the live app
    alex = make_user("agent", name="Alex Agent")
    page = open_page(alex)
    page.context.add_init_script(WATCH_VIOLATIONS)  # from the next page load on
    page.reload()
    live(page)
    reel = control(sandbox, "media", {"account": IG_USER, "caption": "Autumn drop: wool coats 🧥", "kind": "reel"})
    customer = {"username": "maria.k"}
    commented = control(sandbox, "comments", {"media_id": reel["id"], "text": "Does it come in size M?", "author": customer})
    poll_now(app, db, account.id)

    row = page.locator(".conversation").filter(has_text="Does it come in size M?")
    expect(row.locator(".network-instagram .network-name")).to_have_text("Instagram")
    page.evaluate("window.sameDocument = true")
    page.keyboard.press("r")  # the most urgent conversation, the cursor in the composer
    expect(page.locator("#composer-text")).to_be_focused()
    card = page.locator("#thread > .post-card")
    expect(card).to_have_count(1)
    expect(card.locator(".post-kind")).to_have_text("Reel")
    expect(card.locator(".post-caption")).to_have_text("Autumn drop: wool coats 🧥")
    expect(card.locator("a.post-link")).to_have_attribute("href", reel["permalink"])
    thumb = card.locator("img.post-thumb")
    expect(thumb).to_have_attribute("alt", "Autumn drop: wool coats 🧥")
    assert thumb.get_attribute("src").startswith(sandbox.url)
    page.wait_for_function("document.querySelector('#thread img.post-thumb').complete && "
                           "document.querySelector('#thread img.post-thumb').naturalWidth > 0")  # CSP let it load
    expect(page.locator("#composer-count")).to_have_text("0 / 2,200")
    page.keyboard.type("Yes, M is in stock!")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#thread .msg-outbound .delivery-state")).to_have_text("Sent")
    replies = [s for s in sent_on_instagram(sandbox) if s["kind"] == "reply"]
    assert [(r["text"], r["in_reply_to"]) for r in replies] == [("Yes, M is in stock!", commented["id"])]
    screenshot(page, "instagram-comment-answered")

    # A comment the brand hid on Instagram: the network refuses the reply, and the thread says why in our words.
    hidden = control(sandbox, "comments", {"media_id": reel["id"], "text": "Scam!! Do not buy", "author": {"username": "tom_b"}})
    requests.patch(f"{sandbox.url}/_sandbox/instagram/comments/{hidden['id']}", json={"hidden": True},
                   timeout=5).raise_for_status()
    poll_now(app, db, account.id)
    page.keyboard.press("Escape")
    open_row(page, "Scam!! Do not buy")
    page.keyboard.press("Escape")
    page.locator("#conversation-list").focus()
    page.keyboard.press("r")
    page.keyboard.type("Hi Tom, can we help?")
    page.keyboard.press("Control+Enter")
    failed = page.locator("#thread .msg-outbound .delivery")
    expect(failed.locator(".delivery-state")).to_have_text("Failed")
    expect(failed.locator(".delivery-reason")).to_have_text(REFUSALS["comment_hidden"])
    assert "Hi Tom, can we help?" not in [s["text"] for s in sent_on_instagram(sandbox)]
    screenshot(page, "instagram-hidden-comment-refused")

    # A customer mentions the brand in the caption of their own post: pushed (ids only), read through
    # mentioned_media, on the screen without a poll; the card says whose post it is.
    control(sandbox, "mentions", {"account": IG_USER, "in": "caption", "text": "Loving my new coat",
                                  "author": {"username": "lena.style"}})
    page.keyboard.press("Escape")
    open_row(page, "Loving my new coat")
    expect(page.locator("#thread > .post-card .post-owner")).to_have_text("Mentioned in @lena.style's post")
    screenshot(page, "instagram-caption-mention")

    # The customer's DM (the same person: one contact), answered the same way.
    control(sandbox, "messages", {"account": IG_USER, "text": "Hi, where is my order?", "sender": customer})
    poll_now(app, db, account.id)
    page.keyboard.press("Escape")
    open_row(page, "Hi, where is my order?")
    expect(page.locator("#conversation-head .channel-private")).to_be_visible()
    page.keyboard.press("Escape")
    page.locator("#conversation-list").focus()
    page.keyboard.press("r")
    expect(page.locator("#composer-count")).to_have_text("0 / 1,000")
    page.keyboard.type("It ships today.")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#thread .msg-outbound .delivery-state").last).to_have_text("Sent")
    dms = [s for s in sent_on_instagram(sandbox) if s["kind"] == "dm"]
    assert [d["text"] for d in dms] == ["It ships today."]
    screenshot(page, "instagram-dm-answered")
    assert page.evaluate("window.sameDocument") is True
    assert page.evaluate("window.__csp") == []
    assert page.errors == []

    # Account health: Instagram's usage headers and its documented budget, on the managers' dashboard.
    dashboard = open_page(make_user("manager", name="Mia Manager"), path="/dashboard")
    health = dashboard.locator("#accounts tr.account-row").filter(has=dashboard.locator(".network-instagram"))
    expect(health.locator(".network-instagram")).to_have_text("Instagram")
    expect(health.locator(".rate-limit[data-endpoint=instagram]")).to_contain_text("Instagram calls (Business Use Case)")
    expect(health.locator(".rate-limit[data-endpoint=conversations]")).to_contain_text("Instagram conversations")
    expect(dashboard.locator("#at-risk tr.risk").first).to_contain_text("Carebox Instagram")
    expect(health.locator(".budget-note")).to_have_text(
        "Instagram allows 4,800 calls in 24 hours for each impression of the account's content (its Business Use "
        "Case limit); the poller reads recently active media first and every other media in turn.")
    screenshot(dashboard, "instagram-dashboard")
    assert dashboard.errors == []
