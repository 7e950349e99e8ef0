"""Access that ends, ends on every web node: two gunicorn nodes sharing Redis (PostgreSQL + Redis only).

A revocation made through node A disconnects the user's or token's connections held by node B, and
node B refuses them afterwards; the brake on token guessing counts in Redis, so guesses spread over
nodes share one budget.
"""
import os
import re
import threading

import pytest
import requests
import socketio

from tests.fixtures.cluster import Cluster, SocketAgent, api, multinode_marks, truncate_all_tables

REDIS_URL = os.environ.get("CAREBOX_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PASSWORD = "correct horse battery"
pytestmark = multinode_marks()


@pytest.fixture(scope="module")
def cluster(migrated, tmp_path_factory, request):
    import redis

    from app import create_app
    from app.accounts import create_account
    from app.extensions import db
    from app.models import ApiToken
    from app.users import create_user
    from tests.conftest import make_config, writing

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(f"multi-node tests need Redis at {REDIS_URL} ({exc})", pytrace=False)
    context = create_app(make_config(migrated)).app_context()
    context.push()
    nodes = Cluster(migrated, REDIS_URL, tmp_path_factory.mktemp("revocation"), CAREBOX_TOKEN_LIMIT_IP="3 per minute")
    failed_before = request.session.testsfailed
    try:
        nodes.start_web("web-a")
        nodes.start_web("web-b", worker="gevent")
        nodes.wait_ready()
        nodes.tokens, nodes.users = {}, {}
        with writing(db) as session:
            for name, role in (("Ada", "admin"), ("Alex", "agent"), ("Sam", "agent")):
                user = create_user(session, email=f"{name.lower()}@example.test", role=role, name=name,
                                   password=PASSWORD)
                token, raw = ApiToken.issue(user, "revocation test", ("read", "write", "admin") if role == "admin"
                                            else ("read", "write"))
                session.add(token)
                session.flush()
                nodes.users[name], nodes.tokens[name] = user.id, (token.id, raw)
            nodes.account_id = create_account(session, network="custom", name="Web chat").id
        yield nodes
    finally:
        nodes.stop()
        if request.session.testsfailed > failed_before:
            print(f"cluster logs kept in {nodes.save_logs('multinode-revocation')}")
        truncate_all_tables(db)
        db.engine.dispose()
        context.pop()


class Watched(SocketAgent):
    """A SocketAgent that notices when the server disconnects it."""

    def __init__(self, url, token=None, cookie=None):
        self.dropped = threading.Event()
        if cookie is None:
            super().__init__(url, token)
        else:  # SocketAgent authenticates with a token; a browser's connection carries its cookies instead
            self.url, self.events, self._cond = url, [], threading.Condition()
            self.client = socketio.Client(reconnection=False)
            self.client.on("*", self._record)
            self.client.connect(url, transports=["websocket"], headers={"Cookie": cookie}, wait_timeout=10)
        self.client.on("disconnect", lambda *args: self.dropped.set())


def refused(url, **kwargs):
    client = socketio.Client(reconnection=False)
    try:
        client.connect(url, transports=["websocket"], wait_timeout=10, **kwargs)
    except socketio.exceptions.ConnectionError:
        return True
    client.disconnect()
    return False


def browser_login(url, email):
    http = requests.Session()
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', http.get(f"{url}/login", timeout=10).text)
    resp = http.post(f"{url}/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf.group(1)},
                     allow_redirects=False, timeout=10)
    assert resp.status_code == 302, resp.text
    return "; ".join(f"{k}={v}" for k, v in http.cookies.items())


def push(cluster, node, external_id):
    resp = api(cluster.url(node), cluster.tokens["Ada"][1], "POST", "/messages", json={
        "account_id": cluster.account_id, "external_id": external_id, "text": "hello",
        "author": {"external_id": f"customer-{external_id}"}})
    assert resp.status_code == 201, resp.text


def test_a_token_revoked_on_node_a_is_dropped_and_refused_on_node_b(cluster):
    token_id, raw = cluster.tokens["Alex"]
    alex, sam = Watched(cluster.url("web-b"), raw), Watched(cluster.url("web-b"), cluster.tokens["Sam"][1])
    try:
        resp = api(cluster.url("web-a"), cluster.tokens["Ada"][1], "DELETE", f"/tokens/{token_id}")
        assert resp.status_code == 200 and resp.json()["active"] is False
        assert alex.dropped.wait(10), "node B kept the revoked token's connection"
        push(cluster, "web-a", "after-revocation")
        sam.wait_for("message.created", lambda d: d["message"]["external_id"] == "after-revocation")
        assert not alex.matching("message.created", lambda d: d["message"]["external_id"] == "after-revocation")
        assert sam.client.connected
        assert refused(cluster.url("web-b"), auth={"token": raw})
    finally:
        alex.close()
        sam.close()


def test_a_user_deactivated_on_node_a_loses_their_browser_connection_on_node_b(cluster):
    cookie = browser_login(cluster.url("web-b"), "sam@example.test")
    sam = Watched(cluster.url("web-b"), cookie=cookie)
    try:
        resp = api(cluster.url("web-a"), cluster.tokens["Ada"][1], "PATCH", f"/users/{cluster.users['Sam']}",
                   json={"is_active": False})
        assert resp.status_code == 200
        assert sam.dropped.wait(10), "node B kept the deactivated user's connection"
        assert refused(cluster.url("web-b"), headers={"Cookie": cookie})
        assert requests.get(f"{cluster.url('web-b')}/", headers={"Cookie": cookie}, allow_redirects=False,
                            timeout=10).status_code == 302  # and the page session is over too
    finally:
        sam.close()


def test_token_guesses_on_both_nodes_share_one_budget(cluster):
    import redis

    store = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    for key in store.scan_iter(f"*{cluster.channel}/token-ip*"):  # earlier tests' failures: start from a full budget
        store.delete(key)
    assert not list(store.scan_iter(f"*{cluster.channel}*token-ip*"))
    _, good = cluster.tokens["Ada"]
    statuses = [api(cluster.url(node), f"cbx_guess{n}", "GET", "/conversations").status_code
                for n, node in enumerate(("web-a", "web-b", "web-a"))]
    assert statuses == [401, 401, 401]
    refused_b = api(cluster.url("web-b"), good, "GET", "/conversations")
    assert refused_b.status_code == 429 and int(refused_b.headers["Retry-After"]) >= 1
