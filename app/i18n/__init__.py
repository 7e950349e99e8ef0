"""Languages: the locale and time zone of each request (Flask-Babel), the page direction, and the
front-end's catalogue, served from the same compiled catalogues as the server's strings.

The catalogues live in app/translations: `messages` holds the server's strings (Python, templates),
`js` the front-end's (static/js). `make translations` extracts and updates both; the test suite fails
on a missing, fuzzy or stale entry (tests/test_catalogues.py).
"""
from flask import current_app, request
from flask_babel import Babel, get_locale, get_timezone
from flask_login import current_user

from config import BASE_DIR

TRANSLATIONS_DIR = BASE_DIR / "app" / "translations"

# Each shipped language by its own name: a language picker lists them the way their readers write them.
LANGUAGES = {"en": "English", "ru": "Русский", "be": "Беларуская", "ar": "العربية"}
RIGHT_TO_LEFT = frozenset({"ar"})

babel = Babel()


def init_app(app):
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(TRANSLATIONS_DIR),
    )
    from app.i18n.catalogue import bp
    from app.i18n.formatting import register_template_helpers

    app.register_blueprint(bp)
    register_template_helpers(app)


def select_locale():
    """The user's own choice, else the browser's Accept-Language, else the workspace default."""
    chosen = _signed_in_setting("locale")
    if chosen in LANGUAGES:
        return chosen
    if request:
        best = request.accept_languages.best_match(LANGUAGES)
        if best:
            return best
    return current_app.config["CAREBOX_DEFAULT_LOCALE"]


def select_timezone():
    return _signed_in_setting("timezone") or current_app.config["CAREBOX_DEFAULT_TIMEZONE"]


def _signed_in_setting(name):
    try:
        user = current_user._get_current_object() if current_user else None
    except Exception:  # outside a request, or before sign-in is set up
        return None
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, name, None)


def locale_code():
    return str(get_locale() or current_app.config["CAREBOX_DEFAULT_LOCALE"])


def text_direction(locale=None):
    return "rtl" if str(locale or locale_code()).split("_")[0] in RIGHT_TO_LEFT else "ltr"


def timezone_name():
    return str(get_timezone())
