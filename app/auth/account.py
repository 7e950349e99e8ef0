"""Your account: change your password, sign out everywhere, choose your language and time zone."""
import sqlalchemy as sa
from flask import flash, make_response, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_babel import refresh
from flask_login import current_user, logout_user

from app.audit import record
from app.auth import bp
from app.auth.forms import ChangePasswordForm, PreferencesForm
from app.auth.throttle import LOGIN_PER_ACCOUNT, Throttled
from app.extensions import db
from app.models import UserSession, utcnow
from app.passwords import MIN_LENGTH
from app.sessions import end_sessions
from app.users import PasswordError, change_password, update_preferences

# User-facing text, in one place.
PASSWORD_CHANGED = _l("Password changed. Every other browser signed in as you has been signed out.")
WRONG_CURRENT = _l("That is not your current password.")
SAME_AS_BEFORE = _l("The new password must differ from the current one.")
TOO_MANY_ATTEMPTS = _l("Too many attempts. Wait a few minutes and try again.")
SIGNED_OUT_EVERYWHERE = _l("You have been signed out everywhere, this browser included.")
PREFERENCES_SAVED = _l("Your language and time zone are saved.")


def _page(form=None, preferences=None, status=200):
    sessions = db.session.scalar(sa.select(sa.func.count(UserSession.id)).where(UserSession.user_id == current_user.id))
    preferences = preferences or PreferencesForm(
        formdata=None, locale=current_user.locale or "", timezone=current_user.timezone or "")
    return render_template("auth/account.html", form=form or ChangePasswordForm(), preferences=preferences,
                           session_count=sessions, min_length=MIN_LENGTH, now=utcnow()), status


@bp.get("/account")
def account():
    return _page()


@bp.post("/account/preferences")
def save_preferences():
    form = PreferencesForm()
    if not form.validate_on_submit():
        return _page(preferences=form, status=400)
    user = current_user._get_current_object()
    update_preferences(db.session, user, locale=form.locale.data, timezone=form.timezone.data)
    db.session.commit()
    refresh()  # the confirmation speaks the language just chosen
    flash(str(PREFERENCES_SAVED), "info")
    return redirect(url_for("auth.account"))


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
    flash(str(PASSWORD_CHANGED), "info")
    return redirect(url_for("auth.account"))


@bp.post("/account/sign-out-everywhere")
def sign_out_everywhere():
    # CSRF: checked for every POST by CSRFProtect before this runs.
    user = current_user._get_current_object()
    ended = end_sessions(db.session, user)
    record("user.signed_out_everywhere", actor=user, target=user, data={"sessions_ended": ended})
    db.session.commit()
    logout_user()
    flash(str(SIGNED_OUT_EVERYWHERE), "info")
    return redirect(url_for("auth.login"))
