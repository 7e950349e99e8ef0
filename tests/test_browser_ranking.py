"""The inbox list in a real browser weighs priority as the API does: a conversation raised by ranking (a
customer with many followers) lands first live, and stays there after a reload; an agent's priority change
moves a conversation live to where a reload puts it."""
from datetime import datetime, timedelta, timezone

from playwright.sync_api import expect

from app.conversations.actions import update_conversation
from app.ingest.items import InboundAuthor, InboundItem
from app.ingest.pipeline import ingest
from app.models import Conversation
from tests.conftest import writing
from tests.test_browser_inbox_list import live


def customer_message(db, account, external_id, text, *, author, minutes_ago=1, followers=None):
    created = datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)
    who = InboundAuthor(author, handle=author, name=author.title(), followers_count=followers)
    with writing(db) as session:
        (result,) = ingest(session, account, [InboundItem(external_id, text, created, who)])
    return result.conversation_id


def test_priority_orders_the_list_live_as_after_a_reload(db, open_page, make_user, custom_account):
    alex = make_user("agent", name="Alex Agent")
    customer_message(db, custom_account, "k1", "Where is my parcel?", author="bea", minutes_ago=70)
    wim = customer_message(db, custom_account, "k2", "Where is my order?", author="wim", minutes_ago=45)
    customer_message(db, custom_account, "k3", "Any news?", author="fay", minutes_ago=5)
    page = live(open_page(alex))
    names = page.locator(".conversation .who")
    expect(names).to_have_text(["Bea @bea", "Wim @wim", "Fay @fay"])  # all normal: by due time

    customer_message(db, custom_account, "k4", "Hello there", author="star", followers=2_000_000)
    expected = ["Star @star", "Bea @bea", "Wim @wim", "Fay @fay"]  # urgent first, though due last
    expect(names).to_have_text(expected)
    page.reload()
    live(page)
    expect(names).to_have_text(expected)

    with writing(db) as session:
        update_conversation(session, session.get(Conversation, wim), actor=alex, priority="high")
    expected = ["Star @star", "Wim @wim", "Bea @bea", "Fay @fay"]
    expect(names).to_have_text(expected)
    page.reload()
    live(page)
    expect(names).to_have_text(expected)
