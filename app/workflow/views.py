"""Pages: list, add, edit and delete canned responses; choose how new conversations are assigned and ranked."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from app import canned, ranking
from app.assignment import AUTO_ASSIGN_MODES, auto_assign_mode, set_auto_assign_mode
from app.auth.guard import role_required
from app.domain_errors import Conflict, Invalid
from app.extensions import db
from app.i18n import LANGUAGES
from app.models import CannedResponse
from app.workflow import bp

MODE_LABELS = {"off": _l("Off: agents claim conversations themselves"),
               "round_robin": _l("Round robin among available agents"),
               "least_loaded": _l("To the available agent with the fewest open conversations")}


def _language_choices():
    # Each language by its own name (as the language picker shows them); "" fits any conversation.
    return [SelectChoice("", _l("Any language")),
            *(SelectChoice(code, name, render_kw={"lang": code}) for code, name in LANGUAGES.items())]


class CannedForm(FlaskForm):
    id = HiddenField()
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=120)])
    shortcut = StringField(_l("Shortcut"), validators=[
        DataRequired(), Length(max=32), Regexp(r"^[\w-]+$", message=_l("Use letters, digits, - and _ only."))])
    language = SelectField(_l("Language"), choices=_language_choices, default="")
    text = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=8000)])


class DeleteForm(FlaskForm):
    id = HiddenField(validators=[DataRequired()])


class AutoAssignForm(FlaskForm):
    mode = SelectField(_l("New conversations"), choices=[SelectChoice(m, MODE_LABELS[m]) for m in AUTO_ASSIGN_MODES])


class RankingForm(FlaskForm):
    enabled = BooleanField(_l("Raise priorities from reach and mood"))
    followers_high = IntegerField(_l("High from this many followers"),
                                  validators=[Optional(), NumberRange(min=1, max=ranking.MAX_FOLLOWERS)])
    followers_urgent = IntegerField(_l("Urgent from this many followers"),
                                    validators=[Optional(), NumberRange(min=1, max=ranking.MAX_FOLLOWERS)])
    negative = BooleanField(_l("Negative messages raise to high"))
    complaint = BooleanField(_l("Complaints raise to high"))


def _ranking_form():
    return RankingForm(formdata=None, **ranking.ranking_settings(db.session))


def _render(canned_form=None, status=200, ranking_form=None):
    rows = canned.all_canned(db.session)
    return render_template(
        "workflow/index.html", canned=rows, canned_form=canned_form or CannedForm(), delete_form=DeleteForm(),
        assign_form=AutoAssignForm(mode=auto_assign_mode(db.session)), languages=LANGUAGES,
        ranking_form=ranking_form or _ranking_form(),
    ), status


@bp.get("/")
@role_required("manager")
def index():
    editing = request.args.get("edit", type=int)
    existing = db.session.get(CannedResponse, editing) if editing else None
    if existing is None:
        return _render()
    form = CannedForm(id=str(existing.id), title=existing.title, shortcut=existing.shortcut,
                      language=existing.language or "", text=existing.text, formdata=None)
    return _render(form)


@bp.post("/canned")
@role_required("manager")
def save_canned():
    form = CannedForm()
    if not form.validate_on_submit():
        return _render(form, 400)
    existing = None
    if form.id.data:
        existing = db.session.get(CannedResponse, int(form.id.data))
        if existing is None:
            flash(_("That canned response no longer exists."), "error")
            return redirect(url_for(".index"))
    try:
        saved = canned.save_canned(db.session, existing, actor=current_user, title=form.title.data,
                                   shortcut=form.shortcut.data, text=form.text.data, language=form.language.data or None)
    except Conflict:
        db.session.rollback()
        form.shortcut.errors.append(_("This shortcut is already used in this language."))
        return _render(form, 409)
    db.session.commit()
    flash(_("Saved /%(shortcut)s.", shortcut=saved.shortcut), "info")
    return redirect(url_for(".index"))


@bp.post("/canned/delete")
@role_required("manager")
def delete_canned():
    form = DeleteForm()
    if form.validate_on_submit():
        existing = db.session.get(CannedResponse, int(form.id.data))
        if existing is not None:
            canned.delete_canned(db.session, existing, actor=current_user)
            db.session.commit()
            flash(_("Deleted /%(shortcut)s.", shortcut=existing.shortcut), "info")
    return redirect(url_for(".index"))


@bp.post("/auto-assign")
@role_required("manager")
def save_auto_assign():
    form = AutoAssignForm()
    if form.validate_on_submit():
        set_auto_assign_mode(db.session, form.mode.data, actor=current_user)
        db.session.commit()
        flash(_("Auto-assignment saved."), "info")
    return redirect(url_for(".index"))


@bp.post("/ranking")
@role_required("manager")
def save_ranking():
    form = RankingForm()
    if not form.validate_on_submit():
        return _render(status=400, ranking_form=form)
    try:
        ranking.set_ranking_settings(db.session, actor=current_user, enabled=form.enabled.data,
                                     followers_high=form.followers_high.data, followers_urgent=form.followers_urgent.data,
                                     negative=form.negative.data, complaint=form.complaint.data)
    except Invalid as exc:
        db.session.rollback()
        form.followers_urgent.errors = [exc.message]
        return _render(status=400, ranking_form=form)
    db.session.commit()
    flash(_("Ranking saved."), "info")
    return redirect(url_for(".index"))
