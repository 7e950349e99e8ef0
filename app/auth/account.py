"""Your account: change your password, sign out everywhere."""
import sqlalchemy as sa
from flask import flash, make_response, redirect, render_template, url_for
from flask_login import current_user, logout_user

from app.audit import record
from app.auth import bp
from app.auth.forms import ChangePasswordForm
from app.auth.throttle import LOGIN_PER_ACCOUNT, Throttled
from app.extensions import db
from app.models import UserSession
from app.passwords import MIN_LENGTH
from app.sessions import end_sessions
from app.users import PasswordError, change_password

# User-facing text, in one place (to be wrapped for translation).
PASSWORD_CHANGED = "Password changed. Every other browser signed in as you has been signed out."
WRONG_CURRENT = "That is not your current password."
SAME_AS_BEFORE = "The new password must differ from the current one."
TOO_MANY_ATTEMPTS = "Too many attempts. Wait a few minutes and try again."
SIGNED_OUT_EVERYWHERE = "You have been signed out everywhere, this browser included."


def _page(form, status=200):
    sessions = db.session.scalar(sa.select(sa.func.count(UserSession.id)).where(UserSession.user_id == current_user.id))
    return render_template("auth/account.html", form=form, session_count=sessions, min_length=MIN_LENGTH), status


@bp.get("/account")
def account():
    return _page(ChangePasswordForm())


@bp.post("/account/password")
def change_own_password():
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return _page(form, status=400)
    user = current_user._get_current_object()
    try:
        # Guessing the current password (from a borrowed session) spends the sign-in budget of the account.
        LOGIN_PER_ACCOUNT.check(user.email)
    except Throttled as exc:
        form.current_password.errors.append(TOO_MANY_ATTEMPTS)
        response = make_response(*_page(form, status=429))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if not user.check_password(form.current_password.data):
        LOGIN_PER_ACCOUNT.charge(user.email)
        record("user.password_change_failed", actor=user, target=user)
        db.session.commit()
        form.current_password.errors.append(WRONG_CURRENT)
        return _page(form, status=400)
    if form.new_password.data == form.current_password.data:
        form.new_password.errors.append(SAME_AS_BEFORE)
        return _page(form, status=400)
    try:
        change_password(db.session, user, new_password=form.new_password.data, keep=user.login_session, actor=user)
    except PasswordError as exc:
        db.session.rollback()
        form.new_password.errors.append(str(exc))
        return _page(form, status=400)
    db.session.commit()
    flash(PASSWORD_CHANGED, "info")
    return redirect(url_for("auth.account"))


@bp.post("/account/sign-out-everywhere")
def sign_out_everywhere():
    # CSRF: checked for every POST by CSRFProtect before this runs.
    user = current_user._get_current_object()
    ended = end_sessions(db.session, user)
    record("user.signed_out_everywhere", actor=user, target=user, data={"sessions_ended": ended})
    db.session.commit()
    logout_user()
    flash(SIGNED_OUT_EVERYWHERE, "info")
    return redirect(url_for("auth.login"))
