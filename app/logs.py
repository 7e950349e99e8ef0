"""Structured logs: one JSON object per line (LOG_FORMAT=json) carrying the request or job id.

Every HTTP request gets an id (the caller's X-Request-ID, or a new one, echoed back in the
response); every worker job run gets one too. Log lines made while handling them carry it,
so one request or one poll can be followed through the logs. Never log secrets or customer text.
"""
import contextvars
import logging
import uuid

from flask import g, request
from werkzeug.serving import WSGIRequestHandler

from log_redaction import redact

request_id_var = contextvars.ContextVar("carebox_request_id", default=None)
job_id_var = contextvars.ContextVar("carebox_job_id", default=None)


class ContextFilter(logging.Filter):
    def filter(self, record):
        record.request_id = request_id_var.get()
        record.job_id = job_id_var.get()
        return True


def configure_logging(log_format="text", level="INFO"):
    """Root logging for every process role (called once per create_app; idempotent)."""
    root = logging.getLogger()
    if getattr(root, "_carebox_configured", False):
        return
    handler = logging.StreamHandler()
    if log_format.lower() == "json":
        from pythonjsonlogger.json import JsonFormatter  # only processes asked for JSON logs pay for it

        handler.setFormatter(JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(job_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"}))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(ContextFilter())
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("alembic.runtime.plugins", "apscheduler.executors.default", "apscheduler.scheduler", "werkzeug"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Their DEBUG lines carry credentials (tweepy logs Authorization headers, urllib3 logs Graph URLs
    # with access_token=…): never below INFO, whatever LOG_LEVEL says.
    for leaky in ("tweepy", "urllib3", "requests_oauthlib", "oauthlib", "facebook"):
        logging.getLogger(leaky).setLevel(logging.INFO)
    root._carebox_configured = True


def redacting_request_handler():
    """Werkzeug's request handler (the embedded server) with secret query parameters out of its log lines."""


    class RedactingRequestHandler(WSGIRequestHandler):
        def log(self, type, message, *args):  # noqa: A002  (Werkzeug's signature)
            super().log(type, redact(message), *(redact(a) if isinstance(a, str) else a for a in args))

    return RedactingRequestHandler


class job_context:
    """with job_context("poll:3"): … — log lines inside carry job_id "poll:3/<run id>"."""

    def __init__(self, name):
        self.value = f"{name}/{uuid.uuid4().hex[:8]}"

    def __enter__(self):
        self.token = job_id_var.set(self.value)
        return self.value

    def __exit__(self, *exc):
        job_id_var.reset(self.token)


def init_app(app):
    configure_logging(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])

    @app.before_request
    def assign_request_id():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming[:64] if incoming.replace("-", "").isalnum() else uuid.uuid4().hex
        g.request_id_token = request_id_var.set(g.request_id)

    @app.after_request
    def echo_request_id(response):
        if "request_id" in g:
            response.headers["X-Request-ID"] = g.request_id
        return response

    @app.teardown_request
    def clear_request_id(_exc):
        token = g.pop("request_id_token", None)
        if token is not None:
            request_id_var.reset(token)
