"""The posts and media public messages hang off (Instagram), through the one ingest path: upserted once per
batch, fields the network left out (None) never erasing stored ones, messages keeping their post's id,
mentions on other people's media, and a batch's statements not growing with its posts. The planning part
runs without a database; the rest on a real one."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from app.ingest.items import InboundAuthor, InboundItem, InboundPost
from app.ingest.pipeline import record_posts
from app.ingest.plan import AccountRef, IngestState, merged_posts, plan
from app.models import Contact, Conversation, Message, Post
from app.serialize import message_dict
from app.sla.policies import Policy
from tests.conftest import writing
from tests.fixtures.ingest import ingested, statements

T0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=3)
BRAND = InboundAuthor("17841400000000001", "carebox.demo", "Carebox Demo")
ANA = InboundAuthor("igsid-ana", "ana.k", "Ana", profile_url="https://www.instagram.com/ana.k")
REEL = InboundPost("m-reel", caption="How delivery works", permalink="https://www.instagram.com/reel/m-reel/",
                   thumbnail_url="https://cdn.example/reel.jpg", media_type="VIDEO", product_type="REELS",
                   owner_handle="carebox.demo", owned=True, posted_at=T0, comments_count=1)


def at(minutes):
    return T0 + timedelta(minutes=minutes)


def comment(ext, minutes, post=REEL, author=ANA, parent=None, text=None):
    return InboundItem(ext, text or f"comment {ext}", at(minutes), author, in_reply_to=parent or post.external_id,
                       thread_id=parent or ext, network="instagram", post=post)


@pytest.fixture
def instagram_account(db):
    from app.accounts import create_account

    with writing(db) as session:
        return create_account(session, network="instagram", name="Acme on Instagram", credentials={
            "page_id": "1000", "page_access_token": "token", "ig_user_id": BRAND.external_id})


def run(db, account, items, minutes=170):
    return ingested(db, account, items, at(minutes))


def stored_posts(db):
    db.session.expire_all()
    return db.session.scalars(sa.select(Post).order_by(Post.external_id)).all()


# ------------------------------------------------------------------ planning, no database

def test_merging_keeps_one_post_per_id_and_a_later_none_never_erases_an_earlier_field():
    bare = InboundPost("m-reel", comments_count=2)
    other = InboundPost("m-a", caption="A")
    merged = merged_posts([REEL, other, bare])
    assert [p.external_id for p in merged] == ["m-a", "m-reel"]
    reel = merged[1]
    assert (reel.caption, reel.media_type, reel.comments_count) == ("How delivery works", "VIDEO", 2)


def test_the_plan_carries_the_batch_posts_and_each_new_message_its_post_id():
    state = IngestState(account=AccountRef(1, "instagram", BRAND.external_id, "carebox.demo", None), now=at(100),
                        policy=Policy(None, 30, 60), reopen_window=timedelta(hours=72), known={}, contacts={},
                        conversations={})
    result = plan(state, [comment("c1", 1), comment("c2", 2), InboundItem("d1", "a DM", at(3), ANA, channel="private")])
    assert [p.external_id for p in result.posts] == ["m-reel"]
    assert {m.external_id: m.post_external_id for m in result.messages} == {"c1": "m-reel", "c2": "m-reel", "d1": None}


# ------------------------------------------------------------------ on a real database

def test_a_post_is_stored_once_and_its_messages_keep_its_id(db, instagram_account):
    results = run(db, instagram_account, [comment("c1", 1), comment("c2", 2, author=InboundAuthor("igsid-bo", "bo"))])
    run(db, instagram_account, [comment("c3", 3)])
    (post,) = stored_posts(db)
    assert (post.account_id, post.network, post.caption, post.media_type, post.product_type, post.owned) == (
        instagram_account.id, "instagram", "How delivery works", "VIDEO", "REELS", True)
    messages = db.session.scalars(sa.select(Message).order_by(Message.external_id)).all()
    assert [(m.external_id, m.post_external_id) for m in messages] == [
        ("c1", "m-reel"), ("c2", "m-reel"), ("c3", "m-reel")]
    assert results[0].message["post_external_id"] == "m-reel"
    assert message_dict(messages[0])["post_external_id"] == "m-reel"


def test_fields_the_network_left_out_never_overwrite_stored_ones(db, instagram_account):
    run(db, instagram_account, [comment("c1", 1)])
    run(db, instagram_account, [comment("c2", 2, post=InboundPost("m-reel", comments_count=5))])
    (post,) = stored_posts(db)
    assert (post.caption, post.permalink, post.thumbnail_url, post.comments_count) == (
        "How delivery works", "https://www.instagram.com/reel/m-reel/", "https://cdn.example/reel.jpg", 5)
    run(db, instagram_account, [comment("c3", 3, post=InboundPost("m-reel", caption="Edited caption"))])
    (post,) = stored_posts(db)
    assert (post.caption, post.comments_count, post.media_type) == ("Edited caption", 5, "VIDEO")


def test_media_listing_records_posts_without_messages(db, instagram_account):
    with writing(db) as session:
        record_posts(session, instagram_account, [REEL, InboundPost("m-img", caption="A picture", media_type="IMAGE",
                                                                    product_type="FEED")])
    with writing(db) as session:
        record_posts(session, instagram_account, [InboundPost("m-img", comments_count=3)])
    posts = {p.external_id: p for p in stored_posts(db)}
    assert set(posts) == {"m-img", "m-reel"}
    assert (posts["m-img"].caption, posts["m-img"].comments_count) == ("A picture", 3)
    assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 0


def test_a_caption_mention_and_a_mentioned_comment_are_customer_messages_on_someone_elses_media(db, instagram_account):
    theirs = InboundPost("m-theirs", caption="Love my order from carebox.demo", owner_handle="bo.b", owned=False)
    bo = InboundAuthor("igsid-bo", "bo.b")
    caption = InboundItem("m-theirs", theirs.caption, at(1), bo, network="instagram", post=theirs)
    mentioned = InboundItem("c-on-theirs", "carebox.demo mine too", at(2), ANA, in_reply_to="m-theirs",
                            thread_id="c-on-theirs", network="instagram", post=theirs)
    results = run(db, instagram_account, [caption, mentioned])
    assert all(r.created for r in results)
    (post,) = stored_posts(db)
    assert (post.external_id, post.owned, post.owner_handle) == ("m-theirs", False, "bo.b")
    stored = {m.external_id: m for m in db.session.scalars(sa.select(Message))}
    assert stored["m-theirs"].direction == "inbound" and stored["m-theirs"].post_external_id == "m-theirs"
    assert stored["c-on-theirs"].post_external_id == "m-theirs"
    # One conversation per customer: Bo's caption and Ana's comment apart.
    assert results[0].conversation_id != results[1].conversation_id


def test_comments_group_per_customer_and_share_the_contact_of_their_dms(db, instagram_account):
    other = InboundPost("m-img", caption="A picture")
    results = run(db, instagram_account, [comment("c1", 1), comment("c2", 2, post=other),
                                          InboundItem("d1", "a DM", at(3), ANA, network="instagram", channel="private")])
    assert results[0].conversation_id == results[1].conversation_id != results[2].conversation_id
    (contact,) = db.session.scalars(sa.select(Contact)).all()
    assert (contact.network, contact.external_id, contact.handle, contact.profile_url) == (
        "instagram", "igsid-ana", "ana.k", "https://www.instagram.com/ana.k")
    channels = sorted(c.channel for c in db.session.scalars(sa.select(Conversation)))
    assert channels == ["private", "public"]


def test_the_brands_native_reply_stops_the_clock_and_keeps_the_post(db, instagram_account):
    (asked,) = run(db, instagram_account, [comment("c1", 1)])
    native = InboundItem("c2", "thanks!", at(10), BRAND, in_reply_to="c1", thread_id="c1", from_brand=True,
                         network="instagram", post=REEL)
    (answer,) = run(db, instagram_account, [native])
    assert answer.created and answer.conversation_id == asked.conversation_id
    conv = db.session.get(Conversation, asked.conversation_id)
    assert conv.sla_state == "stopped"
    assert db.session.get(Message, answer.message_id).post_external_id == "m-reel"


def test_a_batch_costs_the_same_statements_whatever_its_number_of_posts(db, instagram_account):
    def statements_for(count, prefix):
        posts = [InboundPost(f"{prefix}-m{i}", caption=f"media {i}") for i in range(count)]
        items = [comment(f"{prefix}-c{i}", i, post=post, author=InboundAuthor(f"{prefix}-u{i}", f"u{i}"))
                 for i, post in enumerate(posts)]
        with statements(db) as seen:
            results = run(db, instagram_account, items)
        assert sum(r.created for r in results) == count
        assert len([s for s in seen if s.startswith("INSERT INTO posts")]) == 1
        return len(seen)

    few, many = statements_for(2, "a"), statements_for(20, "b")
    assert few == many, (few, many)
