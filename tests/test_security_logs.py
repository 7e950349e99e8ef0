"""Secrets in query strings (Facebook's verify token, access tokens) never reach the web roles' logs."""
import logging
import secrets
import socket
import threading

import pytest
import requests
from werkzeug.serving import make_server

from log_redaction import REDACTED, redact
from tests.fixtures.web_node import start_web_node


@pytest.mark.parametrize("text,expected", [
    ("GET /hooks/facebook?hub.mode=subscribe&hub.verify_token=abc&hub.challenge=42 HTTP/1.1",
     "GET /hooks/facebook?hub.mode=subscribe&hub.verify_token=[redacted]&hub.challenge=42 HTTP/1.1"),
    ("hub.verify_token=abc&hub.challenge=42", "hub.verify_token=[redacted]&hub.challenge=42"),
    ("https://graph.example/v21.0/me?fields=id&access_token=EAAB%2Fx#top",
     "https://graph.example/v21.0/me?fields=id&access_token=[redacted]#top"),
    ("GET /x?hub%2Everify_token=abc HTTP/1.1", "GET /x?hub%2Everify_token=[redacted] HTTP/1.1"),
    ("GET /x?client_secret=a&password=b&api_key=c&sig=d&code=e HTTP/1.1",
     "GET /x?client_secret=[redacted]&password=[redacted]&api_key=[redacted]&sig=[redacted]&code=[redacted] HTTP/1.1"),
    ("GET /login?next=/x%3Faccess_token%3Dabc HTTP/1.1", "GET /login?next=[redacted] HTTP/1.1"),
    ("GET /api/v1/conversations?status=open&q=refund HTTP/1.1", "GET /api/v1/conversations?status=open&q=refund HTTP/1.1"),
    ("GET /login?next=/inbox%3Fstatus%3Dopen HTTP/1.1", "GET /login?next=/inbox%3Fstatus%3Dopen HTTP/1.1"),
    ("-", "-"),
])
def test_redact(text, expected):
    assert redact(text) == expected


def handshake(url, verify_token, challenge="8837112"):
    return requests.get(f"{url}/hooks/facebook", timeout=5, params={
        "hub.mode": "subscribe", "hub.verify_token": verify_token, "hub.challenge": challenge})


def raw_request(url, line):
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(line.encode() + b"\r\nHost: x\r\n\r\n")
        try:
            while sock.recv(65536):
                pass
        except OSError:
            pass


@pytest.mark.parametrize("worker", ["gevent", "gthread"])
def test_gunicorn_never_logs_the_verify_token(tmp_path, migrated, worker):
    token = "vt-" + secrets.token_urlsafe(16)
    wrong = "guess-" + secrets.token_urlsafe(16)
    other = "at-" + secrets.token_urlsafe(16)
    node = start_web_node(tmp_path, migrated, worker=worker, CAREBOX_FACEBOOK_VERIFY_TOKEN=token)
    try:
        answered = handshake(node.url, token)
        assert answered.status_code == 200 and answered.text == "8837112"  # the handshake still works
        assert handshake(node.url, wrong).status_code == 403
        assert requests.get(f"{node.url}/api/v1/conversations?access_token={other}", timeout=5).status_code == 401
        raw_request(node.url, f"GET /hooks/facebook?hub.verify_token={token} HTTP/1.1\r\nBad Header")  # refused unparsed
    finally:
        node.stop()
    output = node.proc.text()
    assert output.count(f"hub.verify_token={REDACTED}") >= 2, output  # the lines were logged, redacted
    assert f"access_token={REDACTED}" in output
    for secret in (token, wrong, other):
        assert secret not in output


def test_the_embedded_server_never_logs_the_verify_token(app, caplog):
    from app.logs import redacting_request_handler

    token = "vt-" + secrets.token_urlsafe(16)
    app.config["CAREBOX_FACEBOOK_VERIFY_TOKEN"] = token
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=redacting_request_handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    caplog.set_level(logging.INFO, logger="werkzeug")  # the embedded role keeps it at WARNING; show everything
    try:
        assert handshake(url, token).text == "8837112"
        raw_request(url, f"GET /hooks/facebook?hub.verify_token={token} HTTP/9.9")  # logged as an error
    finally:
        server.shutdown()
        thread.join(5)
    assert f"hub.verify_token={REDACTED}" in caplog.text
    assert token not in caplog.text
