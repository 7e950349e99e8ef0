"""Manager pages. Thin: data comes from app/reports (through the API) and changes go through app/sla/manage."""
from zoneinfo import available_timezones

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from app.api.sla_schemas import MAX_ID
from app.auth.guard import role_required
from app.dashboard import bp
from app.dashboard.forms import channel_choices, day_names, form_values, policy_from_form, posted_values
from app.extensions import db
from app.models import NETWORKS, SlaPolicy, SocialAccount
from app.sla import manage
from app.sla.policies import default_policy


def _accounts():
    return db.session.scalars(sa.select(SocialAccount).order_by(SocialAccount.name, SocialAccount.id)).all()


@bp.get("/dashboard")
@role_required("manager")
def index():
    return render_template("dashboard/index.html")


@bp.get("/reports")
@role_required("manager")
def reports():
    return render_template("dashboard/reports.html", accounts=_accounts(), networks=NETWORKS)


# --- SLA policy settings --------------------------------------------------------------------

def _settings_page(edit=None, values=None, errors=None, status=200):
    return render_template(
        "dashboard/settings_sla.html",
        policies=manage.list_policies(db.session), accounts=_accounts(), default=default_policy(db.session, "public"),
        private_default=default_policy(db.session, "private"), channels=channel_choices(),
        edit=edit, values=values or form_values(edit), errors=errors or [], days=day_names(), day_abbreviations=day_names("abbreviated"),
        timezones=sorted(available_timezones()),
    ), status


def _policy_or_404(policy_id):
    policy = db.session.get(SlaPolicy, policy_id) if policy_id <= MAX_ID else None
    if policy is None:
        abort(404)
    return policy


def _moved(count):
    return ngettext("%(num)s running clock got a new due time.", "%(num)s running clocks got new due times.",
                    count) if count else ""


def _saying(first, moved):
    """A confirmation and, when clocks moved, how many: two sentences side by side."""
    return f"{first} {_moved(moved)}".strip()


@bp.get("/settings/sla")
@role_required("manager")
def settings():
    edit = _policy_or_404(request.args.get("edit", type=int)) if request.args.get("edit") else None
    return _settings_page(edit)


@bp.post("/settings/sla/policies")
@role_required("manager")
def create_policy():
    return _save_policy(None)


@bp.post("/settings/sla/policies/<int:policy_id>")
@role_required("manager")
def update_policy(policy_id):
    return _save_policy(_policy_or_404(policy_id))


def _save_policy(policy):
    """Create (policy None) or update from the posted form; on errors, the form again with them."""
    data, errors = policy_from_form(request.form)
    if errors:
        return _settings_page(policy, posted_values(request.form), errors, 422)
    try:
        if policy is None:
            policy, moved = manage.create_policy(db.session, data)
        else:
            moved = manage.update_policy(db.session, policy, data)
    except manage.PolicyConflict as exc:
        db.session.rollback()
        return _settings_page(policy, posted_values(request.form), [str(exc)], 409)
    db.session.commit()
    flash(_saying(_("Policy “%(name)s” saved.", name=policy.name), moved), "success")
    return redirect(url_for("dashboard.settings"))


@bp.post("/settings/sla/policies/<int:policy_id>/delete")
@role_required("manager")
def delete_policy(policy_id):
    policy = _policy_or_404(policy_id)
    name = policy.name
    try:
        moved = manage.delete_policy(db.session, policy)
    except manage.PolicyConflict as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("dashboard.settings"))
    db.session.commit()
    flash(_saying(_("Policy “%(name)s” deleted.", name=name), moved), "success")
    return redirect(url_for("dashboard.settings"))


@bp.post("/settings/sla/accounts/<int:account_id>")
@role_required("manager")
def assign_policy(account_id):
    account = db.session.get(SocialAccount, account_id) if account_id <= MAX_ID else None
    if account is None:
        abort(404)
    raw = request.form.get("policy_id", "")
    policy = _policy_or_404(int(raw)) if raw.isdigit() else None
    moved = manage.assign_policy(db.session, account, policy)
    if "private_policy_id" in request.form:  # the private messages' policy, chosen in the same form
        raw = request.form["private_policy_id"]
        private = _policy_or_404(int(raw)) if raw.isdigit() else None
        moved += manage.assign_policy(db.session, account, private, "private")
    db.session.commit()
    followed = (_("%(account)s now follows %(policy)s.", account=account.name, policy=policy.name) if policy
                else _("%(account)s now follows the default policy.", account=account.name))
    flash(_saying(followed, moved), "success")
    return redirect(url_for("dashboard.settings"))
