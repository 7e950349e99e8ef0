"""Manager pages: the live SLA dashboard, response-time reports and SLA policy settings.

The dashboard and reports pages are shells: their scripts (static/js/dashboard.js,
static/js/reports.js) read the same API the integrations use (/api/v1/sla/summary,
/api/v1/sla/workload, /api/v1/reports/…), so pages and API cannot disagree.
The settings page is a plain server-rendered form that goes through the same
validation (PolicyIn) and the same functions (app/sla/manage.py) as the API.

Every route here is for managers. The role is checked before CSRF (so an agent hears
"forbidden", the truth, rather than "form expired"), which is why this blueprint does
its own CSRF check instead of the global one.
"""
from flask import Blueprint, abort, request
from flask_login import current_user

from app.extensions import csrf, login_manager

bp = Blueprint("dashboard", __name__)
csrf.exempt(bp)  # checked below, after the role
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@bp.before_request
def managers_only_then_csrf():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.has_role("manager"):
        abort(403)
    if request.method in UNSAFE_METHODS:
        csrf.protect()
    return None


from app.dashboard import views  # noqa: E402,F401  (routes)
