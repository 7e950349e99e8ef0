"""gunicorn settings for the web role: `gunicorn -c gunicorn.conf.py wsgi:app`.

Flask-SocketIO wants ONE worker process per node; run more web processes (and a load balancer with
sticky sessions, or websocket-only clients) to scale out, with REDIS_URL set so they share Socket.IO
events. Start no scheduler here: the worker role is `flask --app wsgi worker`.

The worker is gevent by default (Flask-SocketIO's async mode follows it, explicitly): a greenlet per
connection, far cheaper per connected agent and per event sent than a thread. With 200 agents and 50
new messages a second, bench/fanout.py measured p99 196 ms on gevent against 488 ms on gthread, whose
node could not keep up. CAREBOX_WEB_WORKER=gthread runs the threaded worker (simple-websocket on threads)
instead, for deployments that cannot monkey-patch; there every connected agent holds a thread.
"""
import os

from gunicorn.glogging import Logger

from log_redaction import REDACTED, redact

bind = os.environ.get("CAREBOX_BIND", "127.0.0.1:5000")
workers = 1  # Flask-SocketIO: one process per node; scale with more nodes
worker_class = os.environ.get("CAREBOX_WEB_WORKER", "gevent")
if worker_class == "gevent":
    worker_connections = int(os.environ.get("CAREBOX_WEB_CONNECTIONS", "2000"))
    os.environ["CAREBOX_ASYNC_MODE"] = "gevent"
else:
    threads = int(os.environ.get("CAREBOX_WEB_THREADS", "500"))  # each connected agent (websocket) holds a thread
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
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# One control socket per node: several nodes on one machine would otherwise share ~/.gunicorn/gunicorn.ctl.
# (Derived from CAREBOX_BIND: give each node its address there rather than with -b.)
control_socket = os.environ.get("CAREBOX_GUNICORN_CONTROL", f"/tmp/carebox-gunicorn-{bind.replace(':', '-')}.ctl")


def post_request(worker, req, environ, resp):
    # The app answered "Connection: close" (a body refused unread: app/security/bodies.py). gunicorn drops
    # that header, and its gevent worker would read on whatever the client keeps sending to keep the
    # connection alive: close it instead.
    if environ.get("carebox.close_connection"):
        req.force_close()
