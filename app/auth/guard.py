"""Who is calling: the session user or the owner of a Bearer token, and what they may do."""
from functools import wraps

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from flask import abort, current_app, g, redirect, request, url_for
from flask_login import current_user

from app.database import write_intent
from app.extensions import db, login_manager
from app.models import ApiToken, User, hash_token, utcnow

PUBLIC_ATTR = "_carebox_public"


def public(view):
    """Mark a view as reachable without signing in (login page, health checks, signed push hooks)."""
    setattr(view, PUBLIC_ATTR, True)
    return view


def is_public_endpoint(app, endpoint):
    if endpoint is None:
        return True  # 404s: nothing to protect
    if endpoint == "static" or endpoint.endswith(".static"):
        return True
    view = app.view_functions.get(endpoint)
    return view is not None and getattr(view, PUBLIC_ATTR, False)


def wants_json():
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def role_required(role):
    """Allow users whose role is `role` or above (agent < manager < admin)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(role):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_role = role
        return wrapped

    return decorator


def bearer_token_value():
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


# Built once: every API call runs it (building the statement cost more than running it).
_TOKEN_WITH_USER = sa.select(ApiToken).options(joinedload(ApiToken.user)).where(
    ApiToken.token_hash == sa.bindparam("token_hash"))


def token_from_value(raw):
    """The active ApiToken for a raw value, or None. Marks it used."""
    token = db.session.execute(_TOKEN_WITH_USER, {"token_hash": hash_token(raw)}).scalar_one_or_none()
    if token is None or not token.is_active:
        return None
    now = utcnow()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        # Coarse, so a busy integration does not write on every call; its own short write transaction.
        db.session.commit()
        with write_intent():
            db.session.execute(sa.update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
            db.session.commit()
    return token


@login_manager.user_loader
def load_user(user_id):
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.is_active else None


@login_manager.request_loader
def load_user_from_request(req):
    # Tokens are for the API only: pages and their forms stay with the browser session.
    raw = bearer_token_value() if req.path.startswith("/api/") else None
    if raw is None:
        return None
    token = token_from_value(raw)
    if token is None:
        return None
    g.api_token = token
    return token.user


def _require_login():
    # Authenticate every request afresh, even when an app context (and its `g`) outlives one request.
    for cached in ("_login_user", "api_token", "csrf_token"):
        g.pop(cached, None)
    if is_public_endpoint(current_app, request.endpoint):
        return None
    if request.path.startswith("/api/") and bearer_token_value() is not None:
        _authenticate_by_token_only()
    if not current_user.is_authenticated:
        if wants_json():
            abort(401)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    # Role before anything else (CSRF, validation): a caller without the role learns only that.
    required = getattr(current_app.view_functions.get(request.endpoint), "required_role", None)
    if required is not None and not current_user.has_role(required):
        abort(403, description=f"This needs the {required} role.")
    return None


def _authenticate_by_token_only():
    """A Bearer header alone says who calls, whatever session cookie rides along.

    Flask-Login prefers the session: a browser session plus any Bearer header (even junk) would be served as
    the session user while the API took it for a token caller and skipped CSRF. An invalid token is 401.
    """
    token = token_from_value(bearer_token_value())
    if token is None:
        abort(401, description="invalid, expired or revoked token")
    g.api_token = token
    g._login_user = token.user  # what Flask-Login's current_user reads


def init_app(app):
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    app.before_request(_require_login)
