"""Managers' workflow settings: canned responses, auto-assignment and rules (pages; the API lives in app/api)."""
from flask import Blueprint

bp = Blueprint("workflow", __name__, url_prefix="/settings/workflow")

from app.workflow import rules, views  # noqa: E402,F401
