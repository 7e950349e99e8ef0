"""gunicorn settings for the web role: `gunicorn -c gunicorn.conf.py wsgi:app`.

Flask-SocketIO wants ONE worker process per node; run more web processes (and a load balancer with
sticky sessions, or websocket-only clients) to scale out, with REDIS_URL set so they share Socket.IO
events. Start no scheduler here: the worker role is `flask --app wsgi worker`.

The worker is gevent by default (Flask-SocketIO's async mode follows it, explicitly): a greenlet per
connection, far cheaper per connected agent and per event sent than a thread (bench/fanout.py
--worker compares them). CAREBOX_WEB_WORKER=gthread runs the threaded worker (simple-websocket on threads)
instead, for deployments that cannot monkey-patch; there every connected agent holds a thread.
"""
import os

from gunicorn.glogging import Logger

from config import WebServer
from log_redaction import REDACTED, redact

bind = WebServer.BIND
workers = 1  # Flask-SocketIO: one process per node; scale with more nodes
worker_class = WebServer.WORKER
if worker_class == "gevent":
    worker_connections = WebServer.CONNECTIONS
    os.environ["CAREBOX_ASYNC_MODE"] = "gevent"  # the app's Socket.IO mode follows the worker (config.py)
else:
    threads = WebServer.THREADS
timeout = 120
graceful_timeout = 30
keepalive = 5
accesslog = "-"
errorlog = "-"


class RedactingLogger(Logger):
    """Logs without secrets: Facebook's handshake puts the verify token in the query string, which the access
    log (request line) and the error log ("Error handling request /hooks/facebook?…") would print."""

    URL_ATOMS = ("r", "q", "f", "{referer}i", "{raw_uri}e", "{query_string}e")
    SECRET_HEADERS = ("{authorization}i", "{cookie}i", "{x-hub-signature-256}i", "{http_authorization}e",
                      "{http_cookie}e")

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in self.URL_ATOMS:
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        for key in self.SECRET_HEADERS:
            if atoms.get(key):
                atoms[key] = REDACTED
        return atoms

    def exception(self, msg, *args, **kwargs):
        super().exception(redact(msg), *map(_redact_text, args), **kwargs)

    def error(self, msg, *args, **kwargs):
        super().error(redact(msg), *map(_redact_text, args), **kwargs)

    def warning(self, msg, *args, **kwargs):
        super().warning(redact(msg), *map(_redact_text, args), **kwargs)


def _redact_text(value):
    return redact(value) if isinstance(value, str) else value


logger_class = RedactingLogger
forwarded_allow_ips = WebServer.FORWARDED_ALLOW_IPS
# Derived from CAREBOX_BIND: give each node its address there rather than with -b.
control_socket = WebServer.CONTROL_SOCKET


def post_request(worker, req, environ, resp):
    # The app answered "Connection: close" (a body refused unread: app/security/bodies.py). gunicorn drops
    # that header, and its gevent worker would read on whatever the client keeps sending to keep the
    # connection alive: close it instead.
    if environ.get("carebox.close_connection"):
        req.force_close()
