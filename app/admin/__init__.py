"""Admin pages (role admin): API tokens, users, webhooks, role permissions and the audit log.

Thin views over the functions the API and CLI share."""
from flask import Blueprint, redirect, url_for

from app.admin.names import delivery_state
from app.auth.guard import role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.context_processor
def display_names():
    return {"delivery_state": delivery_state}


@bp.get("/")
@role_required("admin")
def index():
    return redirect(url_for("admin.tokens"))


from app.admin import permissions, tokens, users, webhooks  # noqa: E402,F401  (routes)
