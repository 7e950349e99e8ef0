"""Checking a sign-in: throttled, and the same work whether the e-mail is unknown, the user inactive or the password wrong.

Order matters. The attempt is counted against the account's budget (every attempt) and checked
against the client address's budget (failures) before any password is looked at, so once a budget is
spent even the right password is refused until it refills. Then exactly one password hash check
runs: against the user's hash, or, for an unknown e-mail, against a dummy hash made the same way, so
the answer takes as long either way and says nothing about who has an account.
"""
import secrets

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from app.audit import record
from app.auth.throttle import LOGIN_FAILURES_PER_IP, LOGIN_PER_ACCOUNT, Throttled
from app.models import User

# Same method and cost as User.set_password (werkzeug's default), for a password nobody knows.
_DUMMY_HASH = generate_password_hash(secrets.token_urlsafe(16))


class SignInFailed(Exception):
    """Wrong e-mail, wrong password or a deactivated user: deliberately one answer for all three."""


def authenticate(session, email, password, ip):
    """The active user with this e-mail and password. Raises Throttled or SignInFailed (audited; callers commit)."""
    email = (email or "").strip().lower()[:254]
    try:
        LOGIN_FAILURES_PER_IP.check(ip)
        LOGIN_PER_ACCOUNT.spend(email)
    except Throttled as exc:
        # Audited once per window: a flood of refused attempts must not become a flood of writes.
        budget = LOGIN_PER_ACCOUNT if exc.budget == LOGIN_PER_ACCOUNT.name else LOGIN_FAILURES_PER_IP
        if budget.once_per_window(email if budget is LOGIN_PER_ACCOUNT else ip):
            record("login.throttled", data={"email": email, "limit": exc.budget})
        raise
    user = session.execute(sa.select(User).where(sa.func.lower(User.email) == email)).scalar_one_or_none()
    password_ok = check_password_hash(user.password_hash if user is not None else _DUMMY_HASH, password or "")
    if user is None or not password_ok or not user.is_active:
        LOGIN_FAILURES_PER_IP.charge(ip)
        reason = "unknown_email" if user is None else ("wrong_password" if not password_ok else "inactive")
        record("login.failed", data={"email": email, "reason": reason})
        raise SignInFailed()
    return user
