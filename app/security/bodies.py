"""Request bodies past MAX_CONTENT_LENGTH are refused with 413 before anything else runs.

Werkzeug checks the limit against Content-Length only when a view reads the body, and on a body without
one (chunked) it stops reading at the limit and hands the view a silently truncated body instead of
refusing it. So the first hook of every request does it: a declared length past the limit is refused
unread; a chunked body is read ahead up to one byte past the limit, refused if it has that byte, else
handed on as an ordinary body of known length. Either way no more than the limit and one byte is buffered.

A refused body is never read further: the answer says `Connection: close`, which HonourConnectionClose
makes every server obey. gunicorn drops the header (hop-by-hop) and its gevent worker would read on to keep
the connection alive: gunicorn.conf.py's post_request hook closes instead. Werkzeug's server (the embedded
role) reads and discards up to 10 GB after any answer so the client sees it: the read side is shut first.

A view that legitimately takes more says so with @body_limit(n).
"""
import io
import socket

from flask import current_app, jsonify, make_response, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from app.errors import error_body

CLOSE_CONNECTION = "carebox.close_connection"  # environ flag read by gunicorn.conf.py's post_request
JSON_PREFIXES = ("/api/", "/hooks/")  # machine callers: the API's JSON error shape
LIMIT_ATTR = "_carebox_body_limit"


def body_limit(max_bytes):
    """Let one view take bodies up to `max_bytes` instead of MAX_CONTENT_LENGTH."""

    def decorator(view):
        setattr(view, LIMIT_ATTR, max_bytes)
        return view

    return decorator


def limit_for_request():
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    return getattr(view, LIMIT_ATTR, None) or current_app.config.get("MAX_CONTENT_LENGTH")


def refuse_oversized_body():
    limit = limit_for_request()
    if not limit:
        return
    request.max_content_length = limit  # what Werkzeug's own checks (forms, get_data) hold views to
    environ = request.environ
    declared = environ.get("CONTENT_LENGTH")
    if declared:
        if declared.isdigit() and int(declared) > limit:
            raise RequestEntityTooLarge()
        return
    if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        body = read_at_most(environ["wsgi.input"], limit + 1)
        if len(body) > limit:
            raise RequestEntityTooLarge()
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))


def read_at_most(stream, size):
    """Up to `size` bytes of a server-terminated (de-chunked) input stream."""
    out = bytearray()
    while len(out) < size:
        piece = stream.read(min(64 * 1024, size - len(out)))
        if not piece:
            break
        out.extend(piece)
    return bytes(out)


def too_large(_exc):
    limit = request.max_content_length or current_app.config.get("MAX_CONTENT_LENGTH")
    message = f"The request body is larger than the {limit} bytes this endpoint accepts."
    if request.path.startswith(JSON_PREFIXES) or request.accept_mimetypes.best == "application/json":
        response = jsonify(error_body(413, "payload_too_large", message))
    else:
        response = make_response(render_template("error.html", status=413, message=message))
    response.status_code = 413
    response.headers["Connection"] = "close"
    return response


class HonourConnectionClose:
    """WSGI middleware: an app response saying `Connection: close` flags the server's own environ.

    Outside Flask-SocketIO's middleware, which hands Flask a copy of the environ. On Werkzeug's server the
    read side of the socket is shut, so its drain loop finds the end at once.
    """

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        def start(status, headers, exc_info=None):
            if any(name.lower() == "connection" and value.lower() == "close" for name, value in headers):
                environ[CLOSE_CONNECTION] = True
                stop_reading(environ.get("werkzeug.socket"))
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)


def stop_reading(sock):
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RD)
    except OSError:
        pass


def init_app(app):
    # First of all before-request hooks: an oversized body is refused before authentication or anything
    # else can answer and leave it to the server to drain.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_oversized_body)
    app.register_error_handler(RequestEntityTooLarge, too_large)
    app.wsgi_app = HonourConnectionClose(app.wsgi_app)
