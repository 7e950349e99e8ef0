"""The sandbox's Messenger slice through facebook-sdk over real HTTP: Send API windows and tags, Private Replies,
the Conversations API, and the signed `messages` webhooks with their echoes."""
import json
import time
from datetime import datetime, timedelta, timezone

import facebook
import pytest

from app.sandbox import DEMO_FACEBOOK
from app.sandbox.messenger import PAGE_INBOX_APP_ID
from tests.test_sandbox import graph
from tests.fixtures.push import FAST_RETRIES, control, subscription_state, wait_for
from tests.fixtures.push import receiver  # noqa: F401  (fixture)
from tests.test_sandbox_push import signed_by_app_secret, subscribe

PAGE = DEMO_FACEBOOK["page_id"]
V = "v21.0"
PSID = "24000000000000001"


def ago(**delta):
    return (datetime.now(timezone.utc) - timedelta(**delta)).isoformat()


def customer_writes(sandbox, text, psid=PSID, **fields):
    resp = control(sandbox, "POST", "/messenger/messages",
                   json={"page_id": PAGE, "text": text, "sender": {"id": psid, "name": "Ann Lee"}, **fields})
    assert resp.status_code == 201, resp.text
    return resp.json()


def send(api, recipient, text="Thanks, we are on it", **extra):
    args = {"recipient": json.dumps(recipient), "messaging_type": "RESPONSE", "message": json.dumps({"text": text})}
    args.update(extra)
    return api.request(f"{V}/{PAGE}/messages", post_args=args)


def refusal(call):
    with pytest.raises(facebook.GraphAPIError) as error:
        call()
    return error.value


@pytest.fixture
def messenger_sandbox(sandbox):
    sandbox.network.reset({**FAST_RETRIES, "messenger_conversations_per_second": 1000})
    return sandbox


def test_send_within_the_window_and_refused_outside_it(messenger_sandbox):
    api = graph(messenger_sandbox)
    customer_writes(messenger_sandbox, "Where is my order?", created_at=ago(hours=23))
    sent = send(api, {"id": PSID})
    assert set(sent) == {"recipient_id", "message_id"} and sent["recipient_id"] == PSID

    customer_writes(messenger_sandbox, "old question", psid="24000000000000002", created_at=ago(hours=25))
    late = refusal(lambda: send(api, {"id": "24000000000000002"}))
    assert late.code == 10 and late.result["error"]["error_subcode"] == 2018278
    assert late.message.startswith("(#10) This message is sent outside of allowed window.")
    assert late.result["error"]["type"] == "OAuthException"
    unknown = refusal(lambda: send(api, {"id": "999"}))
    assert unknown.code == 100


def test_human_agent_tag_needs_the_permission_and_stops_after_7_days(messenger_sandbox):
    api = graph(messenger_sandbox)
    customer_writes(messenger_sandbox, "hello?", created_at=ago(days=3))
    tagged = {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
    assert refusal(lambda: send(api, {"id": PSID}, **tagged)).code == 10  # no permission yet
    resp = control(messenger_sandbox, "POST", "/messenger/human-agent", json={"page_id": PAGE, "enabled": True})
    assert resp.json() == {"page_id": PAGE, "human_agent": True}
    assert send(api, {"id": PSID}, **tagged)["recipient_id"] == PSID
    assert refusal(lambda: send(api, {"id": PSID})).code == 10  # RESPONSE still needs the 24 h window

    customer_writes(messenger_sandbox, "a week ago", psid="24000000000000003", created_at=ago(days=7, hours=1))
    late = refusal(lambda: send(api, {"id": "24000000000000003"}, **tagged))
    assert late.code == 10 and late.result["error"]["error_subcode"] == 2018278


def test_text_length_sender_action_and_bad_parameters(messenger_sandbox):
    api = graph(messenger_sandbox)
    customer_writes(messenger_sandbox, "hi")
    assert send(api, {"id": PSID}, text="x" * 2000)["recipient_id"] == PSID
    too_long = refusal(lambda: send(api, {"id": PSID}, text="x" * 2001))
    assert too_long.code == 100 and "2000" in too_long.message
    both = refusal(lambda: send(api, {"id": PSID}, sender_action="typing_on"))
    assert both.code == 100
    assert api.request(f"{V}/{PAGE}/messages", post_args={"recipient": json.dumps({"id": PSID}),
                                                          "sender_action": "typing_on"}) == {"recipient_id": PSID}
    assert refusal(lambda: send(api, {"id": PSID}, messaging_type="PROMO")).code == 100
    # What requests makes of an un-dumped dict: recipient=id
    assert refusal(lambda: api.request(f"{V}/{PAGE}/messages", post_args={
        "recipient": {"id": PSID}, "message": json.dumps({"text": "hi"})})).code == 100


def test_private_reply_once_per_comment_within_7_days(messenger_sandbox):
    network = messenger_sandbox.network
    api = graph(messenger_sandbox)
    comment = network.inject_comment(PAGE, "My parcel never came", author={"id": "700", "name": "Bo"})
    old = network.inject_comment(PAGE, "ancient", author={"id": "701", "name": "Cy"},
                                 created_at=datetime.now(timezone.utc) - timedelta(days=8))
    fields = "id,can_reply_privately"
    assert api.get_object(comment.id, fields=fields)["can_reply_privately"] is True
    assert api.get_object(old.id, fields=fields)["can_reply_privately"] is False

    sent = send(api, {"comment_id": comment.id}, text="Sorry! Could you send us your order number?")
    assert sent["recipient_id"] == "700" and sent["message_id"].startswith("m_")
    again = refusal(lambda: send(api, {"comment_id": comment.id}))
    assert again.code == 10900 and again.message == "(#10900) Activity already replied to"
    assert api.get_object(comment.id, fields=fields)["can_reply_privately"] is False
    assert refusal(lambda: send(api, {"comment_id": old.id})).code == 10903
    # Only once the person answers does the 24 h window open.
    assert refusal(lambda: send(api, {"id": "700"})).code == 10
    customer_writes(messenger_sandbox, "It is 1234", psid="700")
    assert send(api, {"id": "700"})["recipient_id"] == "700"


def test_conversations_paging_fields_and_messages_edge(messenger_sandbox):
    api = graph(messenger_sandbox)
    for n in range(5):
        customer_writes(messenger_sandbox, f"question {n}", psid=f"2400000000000010{n}", created_at=ago(minutes=50 - n))
    send(api, {"id": "24000000000000100"}, text="answer to 0")  # now the most recent conversation
    fields = "id,updated_time,participants{id,name,email},messages{id,message,from,to,created_time}"
    first = api.get_connections(PAGE, "conversations", platform="messenger", fields=fields, limit=2,
                                since=int(time.time()))  # no time-based paging: ignored
    assert len(first["data"]) == 2 and "next" in first["paging"]
    top = first["data"][0]
    assert [m["message"] for m in top["messages"]["data"]] == ["answer to 0", "question 0"]
    assert top["messages"]["data"][0]["from"]["id"] == PAGE
    assert top["messages"]["data"][1]["to"]["data"][0]["id"] == PAGE
    assert {p["id"] for p in top["participants"]["data"]} == {"24000000000000100", PAGE}
    assert all(set(p) == {"id", "name", "email"} for p in top["participants"]["data"])

    seen = [c["id"] for c in first["data"]]
    after = first["paging"]["cursors"]["after"]
    while after:
        more = api.get_connections(PAGE, "conversations", platform="messenger", limit=2, after=after)
        assert all(set(c) == {"id", "updated_time"} for c in more["data"])
        seen += [c["id"] for c in more["data"]]
        after = more["paging"]["cursors"]["after"] if "next" in more.get("paging", {}) else None
    assert len(seen) == len(set(seen)) == 5

    messages = api.get_connections(top["id"], "messages", fields="id,message,created_time", limit=1)
    assert [m["message"] for m in messages["data"]] == ["answer to 0"] and "next" in messages["paging"]
    older = api.get_connections(top["id"], "messages", fields="id,message", limit=1,
                                after=messages["paging"]["cursors"]["after"])
    assert [m["message"] for m in older["data"]] == ["question 0"]
    assert refusal(lambda: api.get_connections(top["id"], "messages", fields="bogus")).code == 100


def test_conversations_api_allows_2_calls_per_second_per_page(sandbox):
    sandbox.network.reset({"messenger_conversations_per_second": 2})
    api = graph(sandbox)
    api.get_connections(PAGE, "conversations", platform="messenger")
    api.get_connections(PAGE, "conversations", platform="messenger")
    limited = refusal(lambda: api.get_connections(PAGE, "conversations", platform="messenger"))
    assert limited.code == 613
    time.sleep(1.1)
    assert api.get_connections(PAGE, "conversations", platform="messenger") == {"data": []}


def test_messages_webhooks_in_order_signed_with_echoes(messenger_sandbox, receiver):  # noqa: F811
    sandbox = messenger_sandbox
    # Order is the point here, not retries: a callback slow on a loaded machine is waited for, not given up on.
    sandbox.network.reset({**FAST_RETRIES, "messenger_conversations_per_second": 1000, "push_timeout": 5.0})
    subscribe(sandbox, receiver)
    assert wait_for(lambda: subscription_state(sandbox), "the handshake") == "active"
    api = graph(sandbox)
    asked = [customer_writes(sandbox, f"message {n} 🙂")["id"] for n in range(3)]
    sent = api.request(f"{V}/{PAGE}/messages", post_args={
        "recipient": json.dumps({"id": PSID}), "messaging_type": "RESPONSE",
        "message": json.dumps({"text": "We are on it", "metadata": "carebox:42"})})
    native = control(sandbox, "POST", "/messenger/page-messages",
                     json={"page_id": PAGE, "recipient_id": PSID, "text": "From the inbox"})
    assert native.status_code == 201
    mids = [*asked, sent["message_id"], native.json()["id"]]
    # A push is sent again when the callback answers late (as Facebook does): a loaded machine may see one
    # twice. Each is sent only once the one before was answered, so their first arrivals keep the order.
    events = wait_for(lambda: len(first_arrivals(receiver.posts)) == len(mids) and first_arrivals(receiver.posts),
                      "five pushes")
    assert [e["message"]["mid"] for e in events] == mids
    first = events[0]
    assert first["sender"] == {"id": PSID} and first["recipient"] == {"id": PAGE}
    assert first["message"] == {"mid": asked[0], "text": "message 0 🙂"}
    echo = events[3]
    assert echo["sender"] == {"id": PAGE} and echo["recipient"] == {"id": PSID}
    assert echo["message"]["is_echo"] is True and echo["message"]["metadata"] == "carebox:42"
    assert echo["message"]["app_id"] == int(DEMO_FACEBOOK["app_id"])
    assert events[4]["message"]["is_echo"] is True and events[4]["message"]["app_id"] == PAGE_INBOX_APP_ID
    assert "metadata" not in events[4]["message"]
    # The sandbox records a delivery once it has read the answer, just after the receiver saw the push.
    (delivery, *_) = wait_for(lambda: [d for d in control(sandbox, "GET", "/push-subscriptions").json()["deliveries"]
                                       if d["mid"] == mids[-1]], "the last delivery's record")
    assert delivery["outcome"] == "delivered"


def first_arrivals(posts):
    """The Messenger events pushed, in the order they first arrived, each checked: signed, ASCII, well formed."""
    events = {}
    for headers, body in list(posts):
        assert signed_by_app_secret(headers, body) and body.isascii()
        payload = json.loads(body)
        assert payload["object"] == "page"
        (entry,) = payload["entry"]
        assert entry["id"] == PAGE and isinstance(entry["time"], int) and entry["time"] > 10 ** 12
        (event,) = entry["messaging"]
        assert set(event) == {"sender", "recipient", "timestamp", "message"}
        events.setdefault(event["message"]["mid"], event)
    return list(events.values())
