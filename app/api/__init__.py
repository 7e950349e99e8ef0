"""REST API under /api/v1 (docs/design.md, "Interfaces").

Requests and responses are pydantic models (app/api/schemas.py) validated by
spectree, which also builds the OpenAPI document from the same code. Callers
authenticate with a Bearer token or the browser session; `require()` checks
role, token scope and, for session callers, CSRF.
"""
from functools import wraps

from flask import Blueprint, g, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from spectree import SecurityScheme, SpecTree
from spectree.models import SecuritySchemeData
from flask_babel import lazy_gettext as _l

from app.api.bodies import check_json_body
from app.api.schemas import ErrorOut
from app.auth.guard import public
from app.errors import CSRF_REFUSED, ApiError
from app.extensions import csrf
from app.i18n.names import ROLE_NAMES

bp = Blueprint("api", __name__)
csrf.exempt(bp)  # session callers are checked in require(); token callers need no CSRF
bp.before_request(check_json_body)  # JSON or nothing, for every POST/PUT/PATCH route


def _validation_failed(req, resp, req_validation_error, instance, *_):
    if req_validation_error is None:
        return  # bodies that are not JSON objects never get here: app/api/bodies.py refused them
    details = [
        {"loc": [str(p) for p in e.get("loc", ())], "message": e.get("msg"), "type": e.get("type")}
        for e in req_validation_error.errors(include_url=False, include_context=False, include_input=False)
    ]
    first = details[0] if details else {"loc": [], "message": "invalid"}
    where = ".".join(first["loc"]) or "request"
    raise ApiError(422, _l("%(field)s: %(problem)s", field=where, problem=first["message"]), code="validation_error",
                   details=details)


spec = SpecTree(
    "flask",
    title="Carebox API",
    version="v1",
    description="Social-media customer-care inbox. Errors are {\"error\": {\"code\", \"message\"}}.",
    path="api/v1/docs",
    page_templates={},  # no CDN-loaded doc pages: /api/v1/docs serves Swagger UI from node_modules (app/api/docs.py)
    mode="strict",
    before=_validation_failed,
    validation_error_status=422,
    validation_error_model=ErrorOut,  # what _validation_failed answers: {"error": {code, message, details}}
    security_schemes=[
        SecurityScheme(name="bearerAuth", data=SecuritySchemeData(type="http", scheme="bearer")),
        SecurityScheme(name="cookieAuth", data=SecuritySchemeData(type="apiKey", field_in="cookie", name="session")),
    ],
    security=[{"bearerAuth": []}, {"cookieAuth": []}],
)

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def require(scope="read", role="agent"):
    """Allow callers with `role` or above; Bearer tokens also need `scope` ("read", "write", "admin")."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                raise ApiError(401, _l("Sign in or send a valid Bearer token."))
            token = g.get("api_token")
            if token is not None and not token.has_scope(scope):
                raise ApiError(403, _l("This token lacks the “%(scope)s” scope.", scope=scope), code="insufficient_scope")
            if not current_user.has_role(role):
                raise ApiError(403, _l("This needs the %(role)s role.", role=ROLE_NAMES.get(role, role)))
            # Only a caller actually authenticated by a token skips CSRF (app/auth/guard.py makes any Bearer header
            # either that or a 401); everyone else came with the browser session.
            if token is None and request.method in UNSAFE_METHODS:
                try:
                    csrf.protect()
                except CSRFError as exc:
                    raise ApiError(400, CSRF_REFUSED, code="csrf_failed") from exc
            return view(*args, **kwargs)

        wrapped.required_role = role
        wrapped.required_scope = scope
        return wrapped

    return decorator


@bp.get("/openapi.json")
@public
def openapi_document():
    from app.api.webhook_docs import openapi_document as document

    return jsonify(document(spec))


def init_app(app):
    # Importing the modules registers their routes on `bp`.
    from app.api import (  # noqa: F401  inbox  # noqa: F401  SLA policies, summary, reports  # noqa: F401  integrations
        accounts,
        canned,
        contacts,
        conversations,
        docs,
        messages,
        moderation,
        reports,
        sla,
        team,
        tokens,
        users,
        webhooks,
    )

    app.register_blueprint(bp, url_prefix="/api/v1")
    spec.register(app)
