"""The sandbox's Facebook push sender against a small local receiver: handshake, format, signature, retries."""
import hashlib
import hmac
import json
import socket
import threading

import pytest

from app.sandbox import DEMO_FACEBOOK, SandboxServer
from tests.fixtures import push
from tests.fixtures.push import FAST_RETRIES, PushReceiver, control, subscription_state, wait_for
from tests.fixtures.push import receiver  # noqa: F401  (fixture)

PAGE_ID = DEMO_FACEBOOK["page_id"]
APP_SECRET = DEMO_FACEBOOK["app_secret"].encode()


@pytest.fixture
def push_sandbox(sandbox):
    sandbox.network.reset(FAST_RETRIES)
    return sandbox


def subscribe(sandbox, receiver, verify_token=None):
    """The demo page's pushes to `receiver`, with its verify token unless told another; the handshake pending."""
    return push.subscribe(sandbox, PAGE_ID, receiver.url, verify_token or receiver.verify_token)


def deliveries(sandbox):
    return control(sandbox, "GET", "/push-subscriptions").json()["deliveries"]


def comment(sandbox, text, **fields):
    resp = control(sandbox, "POST", "/posts", json={"network": "facebook", "page_id": PAGE_ID, "text": text, **fields})
    assert resp.status_code == 201, resp.text
    return resp.json()


def signed_by_app_secret(headers, body):
    sha256 = "sha256=" + hmac.new(APP_SECRET, body, hashlib.sha256).hexdigest()
    sha1 = "sha1=" + hmac.new(APP_SECRET, body, hashlib.sha1).hexdigest()
    return (hmac.compare_digest(headers["X-Hub-Signature-256"], sha256)
            and hmac.compare_digest(headers["X-Hub-Signature"], sha1))


def test_handshake_then_signed_feed_pushes_for_customer_and_page_comments(push_sandbox, receiver):
    sandbox = push_sandbox
    assert subscribe(sandbox, receiver)["state"] == "pending"
    assert wait_for(lambda: subscription_state(sandbox), "the handshake") == "active"
    (handshake,) = receiver.handshakes
    assert handshake["hub.mode"] == "subscribe" and handshake["hub.verify_token"] == receiver.verify_token
    assert handshake["hub.challenge"].isdigit()

    question = comment(sandbox, "Où est ma commande? 🙂 </script>", author={"id": "9001", "name": "Zoë Müller"})
    follow_up = comment(sandbox, "same here", parent_id=question["id"], author={"id": "9002", "name": "Sam"})
    anonymous = comment(sandbox, "no name", author=None)
    answer = control(sandbox, "POST", "/brand-replies", json={
        "network": "facebook", "page_id": PAGE_ID, "in_reply_to": question["id"], "text": "On it!"}).json()
    wait_for(lambda: len(receiver.posts) == 4, "four pushes")

    pushed = {}
    for headers, body in receiver.posts:
        assert signed_by_app_secret(headers, body)
        assert headers["Content-Type"] == "application/json"
        assert body.isascii() and b"\\/" in body  # Facebook's escaping: verify the raw bytes, not a re-encoding
        payload = json.loads(body)
        assert payload["object"] == "page"
        (entry,) = payload["entry"]
        (change,) = entry["changes"]
        assert entry["id"] == PAGE_ID and isinstance(entry["time"], int) and change["field"] == "feed"
        pushed[change["value"]["comment_id"]] = change["value"]

    first = pushed[question["id"]]
    assert {k: first[k] for k in ("item", "verb", "post_id", "parent_id", "message", "from")} == {
        "item": "comment", "verb": "add", "post_id": question["post_id"], "parent_id": question["post_id"],
        "message": "Où est ma commande? 🙂 </script>", "from": {"id": "9001", "name": "Zoë Müller"}}
    assert isinstance(first["created_time"], int) and first["post"]["id"] == question["post_id"]
    assert pushed[follow_up["id"]]["parent_id"] == question["id"]
    assert "from" not in pushed[anonymous["id"]]
    assert pushed[answer["id"]]["from"] == {"id": PAGE_ID, "name": DEMO_FACEBOOK["name"]}
    assert pushed[answer["id"]]["parent_id"] == question["id"]
    assert [d["outcome"] for d in deliveries(sandbox)] == ["delivered"] * 4

    assert control(sandbox, "DELETE", "/push-subscriptions").json() == {"subscriptions": []}
    comment(sandbox, "after unsubscribing")
    assert len(deliveries(sandbox)) == 4  # nothing was even queued


def test_pushes_never_block_the_api_and_are_retried_with_backoff(push_sandbox, receiver):
    sandbox = push_sandbox
    subscribe(sandbox, receiver)
    wait_for(lambda: subscription_state(sandbox), "the handshake")
    held = threading.Event()
    receiver.script = [held, 500]  # no answer in time, then a server error, then 200
    try:
        created = comment(sandbox, "my order is late")
        assert not held.is_set()  # the API answered while the receiver was still holding the push
        (delivery,) = wait_for(lambda: deliveries(sandbox), "the delivery outcome")
    finally:
        held.set()
    assert delivery["comment_id"] == created["id"]
    assert (delivery["outcome"], delivery["attempts"], delivery["statuses"]) == ("delivered", 3, [500, 200])
    bodies = {body for _, body in receiver.posts}
    signatures = {headers["X-Hub-Signature-256"] for headers, _ in receiver.posts}
    assert len(receiver.posts) == 3 and len(bodies) == 1 and len(signatures) == 1  # the same push each time


def test_a_push_that_keeps_failing_is_given_up_after_the_attempts(push_sandbox, receiver):
    sandbox = push_sandbox
    subscribe(sandbox, receiver)
    wait_for(lambda: subscription_state(sandbox), "the handshake")
    receiver.script = [503] * 10
    comment(sandbox, "anyone there?")
    (delivery,) = wait_for(lambda: deliveries(sandbox), "the delivery outcome")
    assert (delivery["outcome"], delivery["attempts"], delivery["statuses"]) == ("failed", 3, [503, 503, 503])
    assert delivery["error"] == "the callback answered 503"


def test_a_refused_handshake_means_no_pushes(push_sandbox, receiver):
    sandbox = push_sandbox
    subscribe(sandbox, receiver, verify_token="not-the-receivers-token")
    assert wait_for(lambda: subscription_state(sandbox), "the handshake") == "failed"
    (sub,) = control(sandbox, "GET", "/push-subscriptions").json()["subscriptions"]
    assert "403" in sub["error"] and "verify_token" not in sub
    assert len(receiver.handshakes) == 1  # a refusal is final; only an unreachable callback is retried
    comment(sandbox, "hello?")
    assert deliveries(sandbox) == [] and receiver.posts == []


def test_control_endpoint_refuses_bad_subscriptions(push_sandbox):
    bad = [({"page_id": "404", "callback_url": "http://127.0.0.1:1/x", "verify_token": "t"}, 404),
           ({"page_id": PAGE_ID, "callback_url": "ftp://example.test/x", "verify_token": "t"}, 400),
           ({"page_id": PAGE_ID, "callback_url": "http://127.0.0.1:1/x"}, 400)]
    for body, status in bad:
        assert control(push_sandbox, "POST", "/push-subscriptions", json=body).status_code == status, body


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_subscription_from_settings_waits_for_a_receiver_that_starts_late():
    """What `flask demo` needs: the sandbox starts first, Carebox's receiver a moment later."""
    port = free_port()
    callback = f"http://127.0.0.1:{port}/hooks/facebook"
    settings = {**FAST_RETRIES, "traffic_rate": 0,
                "facebook_push_subscriptions": [{"page_id": PAGE_ID, "callback_url": callback, "verify_token": "vt"}]}
    with SandboxServer(settings) as server:
        push = server.network.push
        # A second attempt has begun: the first found nobody listening.
        wait_for(lambda: push.subscriptions()[0]["handshake_attempts"] >= 2, "a retried handshake")
        assert push.subscriptions()[0]["state"] == "pending"
        late = PushReceiver(verify_token="vt", port=port)
        try:
            wait_for(lambda: push.subscriptions()[0]["state"] == "active", "the retried handshake")
            created = server.network.inject_comment(PAGE_ID, "pushed to the late receiver")
            (delivery,) = wait_for(push.deliveries, "the delivery")
            assert delivery["outcome"] == "delivered" and delivery["comment_id"] == created.id
            assert signed_by_app_secret(*late.posts[0])
        finally:
            late.close()
