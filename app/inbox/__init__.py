"""The agent-facing pages, and the npm front-end packages they load."""
from flask import Blueprint, abort, render_template, send_from_directory

from app.auth.guard import public
from app.vendor import VENDOR_DIRS

bp = Blueprint("inbox", __name__)


@bp.get("/")
def index():
    return render_template("inbox/index.html")


@bp.get("/vendor/<package>/<path:filename>")
@public
def vendor(package, filename):
    folder = VENDOR_DIRS.get(package)
    if folder is None:
        abort(404)
    return send_from_directory(folder, filename, max_age=3600)
