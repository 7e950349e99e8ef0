"""A member of team A never learns of team B's conversations: not by the API (list, detail, search, counts,
related, history, contacts, notifications, actions), not by the inbox page, not by Socket.IO (events and
presence, after a move between teams, after being removed from a team while connected). Managers see
everything; webhooks still get every event."""
import queue

import requests
import socketio

from app.models import Notification, WebhookDelivery
from tests.conftest import csrf_from, login
from tests.fixtures.webhook_receiver import receiver  # noqa: F401  (fixture)
from tests.teams_helpers import account, customer, team
from tests.webhook_helpers import register


def _api(client, user):
    login(client, user)
    token = csrf_from(client)
    return lambda method, path, **kw: client.open(f"/api/v1{path}", method=method, headers={"X-CSRFToken": token}, **kw)


def _world(db, make_user):
    a, b, manager = make_user("agent", name="Ann A"), make_user("agent", name="Bob B"), make_user("manager")
    shop, bank, web = account(db, "Shop"), account(db, "Bank"), account(db, "Web")
    team_a = team(db, "A", members=[a], accounts=[shop])
    team_b = team(db, "B", members=[b], accounts=[bank])
    return a, b, manager, shop, bank, web, team_a, team_b


def test_the_api_shows_an_agent_only_their_teams_and_unrouted_conversations(app, db, make_user):
    a, b, manager, shop, bank, web, team_a, team_b = _world(db, make_user)
    mine = customer(db, shop, "s1", "parcel late", author="cora")
    theirs = customer(db, bank, "b1", "parcel lost", author="cora")  # the same customer, on B's account
    unrouted = customer(db, web, "w1", "parcel where", author="dan")
    as_a = _api(app.test_client(), a)

    ids = lambda resp: sorted(c["id"] for c in resp.json["items"])  # noqa: E731
    assert ids(as_a("GET", "/conversations")) == sorted([mine, unrouted])
    assert ids(as_a("GET", "/conversations?q=parcel")) == sorted([mine, unrouted])
    assert ids(as_a("GET", f"/conversations?team={team_b}")) == []
    assert ids(as_a("GET", f"/conversations?team={team_a}")) == [mine]
    assert ids(as_a("GET", "/conversations?team=none")) == [unrouted]
    assert as_a("GET", "/conversations/counts").json["status"]["open"] == 2
    assert as_a("GET", f"/conversations/{theirs}").status_code == 404
    detail = as_a("GET", f"/conversations/{mine}").json
    assert [h["id"] for h in detail["history"]] == [] and detail["related"] == []  # B's is hidden
    for method, path, body in (("PATCH", f"/conversations/{theirs}", {"status": "pending"}),
                               ("POST", f"/conversations/{theirs}/claim", None),
                               ("POST", f"/conversations/{theirs}/replies", {"text": "hi"}),
                               ("POST", f"/conversations/{theirs}/notes", {"text": "hi"}),
                               ("POST", f"/conversations/{theirs}/move-to-private", {})):
        assert as_a(method, path, json=body).status_code == 404, path
    bulk = as_a("POST", "/conversations/bulk", json={"ids": [theirs, mine], "action": "resolve"}).json
    assert bulk["updated"] == [mine] and [e["id"] for e in bulk["errors"]] == [theirs]

    contacts = as_a("GET", "/contacts").json["items"]
    cora = next(c for c in contacts if c["handle"] == "cora")
    assert [c["id"] for c in as_a("GET", f"/contacts/{cora['id']}").json["conversations"]] == [mine]

    as_manager = _api(app.test_client(), manager)
    assert ids(as_manager("GET", "/conversations")) == sorted([mine, theirs, unrouted])
    assert as_manager("GET", f"/conversations/{theirs}").status_code == 200
    assert ids(as_manager("GET", f"/conversations?team={team_b}")) == [theirs]


def test_a_contact_only_in_another_team_is_not_found(app, db, make_user):
    a, b, manager, shop, bank, web, team_a, team_b = _world(db, make_user)
    customer(db, bank, "b1", "hello", author="eve")
    as_a, as_b = _api(app.test_client(), a), _api(app.test_client(), b)
    eve = next(c for c in as_b("GET", "/contacts").json["items"] if c["handle"] == "eve")
    assert all(c["handle"] != "eve" for c in as_a("GET", "/contacts").json["items"])
    assert as_a("GET", f"/contacts/{eve['id']}").status_code == 404


def test_notes_do_not_notify_those_who_cannot_see_the_conversation(app, db, make_user):
    a, b, manager, shop, bank, web, team_a, team_b = _world(db, make_user)
    conv = customer(db, shop, "s1", "hello")
    as_manager = _api(app.test_client(), manager)
    assert as_manager("POST", f"/conversations/{conv}/notes", json={"text": "look", "mentions": [a.id, b.id]}).status_code == 201
    assert {n.user_id for n in db.session.query(Notification).all()} == {a.id}
    # Moved to B afterwards: A's notification about it disappears from A's list.
    as_manager("PATCH", f"/conversations/{conv}", json={"team_id": team_b})
    assert _api(app.test_client(), a)("GET", "/notifications").json["items"] == []


def test_the_inbox_page_offers_only_the_agents_teams(app, db, make_user):
    a, b, manager, shop, bank, web, team_a, team_b = _world(db, make_user)
    client = app.test_client()
    login(client, a)
    page = client.get("/").get_data(as_text=True)
    assert f'data-user-teams="{team_a}"' in page
    assert f'<option value="{team_a}"' in page and f'<option value="{team_b}"' not in page


def test_webhooks_still_get_every_teams_events(app, db, make_user, receiver):  # noqa: F811
    a, b, manager, shop, bank, web, team_a, team_b = _world(db, make_user)
    register(db, receiver)
    customer(db, shop, "s1", "hello")
    customer(db, bank, "b1", "hello")
    customer(db, web, "w1", "hello")
    received = [d.event_type for d in db.session.query(WebhookDelivery).all()]
    assert received.count("message.received") == 3 and received.count("conversation.created") == 3


# --- Socket.IO ---------------------------------------------------------------------------------------

class Listener:
    """A real python-socketio client signed in with the user's API token, recording what it hears."""

    def __init__(self, url, token):
        self.events = queue.Queue()
        self.client = socketio.Client(reconnection=False)
        for name in ("conversation.created", "conversation.updated", "message.created", "presence"):
            self.client.on(name, lambda data, name=name: self.events.put((name, data)))
        self.client.connect(url, transports=["polling"], auth={"token": token}, wait_timeout=5)

    def heard(self, until_conversation):
        """The conversation ids of what it heard, up to the message.created of `until_conversation`
        (a marker every viewer hears: events reach one connection in order)."""
        seen = []
        while True:
            name, data = self.events.get(timeout=10)
            conv_id = data.get("conversation", {}).get("id", data.get("conversation_id"))
            if name == "message.created" and conv_id == until_conversation:
                return seen
            if conv_id != until_conversation:
                seen.append((name, conv_id))


def _post(url, token, account_id, external_id, author="cust"):
    resp = requests.post(f"{url}/api/v1/messages", headers={"Authorization": f"Bearer {token}"}, timeout=10, json={
        "account_id": account_id, "external_id": external_id, "text": "hello", "author": {"external_id": author}})
    assert resp.status_code == 201, resp.text
    return resp.json()["conversation_id"]


def test_socket_events_reach_only_the_conversations_viewers(live_server, db, make_user, make_token):
    a, b, manager, shop, bank, web, team_a, team_b = _world(db, make_user)
    tokens = {u.id: make_token(u) for u in (a, b, manager)}
    ann, bob, boss = (Listener(live_server.url, tokens[u.id]) for u in (a, b, manager))
    url, post = live_server.url, tokens[manager.id]
    try:
        in_b = _post(url, post, bank.id, "b1", "c1")
        marker = _post(url, post, web.id, "w1", "c2")  # unrouted: everyone hears it
        assert ann.heard(marker) == []  # nothing of B's
        assert ("message.created", in_b) in bob.heard(marker) and ("message.created", in_b) in boss.heard(marker)

        # Presence: Ann may not announce herself in B's conversation, nor hear Bob there.
        assert ann.client.call("view", {"conversation_id": in_b}, timeout=5) is None
        assert bob.client.call("view", {"conversation_id": in_b}, timeout=5)["viewers"][0]["id"] == b.id
        assert all(s["conversation_id"] != in_b for s in ann.client.call("presence", timeout=5))
        marker = _post(url, post, web.id, "w2", "c3")
        assert ann.heard(marker) == []
        assert ("presence", in_b) in boss.heard(marker)
        bob.heard(marker)

        # A manager moves it from B to A: both teams hear the update (B's list drops it, A's gains it).
        moved = requests.patch(f"{url}/api/v1/conversations/{in_b}", headers={"Authorization": f"Bearer {post}"},
                               json={"team_id": team_a}, timeout=10)
        assert moved.status_code == 200
        marker = _post(url, post, web.id, "w3", "c4")
        assert ("conversation.updated", in_b) in ann.heard(marker)
        assert ("conversation.updated", in_b) in bob.heard(marker)
        boss.heard(marker)
        follow_up = _post(url, post, bank.id, "b2", "c1")  # c1 writes again on B's account: the same conversation
        assert follow_up == in_b
        marker = _post(url, post, web.id, "w4", "c5")
        assert ("message.created", in_b) in ann.heard(marker) and bob.heard(marker) == []
        boss.heard(marker)

        # Ann leaves team A while connected: she stops hearing it at once; Bob joins it and starts.
        changed = requests.patch(f"{url}/api/v1/teams/{team_a}", headers={"Authorization": f"Bearer {post}"},
                                 json={"member_ids": [b.id]}, timeout=10)
        assert changed.status_code == 200
        in_a = _post(url, post, shop.id, "s1", "c6")  # a new conversation of team A
        marker = _post(url, post, web.id, "w5", "c7")
        assert ann.heard(marker) == []
        assert ("conversation.created", in_a) in bob.heard(marker)
    finally:
        for listener in (ann, bob, boss):
            listener.client.disconnect()
