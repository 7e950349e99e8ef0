"""Ingest's planning step on its own: loaded state and items in, a typed plan out, no database."""
from datetime import datetime, timedelta, timezone

from app.ingest.items import InboundAuthor, InboundItem
from app.ingest.plan import (
    AccountRef, ContactRow, ConversationRow, IngestState, KnownMessage, UnconfirmedReply, plan,
)
from app.sla.policies import Policy

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=timezone.utc)
ACCOUNT = AccountRef(1, "twitter", "brand-1", "acme", "Acme")
ANA = InboundAuthor("u-ana", "ana", "Ana")
ANA_ROW = ContactRow(10, "u-ana", "ana", "Ana", None, None)


def ago(minutes):
    return NOW - timedelta(minutes=minutes)


def state(**kw):
    defaults = dict(account=ACCOUNT, now=NOW, policy=Policy(None, 30, 60), reopen_window=timedelta(hours=72),
                    known={}, contacts={}, conversations={})
    return IngestState(**{**defaults, **kw})


def conversation(id=100, contact_id=10, status="open", clock_started=None, **kw):
    fields = dict(id=id, account_id=1, network="twitter", contact_id=contact_id, channel="public", status=status,
                  assignee_id=None, priority="normal", tags=[], is_spam=False, message_count=1, snippet="old",
                  last_message_at=ago(50), last_inbound_at=ago(50), last_outbound_at=None, sla_state="stopped",
                  sla_started_at=None, sla_warn_at=None, sla_breach_at=None, resolved_at=None)
    if clock_started is not None:
        fields.update(sla_state="ok", sla_started_at=clock_started, sla_warn_at=clock_started + timedelta(minutes=30),
                      sla_breach_at=clock_started + timedelta(minutes=60))
    fields.update(kw)
    return ConversationRow(**fields)


def customer(ext, minutes_ago, author=ANA, **kw):
    return InboundItem(ext, f"text of {ext}", ago(minutes_ago), author, **kw)


def brand(ext, minutes_ago, answers, text="on it"):
    return InboundItem(ext, text, ago(minutes_ago), InboundAuthor("brand-1"), in_reply_to=answers, from_brand=True)


def test_a_new_customer_gets_a_contact_a_conversation_and_a_running_clock():
    result = plan(state(), [customer("t1", 10)])
    (contact,) = result.new_contacts
    (conv,) = result.conversations
    assert (contact.external_id, contact.handle, contact.name) == ("u-ana", "ana", "Ana")
    assert conv.opened and conv.contact is contact and conv.row.status == "open"
    assert [m.external_id for m in conv.messages] == ["t1"] and conv.row.message_count == 1
    assert conv.row.sla_started_at == ago(10) and conv.row.sla_breach_at == ago(10) + timedelta(minutes=60)
    ((clock, stopped),) = conv.clocks.new
    assert (clock.kind, clock.started_at, stopped) == ("first", ago(10), None)


def test_a_known_customer_joins_their_open_conversation_and_its_clock_keeps_running():
    open_conv = conversation(clock_started=ago(50))
    result = plan(state(contacts={"u-ana": ANA_ROW}, conversations={100: open_conv}), [customer("t2", 5)])
    (conv,) = result.conversations
    assert not conv.opened and conv.id == 100 and conv.row.message_count == 2 and conv.row.snippet == "text of t2"
    assert conv.clocks.empty and conv.row.sla_started_at == ago(50)
    assert not result.new_contacts


def test_items_already_stored_are_reported_not_planned():
    known = KnownMessage("t1", 555, 100, 1)
    result = plan(state(known={"t1": known}), [customer("t1", 10)])
    assert result.existing == {"t1": known} and not result.messages and not result.conversations


def test_a_late_message_older_than_the_clock_moves_its_start_back():
    result = plan(state(contacts={"u-ana": ANA_ROW}, conversations={100: conversation(clock_started=ago(20))}),
                  [customer("early", 40)])
    (conv,) = result.conversations
    assert conv.clocks.move_stored.started_at == ago(40) and conv.row.sla_started_at == ago(40)


def test_resolved_recently_reopens_but_spam_or_long_ago_opens_a_new_one():
    recent = conversation(status="resolved", resolved_at=ago(60))
    reopened = plan(state(contacts={"u-ana": ANA_ROW}, conversations={100: recent}), [customer("t3", 1)])
    (conv,) = reopened.conversations
    assert conv.reopened and conv.id == 100 and conv.row.status == "open" and conv.row.resolved_at is None
    spam = conversation(status="resolved", resolved_at=ago(60), is_spam=True)
    assert plan(state(contacts={"u-ana": ANA_ROW}, conversations={100: spam}), [customer("t3", 1)]).conversations[0].opened
    no_window = plan(state(contacts={"u-ana": ANA_ROW}, conversations={100: recent}, reopen_window=None),
                     [customer("t3", 1)])
    assert no_window.conversations[0].opened


def test_a_native_brand_answer_joins_the_thread_and_stops_the_clock():
    conv_row = conversation(clock_started=ago(50))
    result = plan(state(known={"t1": KnownMessage("t1", 555, 100, 1)}, contacts={"u-ana": ANA_ROW},
                        conversations={100: conv_row}), [brand("b1", 30, "t1")])
    (conv,) = result.conversations
    (message,) = conv.messages
    assert (message.direction, message.is_native, message.delivery_status) == ("outbound", True, "sent")
    assert conv.clocks.stop_stored.reason == "native_reply" and conv.clocks.stop_stored.met is True
    assert conv.row.sla_state == "stopped" and conv.row.last_outbound_at == ago(30)


def test_a_stored_follow_up_after_the_native_answer_starts_the_next_clock():
    conv_row = conversation(clock_started=ago(50), last_inbound_at=ago(20))
    result = plan(state(known={"t1": KnownMessage("t1", 555, 100, 1)}, contacts={"u-ana": ANA_ROW},
                        conversations={100: conv_row}, customer_messages_after={100: [ago(20)]}),
                  [brand("b1", 30, "t1")])
    (conv,) = result.conversations
    assert [(c.kind, c.started_at) for c, _ in conv.clocks.new] == [("next", ago(20))]


def test_one_page_with_question_answer_follow_up_answer():
    result = plan(state(), [customer("q1", 30), brand("a1", 28, "q1"), customer("q2", 20), brand("a2", 17, "q2")])
    (conv,) = result.conversations
    assert [m.external_id for m in conv.messages] == ["q1", "a1", "q2", "a2"] and conv.row.message_count == 4
    assert [(c.kind, c.started_at, s.stopped_at) for c, s in conv.clocks.new] == [
        ("first", ago(30), ago(28)), ("next", ago(20), ago(17))]
    assert conv.row.sla_state == "stopped"


def test_a_brand_post_answering_nothing_we_hold_is_ignored():
    result = plan(state(), [brand("promo", 5, "someone-elses-tweet")])
    assert result.ignored == ["promo"] and not result.messages


def test_our_reply_of_unknown_fate_seen_on_the_network_is_confirmed_not_copied():
    reply = UnconfirmedReply(777, 100, "t1", "on it", 42, "unknown")
    result = plan(state(known={"t1": KnownMessage("t1", 555, 100, 1)}, contacts={"u-ana": ANA_ROW},
                        conversations={100: conversation(clock_started=ago(50))}, unconfirmed=(reply,)),
                  [brand("b1", 30, "t1", text="on it")])
    (confirmed,) = result.confirmed
    assert (confirmed.reply, confirmed.external_id, confirmed.sent_at) == (reply, "b1", ago(30))
    assert not result.messages
    (conv,) = result.conversations
    assert (conv.clocks.stop_stored.reason, conv.clocks.stop_stored.answered_by_user_id) == ("reply", 42)


def test_anonymous_authors_group_by_thread_and_the_latest_profile_wins():
    result = plan(state(), [customer("x1", 5, author=None, thread_id="t1"), customer("x2", 4, author=None, thread_id="t1"),
                            customer("y1", 3, author=None, thread_id="t2")])
    assert sorted(c.external_id for c in result.new_contacts) == ["anonymous:t1", "anonymous:t2"]
    renamed = plan(state(contacts={"u-ana": ANA_ROW}, conversations={100: conversation()}),
                   [customer("t5", 2, author=InboundAuthor("u-ana", "ana_new", "Ana N", followers_count=5000))])
    (update,) = renamed.contact_updates
    assert (update.contact_id, update.handle, update.followers_count) == (10, "ana_new", 5000)
    assert renamed.conversations[0].contact.handle == "ana_new"


def test_public_and_private_messages_of_one_customer_are_two_conversations():
    result = plan(state(), [customer("p1", 5), customer("d1", 4, channel="private")])
    assert sorted(c.row.channel for c in result.conversations) == ["private", "public"]
    assert len(result.new_contacts) == 1


# --- private messages: brand DMs find their conversation by counterpart

def private_conversation(id=200, **kw):
    return conversation(id=id, channel="private", **kw)


def brand_dm(ext, minutes_ago, to=ANA, text="sent you the tracking link"):
    return InboundItem(ext, text, ago(minutes_ago), InboundAuthor("brand-1"), from_brand=True, channel="private",
                       counterpart=to)


def test_a_native_brand_dm_joins_the_customers_open_private_conversation_and_stops_its_clock():
    dms = private_conversation(clock_started=ago(40))
    result = plan(state(contacts={"u-ana": ANA_ROW}, conversations={100: conversation(), 200: dms}),
                  [brand_dm("dm-b1", 25)])
    (conv,) = result.conversations
    assert conv.id == 200 and [m.external_id for m in conv.messages] == ["dm-b1"]
    assert conv.messages[0].direction == "outbound" and conv.messages[0].in_reply_to is None
    assert conv.clocks.stop_stored.reason == "native_reply" and conv.row.sla_state == "stopped"
    assert conv.row.last_outbound_at == ago(25)


def test_a_brand_dm_goes_to_the_latest_resolved_private_conversation_without_reopening_it():
    old = private_conversation(201, status="resolved", resolved_at=ago(60 * 24 * 30))
    latest = private_conversation(202, status="resolved", resolved_at=ago(60 * 24 * 10))
    result = plan(state(contacts={"u-ana": ANA_ROW}, conversations={201: old, 202: latest}), [brand_dm("dm-b2", 5)])
    (conv,) = result.conversations
    assert conv.id == 202 and not conv.reopened and conv.row.status == "resolved"
    assert conv.row.message_count == 2 and conv.clocks.empty


def test_a_brand_dm_to_someone_without_a_private_conversation_is_ignored():
    public_only = plan(state(contacts={"u-ana": ANA_ROW}, conversations={100: conversation()}), [brand_dm("dm-b3", 5)])
    stranger = plan(state(), [brand_dm("dm-b4", 5, to=InboundAuthor("u-nobody"))])
    no_counterpart = plan(state(), [brand_dm("dm-b5", 5, to=None)])
    for result, ext in ((public_only, "dm-b3"), (stranger, "dm-b4"), (no_counterpart, "dm-b5")):
        assert result.ignored == [ext] and not result.messages and not result.new_contacts
    assert not public_only.conversations


def test_a_brand_dm_and_the_customers_follow_up_apply_in_time_order():
    """Customer DM at -30, the brand answers natively at -20, the customer writes again at -10: two clocks,
    the first answered, the second running from the follow-up."""
    result = plan(state(contacts={"u-ana": ANA_ROW}), [
        customer("dm-c1", 30, channel="private"), brand_dm("dm-b1", 20), customer("dm-c2", 10, channel="private")])
    (conv,) = result.conversations
    assert conv.opened and conv.row.channel == "private"
    assert [m.external_id for m in conv.messages] == ["dm-c1", "dm-b1", "dm-c2"]
    assert [(c.kind, c.started_at, s and s.reason) for c, s in conv.clocks.new] == [
        ("first", ago(30), "native_reply"), ("next", ago(10), None)]
    assert conv.row.sla_state == "ok" and conv.row.sla_started_at == ago(10)


def test_our_dms_of_unknown_fate_are_confirmed_by_conversation_and_text_oldest_first():
    dms = private_conversation(clock_started=ago(40))
    same_text_elsewhere = UnconfirmedReply(770, 999, None, "thanks!", 41, "unknown")
    older = UnconfirmedReply(771, 200, None, "thanks!", 42, "sending")
    newer = UnconfirmedReply(772, 200, None, "thanks!", 43, "unknown")
    other_text = UnconfirmedReply(773, 200, None, "anything else?", 44, "unknown")
    result = plan(state(contacts={"u-ana": ANA_ROW}, conversations={200: dms},
                        unconfirmed=(same_text_elsewhere, older, newer, other_text)),
                  [brand_dm("dm-x1", 30, text="thanks!")])
    (confirmed,) = result.confirmed
    assert (confirmed.reply.id, confirmed.external_id, confirmed.sent_at) == (771, "dm-x1", ago(30))
    assert not result.messages and not result.ignored
    (conv,) = result.conversations
    assert (conv.clocks.stop_stored.reason, conv.clocks.stop_stored.answered_by_user_id) == ("reply", 42)
    two = plan(state(contacts={"u-ana": ANA_ROW}, conversations={200: dms}, unconfirmed=(older, newer)),
               [brand_dm("dm-x2", 30, text="thanks!"), brand_dm("dm-x3", 29, text="thanks!")])
    assert [(c.reply.id, c.external_id) for c in two.confirmed] == [(771, "dm-x2"), (772, "dm-x3")]


def test_our_dm_already_stored_by_its_external_id_is_nothing_new():
    known = KnownMessage("dm-ours", 888, 200, 1)
    result = plan(state(known={"dm-ours": known}, contacts={"u-ana": ANA_ROW}, conversations={200: private_conversation()}),
                  [brand_dm("dm-ours", 5)])
    assert result.existing == {"dm-ours": known} and not result.messages and not result.conversations


def test_accepts_dms_is_refreshed_but_never_erased_by_a_network_that_did_not_say():
    known = ContactRow(10, "u-ana", "ana", "Ana", None, None, accepts_dms=True)
    silent = plan(state(contacts={"u-ana": known}, conversations={100: conversation()}), [customer("t7", 2)])
    assert not silent.contact_updates and silent.conversations[0].contact.accepts_dms is True
    refused = plan(state(contacts={"u-ana": known}, conversations={100: conversation()}),
                   [customer("t8", 2, author=InboundAuthor("u-ana", "ana", "Ana", accepts_dms=False))])
    (update,) = refused.contact_updates
    assert update.accepts_dms is False
    new = plan(state(), [customer("t9", 2, author=InboundAuthor("u-bo", "bo", accepts_dms=True))])
    assert new.new_contacts[0].accepts_dms is True
    via_dm = plan(state(contacts={"u-ana": known}, conversations={200: private_conversation()}),
                  [brand_dm("dm-b9", 2, to=InboundAuthor("u-ana", accepts_dms=False))])
    assert [u.accepts_dms for u in via_dm.contact_updates] == [False]


def test_each_channel_gets_its_own_policy():
    result = plan(state(policies={"public": Policy(None, 30, 60), "private": Policy(7, 10, 20, channel="private")}),
                  [customer("p1", 5), customer("d1", 4, channel="private")])
    by_channel = {c.row.channel: c.row for c in result.conversations}
    assert by_channel["public"].sla_breach_at == ago(5) + timedelta(minutes=60)
    assert by_channel["private"].sla_warn_at == ago(4) + timedelta(minutes=10)
    assert by_channel["private"].sla_breach_at == ago(4) + timedelta(minutes=20)
    assert [c.policy_id for c, _ in result.conversations[1].clocks.new] == [7]
