"""Pages: list, add, edit and delete canned responses; choose how new conversations are assigned."""
import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp

from app.audit import record
from app.auth.guard import role_required
from app.conversations.assignment import AUTO_ASSIGN_MODES, auto_assign_mode, set_auto_assign_mode
from app.extensions import db
from app.models import CannedResponse
from app.workflow import bp

MODE_LABELS = {"off": "Off: agents claim conversations themselves",
               "round_robin": "Round robin among available agents",
               "least_loaded": "To the available agent with the fewest open conversations"}


class CannedForm(FlaskForm):
    id = HiddenField()
    title = StringField("Title", validators=[DataRequired(), Length(max=120)])
    shortcut = StringField("Shortcut", validators=[DataRequired(), Length(max=32),
                                                   Regexp(r"^[\w-]+$", message="letters, digits, - and _ only")])
    text = TextAreaField("Text", validators=[DataRequired(), Length(max=8000)])


class DeleteForm(FlaskForm):
    id = HiddenField(validators=[DataRequired()])


class AutoAssignForm(FlaskForm):
    mode = SelectField("New conversations", choices=[SelectChoice(m, MODE_LABELS[m]) for m in AUTO_ASSIGN_MODES])


def _render(canned_form=None, status=200):
    rows = db.session.scalars(sa.select(CannedResponse).order_by(CannedResponse.shortcut)).all()
    return render_template(
        "workflow/index.html", canned=rows, canned_form=canned_form or CannedForm(), delete_form=DeleteForm(),
        assign_form=AutoAssignForm(mode=auto_assign_mode(db.session)),
    ), status


@bp.get("/")
@role_required("manager")
def index():
    return _render()


@bp.post("/canned")
@role_required("manager")
def save_canned():
    form = CannedForm()
    if not form.validate_on_submit():
        return _render(form, 400)
    canned = db.session.get(CannedResponse, int(form.id.data)) if form.id.data else CannedResponse(created_by_id=current_user.id)
    if canned is None:
        flash("That canned response no longer exists.", "error")
        return redirect(url_for(".index"))
    taken = db.session.scalar(sa.select(CannedResponse.id).where(
        sa.func.lower(CannedResponse.shortcut) == form.shortcut.data.lower(), CannedResponse.id != (canned.id or 0)))
    if taken:
        form.shortcut.errors.append("This shortcut is already used.")
        return _render(form, 409)
    canned.title, canned.shortcut, canned.text = form.title.data.strip(), form.shortcut.data, form.text.data.strip()
    db.session.add(canned)
    db.session.flush()
    record("canned.saved", target=canned, data={"shortcut": canned.shortcut})
    db.session.commit()
    flash(f"Saved /{canned.shortcut}.", "info")
    return redirect(url_for(".index"))


@bp.post("/canned/delete")
@role_required("manager")
def delete_canned():
    form = DeleteForm()
    if form.validate_on_submit():
        canned = db.session.get(CannedResponse, int(form.id.data))
        if canned is not None:
            record("canned.deleted", target=canned, data={"shortcut": canned.shortcut})
            db.session.delete(canned)
            db.session.commit()
            flash(f"Deleted /{canned.shortcut}.", "info")
    return redirect(url_for(".index"))


@bp.post("/auto-assign")
@role_required("manager")
def save_auto_assign():
    form = AutoAssignForm()
    if form.validate_on_submit():
        set_auto_assign_mode(db.session, form.mode.data, actor=current_user)
        db.session.commit()
        flash("Auto-assignment saved.", "info")
    return redirect(url_for(".index"))
