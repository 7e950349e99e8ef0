"""Admin → permissions (the lowest role that has each one) and the audit log (who did what), read-only."""
import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.admin import bp
from app.admin.forms import PermissionsForm
from app.audit import events_page
from app.auth.guard import role_required
from app.extensions import db
from app.models import ApiToken, User
from app.permissions import PERMISSIONS, lowest_roles, set_lowest_roles

AUDIT_PAGE = 50
MAX_ID = 2**63 - 1  # larger ids in a query string are no event's: ignore them instead of failing the query


def _permissions_page(form, status=200):
    rows = [(name, label, default, form[PermissionsForm.field_of(name)])
            for name, (default, label) in PERMISSIONS.items()]
    return render_template("admin/permissions.html", form=form, rows=rows), status


@bp.get("/permissions")
@role_required("admin")
def permissions():
    current = lowest_roles(db.session)
    return _permissions_page(PermissionsForm(formdata=None, data={PermissionsForm.field_of(n): r
                                                                   for n, r in current.items()}))


@bp.post("/permissions")
@role_required("admin")
def save_permissions():
    form = PermissionsForm()
    if not form.validate_on_submit():
        return _permissions_page(form, status=400)
    current = lowest_roles(db.session)
    chosen = {name: form[PermissionsForm.field_of(name)].data for name in PERMISSIONS}
    changes = {name: role for name, role in chosen.items() if current[name] != role}
    if changes:
        set_lowest_roles(db.session, changes, actor=current_user)
        db.session.commit()
    flash(_("Permissions saved.") if changes else _("Nothing changed."), "info")
    return redirect(url_for("admin.permissions"))


def _id_arg(name):
    value = request.args.get(name, type=int)
    return value if value is not None and 0 < value <= MAX_ID else None


@bp.get("/audit")
@role_required("admin")
def audit():
    action = (request.args.get("action") or "").strip()[:64]
    actor_id = _id_arg("actor")
    events, older = events_page(db.session, action=action or None, actor_id=actor_id, before=_id_arg("before"),
                                limit=AUDIT_PAGE)
    users = list(db.session.scalars(sa.select(User).order_by(User.name, User.id)))
    token_ids = {e.actor_token_id for e in events if e.actor_token_id}
    tokens = {t.id: t for t in db.session.scalars(sa.select(ApiToken).where(ApiToken.id.in_(token_ids)))} \
        if token_ids else {}
    return render_template("admin/audit.html", events=events, older=older, users=users,
                           users_by_id={u.id: u for u in users}, tokens=tokens, action=action, actor_id=actor_id)
