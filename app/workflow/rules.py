"""The rules page: the ordered list, the editor and the dry run of managers' rules.

The page is a shell: static/js/rules.js reads and writes through /api/v1/rules (and the pickers' own APIs:
accounts, team, canned responses, SLA policies, teams), so the page and API clients share one set of checks.
It opens for managers and admins who have the permission rules.manage (as the rules API asks).
"""
from flask import render_template
from flask_login import current_user

from app.auth.guard import role_required
from app.extensions import db
from app.permissions import check
from app.workflow import bp


@bp.get("/rules")
@role_required("manager")
def rules():
    check(db.session, current_user, "rules.manage")
    return render_template("workflow/rules.html")
