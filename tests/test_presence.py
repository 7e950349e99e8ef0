"""Two agents over real Socket.IO clients: each sees the other viewing, typing and replying."""
import queue

import requests
import socketio

from app.ingest.items import InboundAuthor, InboundItem
from app.ingest.pipeline import ingest
from tests.conftest import writing


class Agent:
    def __init__(self, url, token):
        self.events = queue.Queue()
        self.client = socketio.Client(reconnection=False)
        for name in ("presence", "message.created", "message.updated", "conversation.updated", "notification",
                     "account.updated", "team.updated"):
            self.client.on(name, lambda data, name=name: self.events.put((name, data)))
        # Long-polling: the same Socket.IO protocol, without websocket-client's 3 s close handshake per test
        # (tests/test_realtime.py covers the websocket transport).
        self.client.connect(url, transports=["polling"], auth={"token": token}, wait_timeout=5)

    def wait_for(self, name, predicate=lambda d: True, timeout=5):
        while True:
            event, data = self.events.get(timeout=timeout)
            if event == name and predicate(data):
                return data


def test_two_agents_see_each_others_presence_and_reply(live_server, db, custom_account, make_user, make_token):
    with writing(db) as session:
        (result,) = ingest(session, custom_account, [InboundItem("p-1", "hello", None, InboundAuthor("c1"))])
    conv_id = result.conversation_id
    alex_token, sam_token = make_token(make_user("agent", name="Alex")), make_token(make_user("agent", name="Sam"))
    alex, sam = Agent(live_server.url, alex_token), Agent(live_server.url, sam_token)
    try:
        snapshot = alex.client.call("view", {"conversation_id": conv_id}, timeout=5)
        assert [v["name"] for v in snapshot["viewers"]] == ["Alex"]
        seen = sam.wait_for("presence", lambda d: d["conversation_id"] == conv_id)
        assert [v["name"] for v in seen["viewers"]] == ["Alex"] and seen["typers"] == []
        # Everyone's presence on (re)connect, for the list.
        assert sam.client.call("presence", timeout=5)[0]["conversation_id"] == conv_id
        alex.client.emit("typing", {"conversation_id": conv_id, "typing": True})
        typing = sam.wait_for("presence", lambda d: d["typers"])
        assert [t["name"] for t in typing["typers"]] == ["Alex"]
        resp = requests.post(f"{live_server.url}/api/v1/conversations/{conv_id}/replies",
                             headers={"Authorization": f"Bearer {alex_token}"},
                             json={"text": "Hi! Looking into it.", "last_seen_message_id": result.message_id}, timeout=5)
        assert resp.status_code == 202
        reply = sam.wait_for("message.created", lambda d: d["message"]["direction"] == "outbound")
        assert reply["message"]["author"]["name"] == "Alex" and reply["conversation"]["assignee_id"] is not None
        sent = sam.wait_for("message.updated", lambda d: d["message"]["delivery_status"] == "sent")
        assert sent["message"]["id"] == resp.json()["id"]
        alex.client.disconnect()
        gone = sam.wait_for("presence", lambda d: d["conversation_id"] == conv_id and not d["viewers"])
        assert gone["typers"] == []
    finally:
        for agent in (alex, sam):
            if agent.client.connected:
                agent.client.disconnect()


def test_agents_do_not_receive_manager_only_events(live_server, db, make_user, make_token):
    from app import events
    from app.extensions import db as database
    from app.serialize import user_dict
    from tests.webhook_helpers import account_event

    probe = make_user("agent", name="Probe")
    agent = Agent(live_server.url, make_token(make_user("agent")))
    manager = Agent(live_server.url, make_token(make_user("manager")))
    account = account_event(db)
    try:
        events.publish(database.session, "account.updated", account)  # the catalogue's audience: managers
        events.publish(database.session, "team.updated", {"user": user_dict(probe)})
        database.session.commit()
        assert manager.wait_for("account.updated")["account"]["id"] == account["account"]["id"]
        # The staff-wide probe arrives after the manager-only event: once it is in, nothing else is coming.
        agent.wait_for("team.updated", lambda d: d["user"]["name"] == "Probe")
        remaining = []
        while not agent.events.empty():
            remaining.append(agent.events.get()[0])
        assert "account.updated" not in remaining
    finally:
        agent.client.disconnect()
        manager.client.disconnect()
