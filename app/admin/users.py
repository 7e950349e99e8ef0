"""Admin → users: create, change role, reset password, deactivate and reactivate."""
import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.admin import bp
from app.admin.forms import ActionForm, RoleForm, UserForm
from app.api.paging import get_by_id
from app.auth.guard import role_required
from app.extensions import db
from app.models import User
from app.users import PasswordError, UserError, change_password, create_user, generate_password, update_user


def _page(form, created=None, status=200, password_reset=None):
    users = db.session.scalars(sa.select(User).order_by(User.is_active.desc(), User.name))
    return render_template("admin/users.html", form=form, users=list(users), created=created, action=ActionForm(),
                           role_form=RoleForm, password_reset=password_reset), status


def _user_or_404(user_id):
    user = get_by_id(db.session, User, user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/users")
@role_required("admin")
def users():
    return _page(UserForm())


@bp.post("/users")
@role_required("admin")
def create_user_page():
    form = UserForm()
    if not form.validate_on_submit():
        return _page(form, status=400)
    password = form.password.data or generate_password()
    try:
        user = create_user(db.session, email=form.email.data, role=form.role.data, name=form.name.data or None,
                           password=password, actor=current_user)
    except UserError as exc:
        (form.password if isinstance(exc, PasswordError) else form.email).errors.append(str(exc))
        return _page(form, status=400)
    db.session.commit()
    shown = None if form.password.data else password  # a generated password is shown once, never flashed
    return _page(UserForm(formdata=None), created={"email": user.email, "password": shown}, status=201)


def _change(user_id, **changes):
    user = _user_or_404(user_id)
    try:
        update_user(db.session, user, actor=current_user, **changes)
    except UserError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("admin.users"))
    db.session.commit()
    flash(_("%(email)s updated.", email=user.email), "info")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/role")
@role_required("admin")
def change_role(user_id):
    form = RoleForm()
    if not form.validate_on_submit():
        flash(_("Pick a role."), "error")
        return redirect(url_for("admin.users"))
    return _change(user_id, role=form.role.data)


@bp.post("/users/<int:user_id>/password")
@role_required("admin")
def reset_password(user_id):
    """A new generated password (shown once); the user is signed out everywhere and their sockets dropped."""
    if not ActionForm().validate_on_submit():
        abort(400)
    user = _user_or_404(user_id)
    password = generate_password()
    # Resetting your own password keeps this browser signed in; anyone else's signs them out everywhere.
    keep = current_user.login_session if user.id == current_user.id else None
    change_password(db.session, user, new_password=password, keep=keep, actor=current_user)
    db.session.commit()
    return _page(UserForm(formdata=None), password_reset={"email": user.email, "password": password})


@bp.post("/users/<int:user_id>/deactivate")
@role_required("admin")
def deactivate(user_id):
    if not ActionForm().validate_on_submit():
        abort(400)
    return _change(user_id, is_active=False)


@bp.post("/users/<int:user_id>/reactivate")
@role_required("admin")
def reactivate(user_id):
    if not ActionForm().validate_on_submit():
        abort(400)
    return _change(user_id, is_active=True)
