"""Moderation on the network from the inbox, in a real browser (Playwright driving Debian's chromium) against the live
app and the sandbox over real HTTP.

An agent opens a Facebook comment and hides it with one key (h): the sandbox has it hidden, the thread and the list
say so in words, and a colleague's browser shows it live over Socket.IO; h again shows it again. l likes an
Instagram comment. Delete (or #) asks first in a modal dialog that Esc cancels, then deletes: the message stays
readable, marked deleted. A comment the network says cannot be hidden shows Facebook's reason as a sentence, and
Facebook out of reach (503) or a permission taken away while the page was open (403) are said as clearly. The
bulk bar hides every ticked conversation's comments and lists what the network refused. An agent without the
delete permission (the default: managers delete) is offered no delete, by button or key; one whose role may not
hide sees neither the hide button nor the bulk action. The thread's marks (network state, sentiment and intent,
"Automatic answer") and the list's ranking chips are drawn from the API's fields.
"""
import re
from datetime import datetime, timedelta, timezone

import pytest
import requests
import sqlalchemy as sa
from playwright.sync_api import expect

from app.ingest.items import InboundAuthor, InboundItem
from app.ingest.pipeline import ingest
from app.models import Conversation, Message, SocialAccount
from app.models.routing import Rule, Team
from app.permissions import set_lowest_roles
from app.sandbox import DEMO_FACEBOOK
from app.sandbox.demo_accounts import DEMO_INSTAGRAM
from tests.conftest import writing
from tests.fixtures.browser import screenshot
from tests.fixtures.polling import connect
from tests.test_browser_inbox import live, poll_now
from tests.test_browser_instagram import control, instagram_account, open_row

pytestmark = pytest.mark.browser

PAGE = DEMO_FACEBOOK["page_id"]
IG = DEMO_INSTAGRAM["ig_user_id"]
SPAMMER = {"id": "100200300400", "name": "Cheap Followers"}
NETWORK_MS = 15_000  # a moderation call goes app -> sandbox -> app -> browser (and the socket): room for a busy machine


def on_network(sandbox, object_id):
    """The sandbox's own view of a comment: hidden, deleted, liked_by (GET /_sandbox/moderation/<id>)."""
    response = requests.get(f"{sandbox.url}/_sandbox/moderation/{object_id}", timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


def facebook_comment(app, db, sandbox, account, text, author=None):
    comment = sandbox.network.inject_comment(PAGE, text, author=author or SPAMMER)
    poll_now(app, db, account.id)
    return comment


def thread_message(page, text):
    return page.locator("#thread .msg-inbound").filter(has_text=text)


def test_an_agent_hides_a_facebook_comment_with_one_key_and_a_colleague_sees_it_live(app, db, sandbox, open_page,
                                                                                    make_user):
    account = connect(db, sandbox, "facebook")
    comment = facebook_comment(app, db, sandbox, account, "Buy 10k followers now at cheap-followers.example")
    alex, sam = make_user("agent", name="Alex Agent"), make_user("agent", name="Sam Agent")
    alex_page, sam_page = live(open_page(alex)), live(open_page(sam))
    sam_page.keyboard.press("Enter")  # Sam has the conversation open too
    expect(thread_message(sam_page, "Buy 10k followers")).to_be_visible()

    open_row(alex_page, "Buy 10k followers")
    message = thread_message(alex_page, "Buy 10k followers")
    expect(message.locator(".mod-hide")).to_have_text("Hide")  # the mouse's way, beside the key
    alex_page.evaluate("window.sameDocument = true")
    alex_page.keyboard.press("h")
    expect(message.locator(".mod-state-hidden")).to_have_text("Hidden on Facebook", timeout=NETWORK_MS)
    expect(message.locator(".mod-unhide")).to_have_text("Unhide")
    assert on_network(sandbox, comment.id)["hidden"] is True
    expect(alex_page.locator("#composer-error")).to_have_text("")
    row = alex_page.locator(".conversation").filter(has_text="Buy 10k followers")
    expect(row.locator(".mod-state-hidden")).to_have_text("Hidden on Facebook")

    # Sam's browser: the thread and the list change live (message.updated over Socket.IO), no reload.
    sam_message = thread_message(sam_page, "Buy 10k followers")
    expect(sam_message.locator(".mod-state-hidden")).to_have_text("Hidden on Facebook", timeout=NETWORK_MS)
    sam_row = sam_page.locator(".conversation").filter(has_text="Buy 10k followers")
    expect(sam_row.locator(".mod-state-hidden")).to_be_visible(timeout=NETWORK_MS)
    screenshot(alex_page, "moderation-hidden")

    alex_page.keyboard.press("h")  # the same key shows it again
    expect(message.locator(".mod-state-hidden")).to_have_count(0, timeout=NETWORK_MS)
    assert on_network(sandbox, comment.id)["hidden"] is False
    expect(sam_message.locator(".mod-state-hidden")).to_have_count(0, timeout=NETWORK_MS)
    assert alex_page.evaluate("window.sameDocument") is True
    assert alex_page.errors == [] and sam_page.errors == []


def test_l_likes_an_instagram_comment_and_unlikes_it(app, db, sandbox, open_page, make_user):
    account = instagram_account(db, api_base_url=sandbox.url)
    reel = control(sandbox, "media", {"account": IG, "caption": "Autumn drop", "kind": "reel"})
    commented = control(sandbox, "comments", {"media_id": reel["id"], "text": "Love this colour!",
                                              "author": {"username": "maria.k"}})
    poll_now(app, db, account.id)
    page = live(open_page(make_user("agent", name="Alex Agent")))
    open_row(page, "Love this colour!")
    message = thread_message(page, "Love this colour!")
    expect(message.locator(".mod-delete")).to_have_count(0)  # agents do not delete by default
    page.keyboard.press("l")
    expect(message.locator(".mod-state-liked")).to_have_text("♥ Liked on Instagram", timeout=NETWORK_MS)
    assert IG in on_network(sandbox, commented["id"])["liked_by"]
    page.keyboard.press("l")
    expect(message.locator(".mod-state-liked")).to_have_count(0, timeout=NETWORK_MS)
    assert IG not in on_network(sandbox, commented["id"])["liked_by"]
    assert page.errors == []


def test_delete_asks_first_esc_keeps_the_comment_and_the_deleted_comment_stays_readable(app, db, sandbox, open_page,
                                                                                       make_user):
    account = connect(db, sandbox, "facebook")
    comment = facebook_comment(app, db, sandbox, account, "You are all scammers, here is your address: 5 Elm St")
    page = live(open_page(make_user("manager", name="Mia Manager")))  # managers may delete
    open_row(page, "You are all scammers")
    page.locator("#conversation-list").focus()
    dialog = page.locator("#delete-dialog")

    page.keyboard.press("Delete")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#delete-text")).to_contain_text("You are all scammers")
    expect(dialog.locator("#delete-what")).to_contain_text("removed from Facebook for everyone")
    expect(page.locator("#delete-cancel")).to_be_focused()  # the safe choice first
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.getElementById('delete-dialog').contains(document.activeElement)")  # kept inside
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator("#conversation-list")).to_be_focused()  # back where the agent was
    assert on_network(sandbox, comment.id)["deleted"] is False

    page.keyboard.press("#")  # the other key for it
    expect(dialog).to_be_visible()
    page.locator("#delete-confirm").focus()
    expect(page.locator("#delete-confirm")).to_have_text("Delete on Facebook")
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    message = thread_message(page, "You are all scammers")
    expect(message.locator(".mod-state-deleted")).to_have_text("Deleted on Facebook", timeout=NETWORK_MS)
    expect(message.locator(".msg-text")).to_have_text("You are all scammers, here is your address: 5 Elm St")
    expect(message.locator(".msg-tools")).to_have_count(0)  # nothing more to do with it on the network
    assert on_network(sandbox, comment.id)["deleted"] is True
    screenshot(page, "moderation-deleted")
    assert page.errors == []


def test_a_comment_facebook_will_not_hide_shows_facebooks_reason(app, db, sandbox, open_page, make_user):
    account = connect(db, sandbox, "facebook")
    post_id = sandbox.network.latest_post(PAGE).id
    # The Page's own comment, which Graph will not hide (can_hide false), stored as a customer's comment.
    own = sandbox.network.post_page_comment(PAGE, post_id, "Our prices went up, sorry")
    with writing(db) as session:
        ingest(session, session.get(SocialAccount, account.id), [InboundItem(
            own.id, "Our prices went up, sorry", datetime.now(timezone.utc), InboundAuthor("200300400500", name="Pat"),
            in_reply_to=post_id, network="facebook")])
    page = live(open_page(make_user("agent", name="Alex Agent")))
    open_row(page, "Our prices went up")
    page.locator("#conversation-list").focus()
    page.keyboard.press("h")
    expect(page.locator("#composer-error")).to_have_text(
        "Not hidden: Facebook does not allow hiding this comment: the Page's own comments always stay visible.",
        timeout=NETWORK_MS)
    expect(thread_message(page, "Our prices went up").locator(".mod-state-hidden")).to_have_count(0)
    assert on_network(sandbox, own.id)["hidden"] is False
    assert page.errors == []


def test_bulk_hide_hides_the_ticked_conversations_comments_and_lists_what_facebook_refused(app, db, sandbox, open_page,
                                                                                        make_user):
    account = connect(db, sandbox, "facebook")
    spam = [sandbox.network.inject_comment(PAGE, f"Free crypto giveaway {n}", author={"id": f"9000{n}", "name": f"Bot {n}"})
            for n in range(3)]
    post_id = sandbox.network.latest_post(PAGE).id
    own = sandbox.network.post_page_comment(PAGE, post_id, "Free crypto giveaway (Page)")
    poll_now(app, db, account.id)
    with writing(db) as session:
        ingest(session, session.get(SocialAccount, account.id), [InboundItem(
            own.id, "Free crypto giveaway (Page)", datetime.now(timezone.utc), InboundAuthor("90009", name="Bot 9"),
            in_reply_to=post_id, network="facebook")])
    page = live(open_page(make_user("agent", name="Alex Agent")))
    rows = page.locator(".conversation")
    expect(rows).to_have_count(4)
    page.locator("#conversation-list").focus()
    for _ in range(4):
        page.keyboard.press("x")
        page.keyboard.press("j")
    expect(page.locator(".conversation[aria-checked=true]")).to_have_count(4)
    page.locator("[data-bulk-moderation=hide]").click()
    result = page.locator("#bulk-result")
    expect(result).to_contain_text("1 not done:", timeout=NETWORK_MS)
    expect(result).to_contain_text("Facebook does not allow hiding this comment")
    for comment in spam:
        assert on_network(sandbox, comment.id)["hidden"] is True
    assert on_network(sandbox, own.id)["hidden"] is False
    expect(rows.locator(".mod-state-hidden")).to_have_count(3)
    assert page.errors == []


def test_an_agent_without_the_delete_permission_is_offered_no_delete(app, db, sandbox, open_page, make_user):
    account = connect(db, sandbox, "facebook")
    comment = facebook_comment(app, db, sandbox, account, "Where is my refund?", author={"id": "55501", "name": "Tom"})
    page = live(open_page(make_user("agent", name="Alex Agent")))
    open_row(page, "Where is my refund?")
    tools = thread_message(page, "Where is my refund?").locator(".msg-tools")
    expect(tools.locator("button")).to_have_text(["Hide", "Like"])
    page.locator("#conversation-list").focus()
    page.keyboard.press("Delete")
    expect(page.locator("#delete-dialog")).to_be_hidden()
    expect(page.locator("#composer-error")).to_have_text("Your role may not do this. An admin can change who may moderate.")
    assert on_network(sandbox, comment.id)["deleted"] is False
    expect(page.locator("[data-bulk-moderation=hide]")).to_have_count(1)

    with writing(db) as session:  # the admin raises hiding to managers: the agent's page offers it no more
        set_lowest_roles(session, {"moderation.hide": "manager"})
    page.reload()
    live(page)
    open_row(page, "Where is my refund?")
    expect(tools.locator("button")).to_have_text(["Like"])
    expect(page.locator("[data-bulk-moderation=hide]")).to_have_count(0)
    page.locator("#conversation-list").focus()
    page.keyboard.press("h")
    expect(page.locator("#composer-error")).to_have_text("Your role may not do this. An admin can change who may moderate.")
    assert on_network(sandbox, comment.id)["hidden"] is False
    assert page.errors == []


def seed_marks(db, account_id, agent):
    """A ranked conversation with triaged customer messages in every network state and a rule's automatic answer."""
    from app.conversations.replies import create_reply

    now = datetime.now(timezone.utc)
    items = [InboundItem(f"fb-mark-{n}", text, now - timedelta(minutes=10 - n), InboundAuthor("77701", name="Nora"),
                         in_reply_to="page-post-1", network="facebook")
             for n, text in enumerate(["This is the third time my order is late", "Hello?", "Spam link here",
                                       "Thanks for nothing"])]
    with writing(db) as session:
        (result, *_rest) = ingest(session, session.get(SocialAccount, account_id), items)
        team = Team(name="Billing", languages=[])
        rule = Rule(name="First answer", conditions=[], actions=[])
        session.add_all([team, rule])
        session.flush()
        conv_id = result.conversation_id
        states = {"fb-mark-0": dict(sentiment="negative", intent="complaint", liked=True),
                  "fb-mark-1": dict(sentiment="neutral", intent="question"),
                  "fb-mark-2": dict(intent="spam", moderation="hidden"),
                  "fb-mark-3": dict(sentiment="negative", moderation="deleted")}
        for external_id, values in states.items():
            session.execute(sa.update(Message).where(Message.external_id == external_id).values(**values))
        session.execute(sa.update(Conversation).where(Conversation.id == conv_id).values(
            priority="high", priority_reasons=["followers", "negative", "rule"], team_id=team.id))
        reply, _created = create_reply(session, conv_id, author=agent, text="Thanks for writing, a person will answer soon.")
        reply.automatic_rule_id, reply.delivery_status = rule.id, "sent"
    return conv_id


def test_the_thread_and_the_list_show_network_state_triage_automatic_answers_and_ranking(app, db, sandbox, live_server,
                                                                                      open_page, make_user):
    account = connect(db, sandbox, "facebook")
    manager = make_user("manager", name="Mia Manager")
    seed_marks(db, account.id, manager)
    page = live(open_page(manager))
    row = page.locator(".conversation").first
    chips = row.locator(".reason")
    expect(chips).to_have_text(["Followers", "Negative", "Rule"])
    expect(chips.first).to_have_attribute("title", "The customer has many followers: the post reaches many people.")
    expect(row.locator(".reasons .visually-hidden")).to_have_text("Ranks high because:")
    teams = requests.get(f"{live_server.url}/api/v1/teams", timeout=5)
    if teams.status_code == 401:  # the route exists (it asks for a session): the row names the team
        expect(row.locator(".team-badge")).to_have_text("Team Billing")
    else:
        expect(row.locator(".team-badge")).to_have_count(0)  # no teams API here: nothing, quietly

    page.keyboard.press("Enter")
    first = thread_message(page, "third time")
    expect(first.locator(".triage")).to_have_text(["Sentiment: Negative", "Intent: Complaint"])
    expect(first.locator(".mod-state-liked")).to_have_text("♥ Liked on Facebook")
    expect(first.locator(".mod-unlike")).to_have_text("Unlike")
    expect(thread_message(page, "Spam link here").locator(".mod-state-hidden")).to_have_text("Hidden on Facebook")
    expect(thread_message(page, "Spam link here").locator(".mod-unhide")).to_have_text("Unhide")
    deleted = thread_message(page, "Thanks for nothing")
    expect(deleted.locator(".mod-state-deleted")).to_have_text("Deleted on Facebook")
    expect(deleted).to_have_class(re.compile(r"\bis-deleted-on-network\b"))
    expect(deleted.locator(".msg-tools")).to_have_count(0)
    automatic = page.locator("#thread .msg-outbound")
    expect(automatic.locator(".auto-answer")).to_have_text("⚙ Automatic answer")
    expect(automatic.locator(".auto-answer")).to_have_attribute("title", "Sent by a rule, not by a person")
    screenshot(page, "moderation-marks")
    assert page.errors == []


def test_facebook_out_of_reach_and_a_permission_taken_away_meanwhile_are_said_clearly(app, db, sandbox, open_page,
                                                                                     make_user):
    account = connect(db, sandbox, "facebook")
    comment = facebook_comment(app, db, sandbox, account, "Is the shop open on Sunday?", author={"id": "55502", "name": "Ann"})
    page = live(open_page(make_user("agent", name="Alex Agent")))
    open_row(page, "Is the shop open on Sunday?")
    page.locator("#conversation-list").focus()
    requests.post(f"{sandbox.url}/_sandbox/faults", json={"kind": "503", "network": "facebook", "count": 5},
                  timeout=5).raise_for_status()
    try:
        page.keyboard.press("h")
        expect(page.locator("#composer-error")).to_have_text(
            "Not hidden: Facebook cannot be reached right now, so nothing changed. Try again in a moment.",
            timeout=NETWORK_MS)
    finally:
        requests.delete(f"{sandbox.url}/_sandbox/faults", timeout=5)
    assert on_network(sandbox, comment.id)["hidden"] is False

    with writing(db) as session:  # the page still offers it: the server's 403 says why not
        set_lowest_roles(session, {"moderation.like": "manager"})
    page.keyboard.press("l")
    expect(page.locator("#composer-error")).to_have_text(
        "Not liked: Your role may not do this: Like and unlike messages on the network.", timeout=NETWORK_MS)
    assert on_network(sandbox, comment.id)["liked_by"] == []
    assert page.errors == []
