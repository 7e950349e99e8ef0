"""Brakes on guessing: sign-in per account and per address, API tokens per address; and failures that all look alike."""
import re

import pytest
import sqlalchemy as sa
import time_machine

from app.models import AuditEvent
from tests.conftest import writing

PASSWORD = "correct horse battery"


def post_login(client, email, password, ip="10.0.0.1"):
    env = {"REMOTE_ADDR": ip}
    page = client.get("/login", environ_base=env)
    csrf = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data).group(1).decode()
    return client.post("/login", data={"email": email, "password": password, "csrf_token": csrf}, environ_base=env)


@pytest.fixture
def hash_checks(monkeypatch):
    """Every password hash check the sign-in makes, as the hash it was checked against."""
    import app.auth.signin as signin

    calls, real = [], signin.check_password_hash

    def counting(pwhash, password):
        calls.append(pwhash)
        return real(pwhash, password)

    monkeypatch.setattr(signin, "check_password_hash", counting)
    return calls


@pytest.fixture
def clock():
    with time_machine.travel("2026-12-01 09:00:00+00:00", tick=True) as traveller:
        yield traveller


def test_an_account_is_throttled_before_its_password_is_checked_and_the_brake_lifts(app, make_user, hash_checks, clock):
    user = make_user("agent")
    client = app.test_client()
    for _ in range(5):  # CAREBOX_LOGIN_LIMIT_ACCOUNT: 5 per minute
        assert post_login(client, user.email, "wrong guess here").status_code == 401
    hash_checks.clear()
    refused = post_login(client, user.email, PASSWORD)  # the right password, too late
    assert refused.status_code == 429
    assert b"Too many sign-in attempts" in refused.data
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert hash_checks == []  # refused before any password was looked at
    # From another address too: the budget is the account's.
    assert post_login(app.test_client(), user.email, PASSWORD, ip="10.9.9.9").status_code == 429
    clock.shift(61)
    assert post_login(client, user.email, PASSWORD).status_code == 302


def test_failures_from_one_address_are_throttled_across_accounts(app, make_user, hash_checks):
    app.config["CAREBOX_LOGIN_LIMIT_IP"] = "3 per minute"
    victim = make_user("agent")
    client = app.test_client()
    for n in range(3):  # spraying one password over many e-mails
        assert post_login(client, f"guess{n}@example.test", "Winter2026!").status_code == 401
    hash_checks.clear()
    refused = post_login(client, victim.email, PASSWORD)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert hash_checks == []
    assert post_login(app.test_client(), victim.email, PASSWORD, ip="10.0.0.2").status_code == 302  # another address


def test_successful_sign_ins_do_not_spend_the_address_budget(app, make_user):
    """A whole office may sign in from one address: only failures count there."""
    app.config["CAREBOX_LOGIN_LIMIT_IP"] = "2 per minute"
    for n in range(4):
        assert post_login(app.test_client(), make_user("agent").email, PASSWORD).status_code == 302, n


def test_limiter_reset_lifts_every_brake(app, make_user):
    from app.auth import throttle

    user = make_user("agent")
    client = app.test_client()
    for _ in range(5):
        post_login(client, user.email, "wrong guess here")
    assert post_login(client, user.email, PASSWORD).status_code == 429
    throttle.reset()
    assert post_login(client, user.email, PASSWORD).status_code == 302


def test_unknown_email_inactive_user_and_wrong_password_do_the_same_work(app, make_user, db, hash_checks):
    active, inactive = make_user("agent"), make_user("agent")
    with writing(db) as session:
        session.get(type(inactive), inactive.id).is_active = False
    answers = {}
    for case, email, password in (("unknown", "nobody@example.test", PASSWORD), ("inactive", inactive.email, PASSWORD),
                                  ("wrong", active.email, "wrong guess here")):
        hash_checks.clear()
        resp = post_login(app.test_client(), email, password, ip=f"10.1.0.{len(answers) + 1}")
        answers[case] = (resp.status_code, re.sub(rb'(value|content)="[^"]*"', b"", resp.data))  # minus e-mail and CSRF
        assert len(hash_checks) == 1, case  # exactly one hash check each
        method = hash_checks[0].split("$")[0]  # e.g. "scrypt:32768:8:1": the same cost for all
        answers[case] += (method,)
    assert answers["unknown"] == answers["inactive"] == answers["wrong"]
    assert answers["wrong"][0] == 401 and b"Wrong email or password" in answers["wrong"][1]


def test_failed_and_throttled_sign_ins_are_audited_without_the_password(app, make_user, db):
    user = make_user("agent")
    client = app.test_client()
    secret_guess = "my-secret-guess-1234"
    for _ in range(5):
        post_login(client, user.email, secret_guess)
    for _ in range(3):
        assert post_login(client, user.email, secret_guess).status_code == 429
    db.session.rollback()
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action.like("login.%"))).all()
    failed = [e for e in events if e.action == "login.failed"]
    throttled = [e for e in events if e.action == "login.throttled"]
    assert len(failed) == 5 and {e.data["email"] for e in failed} == {user.email}
    assert {e.data["reason"] for e in failed} == {"wrong_password"} and {e.ip for e in failed} == {"10.0.0.1"}
    assert len(throttled) == 1 and throttled[0].data == {"email": user.email, "limit": "login-account"}  # once a window
    assert all(secret_guess not in str(e.data) for e in events)


def test_guessing_api_tokens_is_throttled_per_address(app, make_user, make_token):
    app.config["CAREBOX_TOKEN_LIMIT_IP"] = "3 per minute"
    good = make_token(make_user("agent"))
    client = app.test_client()
    here, there = {"REMOTE_ADDR": "10.2.0.1"}, {"REMOTE_ADDR": "10.2.0.2"}
    for n in range(3):
        resp = client.get("/api/v1/conversations", headers={"Authorization": f"Bearer cbx_guess{n}"}, environ_base=here)
        assert resp.status_code == 401
    refused = client.get("/api/v1/conversations", headers={"Authorization": f"Bearer {good}"}, environ_base=here)
    assert refused.status_code == 429 and refused.json["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    ok = client.get("/api/v1/conversations", headers={"Authorization": f"Bearer {good}"}, environ_base=there)
    assert ok.status_code == 200
    # Valid tokens spend nothing: an integration's steady traffic is never braked.
    for _ in range(5):
        assert client.get("/api/v1/conversations", headers={"Authorization": f"Bearer {good}"},
                          environ_base=there).status_code == 200


@pytest.mark.config(REDIS_URL="redis://127.0.0.1:9/0")  # nothing listens there: the shared storage is down
def test_with_redis_unreachable_the_brake_counts_in_memory(app, make_user, caplog):
    user = make_user("agent")
    client = app.test_client()
    for _ in range(5):
        assert post_login(client, user.email, "wrong guess here").status_code == 401
    assert post_login(client, user.email, PASSWORD).status_code == 429
    assert "rate-limit storage unreachable" in caplog.text
