"""The SLA policy form: plain fields in, a dict PolicyIn can validate out (and back for editing)."""
from babel.dates import get_day_names
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from pydantic import ValidationError

from app.api.sla_schemas import PolicyIn
from app.sla.hours import WEEKDAYS

# The form's fields by their labels on the page, for the error messages.
FIELD_NAMES = {
    "name": lazy_pgettext("name of a thing", "Name"), "warn_minutes": _l("Warning after"), "breach_minutes": _l("Breach after"),
    "is_default": _l("Default for accounts without a policy"), "channel": _l("Applies to"), "timezone": _l("Time zone"),
    "business_hours": _l("Business hours"), "holidays": _l("Holidays"),
}


def channel_choices():
    """[(value, label)] of the channel kinds a policy may target, for the form's select."""
    return [("any", _("All conversations")), ("public", _("Public conversations (mentions, comments)")),
            ("private", _("Private messages (DMs)"))]


def day_names(width="wide"):
    """{"mon": "Monday", …} in the reader's language (CLDR's names; "abbreviated": "Mon", …)."""
    names = get_day_names(width, locale=get_locale() or "en")
    return {day: names[i] for i, day in enumerate(WEEKDAYS)}


def periods_text(periods):
    """[["09:00", "12:00"], ["13:00", "17:00"]] -> "09:00-12:00, 13:00-17:00"."""
    return ", ".join(f"{start}-{end}" for start, end in periods or [])


def _parse_periods(day, text):
    periods = []
    for chunk in (text or "").replace(";", ",").split(","):
        chunk = chunk.strip().replace("–", "-")
        if not chunk:
            continue
        start, sep, end = chunk.partition("-")
        if not sep:
            raise ValueError(_("%(day)s: write periods like 09:00-17:00, not “%(text)s”.", day=day_names()[day],
                               text=chunk))
        periods.append((start.strip(), end.strip()))
    return periods


def form_values(policy=None):
    """What the form shows: a policy's settings, or a new policy's defaults."""
    if policy is None:
        return {"name": "", "warn_minutes": 30, "breach_minutes": 60, "is_default": False, "channel": "any",
                "timezone": "UTC",
                "hours_enabled": False, "hours": {d: "" for d in WEEKDAYS}, "holidays": ""}
    hours = policy.business_hours or {}
    return {
        "name": policy.name, "warn_minutes": policy.warn_minutes, "breach_minutes": policy.breach_minutes,
        "is_default": policy.is_default, "channel": policy.channel or "any", "timezone": policy.timezone,
        "hours_enabled": policy.business_hours is not None,
        "hours": {d: periods_text(hours.get(d)) for d in WEEKDAYS}, "holidays": "\n".join(policy.holidays or []),
    }


def posted_values(form):
    """The form as posted, to show it again next to its errors."""
    return {
        "name": form.get("name", ""), "warn_minutes": form.get("warn_minutes", ""),
        "breach_minutes": form.get("breach_minutes", ""), "is_default": bool(form.get("is_default")),
        "channel": form.get("channel", "any"),
        "timezone": form.get("timezone", "UTC"), "hours_enabled": bool(form.get("hours_enabled")),
        "hours": {d: form.get(f"hours_{d}", "") for d in WEEKDAYS}, "holidays": form.get("holidays", ""),
    }


def policy_from_form(form):
    """(stored policy dict, None) or (None, [error messages])."""
    try:
        hours = None
        if form.get("hours_enabled"):
            hours = {d: _parse_periods(d, form.get(f"hours_{d}")) for d in WEEKDAYS}
        raw = {
            "name": form.get("name", ""),
            "warn_minutes": form.get("warn_minutes") or None,
            "breach_minutes": form.get("breach_minutes") or None,
            "is_default": bool(form.get("is_default")),
            "channel": form.get("channel") or "any",
            "timezone": (form.get("timezone") or "UTC").strip(),
            "business_hours": hours,
            "holidays": [d.strip() for d in (form.get("holidays") or "").replace(",", "\n").splitlines() if d.strip()],
        }
    except ValueError as exc:
        return None, [str(exc)]
    try:
        return PolicyIn.model_validate(raw).stored(), None
    except ValidationError as exc:
        return None, [_message(e) for e in exc.errors(include_url=False)]


def _message(error):
    parts = [str(p) for p in error["loc"] if not isinstance(p, int)]
    where = ".".join(str(FIELD_NAMES.get(p, p.replace("_", " "))) for p in parts)
    text = error["msg"].removeprefix("Value error, ")
    return _("%(field)s: %(problem)s", field=where, problem=text) if where else text
