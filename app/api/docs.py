"""Browsable API docs: Swagger UI (from npm, no CDN) over /api/v1/openapi.json, for signed-in staff."""
from flask import render_template

from app.api import bp
from app.auth.guard import role_required


@bp.get("/docs")
@role_required("agent")
def api_docs():
    return render_template("api_docs.html")
