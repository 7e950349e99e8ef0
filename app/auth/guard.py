"""Who is calling: the session user or the owner of a Bearer token, and what they may do."""
from functools import wraps

import sqlalchemy as sa
from flask import abort, current_app, g, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from flask_login import current_user
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import TooManyRequests

from app.auth import throttle
from app.auth.throttle import TOKEN_FAILURES_PER_IP, Throttled
from app.database import write_intent
from app.events import revocation
from app.extensions import PUBLIC_ATTR, db, login_manager, public  # noqa: F401  (public: the views')
from app.i18n.names import ROLE_NAMES
from app.models import ApiToken, hash_token, utcnow
from app.sessions import user_for_token


def token_throttled(seconds):
    """The refusal once an address has sent too many invalid tokens (read in the caller's language)."""
    return lazy_ngettext("Too many requests with invalid tokens from this address. Try again in %(num)s second.",
                         "Too many requests with invalid tokens from this address. Try again in %(num)s seconds.",
                         seconds)


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


def guarded_token(raw, ip):
    """token_from_value behind the per-address brake on failures (HTTP and Socket.IO share it).

    Raises Throttled, before looking the value up, once the address has failed too often: guessing
    stops for everyone at that address, and a right guess is refused too, so it cannot be told apart.
    """
    TOKEN_FAILURES_PER_IP.check(ip)
    token = token_from_value(raw)
    if token is None:
        TOKEN_FAILURES_PER_IP.charge(ip)
    return token


@login_manager.user_loader
def load_user(session_token):
    # The cookie carries a sign-in's token (User.get_id), so an ended sign-in finds no user here.
    return user_for_token(db.session, session_token)


def _require_login():
    # Authenticate every request afresh, even when an app context (and its `g`) outlives one request.
    # Flask-Babel keeps the locale and time zone it chose in g._flask_babel: chosen again for each request too.
    for cached in ("_login_user", "api_token", "csrf_token", "_flask_babel"):
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
        abort(403, description=_l("This needs the %(role)s role.", role=ROLE_NAMES.get(required, required)))
    return None


def _authenticate_by_token_only():
    """A Bearer header alone says who calls, whatever session cookie rides along.

    Flask-Login prefers the session: a browser session plus any Bearer header (even junk) would be served as
    the session user while the API took it for a token caller and skipped CSRF. An invalid token is 401.
    """
    try:
        token = guarded_token(bearer_token_value(), request.remote_addr)
    except Throttled as exc:
        raise TooManyRequests(description=token_throttled(exc.retry_after),
                              retry_after=exc.retry_after) from None
    if token is None:
        abort(401, description=_l("The token is invalid, expired or revoked."))
    g.api_token = token
    g._login_user = token.user  # what Flask-Login's current_user reads


def init_app(app):
    throttle.init_app(app)
    revocation.init_app(app)
    login_manager.login_view = "auth.login"
    # "basic": a session seen from another address or browser is marked not fresh. "strong" would sign an
    # agent out whenever their address changes (Wi-Fi to VPN); a stolen cookie is handled by ending sign-ins.
    login_manager.session_protection = "basic"
    app.before_request(_require_login)
