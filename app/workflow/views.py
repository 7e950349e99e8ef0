"""Pages: list, add, edit and delete canned responses; choose how new conversations are assigned."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp

from app import canned
from app.assignment import AUTO_ASSIGN_MODES, auto_assign_mode, set_auto_assign_mode
from app.auth.guard import role_required
from app.domain_errors import Conflict
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


def _render(canned_form=None, status=200):
    rows = canned.all_canned(db.session)
    return render_template(
        "workflow/index.html", canned=rows, canned_form=canned_form or CannedForm(), delete_form=DeleteForm(),
        assign_form=AutoAssignForm(mode=auto_assign_mode(db.session)), languages=LANGUAGES,
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
