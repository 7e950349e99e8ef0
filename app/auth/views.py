"""Sign in and sign out."""
from urllib.parse import urlsplit

from flask import current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user

from app.audit import record
from app.auth import bp
from app.auth.forms import LoginForm
from app.auth.guard import public
from app.auth.signin import SignInFailed, authenticate
from app.auth.throttle import Throttled
from app.extensions import db
from app.models import utcnow
from app.sessions import end_session, start_session



def safe_next(target):
    """Only same-site relative paths: never redirect to another host after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def too_many_attempts(seconds):
    minutes = max(1, -(-seconds // 60))
    return ngettext("Too many sign-in attempts. Wait a minute and try again.",
                    "Too many sign-in attempts. Wait %(num)s minutes and try again.", minutes)


def sign_in(user, remember):
    """Start a sign-in for `user` in this browser, from a clean session (no pre-login state carries over)."""
    session.clear()  # session fixation: nothing an attacker planted before sign-in survives it, CSRF secret included
    start_session(db.session, user, lifetime=current_app.config["REMEMBER_COOKIE_DURATION"],
                  ip=request.remote_addr, user_agent=request.user_agent.string)
    login_user(user, remember=remember)
    user.last_login_at = utcnow()
    record("login", actor=user)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("inbox.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(db.session, form.email.data, form.password.data, request.remote_addr)
        except Throttled as exc:
            db.session.commit()  # the audit record
            flash(too_many_attempts(exc.retry_after), "error")
            response = make_response(render_template("auth/login.html", form=form), 429)
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        except SignInFailed:
            db.session.commit()  # the audit record
            flash(_("Wrong email or password."), "error")
            return render_template("auth/login.html", form=form), 401
        sign_in(user, remember=form.remember.data)
        db.session.commit()
        return redirect(safe_next(request.args.get("next")) or url_for("inbox.index"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    record("logout", actor=current_user)
    if current_user.login_session is not None:
        end_session(db.session, current_user.login_session)  # this cookie, and any copy of it, stops working
    db.session.commit()
    logout_user()
    return redirect(url_for("auth.login"))
