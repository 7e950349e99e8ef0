"""Team membership changes reach live connections on every web node (PostgreSQL + Redis only): an agent
connected to node B joins a team through node A and hears its conversations at once; removed through
node A, they stop hearing them, still connected."""
import os

import pytest

from tests.fixtures.cluster import Cluster, SocketAgent, api, multinode_marks, truncate_all_tables

REDIS_URL = os.environ.get("CAREBOX_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
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
    nodes = Cluster(migrated, REDIS_URL, tmp_path_factory.mktemp("teams"))
    failed_before = request.session.testsfailed
    try:
        nodes.start_web("web-a")
        nodes.start_web("web-b", worker="gevent")
        nodes.wait_ready()
        nodes.tokens, nodes.users = {}, {}
        with writing(db) as session:
            for name, role in (("Ada", "admin"), ("Alex", "agent")):
                user = create_user(session, email=f"{name.lower()}@example.test", role=role, name=name,
                                   password="correct horse battery")
                token, raw = ApiToken.issue(user, "teams test", ("read", "write"))
                session.add(token)
                session.flush()
                nodes.users[name], nodes.tokens[name] = user.id, raw
            nodes.shop = create_account(session, network="custom", name="Shop").id
            nodes.web = create_account(session, network="custom", name="Web").id
        yield nodes
    finally:
        nodes.stop()
        if request.session.testsfailed > failed_before:
            print(f"cluster logs kept in {nodes.save_logs('multinode-teams')}")
        truncate_all_tables(db)
        db.engine.dispose()
        context.pop()


def push(cluster, account_id, external_id):
    resp = api(cluster.url("web-a"), cluster.tokens["Ada"], "POST", "/messages", json={
        "account_id": account_id, "external_id": external_id, "text": "hello",
        "author": {"external_id": f"customer-{external_id}"}})
    assert resp.status_code == 201, resp.text


def _about(external_id):
    return lambda d: d["message"]["external_id"] == external_id


def test_membership_changes_on_node_a_move_connections_on_node_b(cluster):
    admin = cluster.tokens["Ada"]
    made = api(cluster.url("web-a"), admin, "POST", "/teams", json={"name": "Shop desk", "account_ids": [cluster.shop]})
    assert made.status_code == 201, made.text
    team_id = made.json()["id"]
    alex = SocketAgent(cluster.url("web-b"), cluster.tokens["Alex"])
    try:
        push(cluster, cluster.shop, "before")
        push(cluster, cluster.web, "marker-1")  # unrouted: every agent hears it, after the one before
        alex.wait_for("message.created", _about("marker-1"))
        assert not alex.matching("message.created", _about("before"))

        joined = api(cluster.url("web-a"), admin, "PATCH", f"/teams/{team_id}", json={"member_ids": [cluster.users["Alex"]]})
        assert joined.status_code == 200, joined.text
        push(cluster, cluster.shop, "member")
        alex.wait_for("message.created", _about("member"))

        left = api(cluster.url("web-a"), admin, "PATCH", f"/teams/{team_id}", json={"member_ids": []})
        assert left.status_code == 200, left.text
        push(cluster, cluster.shop, "after")
        push(cluster, cluster.web, "marker-2")
        alex.wait_for("message.created", _about("marker-2"))
        assert not alex.matching("message.created", _about("after"))
        assert alex.client.connected
    finally:
        alex.close()
