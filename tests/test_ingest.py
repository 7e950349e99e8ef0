"""The one ingest path: idempotency, grouping per customer, brand replies, SLA clock start, events."""
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from app.events import PENDING_KEY
from app.ingest.items import InboundAuthor, InboundItem
from app.ingest.pipeline import ingest
from app.models import Contact, Conversation, Message, SlaClock


def item(ext, text="hello", author="c1", minutes_ago=5, **kw):
    created = datetime.now(timezone.utc) - timedelta(minutes=minutes_ago) if minutes_ago is not None else None
    auth = InboundAuthor(author, handle=f"h_{author}", name=f"Name {author}") if author else None
    return InboundItem(external_id=ext, text=text, created_at=created, author=auth, **kw)


def test_ingest_is_idempotent_and_groups_per_customer(db, custom_account):
    first = ingest(db.session, custom_account, [item("1"), item("2", author="c2"), item("3")])
    db.session.commit()
    assert [r.created for r in first] == [True, True, True]
    again = ingest(db.session, custom_account, [item("1"), item("3"), item("4")])
    db.session.commit()
    assert [r.created for r in again] == [False, False, True]
    assert again[0].message_id == first[0].message_id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 4
    convs = db.session.scalars(sa.select(Conversation).order_by(Conversation.id)).all()
    assert len(convs) == 2  # c1 and c2
    c1 = next(c for c in convs if c.contact.external_id == "c1")
    assert c1.message_count == 3


def test_duplicates_inside_one_batch_are_stored_once(db, custom_account):
    results = ingest(db.session, custom_account, [item("9"), item("9"), item("9", text="other")])
    db.session.commit()
    assert len(results) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 1


def test_clock_starts_at_platform_time_or_receipt_time(db, custom_account):
    now = datetime.now(timezone.utc)
    ingest(db.session, custom_account, [item("a", minutes_ago=40), item("b", minutes_ago=10)], received_at=now)
    ingest(db.session, custom_account, [item("c", author="c9", minutes_ago=None)], received_at=now)
    db.session.commit()
    conv = db.session.scalars(sa.select(Conversation).join(Contact).where(Contact.external_id == "c1")).one()
    assert conv.sla_started_at == min(m.created_at for m in conv.messages)  # the oldest unanswered message
    assert conv.sla_warn_at == conv.sla_started_at + timedelta(minutes=30)
    assert conv.sla_breach_at == conv.sla_started_at + timedelta(minutes=60)
    late = db.session.scalars(sa.select(Conversation).join(Contact).where(Contact.external_id == "c9")).one()
    assert late.sla_started_at == now  # the network gave no time: receipt time
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SlaClock)) == 2


def test_brand_reply_seen_natively_stops_the_clock_and_follow_up_starts_next_clock(db, custom_account):
    question = item("q1", minutes_ago=20)
    ingest(db.session, custom_account, [question])
    db.session.commit()
    # Posted 15 minutes after the question, whatever the first ingest cost (it builds the language detector).
    brand = InboundItem("r1", "we are on it", question.created_at + timedelta(minutes=15),
                        InboundAuthor("brand"), in_reply_to="q1", from_brand=True)
    ingest(db.session, custom_account, [brand])
    db.session.commit()
    conv = db.session.scalars(sa.select(Conversation)).one()
    assert conv.sla_started_at is None and conv.sla_state == "stopped"
    reply = db.session.scalars(sa.select(Message).where(Message.external_id == "r1")).one()
    assert reply.direction == "outbound" and reply.is_native and reply.delivery_status == "sent"
    clock = db.session.scalars(sa.select(SlaClock)).one()
    assert clock.stop_reason == "native_reply" and clock.met is True
    assert round(clock.response_seconds) == 15 * 60
    ingest(db.session, custom_account, [item("q2", minutes_ago=1)])
    db.session.commit()
    clocks = db.session.scalars(sa.select(SlaClock).order_by(SlaClock.id)).all()
    assert [c.kind for c in clocks] == ["first", "next"]
    assert clocks[1].stopped_at is None


def test_a_page_with_two_native_answers_and_a_follow_up_between_stops_both_clocks(db, custom_account):
    """One page: question, our answer, a follow-up, our second answer. The first clock stops, the next
    starts at the follow-up and stops at the second answer; never two running clocks at once."""
    now = datetime.now(timezone.utc)

    def brand(ext, answers, minutes_ago):
        return InboundItem(ext, "on it", now - timedelta(minutes=minutes_ago), InboundAuthor("brand"),
                           in_reply_to=answers, from_brand=True)

    ingest(db.session, custom_account, [item("a1", minutes_ago=30)])  # the page before: a running clock
    db.session.commit()
    ingest(db.session, custom_account, [brand("b1", "a1", 28), item("a2", minutes_ago=20), brand("b2", "a2", 17)])
    db.session.commit()
    clocks = db.session.scalars(sa.select(SlaClock).order_by(SlaClock.id)).all()
    assert [(c.kind, c.stop_reason, round(c.response_seconds)) for c in clocks] == [
        ("first", "native_reply", 120), ("next", "native_reply", 180)]
    conv = db.session.scalars(sa.select(Conversation)).one()
    assert conv.sla_state == "stopped" and conv.message_count == 4


def test_brand_post_answering_nothing_known_is_not_stored(db, custom_account):
    brand = InboundItem("r9", "promo", None, None, in_reply_to="unknown", from_brand=True)
    (result,) = ingest(db.session, custom_account, [brand])
    db.session.commit()
    assert result.message_id is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0


def test_anonymous_authors_group_by_thread(db, custom_account):
    ingest(db.session, custom_account, [
        item("x1", author=None, thread_id="t1"), item("x2", author=None, thread_id="t1"),
        item("x3", author=None, thread_id="t2"),
    ])
    db.session.commit()
    keys = sorted(db.session.scalars(sa.select(Contact.external_id)))
    assert keys == ["anonymous:t1", "anonymous:t2"]


def test_resolved_conversation_is_not_joined(db, custom_account):
    ingest(db.session, custom_account, [item("m1")])
    db.session.commit()
    conv = db.session.scalars(sa.select(Conversation)).one()
    conv.status = "resolved"
    db.session.commit()
    ingest(db.session, custom_account, [item("m2")])
    db.session.commit()
    statuses = db.session.scalars(sa.select(Conversation.status).order_by(Conversation.id)).all()
    assert statuses == ["resolved", "open"]


def test_events_are_published_only_on_commit(db, custom_account):
    ingest(db.session, custom_account, [item("e1")])
    pending = [e.name for e in db.session.info[PENDING_KEY]]
    assert pending == ["conversation.created", "message.created"]
    db.session.rollback()
    assert PENDING_KEY not in db.session.info
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0


def test_hostile_text_is_stored_verbatim(db, custom_account):
    payload = '<script>alert(1)</script> مرحبا 👍🏽 e\u0301'
    ingest(db.session, custom_account, [item("h1", text=payload)])
    db.session.commit()
    assert db.session.scalars(sa.select(Message.text)).one() == payload


def test_nul_characters_from_a_network_are_replaced_not_fatal(db, custom_account):
    """PostgreSQL text cannot hold NUL: a post carrying one must not fail its whole page on every poll."""
    results = ingest(db.session, custom_account, [
        item("nul\x00id", text="a\x00b", author="c\x00"), item("fine", author="c2")])
    db.session.commit()
    assert [r.created for r in results] == [True, True]
    stored = db.session.scalars(sa.select(Message).order_by(Message.id)).all()
    assert [(m.external_id, m.text) for m in stored] == [("nul\ufffdid", "a\ufffdb"), ("fine", "hello")]
    assert stored[0].conversation.contact.external_id == "c\ufffd"
    assert stored[0].conversation.contact.name == "Name c\ufffd"


def test_snippet_never_cuts_a_grapheme(db, custom_account):
    from app.text import snippet

    family = "👨‍👩‍👧‍👦"  # one grapheme, seven code points
    text = "a" * 277 + family + "tail"
    assert snippet(text) == "a" * 277  # the family does not fit whole: left out, not cut
    assert snippet("e\u0301" * 200, limit=5) == "e\u0301e\u0301"
    assert snippet("🇧🇾🇸🇦", limit=3) == "🇧🇾"
    ingest(db.session, custom_account, [item("long", text=text)])
    db.session.commit()
    assert db.session.scalars(sa.select(Conversation.snippet)).one() == "a" * 277


def test_events_of_a_rollback_before_any_sql_are_dropped(db, custom_account):
    from app import events

    db.session.commit()
    events.publish(db.session, "sla.recomputed", {"account_ids": [custom_account.id], "clocks": 0})
    db.session.rollback()
    assert PENDING_KEY not in db.session.info
