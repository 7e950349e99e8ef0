"""X direct messages in the sandbox, through tweepy over real HTTP: reading, paging, sending, limits."""
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
import tweepy

from tests.test_sandbox import BEARER, BRAND, control, x_client

JANE = {"id": "777", "username": "jane_doe", "name": "Jane Doe"}
CONVERSATION = f"777-{BRAND}"


def test_dm_events_newest_first_with_pages_and_includes(sandbox):
    sent = [control(sandbox, "POST", "/dms", json={"text": f"dm {n}", "author": JANE}).json() for n in range(5)]
    assert {s["dm_conversation_id"] for s in sent} == {CONVERSATION}  # {smaller}-{larger}
    client = x_client(sandbox, bearer=False)
    seen, token, pages = [], None, 0
    while True:
        page = client.get_direct_message_events(
            max_results=2, pagination_token=token, expansions=["sender_id"],
            dm_event_fields=["created_at", "dm_conversation_id", "sender_id"], user_fields=["username", "receives_your_dm"],
        )
        seen += [str(e.id) for e in page.data]
        pages += 1
        first = page.data[0]
        assert first.sender_id == 777 and first.dm_conversation_id == CONVERSATION and first.event_type == "MessageCreate"
        assert first.created_at.tzinfo is not None
        user = page.includes["users"][0]
        assert (user.username, user.data["receives_your_dm"]) == ("jane_doe", True)
        assert page.meta["result_count"] == len(page.data)
        token = page.meta.get("next_token")
        if not token:
            break
    assert seen == [s["id"] for s in reversed(sent)] and pages == 3
    with_jane = client.get_direct_message_events(participant_id=777)
    by_id = client.get_direct_message_events(dm_conversation_id=CONVERSATION)
    assert [e.text for e in with_jane.data] == [e.text for e in by_id.data] == [f"dm {n}" for n in range(4, -1, -1)]
    assert client.get_direct_message_events(participant_id=888).data is None
    with pytest.raises(tweepy.BadRequest):
        client.get_direct_message_events(max_results=101)
    with pytest.raises(tweepy.BadRequest):
        client.get_direct_message_events(max_results=0)


def test_dm_events_only_the_last_30_days_and_join_leave_without_text(sandbox):
    now = datetime.now(timezone.utc)
    control(sandbox, "POST", "/dms", json={"text": "old", "author": JANE,
                                           "created_at": (now - timedelta(days=31)).isoformat()})
    recent = control(sandbox, "POST", "/dms", json={"text": "recent", "author": JANE,
                                                    "created_at": (now - timedelta(days=29)).isoformat()}).json()
    joined = sandbox.network.dm_membership("1582838", BRAND, "777")
    events = x_client(sandbox).get_direct_message_events(
        dm_event_fields=["participant_ids", "sender_id"], expansions=["participant_ids"],
    )
    assert [str(e.id) for e in events.data] == [joined.id, recent["id"]]
    join = events.data[0]
    assert join.event_type == "ParticipantsJoin" and join.text is None and "text" not in join.data
    assert join.participant_ids == [777] and join.sender_id == int(BRAND)
    assert [u.username for u in events.includes["users"]] == ["jane_doe"]
    only = x_client(sandbox).get_direct_message_events(event_types="MessageCreate")
    assert [e.text for e in only.data] == ["recent"]


def test_dm_endpoints_refuse_app_only_auth(sandbox):
    for path in ("/2/dm_events", "/2/dm_conversations/with/777/dm_events", f"/2/dm_conversations/{CONVERSATION}/dm_events"):
        refused = requests.get(sandbox.url + path, headers=BEARER, timeout=5)
        assert refused.status_code == 403
        assert refused.json()["type"] == "https://api.twitter.com/2/problems/unsupported-authentication"
    with pytest.raises(tweepy.Forbidden):
        x_client(sandbox, user=False).get_direct_message_events(user_auth=False)


def test_create_direct_message_returns_the_dict_and_refusals(sandbox):
    control(sandbox, "POST", "/dms", json={"text": "hello", "author": JANE})
    client = x_client(sandbox)
    created = client.create_direct_message(participant_id=777, text="How can we help?")
    assert created.data == {"dm_conversation_id": CONVERSATION, "dm_event_id": created.data["dm_event_id"]}
    again = client.create_direct_message(dm_conversation_id=CONVERSATION, text="Still there?")
    assert again.data["dm_conversation_id"] == CONVERSATION
    texts = [e.text for e in client.get_direct_message_events(participant_id=777).data]
    assert texts == ["Still there?", "How can we help?", "hello"]
    assert sandbox.network.replies("twitter")[0]["id"] == again.data["dm_event_id"]

    with pytest.raises(tweepy.BadRequest):
        client.create_direct_message(participant_id=777, text="x" * 10001)
    assert client.create_direct_message(participant_id=777, text="x" * 10000).data["dm_event_id"]

    assert control(sandbox, "PATCH", "/x-users/777", json={"receives_your_dm": False}).json()["receives_your_dm"] is False
    with pytest.raises(tweepy.Forbidden) as closed:
        client.create_direct_message(participant_id=777, text="Hello?")
    assert closed.value.response.json() == {"title": "Forbidden", "detail": "You cannot send messages to this user.",
                                            "type": "about:blank", "status": 403}
    user = client.get_user(id=777, user_fields=["receives_your_dm"], user_auth=True).data
    assert user.data["receives_your_dm"] is False
    with pytest.raises(tweepy.BadRequest):
        client.create_direct_message(participant_id=999999, text="Who?")


def test_the_three_dm_reads_share_one_window(sandbox):
    sandbox.network.reset({"x_rate_limit_window": 10, "x_rate_limits": {"dm_lookup": {"user": 3}}})
    client = x_client(sandbox)
    client.get_direct_message_events()
    client.get_direct_message_events(participant_id=777)
    last = client.get_direct_message_events(dm_conversation_id=CONVERSATION)
    assert last.data is None
    with pytest.raises(tweepy.TooManyRequests) as limited:
        client.get_direct_message_events()
    headers = limited.value.response.headers
    assert (headers["x-rate-limit-limit"], headers["x-rate-limit-remaining"]) == ("3", "0")
    assert time.time() < int(headers["x-rate-limit-reset"]) <= time.time() + 11
    control(sandbox, "POST", "/dms", json={"text": "hello", "author": JANE})
    client.create_direct_message(participant_id=777, text="sends have their own window")


def test_the_24_hour_send_limit_comes_with_its_own_headers(sandbox):
    sandbox.network.reset({"x_dm_daily_limits": {"user": 2}})
    control(sandbox, "POST", "/dms", json={"text": "hello", "author": JANE})
    client = x_client(sandbox)
    client.return_type = requests.Response
    first = client.create_direct_message(participant_id=777, text="one")
    assert first.status_code == 201
    assert (first.headers["x-user-limit-24hour-limit"], first.headers["x-user-limit-24hour-remaining"]) == ("2", "1")
    assert (first.headers["x-app-limit-24hour-limit"], first.headers["x-app-limit-24hour-remaining"]) == ("15000", "14999")
    assert int(first.headers["x-user-limit-24hour-reset"]) > time.time() + 86000
    assert first.headers["x-rate-limit-limit"] == "200"
    client.create_direct_message(participant_id=777, text="two")
    with pytest.raises(tweepy.TooManyRequests) as limited:
        client.create_direct_message(participant_id=777, text="three")
    headers = limited.value.response.headers
    assert headers["x-user-limit-24hour-remaining"] == "0" and int(headers["x-rate-limit-remaining"]) == 197
