"""The moderation REST API (POST /messages/{id}/hide, /unhide, /like, /unlike; DELETE /messages/{id}; POST
/messages/moderation) against the real sandbox over HTTP: what the network then shows, the answers and error
codes (422 with the network's reason, 403 by role permission, 404, 409, 503 with the network down), audit
rows, webhooks, bulk, and session callers' CSRF."""
import json
import socket

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, Message, SocialAccount
from app.permissions import set_lowest_roles
from tests.conftest import csrf_from, login, writing
from tests.fixtures.webhook_receiver import receiver  # noqa: F401  (fixture)
from tests.moderation_helpers import (
    BRAND, IG, connect, customer_message, gone_from_network, moderation_actions, network_state, on_network, poll_now,
    stored,
)
from tests.webhook_helpers import deliveries, register, run_worker

NETWORKS = ["twitter", "facebook", "instagram"]


def auth(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def agent(make_user):
    return make_user("agent")


@pytest.fixture
def agent_token(agent, make_token):
    return make_token(agent)


@pytest.mark.parametrize("network", NETWORKS)
def test_hide_like_unlike_unhide_through_the_api(app, db, client, sandbox, agent, agent_token, network):
    _, message = customer_message(app, db, sandbox, network)
    for action, shown in (("hide", ("moderation", "hidden")), ("like", ("liked", True)),
                          ("unlike", ("liked", False)), ("unhide", ("moderation", "visible"))):
        resp = client.post(f"/api/v1/messages/{message.id}/{action}", headers=auth(agent_token))
        assert resp.status_code == 200, resp.json
        assert resp.json["message"]["id"] == message.id and resp.json["message"][shown[0]] == shown[1]
        if action == "hide":
            assert network_state(sandbox, message.external_id)["hidden"] is True
        if action == "like":
            assert network_state(sandbox, message.external_id)["liked_by"] != []
    state = network_state(sandbox, message.external_id)
    assert (state["hidden"], state["liked_by"]) == (False, [])
    db.session.commit()
    audit = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action.like("message.%"))
                               .order_by(AuditEvent.id)).all()
    assert [(a.action, a.actor_user_id) for a in audit] == [
        ("message.hide", agent.id), ("message.like", agent.id), ("message.unlike", agent.id),
        ("message.unhide", agent.id)]
    assert all(a.actor_token_id is not None for a in audit)  # through an API token


@pytest.mark.parametrize("network", ["facebook", "instagram"])
def test_delete_through_the_api_sends_the_deleted_webhook(app, db, client, sandbox, make_user, make_token, network,
                                                          receiver):  # noqa: F811
    register(db, receiver)
    _, message = customer_message(app, db, sandbox, network, "You are all thieves")
    token = make_token(make_user("manager"))
    resp = client.delete(f"/api/v1/messages/{message.id}", headers=auth(token))
    assert resp.status_code == 200, resp.json
    assert resp.json["message"]["moderation"] == "deleted"
    assert network_state(sandbox, message.external_id)["deleted"] is True
    again = client.delete(f"/api/v1/messages/{message.id}", headers=auth(token))
    assert again.status_code == 409 and again.json["error"]["code"] == "message_deleted"
    assert [d.event_type for d in deliveries(db) if d.event_type.startswith("message.deleted")] == ["message.deleted"]
    run_worker(app)
    got = [r.payload for r in receiver.requests if r.payload["type"] == "message.deleted"]
    assert len(got) == 1 and got[0]["data"]["changes"] == {"moderation": {"from": "visible", "to": "deleted"}}
    assert got[0]["data"]["message"]["id"] == message.id


def test_hidden_and_unhidden_webhooks(app, db, client, sandbox, agent_token, receiver):  # noqa: F811
    register(db, receiver, events=["message.hidden", "message.unhidden", "message.deleted"])
    _, message = customer_message(app, db, sandbox, "twitter")
    for action in ("hide", "hide", "unhide"):
        assert client.post(f"/api/v1/messages/{message.id}/{action}", headers=auth(agent_token)).status_code == 200
    run_worker(app)
    assert [r.payload["type"] for r in receiver.requests] == ["message.hidden", "message.unhidden"]
    assert all(r.verified for r in receiver.requests)


@pytest.mark.parametrize("network", NETWORKS)
def test_a_refusal_is_422_with_the_networks_reason_and_is_stored(app, db, client, sandbox, agent_token, network):
    _, message = customer_message(app, db, sandbox, network)
    gone_from_network(sandbox, network, message.external_id)
    resp = client.post(f"/api/v1/messages/{message.id}/hide", headers=auth(agent_token))
    assert resp.status_code == 422
    assert resp.json["error"]["code"] == "refused_by_network" and resp.json["reason"] == "object_missing"
    assert db.session.get(Message, message.id, populate_existing=True).moderation_error_code == "object_missing"
    shown = client.get(f"/api/v1/conversations/{message.conversation_id}", headers=auth(agent_token)).json
    assert next(m for m in shown["messages"] if m["id"] == message.id)["moderation_error_code"] == "object_missing"


def test_a_refusal_reads_the_same_reason_whatever_the_language(app, db, client, sandbox, agent_token):
    _, customer = customer_message(app, db, sandbox, "facebook")
    gone_from_network(sandbox, "facebook", customer.external_id)
    english = client.post(f"/api/v1/messages/{customer.id}/like", headers=auth(agent_token))
    russian = client.post(f"/api/v1/messages/{customer.id}/like",
                          headers={**auth(agent_token), "Accept-Language": "ru"})
    assert english.status_code == russian.status_code == 422
    assert english.json["reason"] == russian.json["reason"] == "object_missing"
    assert english.json["error"]["message"].startswith("The message is gone")


def test_an_x_mention_cannot_be_hidden_or_deleted(app, db, client, sandbox, make_user, make_token, agent_token):
    account = connect(db, sandbox, "twitter")
    mention = sandbox.network.inject_tweet(BRAND, "@carebox_demo where is my parcel?")
    poll_now(app, db, account)
    message = stored(db, mention.id)
    resp = client.post(f"/api/v1/messages/{message.id}/hide", headers=auth(agent_token))
    assert resp.status_code == 422 and (resp.json["error"]["code"], resp.json["reason"]) == ("cannot_moderate",
                                                                                            "not_hideable")
    resp = client.delete(f"/api/v1/messages/{message.id}", headers=auth(make_token(make_user("manager"))))
    assert resp.status_code == 422 and resp.json["reason"] == "not_supported"
    assert moderation_actions(sandbox, "twitter") == []


def test_role_permissions_give_403(app, db, client, sandbox, agent_token):
    _, message = customer_message(app, db, sandbox, "instagram")
    resp = client.delete(f"/api/v1/messages/{message.id}", headers=auth(agent_token))
    assert resp.status_code == 403 and resp.json["error"]["code"] == "not_permitted"  # managers delete by default
    with writing(db) as session:
        set_lowest_roles(session, {"moderation.like": "admin", "moderation.delete": "agent"})
    resp = client.post(f"/api/v1/messages/{message.id}/like", headers=auth(agent_token))
    assert resp.status_code == 403 and resp.json["error"]["code"] == "not_permitted"
    assert network_state(sandbox, message.external_id)["liked_by"] == []
    assert client.delete(f"/api/v1/messages/{message.id}", headers=auth(agent_token)).status_code == 200


def test_unknown_messages_are_404_and_read_only_tokens_403(app, db, client, sandbox, agent, make_token):
    read_only = make_token(agent, scopes=("read",))
    for path in ("/api/v1/messages/999999/hide", "/api/v1/messages/99999999999999999999/unhide"):
        resp = client.post(path, headers=auth(make_token(agent)))
        assert resp.status_code == 404 and resp.json["error"]["code"] == "not_found"
    assert client.post("/api/v1/messages/1/hide", headers=auth(read_only)).status_code == 403


def test_the_network_down_is_503_and_changes_nothing(app, db, client, sandbox, agent_token):
    account, message = customer_message(app, db, sandbox, "facebook")
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with writing(db) as session:
        session.execute(sa.update(SocialAccount).where(SocialAccount.id == account.id).values(api_base_url=dead))
    resp = client.post(f"/api/v1/messages/{message.id}/hide", headers=auth(agent_token))
    assert resp.status_code == 503 and resp.json["error"]["code"] == "unavailable"
    message = db.session.get(Message, message.id, populate_existing=True)
    assert (message.moderation, message.moderation_error_code, message.moderated_at) == ("visible", None, None)
    _, other = customer_message(app, db, sandbox, "instagram")
    sandbox.network.add_fault("429", network="instagram", retry_after=60)
    limited = client.post(f"/api/v1/messages/{other.id}/hide", headers=auth(agent_token))
    assert limited.status_code == 503 and limited.json["error"]["code"] == "rate_limited" and limited.json["retry_at"]


def test_bulk_moderation(app, db, client, sandbox, make_user, make_token, agent_token):
    account = connect(db, sandbox, "instagram")
    ids = [on_network(sandbox, "instagram", f"spam {n}") for n in range(3)]
    poll_now(app, db, account)
    messages = [stored(db, external_id) for external_id in ids]
    gone_from_network(sandbox, "instagram", ids[0])
    body = {"action": "like", "message_ids": [m.id for m in messages] + [999999]}
    resp = client.post("/api/v1/messages/moderation", headers=auth(agent_token), json=body)
    assert resp.status_code == 200, resp.json
    results = resp.json["results"]
    assert [(r["id"], r["ok"], r.get("reason")) for r in results] == [
        (messages[0].id, False, "object_missing"), (messages[1].id, True, None), (messages[2].id, True, None),
        (999999, False, "not_found")]
    assert results[1]["message"]["liked"] is True and results[0]["error"].startswith("The message is gone")
    assert network_state(sandbox, ids[2])["liked_by"] == [IG]
    too_many = client.post("/api/v1/messages/moderation", headers=auth(agent_token),
                           json={"action": "hide", "message_ids": list(range(1, 102))})
    assert too_many.status_code == 422
    junk = client.post("/api/v1/messages/moderation", headers=auth(agent_token),
                       json={"action": "pin", "message_ids": [1]})
    assert junk.status_code == 422
    with writing(db) as session:
        set_lowest_roles(session, {"moderation.bulk": "manager"})
    refused = client.post("/api/v1/messages/moderation", headers=auth(agent_token), json=body)
    assert refused.status_code == 403 and refused.json["error"]["code"] == "not_permitted"
    manager = client.post("/api/v1/messages/moderation", headers=auth(make_token(make_user("manager"))),
                          json={"action": "unlike", "message_ids": [messages[1].id]})
    assert manager.json["results"][0]["ok"] is True
    assert network_state(sandbox, ids[1])["liked_by"] == []


def test_session_callers_need_the_csrf_token(app, db, client, sandbox, agent):
    _, message = customer_message(app, db, sandbox, "facebook")
    login(client, agent)
    without = client.post(f"/api/v1/messages/{message.id}/hide")
    assert without.status_code == 400 and without.json["error"]["code"] == "csrf_failed"
    assert network_state(sandbox, message.external_id)["hidden"] is False
    ok = client.post(f"/api/v1/messages/{message.id}/hide", headers={"X-CSRFToken": csrf_from(client)})
    assert ok.status_code == 200 and ok.json["message"]["moderation"] == "hidden"
    assert json.loads(json.dumps(ok.json))["message"]["text"]  # the message as MessageOut, text included


def test_agents_see_moderation_live_over_socketio(app, db, sandbox, live_server, agent_token):
    import queue

    import requests
    import socketio

    _, message = customer_message(app, db, sandbox, "twitter")
    events = queue.Queue()
    live = socketio.Client(reconnection=False)
    live.on("message.updated", events.put)
    live.connect(live_server.url, transports=["websocket"], wait_timeout=5, auth={"token": agent_token})
    try:
        for action in ("hide", "like"):
            resp = requests.post(f"{live_server.url}/api/v1/messages/{message.id}/{action}",
                                 headers=auth(agent_token), timeout=10)
            assert resp.status_code == 200, resp.text
        hidden, liked = events.get(timeout=5), events.get(timeout=5)
    finally:
        live.disconnect()
    assert hidden["changes"] == {"moderation": {"from": "visible", "to": "hidden"}}
    assert liked["changes"] == {"liked": {"from": False, "to": True}}
    assert liked["message"]["id"] == message.id and liked["message"]["moderation"] == "hidden"


def test_two_agents_hiding_at_once_publish_one_change(app, db, sandbox, live_server, make_user, make_token,
                                                      receiver):  # noqa: F811
    import threading

    import requests

    register(db, receiver, events=["message.hidden"])
    _, message = customer_message(app, db, sandbox, "facebook")
    tokens = [make_token(make_user("agent")) for _ in range(2)]
    url = f"{live_server.url}/api/v1/messages/{message.id}/hide"  # read here: threads have no app context
    start, answers = threading.Barrier(2), []

    def hide(token):
        start.wait(timeout=5)
        answers.append(requests.post(url, headers=auth(token), timeout=10).status_code)

    threads = [threading.Thread(target=hide, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=15)
    assert answers == [200, 200]
    assert [d.event_type for d in deliveries(db)] == ["message.hidden"]
    assert db.session.get(Message, message.id, populate_existing=True).moderation == "hidden"
