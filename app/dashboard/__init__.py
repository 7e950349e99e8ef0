"""Manager pages: the live SLA dashboard, response-time reports and SLA policy settings.

The dashboard and reports pages are shells: their scripts (static/js/dashboard.js,
static/js/reports.js) read the same API the integrations use (/api/v1/sla/summary,
/api/v1/sla/workload, /api/v1/reports/…), so pages and API cannot disagree.
The settings page is a plain server-rendered form that goes through the same
validation (PolicyIn) and the same functions (app/sla/manage.py) as the API.

Every route here is for managers (role_required on each view; the auth guard checks the role
before CSRF, so an agent hears "forbidden", not "form expired").
"""
from flask import Blueprint

bp = Blueprint("dashboard", __name__)

from app.dashboard import views  # noqa: E402,F401  (routes)
