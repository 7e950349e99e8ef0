"""Request bodies past MAX_CONTENT_LENGTH: refused with 413 before they are buffered, on every server role.

The big cases send a chunked body (no Content-Length) far above the limit over a raw socket and check
that the server stops reading (the sender is cut off long before the end) and that the serving process
did not grow by anything like the body's size.
"""
import json
import socket
import threading

import psutil
import pytest
import requests

from tests.fixtures.web_node import start_web_node

MiB = 1024 * 1024
HUGE = 256 * MiB
SIGNED = "X-Hub-Signature-256: sha256=" + "0" * 64 + "\r\n"  # well-formed, so the hook reads the body


class ChunkedUpload:
    """POST a chunked body of `total` bytes, reading the answer while sending, as a hostile client would."""

    def __init__(self, url, path, total, headers=""):
        host, port = url.removeprefix("http://").split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        self.sock.sendall((f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nTransfer-Encoding: chunked\r\n"
                           f"Content-Type: application/json\r\n{headers}\r\n").encode())
        self.answer = bytearray()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.sent = self._send(total)
        self.reader.join(timeout=30)
        self.sock.close()

    def _read(self):
        try:
            while data := self.sock.recv(65536):
                self.answer.extend(data)
        except OSError:
            pass

    def _send(self, total, chunk=64 * 1024):
        piece = f"{chunk:x}\r\n".encode() + b"x" * chunk + b"\r\n"
        sent = 0
        try:
            while sent < total:
                self.sock.sendall(piece)
                sent += chunk
            self.sock.sendall(b"0\r\n\r\n")
        except OSError:  # the server closed the connection: what we want
            pass
        return sent

    @property
    def status(self):
        return int(self.answer.split(b" ", 2)[1]) if self.answer else None

    @property
    def body(self):
        return json.loads(self.answer.split(b"\r\n\r\n", 1)[1])


def assert_refused_unread(upload, grew_by, page=False):
    assert upload.status == 413, bytes(upload.answer[:300])
    if page:
        assert b"Content-Type: text/html" in upload.answer
    else:
        assert upload.body["error"]["code"] == "payload_too_large"
    # The server stopped reading: what got through is the limit plus socket buffers, not the body.
    assert upload.sent < HUGE // 8, f"the server read {upload.sent} of {HUGE} bytes"
    assert grew_by < HUGE // 8, f"the serving process grew by {grew_by} bytes"


@pytest.mark.parametrize("path", ["/hooks/facebook", "/api/v1/messages"])
def test_huge_chunked_body_is_refused_unread_by_the_embedded_server(live_server, path):
    me = psutil.Process()  # the live server runs in this process
    before = me.memory_info().rss
    upload = ChunkedUpload(live_server.url, path, HUGE, headers=SIGNED)
    assert_refused_unread(upload, me.memory_info().rss - before)


@pytest.mark.parametrize("worker", ["gevent", "gthread"])
def test_huge_chunked_body_is_refused_unread_by_gunicorn(tmp_path, migrated, worker):
    node = start_web_node(tmp_path, migrated, worker=worker)
    try:
        for path in ("/hooks/facebook", "/api/v1/messages", "/login"):
            before = node.worker_rss()
            upload = ChunkedUpload(node.url, path, HUGE, headers=SIGNED)
            assert_refused_unread(upload, node.worker_rss() - before, page=path == "/login")
        assert requests.get(f"{node.url}/healthz", timeout=5).status_code == 200  # and it serves on
    finally:
        node.stop()


def test_declared_length_above_the_limit_is_refused_before_anything_else(live_server):
    """Content-Length says 600 MB and no byte of it comes: the answer is 413 at once, not 401 (no token, no
    session: a 401 would leave the body to the server to drain) and not a wait for the body."""
    host, port = live_server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"POST /api/v1/messages HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {600 * MiB}\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, body = answer.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 413")
    assert b"Connection: close" in head
    assert json.loads(body)["error"]["code"] == "payload_too_large"


def test_pages_answer_413_with_a_page(client):
    resp = client.post("/login", data=b"x" * (MiB + 1), headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status_code == 413
    assert resp.mimetype == "text/html" and b"larger than" in resp.data


@pytest.mark.config(MAX_CONTENT_LENGTH=4096)
def test_chunked_bodies_up_to_the_limit_arrive_whole(live_server, custom_account, make_user, make_token, db):
    """The read-ahead hands a chunked body on intact: exactly the limit is stored, one byte more refused."""
    from app.models import Message

    token = make_token(make_user("agent"))

    def body_of(size, external_id):
        doc = {"account_id": custom_account.id, "external_id": external_id, "author": {"external_id": "c-1"}, "text": ""}
        doc["text"] = "a" * (size - len(json.dumps(doc)))
        raw = json.dumps(doc).encode()
        assert len(raw) == size
        return raw

    def chunks(raw):  # requests sends a generator chunked, without Content-Length
        for i in range(0, len(raw), 1000):
            yield raw[i:i + 1000]

    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    exact = requests.post(f"{live_server.url}/api/v1/messages", data=chunks(body_of(4096, "m-exact")), headers=headers)
    assert exact.status_code == 201, exact.text
    over = requests.post(f"{live_server.url}/api/v1/messages", data=chunks(body_of(4097, "m-over")), headers=headers)
    assert over.status_code == 413 and over.json()["error"]["code"] == "payload_too_large"
    db.session.rollback()
    stored = db.session.query(Message).filter(Message.external_id.in_(["m-exact", "m-over"])).all()
    assert [(m.external_id, len(m.text)) for m in stored] == [("m-exact", len(json.loads(body_of(4096, "m-exact"))["text"]))]


def test_a_view_can_take_more_than_the_app_limit(app):
    from flask import request

    from app.auth.guard import public
    from app.security.bodies import body_limit

    @public
    @body_limit(3 * MiB)
    def upload():
        return {"bytes": len(request.get_data())}

    app.add_url_rule("/test-upload", "test_upload", upload, methods=["POST"])
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    assert client.post("/test-upload", data=b"x" * (2 * MiB)).json == {"bytes": 2 * MiB}
    assert client.post("/test-upload", data=b"x" * (3 * MiB + 1)).status_code == 413
