"""Live Socket.IO connections end when the access behind them ends (real clients against a live server)."""
import queue
import re
import threading

import pytest
import requests
import socketio

from app import events
from app.extensions import db as database
from tests.webhook_helpers import account_event

PASSWORD = "correct horse battery"


class Agent:
    """A real Socket.IO client recording events and noticing when the server disconnects it."""

    def __init__(self, url, *, token=None, cookie=None, transport="polling"):
        self.events = queue.Queue()
        self.dropped = threading.Event()
        self.client = socketio.Client(reconnection=False)
        for name in ("team.updated", "account.updated"):
            self.client.on(name, lambda data, name=name: self.events.put((name, data)))
        self.client.on("disconnect", lambda *args: self.dropped.set())
        kwargs = {"auth": {"token": token}} if token else {"headers": {"Cookie": cookie}}
        self.client.connect(url, transports=[transport], wait_timeout=5, **kwargs)

    def received(self, name, predicate=lambda d: True, timeout=5):
        while True:
            event, data = self.events.get(timeout=timeout)
            if event == name and predicate(data):
                return data

    def close(self):
        if self.client.connected:
            self.client.disconnect()


@pytest.fixture
def agents(live_server):
    opened = []

    def connect(**kwargs):
        agent = Agent(live_server.url, **kwargs)
        opened.append(agent)
        return agent

    yield connect
    for agent in opened:
        agent.close()


def refused(agents, **credentials):
    """True when the server refuses a connection with these credentials.

    Over websocket: a refused long-polling handshake can sit out the 25 s ping interval in the client.
    """
    try:
        agents(transport="websocket", **credentials)
    except socketio.exceptions.ConnectionError:
        return True
    return False


def browser_login(url, email, password=PASSWORD):
    http = requests.Session()
    page = http.get(f"{url}/login", timeout=5)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    resp = http.post(f"{url}/login", data={"email": email, "password": password, "csrf_token": csrf}, timeout=5,
                     allow_redirects=False)
    assert resp.status_code == 302, resp.text
    return http


def cookie_header(http):
    return "; ".join(f"{k}={v}" for k, v in http.cookies.items())


def page_csrf(http, url):
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', http.get(f"{url}/", timeout=5).text).group(1)


def probe(text):
    """A staff-wide event: once a connected witness has it, a dropped client would have had it too."""
    events.publish(database.session, "team.updated", {"user": probe_user(text)})
    database.session.commit()


def probe_user(text):
    return {"id": 1, "name": text, "role": "agent", "is_available": True}


def assert_dropped_and_deaf(agent, witness, text):
    assert agent.dropped.wait(5), "the server did not disconnect the client"
    assert not agent.client.connected
    probe(text)
    witness.received("team.updated", lambda d: d["user"]["name"] == text)
    leftovers = []
    while not agent.events.empty():
        leftovers.append(agent.events.get()[1])
    assert {"user": probe_user(text)} not in leftovers


def api(url, token, method, path, **kw):
    return requests.request(method, f"{url}/api/v1{path}", headers={"Authorization": f"Bearer {token}"}, timeout=5, **kw)


def test_revoking_a_token_drops_its_connections_and_refuses_it_again(live_server, agents, make_user, make_token, db):
    admin_token = make_token(make_user("admin"), scopes=("read", "write", "admin"))
    agent_user = make_user("agent")
    revoked, kept = make_token(agent_user, name="revoked"), make_token(agent_user, name="kept")
    on_revoked, on_kept = agents(token=revoked), agents(token=kept)
    token_id = next(t["id"] for t in api(live_server.url, admin_token, "GET", "/tokens").json()["items"]
                    if t["name"] == "revoked")
    assert api(live_server.url, admin_token, "DELETE", f"/tokens/{token_id}").status_code == 200
    assert_dropped_and_deaf(on_revoked, on_kept, "after token revocation")
    assert on_kept.client.connected  # the same user's other token is untouched
    assert refused(agents, token=revoked)


def test_deactivating_a_user_drops_every_connection_of_theirs(live_server, agents, make_user, make_token, db):
    admin_token = make_token(make_user("admin"), scopes=("read", "write", "admin"))
    leaving, staying = make_user("agent"), make_user("agent")
    leaving_token = make_token(leaving)
    http = browser_login(live_server.url, leaving.email)
    by_cookie, by_token = agents(cookie=cookie_header(http)), agents(token=leaving_token)
    witness = agents(token=make_token(staying))
    resp = api(live_server.url, admin_token, "PATCH", f"/users/{leaving.id}", json={"is_active": False})
    assert resp.status_code == 200
    assert_dropped_and_deaf(by_cookie, witness, "after deactivation (cookie)")
    assert_dropped_and_deaf(by_token, witness, "after deactivation (token)")
    assert refused(agents, token=leaving_token) and refused(agents, cookie=cookie_header(http))


def test_logout_drops_that_browsers_connections_only(live_server, agents, make_user):
    user = make_user("agent")
    laptop, phone = browser_login(live_server.url, user.email), browser_login(live_server.url, user.email)
    laptop_cookie = cookie_header(laptop)
    on_laptop, on_phone = agents(cookie=laptop_cookie), agents(cookie=cookie_header(phone))
    assert laptop.post(f"{live_server.url}/logout", data={"csrf_token": page_csrf(laptop, live_server.url)},
                       timeout=5).status_code == 200  # redirected to the login page
    assert_dropped_and_deaf(on_laptop, on_phone, "after logout")
    assert on_phone.client.connected
    assert refused(agents, cookie=laptop_cookie)  # the old cookie, replayed


def test_a_new_password_drops_the_other_browsers_connections(live_server, agents, make_user):
    user = make_user("agent")
    here, elsewhere = browser_login(live_server.url, user.email), browser_login(live_server.url, user.email)
    on_here, on_elsewhere = agents(cookie=cookie_header(here)), agents(cookie=cookie_header(elsewhere))
    page = here.get(f"{live_server.url}/account", timeout=5).text
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    resp = here.post(f"{live_server.url}/account/password", timeout=5, data={
        "current_password": PASSWORD, "new_password": "violet lantern orbit", "confirm": "violet lantern orbit",
        "csrf_token": csrf})
    assert resp.status_code == 200 and "Password changed" in resp.text
    assert_dropped_and_deaf(on_elsewhere, on_here, "after password change")
    assert on_here.client.connected


def test_a_lowered_role_leaves_the_managers_room(live_server, agents, make_user, make_token, db):
    admin_token = make_token(make_user("admin"), scopes=("read", "write", "admin"))
    manager = make_user("manager")
    manager_token = make_token(manager)
    on_manager, witness = agents(token=manager_token), agents(token=make_token(make_user("agent")))
    assert api(live_server.url, admin_token, "PATCH", f"/users/{manager.id}", json={"role": "agent"}).status_code == 200
    assert_dropped_and_deaf(on_manager, witness, "after demotion")
    # Reconnecting works (the token is still valid) but only into the rooms of the new role.
    again = agents(token=manager_token)
    events.publish(database.session, "account.updated", account_event(db))  # the catalogue's audience: managers
    database.session.commit()
    probe("after the managers-only event")
    again.received("team.updated", lambda d: d["user"]["name"] == "after the managers-only event")
    seen = []
    while not again.events.empty():
        seen.append(again.events.get()[0])
    assert "account.updated" not in seen


def test_guessing_tokens_over_socketio_is_throttled_like_the_api(app, live_server, agents, make_user, make_token):
    app.config["CAREBOX_TOKEN_LIMIT_IP"] = "3 per minute"
    good = make_token(make_user("agent"))
    assert all(refused(agents, token=f"cbx_guess{n}") for n in range(3))
    assert refused(agents, token=good)  # refused before the lookup: a right guess looks like a wrong one
    assert api(live_server.url, good, "GET", "/conversations").status_code == 429  # one budget for both
