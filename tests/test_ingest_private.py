"""Private messages through the one ingest path, on a real database: brand DMs found by their counterpart,
our own DMs of unknown fate confirmed (not stored twice), known DMs left alone, accepts_dms kept."""
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from app.ingest.items import InboundAuthor, InboundItem
from app.models import Contact, Conversation, Message, SlaClock
from tests.conftest import writing
from tests.fixtures.ingest import ingested, statements

T0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=2)
ANA = InboundAuthor("u-ana", "ana", "Ana")


def at(minutes):
    return T0 + timedelta(minutes=minutes)


def customer_dm(ext, minutes, text=None, author=ANA):
    return InboundItem(ext, text or f"dm {ext}", at(minutes), author, channel="private")


def brand_dm(ext, minutes, text="here is your tracking link", to=ANA):
    return InboundItem(ext, text, at(minutes), InboundAuthor("brand"), from_brand=True, channel="private",
                       counterpart=to)


def run(db, account, items, received_minutes=90):
    return ingested(db, account, items, at(received_minutes))


def private_conversations(db):
    return db.session.scalars(sa.select(Conversation).where(Conversation.channel == "private")
                              .order_by(Conversation.id)).all()


def clocks(db, conversation_id):
    return db.session.scalars(sa.select(SlaClock).where(SlaClock.conversation_id == conversation_id)
                              .order_by(SlaClock.id)).all()


def test_a_native_brand_dm_stops_the_clock_of_the_customers_private_conversation(db, custom_account):
    (asked,) = run(db, custom_account, [customer_dm("d1", 0)])
    run(db, custom_account, [InboundItem("p1", "a public post", at(1), ANA)])  # their public one stays apart
    (answer,) = run(db, custom_account, [brand_dm("b1", 12)])
    assert answer.created and answer.conversation_id == asked.conversation_id
    (conv,) = private_conversations(db)
    assert conv.sla_state == "stopped" and conv.message_count == 2
    (clock,) = clocks(db, conv.id)
    assert (clock.stop_reason, clock.response_seconds, clock.met) == ("native_reply", 12 * 60, True)
    stored = db.session.get(Message, answer.message_id)
    assert (stored.direction, stored.is_native, stored.delivery_status) == ("outbound", True, "sent")


def test_a_dm_batch_applies_the_brand_answer_and_the_follow_up_in_time_order(db, custom_account):
    run(db, custom_account, [customer_dm("d1", 0)])
    run(db, custom_account, [customer_dm("d2", 30), brand_dm("b1", 20)])  # one poll page: answer, then follow-up
    (conv,) = private_conversations(db)
    assert [(c.kind, c.started_at, c.stop_reason) for c in clocks(db, conv.id)] == [
        ("first", at(0), "native_reply"), ("next", at(30), None)]
    assert conv.sla_started_at == at(30) and conv.sla_state == "ok"


def test_a_brand_dm_joins_the_latest_resolved_private_conversation_without_reopening_it(app, db, custom_account):
    app.config["CAREBOX_REOPEN_WINDOW_HOURS"] = 0  # even with no reopening at all
    (asked,) = run(db, custom_account, [customer_dm("d1", 0)])
    with writing(db) as session:
        conv = session.get(Conversation, asked.conversation_id)
        conv.status, conv.resolved_at = "resolved", at(5)
    (answer,) = run(db, custom_account, [brand_dm("b1", 10, text="one more thing")])
    assert answer.created and answer.conversation_id == asked.conversation_id
    (conv,) = private_conversations(db)
    assert conv.status == "resolved" and conv.message_count == 2 and conv.sla_started_at is None


def test_a_brand_dm_to_someone_who_never_wrote_privately_is_not_stored(db, custom_account):
    run(db, custom_account, [InboundItem("p1", "a public post", at(0), ANA)])
    results = run(db, custom_account, [brand_dm("b1", 5), brand_dm("b2", 6, to=InboundAuthor("u-stranger"))])
    assert [(r.created, r.message_id) for r in results] == [(False, None), (False, None)]
    assert not private_conversations(db)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(
        Message.direction == "outbound")) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 1


def _our_dm(db, conversation_id, account, text, status, created_minutes):
    with writing(db) as session:
        reply = Message(conversation_id=conversation_id, account_id=account.id, network=account.network,
                        direction="outbound", text=text, author_user_id=None, delivery_status=status,
                        created_at=at(created_minutes))
        session.add(reply)
        session.flush()
        return reply.id


def test_our_dms_of_unknown_fate_become_sent_when_the_network_shows_them_not_copies(db, custom_account):
    (asked,) = run(db, custom_account, [customer_dm("d1", 0)])
    first = _our_dm(db, asked.conversation_id, custom_account, "Thanks, looking into it", "sending", 8)
    second = _our_dm(db, asked.conversation_id, custom_account, "Thanks, looking into it", "unknown", 9)
    results = run(db, custom_account, [brand_dm("x-1", 9, text="Thanks, looking into it"),
                                       brand_dm("x-2", 10, text="Thanks, looking into it")])
    assert [(r.message_id, r.created) for r in results] == [(first, False), (second, False)]
    db.session.expire_all()
    stored = db.session.scalars(sa.select(Message).where(Message.direction == "outbound").order_by(Message.id)).all()
    assert [(m.id, m.external_id, m.delivery_status) for m in stored] == [(first, "x-1", "sent"), (second, "x-2", "sent")]
    (clock,) = clocks(db, asked.conversation_id)
    assert (clock.stop_reason, clock.stopped_at) == ("reply", at(9))
    # Seen again by the next poll: known messages, nothing new.
    again = run(db, custom_account, [brand_dm("x-1", 9, text="Thanks, looking into it")])
    assert [(r.message_id, r.created) for r in again] == [(first, False)]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 3


def test_the_echo_of_a_dm_carebox_sent_is_a_known_message(db, custom_account):
    (asked,) = run(db, custom_account, [customer_dm("d1", 0)])
    sent = _our_dm(db, asked.conversation_id, custom_account, "Sent from Carebox", "sent", 4)
    with writing(db) as session:
        session.get(Message, sent).external_id = "m-echo"
    (echo,) = run(db, custom_account, [brand_dm("m-echo", 4, text="Sent from Carebox")])
    assert (echo.message_id, echo.created, echo.conversation_id) == (sent, False, asked.conversation_id)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 2


def test_accepts_dms_is_stored_and_a_silent_network_never_erases_it(db, custom_account):
    def accepts():
        db.session.expire_all()
        return db.session.scalars(sa.select(Contact.accepts_dms).where(Contact.external_id == "u-ana")).one()

    run(db, custom_account, [InboundItem("p1", "hi", at(0), InboundAuthor("u-ana", "ana", accepts_dms=False))])
    assert accepts() is False
    run(db, custom_account, [InboundItem("p2", "hi again", at(1), ANA)])  # the network did not say
    assert accepts() is False
    run(db, custom_account, [InboundItem("p3", "now I do", at(2), InboundAuthor("u-ana", "ana", accepts_dms=True))])
    assert accepts() is True


def test_a_batch_of_brand_dms_costs_the_same_statements_whatever_its_size(db, custom_account):
    """Each customer writes a DM; then one poll page holds every brand answer, one of our DMs of unknown fate
    for each, and a follow-up from each customer. The statements of that page must not grow with its size."""
    def statements_for(customers, prefix):
        authors = [InboundAuthor(f"{prefix}-{i}", f"h{i}") for i in range(customers)]
        asked = run(db, custom_account, [customer_dm(f"{prefix}-q{i}", 0, author=a) for i, a in enumerate(authors)])
        for i, result in enumerate(asked):
            _our_dm(db, result.conversation_id, custom_account, f"ours {i}", "unknown", 3)
        page = ([brand_dm(f"{prefix}-b{i}", 2, to=a) for i, a in enumerate(authors)]
                + [brand_dm(f"{prefix}-o{i}", 3, text=f"ours {i}", to=a) for i, a in enumerate(authors)]
                + [customer_dm(f"{prefix}-f{i}", 5, author=a) for i, a in enumerate(authors)])
        def counted(statement):
            confirming = statement.startswith("UPDATE messages SET external_id") or (
                statement.startswith("SELECT messages.id") and "WHERE messages.id = " in statement)  # ? or %(…)s
            return not confirming

        with statements(db, counted) as seen:
            results = run(db, custom_account, page)
        assert sum(r.created for r in results) == 2 * customers  # answers and follow-ups; ours confirmed
        return len(seen)

    few, many = statements_for(2, "a"), statements_for(20, "b")
    # Confirming one of our replies is a conditional UPDATE of it, and publishing reloads it (as for public
    # replies): those are per reply. Everything else is per batch.
    assert few == many, (few, many)


def test_a_late_native_dm_answer_starts_the_next_clock_at_the_stored_follow_up(db, custom_account):
    """The customer wrote at 0 and 15; the brand's native answer posted at 10 arrives after both."""
    run(db, custom_account, [customer_dm("d1", 0)])
    run(db, custom_account, [customer_dm("d2", 15)])
    run(db, custom_account, [brand_dm("b1", 10)])
    (conv,) = private_conversations(db)
    assert [(c.kind, c.started_at, c.stop_reason) for c in clocks(db, conv.id)] == [
        ("first", at(0), "native_reply"), ("next", at(15), None)]
    assert conv.sla_started_at == at(15)
