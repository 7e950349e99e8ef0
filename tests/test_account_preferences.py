"""Each person's language and time zone: chosen on the account page, else the browser's language and the
workspace's default time zone; every server-rendered page follows them (<html lang dir>, dates)."""
import re
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from babel.dates import format_datetime
from zoneinfo import ZoneInfo

from app.models import ApiToken, AuditEvent, User
from tests.conftest import csrf_from, login, writing


def html_tag(resp):
    return re.search(r"<html [^>]*>", resp.get_data(as_text=True)).group(0)


def save(client, csrf, **data):
    return client.post("/account/preferences", data={"csrf_token": csrf, **data})


def signed_in(app, make_user, role="agent"):
    client = app.test_client()
    user = make_user(role)
    login(client, user)
    return client, user


def test_the_account_page_offers_every_language_and_zone(app, make_user):
    client, _ = signed_in(app, make_user)
    html = client.get("/account").get_data(as_text=True)
    assert '<option selected value="">Browser\'s language</option>' in html
    assert '<option value="ru">Русский</option>' in html and '<option value="ar">العربية</option>' in html
    assert '<option selected value="">Workspace default</option>' in html
    assert '<option value="Europe/Minsk">Europe/Minsk</option>' in html


def test_saving_russian_makes_the_next_pages_russian_and_audits_it(app, make_user, db):
    client, user = signed_in(app, make_user)
    resp = save(client, csrf_from(client), locale="ru", timezone="Europe/Minsk")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/account")
    page = client.get("/account")
    assert html_tag(page) == '<html lang="ru" dir="ltr" data-timezone="Europe/Minsk">'
    db.session.expire_all()
    stored = db.session.get(User, user.id)
    assert (stored.locale, stored.timezone) == ("ru", "Europe/Minsk")
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "user.preferences_changed")).one()
    assert event.actor_user_id == user.id and event.data["locale"] == {"from": None, "to": "ru"}
    # The choice beats the browser's language.
    assert 'lang="ru"' in html_tag(client.get("/account", headers={"Accept-Language": "ar"}))


def test_the_confirmation_speaks_the_new_language(app, make_user):
    client, _ = signed_in(app, make_user)
    save(client, csrf_from(client), locale="ar", timezone="")
    page = client.get("/account")
    assert '<html lang="ar" dir="rtl"' in html_tag(page)
    flashed = re.search(r'<div class="flash flash-info" role="alert">([^<]*)</div>', page.get_data(as_text=True))
    assert flashed is not None
    with app.test_request_context(headers={"Accept-Language": "ar"}):
        from flask_babel import gettext

        assert flashed.group(1) == gettext("Your language and time zone are saved.").replace("'", "&#39;")


def test_arabic_is_right_to_left(app, make_user):
    client, _ = signed_in(app, make_user)
    save(client, csrf_from(client), locale="ar", timezone="Asia/Riyadh")
    assert html_tag(client.get("/")) == '<html lang="ar" dir="rtl" data-timezone="Asia/Riyadh">'


def test_without_a_choice_the_browser_language_then_the_workspace_default(app, make_user):
    client, _ = signed_in(app, make_user)
    assert 'lang="be" dir="ltr"' in html_tag(client.get("/account", headers={"Accept-Language": "be,ru;q=0.8"}))
    assert 'lang="ar" dir="rtl"' in html_tag(client.get("/account", headers={"Accept-Language": "ar-SA"}))
    assert html_tag(client.get("/account", headers={"Accept-Language": "fr"})) == (
        '<html lang="en" dir="ltr" data-timezone="UTC">')
    # Back to "Browser's language" after a choice.
    csrf = csrf_from(client)
    save(client, csrf, locale="ru", timezone="Europe/Minsk")
    save(client, csrf, locale="", timezone="")
    assert 'lang="be"' in html_tag(client.get("/account", headers={"Accept-Language": "be"}))
    assert 'data-timezone="UTC"' in html_tag(client.get("/account"))


def test_the_workspace_default_when_nothing_else_says(app, make_user):
    app.config.update(CAREBOX_DEFAULT_LOCALE="ru", CAREBOX_DEFAULT_TIMEZONE="Europe/Minsk")
    client, _ = signed_in(app, make_user)
    assert html_tag(client.get("/account")) == '<html lang="ru" dir="ltr" data-timezone="Europe/Minsk">'
    assert 'lang="en"' in html_tag(client.get("/account", headers={"Accept-Language": "en-GB"}))


def test_unknown_values_are_refused_and_nothing_is_saved(app, make_user, db):
    client, user = signed_in(app, make_user)
    csrf = csrf_from(client)
    for data in ({"locale": "fr", "timezone": ""}, {"locale": "ru", "timezone": "Mars/Olympus"},
                 {"locale": "<script>", "timezone": "UTC"}):
        resp = save(client, csrf, **data)
        assert resp.status_code == 400, data
        html = resp.get_data(as_text=True)
        assert '<p class="field-error">' in html and "<script>" not in html
    assert "Choose one of the languages in the list." in save(client, csrf, locale="fr", timezone="").get_data(True)
    assert "Choose one of the time zones in the list." in save(client, csrf, locale="", timezone="X/Y").get_data(True)
    db.session.expire_all()
    stored = db.session.get(User, user.id)
    assert (stored.locale, stored.timezone) == (None, None)
    assert not db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "user.preferences_changed")).all()


def test_csrf_is_enforced(app, make_user, db):
    client, user = signed_in(app, make_user)
    assert client.post("/account/preferences", data={"locale": "ru", "timezone": "UTC"}).status_code == 400
    assert save(client, "not-the-token", locale="ru", timezone="UTC").status_code == 400
    db.session.expire_all()
    assert db.session.get(User, user.id).locale is None


def test_signed_out_callers_are_sent_to_sign_in(client):
    resp = client.post("/account/preferences", data={"locale": "ru"})
    assert resp.status_code in (302, 400)  # sign-in first (or CSRF, checked for every POST)


def test_dates_on_a_server_rendered_page_follow_the_user_time_zone(app, make_user, make_token, db):
    client, admin = signed_in(app, make_user, role="admin")
    make_token(admin, name="clock")
    created = datetime(2024, 1, 2, 12, 0, tzinfo=timezone.utc)
    with writing(db) as session:
        session.execute(sa.update(ApiToken).values(created_at=created))

    def shown(tz, locale="en"):
        return format_datetime(created, "medium", tzinfo=ZoneInfo(tz), locale=locale)

    assert shown("UTC") in client.get("/admin/tokens").get_data(as_text=True)
    save(client, csrf_from(client), locale="en", timezone="Asia/Tokyo")
    html = client.get("/admin/tokens").get_data(as_text=True)
    assert shown("Asia/Tokyo") in html and shown("UTC") not in html
    assert '<time datetime="2024-01-02T12:00:00+00:00">' in html  # the machine-readable instant stays UTC
    save(client, csrf_from(client), locale="ru", timezone="Asia/Tokyo")
    assert shown("Asia/Tokyo", "ru") in client.get("/admin/tokens").get_data(as_text=True)


def test_the_api_shows_and_changes_my_language_and_time_zone(app, make_user, make_token, db):
    user = make_user("agent")
    api = app.test_client()
    auth = {"Authorization": f"Bearer {make_token(user)}"}
    me = api.get("/api/v1/me", headers=auth).json
    assert (me["locale"], me["timezone"]) == (None, None)
    changed = api.patch("/api/v1/me", headers=auth, json={"locale": "be", "timezone": "Europe/Minsk"})
    assert changed.status_code == 200 and (changed.json["locale"], changed.json["timezone"]) == ("be", "Europe/Minsk")
    assert api.patch("/api/v1/me", headers=auth, json={"name": "Renamed"}).json["locale"] == "be"  # left alone
    assert api.patch("/api/v1/me", headers=auth, json={"locale": None}).json == {
        **api.get("/api/v1/me", headers=auth).json, "locale": None, "timezone": "Europe/Minsk"}
    for body in ({"locale": "fr"}, {"timezone": "Mars/Olympus"}):
        refused = api.patch("/api/v1/me", headers=auth, json=body)
        assert refused.status_code == 422 and refused.json["error"]["code"] == "validation_error", body
    db.session.expire_all()
    assert (db.session.get(User, user.id).locale, db.session.get(User, user.id).timezone) == (None, "Europe/Minsk")


@pytest.fixture
def russian_quotes(monkeypatch):
    """A stand-in Russian catalogue that quotes every message «…»: shows which language a text was read in,
    before the real translations exist."""
    import flask_babel

    real = flask_babel.Domain.get_translations

    def quoting(domain):
        translations = real(domain)
        if str(flask_babel.get_locale()) != "ru":
            return translations

        class Quoted:
            def __getattr__(self, name):
                return getattr(translations, name)

            def ugettext(self, text):
                return f"«{text}»"

        return Quoted()

    monkeypatch.setattr(flask_babel.Domain, "get_translations", quoting)


def test_api_error_messages_are_read_in_the_request_language(app, make_user, make_token, russian_quotes):
    """The human message is translated when the answer is built; the code is not."""
    auth = {"Authorization": f"Bearer {make_token(make_user('admin'), scopes=('read', 'admin'))}"}
    api = app.test_client()
    english = api.get("/api/v1/users/999999", headers=auth).json["error"]
    russian = api.get("/api/v1/users/999999", headers={**auth, "Accept-Language": "ru"}).json["error"]
    assert english == {"code": "not_found", "message": "There is no user 999999."}
    assert russian == {"code": "not_found", "message": "«There is no user 999999.»"}


def test_notifications_are_stored_in_the_recipient_language(app, make_user, db, russian_quotes):
    from flask_babel import lazy_gettext

    from app.models import Notification
    from app.notifications import notify

    reader, other = make_user("agent"), make_user("agent")
    with writing(db) as session:
        session.get(User, reader.id).locale = "ru"
    with writing(db) as session:
        text = lazy_gettext("Conversation #%(id)s was assigned to you.", id=7)
        notify(session, reader.id, "assigned", text)
        notify(session, other.id, "assigned", text)
    texts = {n.user_id: n.text for n in db.session.scalars(sa.select(Notification))}
    assert texts == {reader.id: "«Conversation #7 was assigned to you.»", other.id: "Conversation #7 was assigned to you."}
