"""Admin pages (role admin): API tokens, users and webhooks. Thin views over the functions the API and CLI share.

The role is checked before CSRF (a manager hears "forbidden", not "form expired"), so this
blueprint makes the CSRF check itself, right after the role check, instead of the global one.
"""
from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user

from app.auth.guard import role_required
from app.extensions import csrf, login_manager

bp = Blueprint("admin", __name__, url_prefix="/admin")
csrf.exempt(bp)  # checked in admins_only_then_csrf


@bp.before_request
def admins_only_then_csrf():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.has_role("admin"):
        abort(403)
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()
    return None


@bp.get("/")
@role_required("admin")
def index():
    return redirect(url_for("admin.tokens"))


from app.admin import tokens, users, webhooks  # noqa: E402,F401  (routes)
