"""Who may read metrics (web /metrics and `flask worker --metrics-port`), and which origins may open Socket.IO.

With CAREBOX_METRICS_TOKEN, everyone needs the token; without it, loopback callers only when
CAREBOX_METRICS_ALLOW_LOOPBACK is on and nothing says a proxy forwarded the request. Both settings, and
CAREBOX_CORS_ORIGINS, are read from the environment: the process tests set them there.
"""
import os

import pytest
import requests
import socketio

from tests.fixtures.cluster import free_port
from tests.fixtures.processes import WORKER_READY, ManagedProcess, flask_command
from tests.fixtures.web_node import start_web_node

REMOTE = {"REMOTE_ADDR": "203.0.113.9"}
TOKEN = "scrape-5f0c2b"


def status(client, headers=None, environ=None):
    return client.get("/metrics", headers=headers or {}, environ_base=environ or {}).status_code


def test_by_default_nobody_reads_metrics(client):
    assert status(client) == 403  # the test client calls from 127.0.0.1
    assert status(client, environ=REMOTE) == 403


@pytest.mark.config(CAREBOX_METRICS_ALLOW_LOOPBACK=True)
def test_loopback_when_allowed_but_never_through_a_proxy(client):
    assert status(client) == 200
    assert status(client, environ={"REMOTE_ADDR": "::1"}) == 200
    for header in ({"X-Forwarded-For": "198.51.100.7"}, {"Forwarded": "for=198.51.100.7"}, {"X-Real-IP": "198.51.100.7"}):
        assert status(client, headers=header) == 403, header
    assert status(client, environ=REMOTE) == 403


@pytest.mark.config(CAREBOX_METRICS_TOKEN=TOKEN, CAREBOX_METRICS_ALLOW_LOOPBACK=True)
def test_a_configured_token_is_required_from_everyone(client):
    assert status(client) == 403  # loopback, allowed, but a token is configured
    assert status(client, headers={"Authorization": f"Bearer {TOKEN}"}) == 200
    assert status(client, headers={"Authorization": f"Bearer {TOKEN}"}, environ=REMOTE) == 200
    assert status(client, headers={"Authorization": f"Bearer {TOKEN}x"}, environ=REMOTE) == 403
    assert status(client, headers={"Authorization": f"Basic {TOKEN}"}, environ=REMOTE) == 403


def test_the_web_role_reads_the_token_from_the_environment(tmp_path, migrated):
    node = start_web_node(tmp_path, migrated, worker="gevent", CAREBOX_METRICS_TOKEN=TOKEN)
    try:
        assert requests.get(f"{node.url}/metrics", timeout=5).status_code == 403
        scraped = requests.get(f"{node.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
        assert scraped.status_code == 200 and "carebox_http_requests_total" in scraped.text
    finally:
        node.stop()


def worker_env(database_uri, **extra):
    from config import TestConfig

    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREBOX_")}
    env.update({"DATABASE_URL": database_uri, "SECRET_KEY": TestConfig.SECRET_KEY,
                "CAREBOX_ENCRYPTION_KEY": TestConfig.CAREBOX_ENCRYPTION_KEY, "PYTHONUNBUFFERED": "1", **extra})
    return env


@pytest.mark.parametrize("settings,anonymous,with_token", [
    ({"CAREBOX_METRICS_TOKEN": TOKEN}, 403, 200),
    ({}, 403, 403),
    ({"CAREBOX_METRICS_ALLOW_LOOPBACK": "1"}, 200, 200),
], ids=["token", "default", "loopback-allowed"])
def test_the_worker_metrics_port_follows_the_same_rule(tmp_path, migrated, settings, anonymous, with_token):
    port = free_port()
    worker = ManagedProcess(flask_command("worker", "--threads", "1", "--metrics-port", str(port)),
                            worker_env(migrated, **settings), tmp_path / "worker.log", ready_marker=WORKER_READY)
    try:
        worker.wait_ready(60)
        url = f"http://127.0.0.1:{port}/metrics"
        assert requests.get(url, timeout=5).status_code == anonymous
        scraped = requests.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
        assert scraped.status_code == with_token
        if with_token == 200:
            assert "carebox_polls_total" in scraped.text
    finally:
        worker.stop()


def socket_origin_accepted(url, token, origin, transport):
    # websocket-client sends an Origin of its own unless told which (a header would make a second one).
    websocket = transport == "websocket"
    client = socketio.Client(reconnection=False, websocket_extra_options={"origin": origin} if websocket else None)
    try:
        client.connect(url, headers={} if websocket else {"Origin": origin}, auth={"token": token},
                       transports=[transport], wait_timeout=10)
        return client.connected
    except socketio.exceptions.ConnectionError:
        return False
    finally:
        client.disconnect()


@pytest.mark.parametrize("transport", ["polling", "websocket"])
def test_socketio_refuses_foreign_origins_by_default(live_server, make_user, make_token, transport):
    token = make_token(make_user("agent"))
    assert socket_origin_accepted(live_server.url, token, live_server.url, transport)
    assert not socket_origin_accepted(live_server.url, token, "https://evil.example", transport)


def test_socketio_origins_come_from_the_environment(tmp_path, migrated, make_user, make_token):
    token = make_token(make_user("agent"))
    allowed = "https://crm.example.test"
    node = start_web_node(tmp_path, migrated, worker="gevent", CAREBOX_CORS_ORIGINS=f" {allowed} , https://other.example.test")
    try:
        for transport in ("polling", "websocket"):
            assert socket_origin_accepted(node.url, token, allowed, transport), transport
            assert socket_origin_accepted(node.url, token, "https://other.example.test", transport), transport
            assert not socket_origin_accepted(node.url, token, "https://evil.example", transport), transport
    finally:
        node.stop()


def test_a_star_never_opens_socketio_to_every_origin(monkeypatch):
    import importlib

    import config

    monkeypatch.setenv("CAREBOX_CORS_ORIGINS", "*")
    try:
        assert importlib.reload(config).Config.CAREBOX_CORS_ORIGINS is None
        monkeypatch.setenv("CAREBOX_CORS_ORIGINS", "*, https://crm.example.test")
        assert importlib.reload(config).Config.CAREBOX_CORS_ORIGINS == ["https://crm.example.test"]
    finally:
        monkeypatch.delenv("CAREBOX_CORS_ORIGINS")
        importlib.reload(config)
