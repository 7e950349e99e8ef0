"""The front-end's strings: /i18n/<locale>/catalogue.js, a script that hands the compiled `js` catalogue
to static/js/i18n.js (the pattern of Django's JavaScriptCatalog).

It is a script rather than a JSON fetch so that the pages' classic scripts and ES modules find their
strings before they run; its URL carries the catalogue's version, so browsers cache it for good.
"""
import hashlib
from functools import cache

from babel import Locale
from babel.support import Translations
from flask import Blueprint, Response, abort, url_for
from markupsafe import Markup
from jinja2.utils import htmlsafe_json_dumps

from app.extensions import public
from app.i18n import LANGUAGES, TRANSLATIONS_DIR, locale_code

bp = Blueprint("i18n", __name__, url_prefix="/i18n")

FRONT_END_DOMAIN = "js"


@bp.get("/<locale>/catalogue.js")
@public  # the sign-in page needs its strings too; catalogues hold no user data
def catalogue(locale):
    if locale not in LANGUAGES:
        abort(404)
    body, _version = _script(locale)
    response = Response(body, mimetype="text/javascript")
    # Public and immutable: the URL changes with the catalogue (catalogue_url), and it holds no user data.
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


def catalogue_url(locale=None):
    locale = locale or locale_code()
    return url_for("i18n.catalogue", locale=locale, v=_script(locale)[1])


@cache
def _script(locale):
    data = front_end_catalogue(locale)
    body = "window.CareboxCatalogue = " + str(htmlsafe_json_dumps(data)) + ";\n"
    return body, hashlib.sha256(body.encode()).hexdigest()[:12]


def front_end_catalogue(locale):
    """{"locale", "plural": CLDR category of each gettext plural form, "messages": {msgid: text | [forms]}}."""
    translations = Translations.load(str(TRANSLATIONS_DIR), [locale], domain=FRONT_END_DOMAIN)
    messages = {}
    for key, text in getattr(translations, "_catalog", {}).items():
        if isinstance(key, tuple):  # (msgid, form index) of a plural entry
            msgid, index = key
            forms = messages.setdefault(msgid, [])
            forms.extend([""] * (index + 1 - len(forms)))
            forms[index] = text
        elif key:  # "" is the catalogue's header
            messages[key] = text
    return {"locale": locale, "plural": plural_categories(locale, translations), "messages": messages}


def plural_categories(locale, translations):
    """Which CLDR plural category (what Intl.PluralRules names) each of the catalogue's forms is.

    gettext numbers a language's plural forms by its Plural-Forms expression; the browser names them by
    category. Pairing the two over sample counts maps one onto the other without a hand-written table.
    """
    cldr = Locale.parse(locale)
    pick = getattr(translations, "plural", None)
    if pick is None:
        return ["one", "other"]
    categories = {}
    for n in range(1000):
        categories.setdefault(pick(n), cldr.plural_form(n))
    return [categories.get(index, "other") for index in range(max(categories) + 1)]


def catalogue_script_tag():
    return Markup('<script src="%s"></script>') % catalogue_url()
