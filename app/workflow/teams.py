"""The teams page: managers create teams and choose their members, accounts, languages and auto-assignment."""
import sqlalchemy as sa
from babel import Locale
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from app import teams
from app.assignment import AUTO_ASSIGN_MODES
from app.auth.guard import role_required
from app.domain_errors import DomainError
from app.extensions import db
from app.i18n.names import network_name
from app.models import SocialAccount, Team, User
from app.vocabulary import DETECTED_LANGUAGES
from app.workflow import bp
from app.workflow.views import MODE_LABELS


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _language_name(code):
    return Locale.parse(code).get_display_name(code) or code  # each language by its own name


class TeamForm(FlaskForm):
    id = HiddenField()
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    member_ids = MultiCheckboxField(_l("Members"), coerce=int)
    account_ids = MultiCheckboxField(_l("Accounts it owns"), coerce=int)
    languages = MultiCheckboxField(_l("Languages it owns"),
                                   choices=[SelectChoice(c, _language_name(c), render_kw={"lang": c})
                                            for c in DETECTED_LANGUAGES])
    auto_assign = SelectField(_l("Auto-assignment"), choices=[
        SelectChoice("", _l("As the workspace")), *(SelectChoice(m, MODE_LABELS[m]) for m in AUTO_ASSIGN_MODES)])

    def fill_choices(self):
        users = db.session.scalars(sa.select(User).where(User.is_active.is_(True)).order_by(User.name, User.id))
        self.member_ids.choices = [(u.id, f"{u.name} ({u.email})") for u in users]
        accounts = db.session.scalars(sa.select(SocialAccount).order_by(SocialAccount.name, SocialAccount.id))
        self.account_ids.choices = [(a.id, f"{a.name} · {network_name(a.network)}") for a in accounts]
        return self


class DeleteTeamForm(FlaskForm):
    id = HiddenField(validators=[DataRequired()])


def _render(form=None, status=200):
    rows = teams.list_teams(db.session, current_user)
    return render_template(
        "workflow/teams.html", teams=rows, form=(form or TeamForm()).fill_choices(),
        delete_form=DeleteTeamForm(), language_name=_language_name, mode_labels=MODE_LABELS,
    ), status


@bp.get("/teams")
@role_required("manager")
def teams_page():
    editing = request.args.get("edit", type=int)
    team = db.session.get(Team, editing) if editing and editing < 2**31 else None
    if team is None:
        return _render()
    form = TeamForm(id=str(team.id), name=team.name, member_ids=[u.id for u in team.members],
                    account_ids=[a.id for a in team.accounts], languages=list(team.languages or []),
                    auto_assign=team.auto_assign or "", formdata=None)
    return _render(form)


@bp.post("/teams")
@role_required("manager")
def save_team():
    form = TeamForm().fill_choices()
    if not form.validate_on_submit():
        return _render(form, 400)
    fields = {"name": form.name.data, "member_ids": form.member_ids.data, "account_ids": form.account_ids.data,
              "languages": form.languages.data, "auto_assign": form.auto_assign.data or None}
    try:
        if form.id.data:
            team = teams.update_team(db.session, current_user, int(form.id.data), **fields)
        else:
            team = teams.create_team(db.session, current_user, **fields)
    except DomainError as exc:
        db.session.rollback()
        form.name.errors.append(str(exc.message))
        return _render(form, 409 if getattr(exc, "code", None) == "name_taken" else 400)
    db.session.commit()
    flash(_("Saved the team %(name)s.", name=team.name), "info")
    return redirect(url_for(".teams_page"))


@bp.post("/teams/delete")
@role_required("manager")
def delete_team():
    form = DeleteTeamForm()
    if form.validate_on_submit() and form.id.data.isdigit():
        try:
            teams.delete_team(db.session, current_user, int(form.id.data))
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
            return redirect(url_for(".teams_page"))
        db.session.commit()
        flash(_("Deleted the team; its conversations are unrouted."), "info")
    return redirect(url_for(".teams_page"))
