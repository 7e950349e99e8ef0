"""Managers' workflow settings: canned responses and auto-assignment (pages; the API lives in app/api)."""
from flask import Blueprint

bp = Blueprint("workflow", __name__, url_prefix="/settings/workflow")

from app.workflow import views  # noqa: E402,F401
