"""Error responses: `{"error": {"code", "message"}}` JSON for the API, a page for browsers.

Services raise domain errors (app/domain_errors.py); this is the one place that maps them to HTTP
statuses. The HTTP layer's own refusals (a missing field, a wrong scope) are ApiError.

The human `message` is read here, in the request's language: services and views give lazy strings
(flask_babel.lazy_gettext), which turn into text only when the answer is built. The `code` stays English.
"""
import logging

from flask import jsonify, render_template, request
from flask_babel import lazy_gettext as _l
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

# Carebox's own words for the statuses werkzeug answers with its English default description.
STATUS_MESSAGES = {
    400: _l("The request could not be understood."),
    401: _l("Sign in first."),
    403: _l("You are not allowed to do this."),
    404: _l("There is nothing here."),
    405: _l("This address does not accept this method."),
    409: _l("The request clashes with the current state."),
    413: _l("The request is too large."),
    415: _l("The request body is in a format this address does not accept."),
    422: _l("The request could not be processed."),
    429: _l("Too many requests. Wait a little and try again."),
    500: _l("Something went wrong on our side."),
    503: _l("The service is not available right now. Try again in a moment."),
}
FORM_EXPIRED = _l("The form expired. Go back, reload and try again.")
CSRF_REFUSED = _l("The security token of the request is missing or expired. Reload the page and try again.")


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
    (domain_errors.NotPermitted, 403),
    (domain_errors.Conflict, 409),
    (domain_errors.Invalid, 422),
    (domain_errors.Refused, 422),
    (domain_errors.Unavailable, 503),
)


def status_of(error):
    return next((status for cls, status in DOMAIN_STATUSES if isinstance(error, cls)), 500)


def error_body(status, code, message, details=None, **extra):
    err = {"code": code, "message": str(message)}  # a lazy string is read here, in the request's language
    if details is not None:
        err["details"] = details
    return {"error": err, **extra}


def _wants_json():
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _answer(status, code, message, details=None, headers=None, page_message=None, **extra):
    """The JSON error for API callers, the error page for browsers."""
    if _wants_json():
        return jsonify(error_body(status, code, message, details, **extra)), status, headers or {}
    return render_template("error.html", status=status, message=str(page_message or message)), status, headers or {}


def handle_api_error(exc):
    db.session.rollback()
    return jsonify(error_body(exc.status, exc.code, exc.message, exc.details, **exc.extra)), exc.status


def handle_domain_error(exc):
    db.session.rollback()
    return _answer(status_of(exc), exc.code, exc.message, exc.details, **exc.extra)


def handle_csrf(exc):
    return _answer(400, "csrf_failed", CSRF_REFUSED, page_message=FORM_EXPIRED)


def handle_http(exc):
    if exc.response is not None and exc.code == 422:  # a validation response built by spectree
        return exc.response
    return _answer(exc.code, CODES.get(exc.code, "error"), http_message(exc), headers=_headers(exc))


def http_message(exc):
    """A description given where the exception was raised (a lazy string, read now), else Carebox's words
    for the status rather than werkzeug's English default."""
    if exc.description and exc.description != type(exc).description:
        return exc.description
    return STATUS_MESSAGES.get(exc.code) or exc.name


def handle_unexpected(exc):
    log.exception("unhandled error on %s %s", request.method, request.path)
    db.session.rollback()
    return _answer(500, "internal_error", STATUS_MESSAGES[500])


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
