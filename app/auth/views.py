"""Sign in and sign out."""
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from app.audit import record
from app.auth import bp
from app.auth.guard import public
from app.extensions import db
from app.models import User, utcnow


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=512)])
    remember = BooleanField("Keep me signed in")


def safe_next(target):
    """Only same-site relative paths: never redirect to another host after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("inbox.index"))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.execute(sa.select(User).where(sa.func.lower(User.email) == email)).scalar_one_or_none()
        if user is None or not user.is_active or not user.check_password(form.password.data):
            record("login.failed", data={"email": email[:254]})
            db.session.commit()
            flash("Wrong email or password.", "error")
            return render_template("auth/login.html", form=form), 401
        login_user(user, remember=form.remember.data)
        user.last_login_at = utcnow()
        record("login", actor=user)
        db.session.commit()
        return redirect(safe_next(request.args.get("next")) or url_for("inbox.index"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    record("logout", actor=current_user)
    db.session.commit()
    logout_user()
    return redirect(url_for("auth.login"))
