"""Replies to Instagram comments and mentions end to end: the real connector reads the sandbox (real HTTP
through facebook-sdk), ingest stores what it read, an agent answers, and sending's ReplyTarget puts each
answer where Instagram wants it (a reply to a reply on its top-level comment, a mention through the
mentions edge); a refusal keeps Instagram's reason. Runs where the Instagram connector is present."""
import pytest
import sqlalchemy as sa

from app import connectors
from app.conversations import replies, sending
from app.ingest.items import InboundAuthor, InboundItem, InboundPost
from app.ingest.pipeline import ingest
from app.models import Message, SocialAccount, User
from app.sandbox.demo_accounts import DEMO_INSTAGRAM
from tests.conftest import writing
from tests.fixtures.sandbox import sandbox, sandbox_server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(not hasattr(connectors, "InstagramConnector"),
                                reason="the Instagram connector is not on this branch yet")
IG = DEMO_INSTAGRAM["ig_user_id"]


@pytest.fixture
def account(db, sandbox):  # noqa: F811
    from app.accounts import CREDENTIAL_KEYS, create_account

    with writing(db) as session:
        created = create_account(session, network="instagram", name="Demo on Instagram", api_base_url=sandbox.url,
                                 credentials={k: v for k, v in DEMO_INSTAGRAM.items()
                                              if k in CREDENTIAL_KEYS["instagram"]})
    return db.session.get(SocialAccount, created.id)


def read_and_store(db, account, extra=()):
    info = connectors.AccountInfo(id=account.id, network="instagram", name=account.name,
                                  external_id=account.external_id, handle=None, api_base_url=account.api_base_url,
                                  credentials=account.credentials)
    result = connectors.connector_for(info, timeout=5).fetch({})
    with writing(db) as session:
        ingest(session, session.get(SocialAccount, account.id), list(result.items) + list(extra))


def answer(db, agent, external_id, text):
    with writing(db) as session:
        answered = session.scalars(sa.select(Message).where(Message.external_id == external_id)).one()
        message, _ = replies.create_reply(session, answered.conversation_id, author=session.get(User, agent.id),
                                          text=text, in_reply_to_message_id=answered.id)
        message_id = message.id
    status = sending.send_reply(db.session, message_id)
    db.session.expire_all()
    return status, db.session.get(Message, message_id)


def test_replies_land_on_the_top_level_comment_and_mentions_on_the_mentions_edge(db, sandbox, account,  # noqa: F811
                                                                                 make_user):
    agent = make_user("agent", name="Alex")
    network = sandbox.network.instagram
    media = network.media_of(network.accounts[IG])[0]
    top = network.add_comment(media.id, "Do you ship to Minsk?", {"username": "olga.k"})
    reply = network.add_comment(media.id, "and to Kyiv?", {"username": "ivan"}, parent_id=top.id)
    theirs = network.add_media({"username": "fan"}, "Look what @carebox.demo sent me")
    caption = InboundItem(theirs.id, theirs.caption, None, InboundAuthor("igsid-fan", "fan"), network="instagram",
                          post=InboundPost(theirs.id, caption=theirs.caption, owner_handle="fan", owned=False))
    read_and_store(db, account, [caption])

    status, sent = answer(db, agent, top.id, "Yes, we do!")
    assert status == "sent" and network.comments[sent.external_id].parent_id == top.id
    status, sent = answer(db, agent, reply.id, "Kyiv too!")
    assert status == "sent" and network.comments[sent.external_id].parent_id == top.id  # on the top-level one
    status, sent = answer(db, agent, theirs.id, "Glad you like it")
    assert status == "sent", sent.delivery_error
    on_caption = network.comments[sent.external_id]
    assert on_caption.media_id == theirs.id and on_caption.parent_id is None
    assert [s["kind"] for s in network.sent] == ["reply", "reply", "mention_reply"]


def test_a_reply_to_a_hidden_comment_fails_with_instagrams_reason(db, sandbox, account, make_user):  # noqa: F811
    agent = make_user("agent", name="Alex")
    network = sandbox.network.instagram
    media = network.media_of(network.accounts[IG])[0]
    hidden = network.add_comment(media.id, "spam spam", {"username": "bot"})
    read_and_store(db, account)
    network.set_hidden(hidden.id)  # hidden after Carebox read it
    status, refused = answer(db, agent, hidden.id, "Hello")
    assert (status, refused.delivery_status, refused.delivery_error_code) == ("failed", "failed", "comment_hidden")
