"""Socket.IO over a real server: connections are authenticated, and ingested messages arrive live."""
import queue

import pytest
import socketio


def connect(url, **kw):
    client = socketio.Client(reconnection=False)
    client.connect(url, transports=["websocket"], wait_timeout=5, **kw)
    return client


def test_connection_without_credentials_is_refused(live_server):
    with pytest.raises(socketio.exceptions.ConnectionError):
        connect(live_server.url)
    with pytest.raises(socketio.exceptions.ConnectionError):
        connect(live_server.url, auth={"token": "cbx_not-a-token"})


def test_agent_sees_ingested_message_live(live_server, make_user, make_token, custom_account):
    import requests

    token = make_token(make_user("agent"))
    events = queue.Queue()
    client = connect(live_server.url, auth={"token": token})
    try:
        client.on("message.created", lambda data: events.put(("message.created", data)))
        client.on("conversation.created", lambda data: events.put(("conversation.created", data)))
        resp = requests.post(f"{live_server.url}/api/v1/messages", headers={"Authorization": f"Bearer {token}"}, json={
            "account_id": custom_account.id, "external_id": "live-1", "text": "<b>hi</b>",
            "author": {"external_id": "c1", "handle": "cust"}}, timeout=5)
        assert resp.status_code == 201
        first = events.get(timeout=5)
        second = events.get(timeout=5)
        assert first[0] == "conversation.created" and first[1]["conversation"]["contact"]["handle"] == "cust"
        assert second[0] == "message.created" and second[1]["message"]["text"] == "<b>hi</b>"
        assert second[1]["conversation"]["id"] == resp.json()["conversation_id"]
    finally:
        client.disconnect()


def test_session_cookie_authenticates_the_socket(live_server, make_user):
    import re

    import requests

    user = make_user("agent")
    http = requests.Session()
    page = http.get(f"{live_server.url}/login", timeout=5)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    http.post(f"{live_server.url}/login", data={"email": user.email, "password": "correct horse battery",
                                                 "csrf_token": csrf}, timeout=5)
    cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
    client = connect(live_server.url, headers={"Cookie": cookie})
    assert client.connected
    client.disconnect()


def test_websockets_open_without_compression_though_the_browser_offers_it(live_server):
    """Browsers always offer permessage-deflate; accepting it would deflate every event once per agent."""
    import websocket

    ws = websocket.create_connection(
        live_server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket",
        header=["Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"], timeout=5)
    try:
        assert ws.getstatus() == 101
        assert "sec-websocket-extensions" not in {k.lower() for k in ws.getheaders()}
        assert ws.recv().startswith("0{")  # the Engine.IO open packet, as plain text
    finally:
        ws.close()
