"""Managers' workflow settings: canned responses, auto-assignment, rules and teams (pages; the API lives in app/api)."""
from flask import Blueprint

bp = Blueprint("workflow", __name__, url_prefix="/settings/workflow")

from app.workflow import rules, teams, views  # noqa: E402,F401
