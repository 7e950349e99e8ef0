"""Instagram as a network like the others on the server side: the REST API's filters, counts, search and
conversation detail (with its posts), reports grouped by network (JSON and CSV), an SLA policy per Instagram
account, the reply limits, the move-to-DM rules (7 days, Live only while live, no window opened by a Private
Reply), the ReplyTarget a public reply carries to the connector, account health's call budget, the demo data.

Items are built by hand and put through the one ingest path (the connector and push receiver are tested
on their own against the sandbox)."""
import csv
import io
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from app.accounts import create_account
from app.conversations import moving, replies, sending
from app.conversations.windows import LIVE_BROADCAST_LIMIT, live_still_on, private_reply_open, reply_window
from app.domain_errors import Invalid
from app.ingest.items import InboundAuthor, InboundItem, InboundPost
from app.ingest.pipeline import ingest
from app.models import Conversation, Message, Post, SocialAccount
from tests.conftest import writing

NOW = datetime.now(timezone.utc).replace(microsecond=0)
IG_USER = "17841400000000077"
BRAND = InboundAuthor(IG_USER, "acme.shop", "Acme")
ANA = InboundAuthor("igsid-ana", "ana.k", "Ana")
BO = InboundAuthor("igsid-bo", "bo.b", "Bo")
REEL = InboundPost("m-reel", caption="Same-day delivery, explained", permalink="https://www.instagram.com/reel/r1/",
                   thumbnail_url="https://cdn.example/r1.jpg", media_type="VIDEO", product_type="REELS",
                   owner_handle="acme.shop", owned=True, posted_at=NOW - timedelta(days=2))
THEIRS = InboundPost("m-theirs", caption="My acme.shop haul", owner_handle="bo.b", owned=False,
                     media_type="IMAGE", product_type="FEED")


def ago(minutes):
    return NOW - timedelta(minutes=minutes)


def comment(ext, minutes, author=ANA, post=REEL, parent=None, text=None):
    return InboundItem(ext, text or f"comment {ext}", ago(minutes), author, in_reply_to=parent or post.external_id,
                       thread_id=parent or ext, network="instagram", post=post)


def put(db, account, items):
    with writing(db) as session:
        return ingest(session, account, items)


@pytest.fixture
def ig(db):
    with writing(db) as session:
        account = create_account(session, network="instagram", name="Acme on Instagram", credentials={
            "page_id": "1000", "page_access_token": "page-token", "ig_user_id": IG_USER})
        account.handle = "acme.shop"
    return db.session.get(SocialAccount, account.id)


@pytest.fixture
def x(db):
    with writing(db) as session:
        account = create_account(session, network="twitter", name="Acme on X", credentials={"bearer_token": "t"})
    return db.session.get(SocialAccount, account.id)


@pytest.fixture
def api(client, make_user, make_token):
    token = make_token(make_user("manager", name="Max"), scopes=("read", "write", "admin"))

    def call(method, url, **kwargs):
        return client.open(url, method=method, headers={"Authorization": f"Bearer {token}"}, **kwargs)

    return call


@pytest.fixture
def story(db, ig, x):
    """Ana comments on the reel and replies in its thread, Bo mentions the brand in his caption, Ana DMs; a
    customer on X writes too."""
    results = put(db, ig, [
        comment("c1", 30, text="Where is my parcel? Order 4412"), comment("c2", 20, parent="c1"),
        InboundItem("m-theirs", THEIRS.caption, ago(15), BO, network="instagram", post=THEIRS),
        InboundItem("d1", "hello in private", ago(10), ANA, network="instagram", channel="private")])
    results += put(db, x, [InboundItem("t1", "parcel late on X too", ago(5), InboundAuthor("x-1", "xuser"))])
    of = {r.external_id: db.session.get(Conversation, r.conversation_id) for r in results}
    return {"comments": of["c1"], "mention": of["m-theirs"], "dm": of["d1"], "x": of["t1"]}


# ------------------------------------------------------------------ REST: list, counts, search, detail

def test_filters_counts_and_search_by_network_instagram(story, api):
    listed = api("GET", "/api/v1/conversations?network=instagram&status=open&assignee=all").json["items"]
    assert {c["id"] for c in listed} == {story["comments"].id, story["mention"].id, story["dm"].id}
    assert {c["network"] for c in listed} == {"instagram"}
    counts = api("GET", "/api/v1/conversations/counts?network=instagram&assignee=all").json
    assert counts["status"]["open"] == 3 and counts["channel"] == {"public": 2, "private": 1}
    found = api("GET", "/api/v1/conversations?network=instagram&q=parcel&assignee=all").json["items"]
    assert [c["id"] for c in found] == [story["comments"].id]  # the X one says parcel too, but is not Instagram
    assert api("GET", "/api/v1/conversations?network=myspace").status_code == 422


def test_the_detail_carries_the_posts_its_messages_hang_off(story, api):
    body = api("GET", f"/api/v1/conversations/{story['comments'].id}").json
    assert [m["post_external_id"] for m in body["messages"]] == ["m-reel", "m-reel"]
    assert body["posts"] == {"m-reel": {
        "external_id": "m-reel", "caption": "Same-day delivery, explained",
        "permalink": "https://www.instagram.com/reel/r1/", "thumbnail_url": "https://cdn.example/r1.jpg",
        "media_type": "VIDEO", "product_type": "REELS", "owner_handle": "acme.shop", "owned": True,
        "posted_at": REEL.posted_at.isoformat().replace("+00:00", "Z")}}
    assert body["reply_limit"] == {"network": "instagram", "max": 2200, "counting": "characters"}
    assert body["can_move_to_private"] == {"allowed": True, "reason": None, "via": "private_reply"}
    mention = api("GET", f"/api/v1/conversations/{story['mention'].id}").json
    assert mention["posts"]["m-theirs"]["owned"] is False and mention["posts"]["m-theirs"]["owner_handle"] == "bo.b"
    dm = api("GET", f"/api/v1/conversations/{story['dm'].id}").json
    assert dm["posts"] == {} and dm["reply_limit"]["max"] == 1000 and dm["reply_window"]["state"] == "open"


# ------------------------------------------------------------------ reports, CSV, SLA policies

def test_reports_and_csv_group_by_network_with_instagram(story, api):
    day = NOW.date().isoformat()
    yesterday = (NOW - timedelta(days=1)).date().isoformat()
    rng = f"from={yesterday}&to={day}"
    groups = api("GET", f"/api/v1/reports/response-times?{rng}&group=network").json["groups"]
    by_network = {g["key"]: g for g in groups}
    assert by_network["instagram"]["clocks"] == 3 and by_network["twitter"]["clocks"] == 1
    only = api("GET", f"/api/v1/reports/response-times?{rng}&network=instagram").json["totals"]
    assert only["clocks"] == 3
    resp = api("GET", f"/api/v1/reports/response-times?{rng}&group=network&format=csv")
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    labels = {r["label"]: r for r in rows if r["channel"] == "all"}
    assert labels["instagram"]["clocks"] == "3"
    clocks = api("GET", f"/api/v1/reports/clocks?{rng}&network=instagram").json["items"]
    assert len(clocks) == 3 and {c["network"] for c in clocks} == {"instagram"}
    summary = api("GET", "/api/v1/sla/summary").json
    assert [n["network"] for n in summary["networks"]] == ["instagram", "twitter"]
    (row,) = [a for a in summary["accounts"] if a["network"] == "instagram"]
    assert row["poller"]["budget"] == {"kind": "business_use_case", "calls_per_impression": 4800, "window_hours": 24}


def test_an_sla_policy_per_instagram_account(db, ig, api):
    policy = api("POST", "/api/v1/sla/policies", json={"name": "Instagram", "warn_minutes": 5,
                                                       "breach_minutes": 10}).json
    assigned = api("PUT", f"/api/v1/accounts/{ig.id}/sla-policy", json={"policy_id": policy["id"]})
    assert assigned.status_code == 200
    (result,) = put(db, ig, [comment("c9", 1)])
    conv = db.session.get(Conversation, result.conversation_id)
    assert conv.sla_breach_at == conv.sla_started_at + timedelta(minutes=10)


# ------------------------------------------------------------------ limits, windows, moving (plain functions)

def test_reply_limits_for_instagram_comments_and_dms():
    assert replies.reply_limit("instagram") == {"max": 2200, "counting": "characters"}
    assert replies.reply_limit("instagram", "private") == {"max": 1000, "counting": "characters"}
    assert replies.check_reply_text("instagram", "é" * 2200) == "é" * 2200
    with pytest.raises(Invalid) as refused:
        replies.check_reply_text("instagram", "x" * 2201)
    assert refused.value.code == "reply_too_long"
    with pytest.raises(Invalid):
        replies.check_reply_text("instagram", "x" * 1001, "private")


def test_instagram_windows_and_private_reply_rules():
    assert moving.VIA["instagram"] == "private_reply"
    assert reply_window("instagram", ago(60), NOW).state == "open"
    assert reply_window("instagram", ago(60 * 30), NOW).state == "closed"
    assert reply_window("instagram", ago(60 * 30), NOW, human_agent_enabled=True).state == "human_agent"
    assert reply_window("instagram", None, NOW).state == "closed"  # a Private Reply alone opens nothing
    assert private_reply_open(NOW - timedelta(days=6), NOW) and not private_reply_open(NOW - timedelta(days=8), NOW)
    assert live_still_on(NOW - timedelta(hours=1), NOW)
    assert not live_still_on(NOW - LIVE_BROADCAST_LIMIT - timedelta(minutes=1), NOW)
    assert not live_still_on(None, NOW)
    assert "Instagram" in str(moving.refusal_text("instagram", "private_reply_window_closed"))
    assert "Facebook" in str(moving.refusal_text("facebook", "private_reply_window_closed"))


def test_a_live_comment_moves_to_dm_only_while_live(db, ig):
    live = InboundPost("m-live", caption="We're live", media_type="VIDEO", product_type="LIVE",
                       posted_at=NOW - timedelta(hours=1))
    ended = InboundPost("m-ended", caption="Earlier live", media_type="VIDEO", product_type="LIVE",
                        posted_at=NOW - timedelta(hours=6))
    (on_air,) = put(db, ig, [comment("l1", 2, post=live)])
    (after,) = put(db, ig, [comment("l2", 2, author=BO, post=ended)])
    check = moving.can_move_to_private(db.session, db.session.get(Conversation, on_air.conversation_id), NOW)
    assert check.allowed
    check = moving.can_move_to_private(db.session, db.session.get(Conversation, after.conversation_id), NOW)
    assert (check.allowed, check.reason) == (False, "live_ended")
    (old,) = put(db, ig, [comment("o1", 60 * 24 * 8, author=InboundAuthor("igsid-cy", "cy"))])
    check = moving.can_move_to_private(db.session, db.session.get(Conversation, old.conversation_id), NOW)
    assert (check.allowed, check.reason) == (False, "private_reply_window_closed")


def test_an_instagram_private_reply_does_not_open_the_window(db, ig, make_user):
    agent = make_user("agent", name="Alex")
    (asked,) = put(db, ig, [comment("c1", 5)])
    with writing(db) as session:
        moved = moving.move_to_private(session, asked.conversation_id, author=session.get(type(agent), agent.id))
        (first,) = moved.messages
        assert (first.send_as, first.in_reply_to_external_id) == ("private_reply", "c1")
        private_id = moved.private.id
    private = db.session.get(Conversation, private_id)
    assert reply_window("instagram", private.last_inbound_at, NOW).state == "closed"
    with pytest.raises(Invalid) as refused, writing(db) as session:
        replies.create_reply(session, private_id, author=session.get(type(agent), agent.id), text="and another")
    assert refused.value.code == "outside_window"
    put(db, ig, [InboundItem("d1", "thanks, here I am", NOW, ANA, network="instagram", channel="private")])
    db.session.expire_all()
    assert reply_window("instagram", db.session.get(Conversation, private_id).last_inbound_at, NOW).state == "open"


# ------------------------------------------------------------------ sending: the ReplyTarget

class RecordingConnector:
    """Stands in for the connector object only (no network library is replaced): records the call."""

    def __init__(self):
        self.calls = []

    def send_reply(self, in_reply_to, text, *, target=None):
        self.calls.append((in_reply_to, text, target))


def _queued_reply(db, agent, conversation_id, answered_external_id):
    with writing(db) as session:
        answered = session.scalars(sa.select(Message).where(Message.external_id == answered_external_id)).one()
        message, _ = replies.create_reply(session, conversation_id, author=session.get(type(agent), agent.id),
                                          text="we're on it", in_reply_to_message_id=answered.id)
        return message.id


def _sent_target(db, message_id):
    connector = RecordingConnector()
    sending._network_call(db.session, db.session.get(Message, message_id))(connector)
    ((in_reply_to, text, target),) = connector.calls
    return in_reply_to, target


@pytest.mark.parametrize("answered, expected", [
    ("c1", ("c1", "m-reel", "m-reel", False)),  # a top-level comment: its parent is the media
    ("c2", ("c2", "c1", "m-reel", False)),  # a reply: Instagram answers it on its top-level comment
    ("m-theirs", ("m-theirs", None, "m-theirs", True)),  # a caption mention: through the mentions edge
])
def test_a_public_reply_carries_the_target_the_connector_needs(db, story, make_user, answered, expected):
    agent = make_user("agent", name="Alex")
    conv_id = story["mention"].id if answered == "m-theirs" else story["comments"].id
    message_id = _queued_reply(db, agent, conv_id, answered)
    stored = db.session.get(Message, message_id)
    assert stored.post_external_id == expected[2]  # our reply keeps the post it answers under
    in_reply_to, target = _sent_target(db, message_id)
    assert in_reply_to == answered
    assert (target.external_id, target.parent_id, target.post_id, target.mention) == expected


def test_a_reply_to_a_mentioned_comment_is_a_mention(db, ig, make_user):
    agent = make_user("agent", name="Alex")
    (result,) = put(db, ig, [InboundItem("c-theirs", "acme.shop mine too", ago(3), ANA, in_reply_to="m-theirs",
                                         thread_id="c-theirs", network="instagram", post=THEIRS)])
    message_id = _queued_reply(db, agent, result.conversation_id, "c-theirs")
    _in_reply_to, target = _sent_target(db, message_id)
    assert (target.external_id, target.parent_id, target.post_id, target.mention) == (
        "c-theirs", "m-theirs", "m-theirs", True)


def test_a_refused_public_reply_keeps_instagrams_reason(db, story, make_user):
    """The connector's RejectedError reason (REPLY_REFUSALS) is stored as delivery_error_code, as for DMs."""
    from app.connectors.base import REPLY_REFUSALS

    agent = make_user("agent", name="Alex")
    message_id = _queued_reply(db, agent, story["comments"].id, "c2")
    with writing(db) as session:
        message = session.get(Message, message_id)
        message.delivery_status = "sending"
    assert sending._record(db.session, message_id, "failed", error="(#10) hidden", error_code="comment_hidden") == (
        "failed")
    db.session.expire_all()
    stored = db.session.get(Message, message_id)
    assert stored.delivery_error_code == "comment_hidden" and "comment_hidden" in REPLY_REFUSALS


# ------------------------------------------------------------------ accounts and demo

def test_account_health_shows_instagram_budgets(db, ig, x, api):
    with writing(db) as session:
        account = session.get(SocialAccount, ig.id)
        account.rate_limits = {"instagram": {"limit": 100, "remaining": 88, "reset_at": None},
                               "conversations": {"limit": 2, "remaining": 1, "reset_at": None}}
    items = {a["network"]: a for a in api("GET", "/api/v1/accounts").json["items"]}
    health = items["instagram"]["health"]
    assert set(health["rate_limits"]) == {"instagram", "conversations"}
    assert health["budget"] == {"kind": "business_use_case", "calls_per_impression": 4800, "window_hours": 24}
    assert items["instagram"]["external_id"] == IG_USER
    assert items["twitter"]["health"]["budget"] is None


def test_instagram_credentials_are_checked():
    from app.accounts import AccountError, validate_credentials

    validate_credentials("instagram", {"page_id": "1", "page_access_token": "t", "ig_user_id": "178"})
    validate_credentials("instagram", {"page_id": "1", "page_access_token": "t"})  # the connector finds the IG id
    for bad in ({"page_access_token": "t"}, {"page_id": "1", "page_access_token": "t", "ig_user_id": "abc"},
                {"page_id": "1", "page_access_token": "t", "user_id": "1"}):
        with pytest.raises(AccountError):
            validate_credentials("instagram", bad)


def test_the_demo_seeds_an_instagram_account_and_its_story(app, db, tmp_path, monkeypatch):
    from app.demo import DEMO_INSTAGRAM_STORY, seed_demo
    from app.sandbox.demo_accounts import DEMO_INSTAGRAM

    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    seed_demo("http://127.0.0.1:5999")
    seed_demo("http://127.0.0.1:5999")  # idempotent
    account = db.session.scalars(sa.select(SocialAccount).where(SocialAccount.network == "instagram")).one()
    assert (account.external_id, account.handle, account.api_base_url) == (
        DEMO_INSTAGRAM["ig_user_id"], DEMO_INSTAGRAM["username"], "http://127.0.0.1:5999")
    messages = db.session.scalars(sa.select(Message).where(Message.network == "instagram")).all()
    assert len(messages) == len(DEMO_INSTAGRAM_STORY)
    posts = {p.external_id: p for p in db.session.scalars(sa.select(Post))}
    assert {p.product_type for p in posts.values()} >= {"FEED", "REELS"}
    assert [p.owned for p in posts.values()].count(False) == 1
    convs = db.session.scalars(sa.select(Conversation).where(Conversation.network == "instagram")).all()
    assert sorted(c.channel for c in convs) == ["private", "public", "public", "public"]
    assert {c.language for c in convs} == {"en", "ru", "be", "ar"}
