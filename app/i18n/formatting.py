"""Numbers, percentages, dates and durations in the reader's locale and time zone (Babel), for templates
and server-rendered text. The browser does the same with Intl (static/js/i18n.js)."""
from datetime import timedelta

from flask_babel import format_datetime, format_decimal, format_percent, format_timedelta

from app.i18n import LANGUAGES, locale_code, text_direction, timezone_name


def number(value):
    return format_decimal(value)


def percent(share, digits=1):
    if share is None:
        return "—"
    return format_percent(share, format="#,##0." + "0" * digits + "%" if digits else None)


def date_time(value, style="medium"):
    return format_datetime(value, style) if value else ""


def duration(seconds, add_direction=False):
    """"12 minutes", or with add_direction "in 12 minutes" / "12 minutes ago", in the reader's words."""
    if seconds is None:
        return "—"
    return format_timedelta(timedelta(seconds=seconds), threshold=1.5, add_direction=add_direction)


def register_template_helpers(app):
    app.jinja_env.filters.update(number=number, percent=percent, date_time=date_time, duration=duration)

    @app.context_processor
    def page_language():
        from app.i18n.catalogue import catalogue_url
        from app.i18n.names import role_name

        return {
            "page_locale": locale_code(),
            "page_direction": text_direction(),
            "page_timezone": timezone_name(),
            "catalogue_url": catalogue_url,
            "LANGUAGES": LANGUAGES,
            "role_name": role_name,
        }
