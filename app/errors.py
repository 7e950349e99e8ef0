"""Error responses: `{"error": {"code", "message"}}` JSON for the API, a page for browsers.

Services raise domain errors (app/domain_errors.py); this is the one place that maps them to HTTP
statuses. The HTTP layer's own refusals (a missing field, a wrong scope) are ApiError.
"""
import logging

from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app import domain_errors
from app.extensions import db

log = logging.getLogger(__name__)

CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type", 422: "validation_error",
    429: "rate_limited", 500: "internal_error", 503: "unavailable",
}


class ApiError(Exception):
    """Raise from API code to answer with a JSON error. `extra` fields sit beside "error"."""

    def __init__(self, status, message, *, code=None, details=None, **extra):
        super().__init__(message)
        self.status = status
        self.code = code or CODES.get(status, "error")
        self.message = message
        self.details = details
        self.extra = extra


# The most specific class first: a subclass maps before its parent.
DOMAIN_STATUSES = (
    (domain_errors.Malformed, 400),
    (domain_errors.NotFound, 404),
    (domain_errors.Conflict, 409),
    (domain_errors.Invalid, 422),
    (domain_errors.Refused, 422),
    (domain_errors.Unavailable, 503),
)


def status_of(error):
    return next((status for cls, status in DOMAIN_STATUSES if isinstance(error, cls)), 500)


def error_body(status, code, message, details=None, **extra):
    err = {"code": code, "message": message}
    if details is not None:
        err["details"] = details
    return {"error": err, **extra}


def _wants_json():
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _answer(status, code, message, details=None, headers=None, page_message=None, **extra):
    """The JSON error for API callers, the error page for browsers."""
    if _wants_json():
        return jsonify(error_body(status, code, message, details, **extra)), status, headers or {}
    return render_template("error.html", status=status, message=page_message or message), status, headers or {}


def handle_api_error(exc):
    db.session.rollback()
    return jsonify(error_body(exc.status, exc.code, exc.message, exc.details, **exc.extra)), exc.status


def handle_domain_error(exc):
    db.session.rollback()
    return _answer(status_of(exc), exc.code, exc.message, exc.details, **exc.extra)


def handle_csrf(exc):
    return _answer(400, "csrf_failed", exc.description, page_message="The form expired. Go back, reload and try again.")


def handle_http(exc):
    if exc.response is not None and exc.code == 422:  # a validation response built by spectree
        return exc.response
    return _answer(exc.code, CODES.get(exc.code, "error"), exc.description or exc.name, headers=_headers(exc))


def handle_unexpected(exc):
    log.exception("unhandled error on %s %s", request.method, request.path)
    db.session.rollback()
    return _answer(500, "internal_error", "Something went wrong on our side.")


def init_app(app):
    app.register_error_handler(ApiError, handle_api_error)
    app.register_error_handler(domain_errors.DomainError, handle_domain_error)
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(Exception, handle_unexpected)


def _headers(exc):
    headers = dict(exc.get_headers()) if hasattr(exc, "get_headers") else {}
    headers.pop("Content-Type", None)
    return headers
