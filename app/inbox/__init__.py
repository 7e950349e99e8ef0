"""The agent-facing pages, and the npm front-end packages they load."""
from flask import Blueprint, abort, render_template, send_from_directory
from flask_login import current_user


from app.auth.guard import public, role_required
from app.extensions import db
from app.permissions import granted
from app.teams import list_teams, team_ids_of
from app.vendor import VENDOR_DIRS
from config import BASE_DIR

bp = Blueprint("inbox", __name__)


# The inbox's ES modules, preloaded all at once by the page instead of one import level at a time.
INBOX_MODULES = sorted(path.name for path in (BASE_DIR / "static" / "js" / "inbox").glob("*.js"))


@bp.get("/")
@role_required("agent")
def index():
    # The team filter offers the teams whose conversations this user sees; the list and every live event
    # are scoped on the server (app/teams), the page only keeps its list in step when one moves away.
    # The permissions let the page show only the actions this user may take (the API checks each call again).
    return render_template("inbox/index.html", inbox_modules=INBOX_MODULES, teams=list_teams(db.session, current_user),
                           my_team_ids=team_ids_of(db.session, current_user),
                           permissions=granted(db.session, current_user))


@bp.get("/vendor/<package>/<path:filename>")
@public
def vendor(package, filename):
    folder = VENDOR_DIRS.get(package)
    if folder is None:
        abort(404)
    return send_from_directory(folder, filename, max_age=3600)
