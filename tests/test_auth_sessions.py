"""Sign-ins end everywhere: cookies carry a per-sign-in token, so logging out, signing out everywhere, a new
password, a role change and a deactivation make every copied session or remember cookie useless."""
import re
from http.cookies import SimpleCookie

import sqlalchemy as sa

from app.models import AuditEvent, User, UserSession
from tests.conftest import csrf_from, login

PASSWORD = "correct horse battery"


def login_form(client, email, password=PASSWORD, remember=False, **kw):
    page = client.get("/login", **kw)
    csrf = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data).group(1).decode()
    data = {"email": email, "password": password, "csrf_token": csrf}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data, **kw)


def cookies_of(client):
    return {c.key: c.value for c in client._cookies.values()}


def client_with(app, cookies):
    fresh = app.test_client()
    for name, value in cookies.items():
        fresh.set_cookie(name, value)
    return fresh


def signed_in(client):
    return client.get("/").status_code == 200


def set_cookie_headers(resp):
    jar = SimpleCookie()
    for header in resp.headers.getlist("Set-Cookie"):
        jar.load(header)
    return jar


def test_the_cookie_carries_a_sign_in_token_not_the_user_id(app, client, make_user, db):
    user = make_user("agent")
    login(client, user)
    with client.session_transaction() as sess:
        carried = sess["_user_id"]
    assert carried != str(user.id) and len(carried) >= 40
    row = db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id)).one()
    assert row.token_hash != carried  # only the SHA-256 is stored


def test_a_logged_out_session_cookie_cannot_be_replayed(app, client, make_user):
    user = make_user("agent")
    login(client, user)
    stolen = cookies_of(client)
    assert signed_in(client_with(app, stolen))
    assert client.post("/logout", data={"csrf_token": csrf_from(client)}).status_code == 302
    assert not signed_in(client)
    assert not signed_in(client_with(app, stolen))


def test_the_remember_cookie_has_the_session_cookie_protections_and_dies_with_its_sign_in(app, make_user, db):
    app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)  # what Config derives from the env
    from datetime import datetime, timedelta, timezone
    from email.utils import parsedate_to_datetime

    client = app.test_client()
    user = make_user("agent")
    https = {"base_url": "https://localhost", "headers": {"Referer": "https://localhost/"}}  # CSRF checks the referrer
    resp = login_form(client, user.email, remember=True, **https)
    assert resp.status_code == 302
    jar = set_cookie_headers(resp)
    remember, session_cookie = jar["remember_token"], jar["session"]
    for cookie in (remember, session_cookie):
        assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"
    lasts = parsedate_to_datetime(remember["expires"]) - datetime.now(timezone.utc)
    assert timedelta(days=13) < lasts <= timedelta(days=14)  # CAREBOX_REMEMBER_DAYS, not Flask-Login's year
    # The remember cookie alone (the browser was closed) signs in again …
    only_remember = app.test_client()
    only_remember.set_cookie("remember_token", remember.value)
    assert signed_in(only_remember)
    # … until that sign-in ends: a copy of it is then worth nothing.
    csrf = re.search(rb'<meta name="csrf-token" content="([^"]+)"', client.get("/", **https).data)
    assert client.post("/logout", data={"csrf_token": csrf.group(1).decode()}, **https).status_code == 302
    replay = app.test_client()
    replay.set_cookie("remember_token", remember.value)
    assert not signed_in(replay)


def test_config_derives_remember_cookie_settings_from_the_session_cookie(monkeypatch):
    import importlib

    import config

    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    monkeypatch.setenv("CAREBOX_REMEMBER_DAYS", "3")
    try:
        fresh = importlib.reload(config).Config
        assert fresh.REMEMBER_COOKIE_SECURE is True and fresh.REMEMBER_COOKIE_SAMESITE == fresh.SESSION_COOKIE_SAMESITE
        assert fresh.REMEMBER_COOKIE_DURATION.days == 3
    finally:
        monkeypatch.undo()
        importlib.reload(config)


def test_a_sign_in_ends_on_the_server_after_the_remember_duration(app, make_user):
    import time_machine

    user = make_user("agent")
    client = app.test_client()
    with time_machine.travel(0, tick=True) as clock:
        clock.move_to("2026-12-01 09:00:00+00:00")
        assert login_form(client, user.email, remember=True).status_code == 302
        clock.shift(13 * 24 * 3600)
        assert signed_in(client)
        clock.shift(2 * 24 * 3600)  # past 14 days: whatever the cookies say
        assert not signed_in(client)


def test_sign_in_starts_from_a_clean_session(app, client, make_user):
    """Session fixation: nothing planted in the browser's session before sign-in survives it, CSRF secret included."""
    user = make_user("agent")
    client.get("/login")
    with client.session_transaction() as sess:
        sess["planted"] = "by someone else"
        csrf_secret_before = sess["csrf_token"]
    cookie_before = cookies_of(client)["session"]
    login(client, user)
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess.get("csrf_token") != csrf_secret_before
    assert cookies_of(client)["session"] != cookie_before


def test_logout_is_a_post_with_csrf(client, make_user):
    login(client, make_user("agent"))
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400  # no CSRF token
    assert signed_in(client)
    assert client.post("/logout", data={"csrf_token": csrf_from(client)}).status_code == 302
    assert not signed_in(client)


def test_sign_out_everywhere_ends_every_browser(app, make_user, db):
    user = make_user("agent")
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, user)
    login(phone, user)
    page = phone.get("/account")
    assert b"signed in on 2 browsers" in page.data
    resp = phone.post("/account/sign-out-everywhere", data={"csrf_token": csrf_from(phone)})
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert not signed_in(laptop) and not signed_in(phone)
    assert db.session.scalar(sa.select(sa.func.count(UserSession.id))) == 0


def change_password(client, current, new, confirm=None):
    page = client.get("/account").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return client.post("/account/password", data={"current_password": current, "new_password": new,
                                                   "confirm": new if confirm is None else confirm,
                                                   "csrf_token": csrf})


def test_change_password_needs_the_current_one_and_the_rule_and_signs_out_the_other_browsers(app, make_user, db):
    user = make_user("agent", email="ana.smith@example.test", name="Ana Smith")
    here, elsewhere = app.test_client(), app.test_client()
    login(here, user)
    login(elsewhere, user)
    wrong = change_password(here, "not my password", "violet lantern orbit")
    assert wrong.status_code == 400 and b"not your current password" in wrong.data
    for weak, says in (("password1234", b"most common passwords"), ("Ana.Smith.2024", b"close to your e-mail"),
                       ("short", b"at least 12 characters")):
        resp = change_password(here, PASSWORD, weak)
        assert resp.status_code == 400 and says in resp.data, weak
    differ = change_password(here, PASSWORD, "violet lantern orbit", confirm="violet lantern orbiT")
    assert differ.status_code == 400 and b"differ" in differ.data
    no_csrf = here.post("/account/password", data={"current_password": PASSWORD, "new_password": "violet lantern orbit",
                                                   "confirm": "violet lantern orbit"})
    assert no_csrf.status_code == 400
    assert signed_in(elsewhere)  # nothing changed so far
    ok = change_password(here, PASSWORD, "violet lantern orbit")
    assert ok.status_code == 302
    assert signed_in(here) and not signed_in(elsewhere)
    assert login_form(app.test_client(), user.email, PASSWORD).status_code == 401
    assert login_form(app.test_client(), user.email, "violet lantern orbit").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.action == "user.password_changed")) == 1


def test_role_change_and_deactivation_end_every_sign_in(app, make_user, make_token, db):
    admin, agent = make_user("admin"), make_user("agent")
    admin_browser, agent_browser = app.test_client(), app.test_client()
    login(admin_browser, admin)
    login(agent_browser, agent)
    csrf = csrf_from(admin_browser)
    assert admin_browser.post(f"/admin/users/{agent.id}/role", data={"role": "manager", "csrf_token": csrf}).status_code == 302
    assert not signed_in(agent_browser)
    login(agent_browser, agent)
    token = make_token(agent)
    assert admin_browser.post(f"/admin/users/{agent.id}/deactivate", data={"csrf_token": csrf}).status_code == 302
    assert not signed_in(agent_browser)
    # Deactivated: the API token stops at once and the password no longer signs in.
    assert app.test_client().get("/api/v1/conversations", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert login_form(app.test_client(), agent.email).status_code == 401
    assert signed_in(admin_browser)


def test_admin_resets_a_password_shown_once_and_the_user_is_signed_out_everywhere(app, make_user, db):
    admin, agent = make_user("admin"), make_user("agent")
    admin_browser, agent_browser = app.test_client(), app.test_client()
    login(admin_browser, admin)
    login(agent_browser, agent)
    resp = admin_browser.post(f"/admin/users/{agent.id}/password", data={"csrf_token": csrf_from(admin_browser)})
    assert resp.status_code == 200
    password = re.search(r'data-testid="secret">([^<]+)<', resp.get_data(as_text=True)).group(1)
    assert not signed_in(agent_browser)
    assert login_form(app.test_client(), agent.email, PASSWORD).status_code == 401
    assert login_form(app.test_client(), agent.email, password).status_code == 302
    assert password not in admin_browser.get("/admin/users").get_data(as_text=True)  # never shown again
    assert signed_in(admin_browser)


def test_api_password_reset_follows_the_rule_and_signs_the_user_out(app, make_user, make_token):
    admin, agent = make_user("admin"), make_user("agent")
    headers = {"Authorization": f"Bearer {make_token(admin, scopes=('read', 'write', 'admin'))}"}
    browser = app.test_client()
    login(browser, agent)
    api = app.test_client()
    weak = api.post(f"/api/v1/users/{agent.id}/password", headers=headers, json={"password": "qwertyuiop12"})
    assert weak.status_code == 422 and weak.json["error"]["code"] == "weak_password"
    assert signed_in(browser)
    chosen = api.post(f"/api/v1/users/{agent.id}/password", headers=headers, json={"password": "violet lantern orbit"})
    assert chosen.status_code == 200 and chosen.json["password"] is None
    assert not signed_in(browser)
    generated = api.post(f"/api/v1/users/{agent.id}/password", headers=headers, json={})
    assert generated.status_code == 200
    assert login_form(app.test_client(), agent.email, generated.json["password"]).status_code == 302


def test_the_last_admin_cannot_be_demoted_even_by_two_admins_at_once(app, make_user, db):
    """Two admins demoting each other concurrently: one wins, the other is refused (one admin stays)."""
    import threading

    from app import create_app
    from app.extensions import db as database
    from app.users import UserConflict, update_user
    from tests.conftest import make_config

    a, b = make_user("admin"), make_user("admin")
    barrier, results = threading.Barrier(2), {}

    def demote(actor_id, target_id):
        other = create_app(make_config(app.config["SQLALCHEMY_DATABASE_URI"]))
        with other.app_context():
            from app.database import write_intent

            # PostgreSQL: both read the two admins, then both try at once (the row locks decide).
            # SQLite: the first writer's transaction holds the write lock; the second reads after it commits.
            postgres = database.engine.dialect.name == "postgresql"
            if not postgres:
                barrier.wait(timeout=10)
            with write_intent():
                actor, target = database.session.get(User, actor_id), database.session.get(User, target_id)
                if postgres:
                    barrier.wait(timeout=10)
                try:
                    update_user(database.session, target, role="agent", actor=actor)
                    database.session.commit()
                    results[target_id] = "demoted"
                except UserConflict:
                    database.session.rollback()
                    results[target_id] = "refused"
            database.session.remove()
            database.engine.dispose()

    threads = [threading.Thread(target=demote, args=(a.id, b.id)), threading.Thread(target=demote, args=(b.id, a.id))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results.values()) == ["demoted", "refused"]
    db.session.rollback()  # a fresh read transaction: see what the threads committed
    assert db.session.scalar(sa.select(sa.func.count(User.id)).where(User.role == "admin")) == 1
