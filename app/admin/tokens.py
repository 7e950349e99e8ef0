"""Admin → API tokens: create (shown once), list with last use, revoke."""
import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.admin import bp
from app.admin.forms import ActionForm, TokenForm
from app.api.paging import get_by_id
from app.auth.guard import role_required
from app.extensions import db
from app.i18n.names import role_name
from app.models import ApiToken, User
from app.tokens import TokenError, issue_token, revoke_token


def _page(form, new_token=None, status=200):
    tokens = db.session.scalars(sa.select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc()))
    return render_template("admin/tokens.html", form=form, tokens=list(tokens), new_token=new_token,
                           action=ActionForm()), status


def _token_form():
    form = TokenForm()
    users = db.session.scalars(sa.select(User).where(User.is_active.is_(True)).order_by(User.name))
    form.user_id.choices = [SelectChoice(u.id, _("%(name)s (%(email)s, %(role)s)", name=u.name, email=u.email,
                                                          role=role_name(u.role))) for u in users]
    if form.user_id.data is None:
        form.user_id.data = current_user.id
    return form


@bp.get("/tokens")
@role_required("admin")
def tokens():
    return _page(_token_form())


@bp.post("/tokens")
@role_required("admin")
def create_token():
    form = _token_form()
    if not form.validate_on_submit():
        return _page(form, status=400)
    user = db.session.get(User, form.user_id.data)
    try:
        token, raw = issue_token(db.session, user=user, name=form.name.data, scopes=form.scopes.data, actor=current_user)
    except TokenError as exc:
        form.name.errors.append(str(exc))
        return _page(form, status=400)
    db.session.commit()
    # Rendered into this response only: never flashed (the session cookie is signed, not encrypted).
    return _page(_token_form(), new_token={"raw": raw, "name": token.name}, status=201)


@bp.post("/tokens/<int:token_id>/revoke")
@role_required("admin")
def revoke(token_id):
    token = get_by_id(db.session, ApiToken, token_id)
    if token is not None and ActionForm().validate_on_submit():
        revoke_token(db.session, token, actor=current_user)
        db.session.commit()
        flash(_("Token “%(name)s” revoked.", name=token.name), "info")
    return redirect(url_for("admin.tokens"))
