"""The traffic generator's private half: customers moving to DM and writing there, DM-only customers, the
brand answering natively; and the demo's private conversations (`flask demo --no-serve`)."""
import json
from collections import Counter

import sqlalchemy as sa

from app.sandbox import DEMO_FACEBOOK, DEMO_X
from app.sandbox.messenger import PAGE_INBOX_APP_ID, messaging_payload
from app.sandbox.network import SandboxNetwork, one_to_one_id
from app.sandbox.personas import PERSONAS
from app.sandbox.traffic import TrafficGenerator

BRAND, PAGE = DEMO_X["user_id"], DEMO_FACEBOOK["page_id"]
BY_X_ID = {p.x_user["id"]: p for p in PERSONAS}
BY_FACEBOOK_ID = {p.facebook_user["id"]: p for p in PERSONAS}
BUSY_DMS = {"traffic_private_share": 0.45, "traffic_brand_native_share": 0.15, "traffic_moved_share": 0.6}


def generated(settings, count, seed=7):
    network = SandboxNetwork(settings)
    traffic = TrafficGenerator(network, seed=seed)
    return network, [traffic.generate_one() for _ in range(count)]


def messenger_messages(network):
    return [m for c in network.messenger.conversations.values() for m in c.messages]


def test_customers_move_to_dm_on_both_networks_and_the_brand_answers_natively():
    network, created = generated(BUSY_DMS, 400)
    kinds = Counter((c["network"], c["channel"], c.get("kind")) for c in created)
    for network_name in ("twitter", "facebook"):
        for kind in ("moved", "private", "private_follow_up", "brand_native"):
            assert kinds[(network_name, "private", kind)] > 0, (network_name, kind, kinds)
        assert kinds[(network_name, "public", None)] > 0

    # X: customers who moved wrote a mention first, then a DM into their one-to-one conversation with the brand.
    x_moved = [c for c in created if c["network"] == "twitter" and c.get("kind") == "moved"]
    for move in x_moved:
        event = network.dm_events[move["id"]]
        assert event.dm_conversation_id == one_to_one_id(BRAND, event.sender_id)
        assert any(t.author_id == event.sender_id and int(t.id) < int(event.id) for t in network.mentions(BRAND))
    # Only customers the brand may answer by DM write there; the others stay public.
    senders = {e.sender_id for e in network.dm_events.values()} - {BRAND}
    assert senders and all(network.x_users[s].receives_your_dm for s in senders)
    refusing = [p for p in PERSONAS if not p.accepts_dms and p.x_user["id"] in network.x_users]
    assert refusing, "some customers who do not accept DMs wrote publicly"
    assert all(not network.x_users[p.x_user["id"]].receives_your_dm for p in refusing)

    # Facebook: movers commented first, then wrote in Messenger.
    fb_moved = [c for c in created if c["network"] == "facebook" and c.get("kind") == "moved"]
    commenters = {c.author["id"] for c in network.comments.values() if c.author}
    by_id = {m.id: m for m in messenger_messages(network)}
    assert all(by_id[m["id"]].sender["id"] in commenters for m in fb_moved)

    # Native brand answers: X DMs not sent through the API; Page-inbox messages whose echo names the inbox app.
    native = [c for c in created if c.get("kind") == "brand_native"]
    x_native = [network.dm_events[c["id"]] for c in native if c["network"] == "twitter"]
    assert all(e.sender_id == BRAND and not e.via_api for e in x_native)
    fb_native = [by_id[c["id"]] for c in native if c["network"] == "facebook"]
    assert all(m.from_page and m.app_id == PAGE_INBOX_APP_ID for m in fb_native)
    echo = messaging_payload(network.pages[PAGE], fb_native[0])["entry"][0]["messaging"][0]["message"]
    assert echo["is_echo"] is True and echo["app_id"] == PAGE_INBOX_APP_ID
    assert network.replies() == []  # none of it came through the API: Carebox sent nothing

    # In the four languages, with order numbers.
    texts = " ".join(c["text"] for c in created if c["channel"] == "private")
    assert any("\u0600" <= ch <= "\u06ff" for ch in texts) and "ў" in texts and "ы" in texts and "order #" in texts


def test_the_same_seed_gives_the_same_traffic():
    def story(seed):
        return [(c["network"], c["channel"], c.get("kind"), c["text"]) for c in generated(BUSY_DMS, 150, seed)[1]]

    assert story(11) == story(11)
    assert story(11) != story(12)


def test_customers_answer_the_pages_private_reply_in_messenger():
    network = SandboxNetwork({"traffic_private_share": 1.0, "traffic_brand_native_share": 0.0,
                              "traffic_moved_share": 0.0})
    customer = PERSONAS[0].facebook_user
    comment = network.inject_comment(PAGE, "Where is my parcel?", author=customer)
    page = network.pages[PAGE]
    network.messenger.send(page, {"recipient": json.dumps({"comment_id": comment.id}),
                                  "message": json.dumps({"text": "Sorry! Could you send us the order number here?"})})
    traffic = TrafficGenerator(network, seed=3)
    answers = []
    for _ in range(40):
        created = traffic.generate_one()
        if created.get("kind") == "after_private_reply":
            answers.append(created)
            break
    assert answers, "the customer answered the Private Reply"
    (conversation,) = network.messenger.page_conversations(PAGE)
    assert conversation.customer["id"] == customer["id"]
    assert [m.from_page for m in conversation.messages] == [True, False]  # the Private Reply, then the answer
    assert conversation.last_customer_time is not None  # the standard window is open now


def test_the_brand_answers_natively_only_where_it_may():
    network = SandboxNetwork({"traffic_private_share": 0.0, "traffic_brand_native_share": 1.0})
    accepting = next(p for p in PERSONAS if p.accepts_dms)
    refusing = next(p for p in PERSONAS if not p.accepts_dms)
    network.inject_dm(BRAND, "hello", author={**accepting.x_user, "receives_your_dm": True})
    network.inject_dm(BRAND, "hi", author={**refusing.x_user, "receives_your_dm": False})
    traffic = TrafficGenerator(network, seed=5)
    first = traffic.generate_one()
    assert first["kind"] == "brand_native" and first["network"] == "twitter"
    assert network.dm_events[first["id"]].dm_conversation_id == one_to_one_id(BRAND, accepting.x_user["id"])
    second = traffic.generate_one()  # nothing left waiting that the brand may answer: a public post instead
    assert second["channel"] == "public"


def test_backlog_answers_come_after_the_messages_they_answer():
    network = SandboxNetwork(BUSY_DMS)
    traffic = TrafficGenerator(network, seed=9)
    created = traffic.backlog(list(range(200, 0, -1)))
    native = [c for c in created if c.get("kind") == "brand_native"]
    assert native
    for answer in (c for c in native if c["network"] == "twitter"):
        event = network.dm_events[answer["id"]]
        earlier = [e for e in network.dm_events.values()
                   if e.dm_conversation_id == event.dm_conversation_id and e.sender_id != BRAND]
        assert min(e.created_at for e in earlier) < event.created_at


def test_private_shares_are_settings():
    _network, created = generated({"traffic_private_share": 0.0, "traffic_brand_native_share": 0.0}, 100)
    assert {c["channel"] for c in created} == {"public"}
    _network, created = generated({"traffic_private_share": 1.0, "traffic_brand_native_share": 0.0}, 50)
    assert {c["channel"] for c in created} == {"private"}


# ------------------------------------------------------------------ demo data

def test_flask_demo_seeds_private_conversations_and_a_move_to_dm(app, db, tmp_path, monkeypatch):
    from app import demo
    from app.models import Conversation, Message

    monkeypatch.setattr(demo, "_logins_file", lambda: tmp_path / "demo-logins.txt")
    for _ in range(2):  # idempotent
        result = app.test_cli_runner().invoke(args=["demo", "--no-serve"])
        assert result.exit_code == 0, result.output
    db.session.commit()
    conversations = db.session.scalars(sa.select(Conversation)).all()
    private = [c for c in conversations if c.channel == "private"]
    assert {c.network for c in private} == {"twitter", "facebook", "instagram"} and len(private) == 5
    (moved,) = [c for c in conversations if c.moved_to_id is not None]
    target = db.session.get(Conversation, moved.moved_to_id)
    assert moved.channel == "public" and target.channel == "private"
    assert moved.contact_id == target.contact_id  # the same customer, side by side
    messages = db.session.scalars(sa.select(Message).where(Message.conversation_id == target.id)).all()
    assert [m.direction for m in sorted(messages, key=lambda m: m.created_at)] == ["inbound", "outbound", "inbound"]
    assert len(db.session.scalars(sa.select(Message.external_id)).all()) == (
        len(demo.DEMO_STORY) + len(demo.DEMO_INSTAGRAM_STORY))
    assert target.sla_state in ("ok", "warning", "breached")  # the customer's latest DM waits for an answer


def test_demo_customers_can_be_answered_in_a_fresh_sandbox(app, db, tmp_path, monkeypatch):
    from app import demo
    from app.sandbox.messenger import MessengerError

    monkeypatch.setattr(demo, "_logins_file", lambda: tmp_path / "demo-logins.txt")
    demo.seed_demo("http://127.0.0.1:9")
    network = SandboxNetwork()
    demo.remember_demo_customers(network)
    sarah = next(p for p in PERSONAS if p.handle == "sarah_mitch")
    event = network.send_brand_dm(BRAND, "We're on it!", participant_id=sarah.x_user["id"], via_api=True)
    assert event.dm_conversation_id == one_to_one_id(BRAND, sarah.x_user["id"])
    anna = next(p for p in PERSONAS if p.handle == "anna_smirnova")
    page = network.pages[PAGE]
    sent = network.messenger.send(page, {"recipient": json.dumps({"id": anna.facebook_user["id"]}),
                                         "message": json.dumps({"text": "Проверяем!"})})
    assert sent["recipient_id"] == anna.facebook_user["id"]
    assert network.messenger.page_conversations(PAGE)[0].messages[0].text == "Проверяем!"  # nothing else added
    try:
        network.messenger.send(page, {"recipient": json.dumps({"id": "999"}), "message": json.dumps({"text": "x"})})
    except MessengerError as refused:
        assert refused.subcode == 2018001  # someone the demo never mentioned is still unknown
    else:
        raise AssertionError("an unknown PSID was accepted")
