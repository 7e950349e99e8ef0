"""Priority from reach and mood: why a conversation ranks high (followers, negative sentiment, complaints),
configurable by managers; the inbox's default sort weighs it (app/conversations/queries.py).

Ingest calls `rank` once per batch, after the plan is written: each conversation with new customer messages
is raised to the highest tier its customer's reach or those messages' mood calls for, and the reasons are
added to its `priority_reasons`. Ranking only ever raises: a priority set higher by a rule stays, and one an
agent set by hand (reason "manual") is left alone altogether, whatever comes in next. Spam is never raised.

Managers tune it in the Setting "ranking" (`ranking_settings`, `set_ranking_settings`): on or off, the
followers counts from which a customer's conversations are high or urgent (None: not by followers), and
whether negative sentiment and complaints raise to high.
"""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.audit import record
from app.batch_sql import among
from app.domain_errors import Invalid
from app.models import Conversation, Setting
from app.models.workspace import setting_value
from app.vocabulary import PRIORITIES, PRIORITY_REASONS

RANKING_KEY = "ranking"
# Mood raises nothing until a manager says so: in most inboxes most messages are complaints, and raising
# them all by default would reshuffle every queue on upgrade.
DEFAULTS = {"enabled": True, "followers_high": 10_000, "followers_urgent": 100_000, "negative": False,
            "complaint": False}
MAX_FOLLOWERS = 10**10  # more than any account has: a threshold beyond it would never raise anything
TIER = {priority: index for index, priority in enumerate(PRIORITIES)}


def ranking_settings(session):
    """The managers' ranking settings, every key of DEFAULTS present (a plain column read: ingest asks per batch)."""
    value = setting_value(session, RANKING_KEY)
    return _checked({**DEFAULTS, **(value if isinstance(value, dict) else {})}, lenient=True)


def set_ranking_settings(session, *, actor=None, **changes):
    """Change some of the settings (keys of DEFAULTS); Invalid for an unknown key or value. Returns them all."""
    unknown = set(changes) - set(DEFAULTS)
    if unknown:
        raise Invalid(_l("Unknown ranking setting: %(names)s.", names=", ".join(sorted(unknown))),
                      code="validation_error")
    settings = _checked({**ranking_settings(session), **changes})
    row = session.get(Setting, RANKING_KEY) or Setting(key=RANKING_KEY, value={})
    row.value = settings
    session.add(row)
    record("settings.ranking", actor=actor, data=settings)
    return settings


def _checked(settings, lenient=False):
    """`settings` with valid values; Invalid for a wrong one (lenient: the default in its place, for what
    is stored)."""
    out = {}
    for name, default in DEFAULTS.items():
        value = settings.get(name)
        valid = (isinstance(value, bool) if isinstance(default, bool)
                 else value is None or (isinstance(value, int) and not isinstance(value, bool)
                                        and 1 <= value <= MAX_FOLLOWERS))
        if not valid:
            if lenient:
                value = default
            elif isinstance(default, bool):
                raise Invalid(_l("%(name)s must be true or false.", name=name), code="validation_error")
            else:
                raise Invalid(_l("%(name)s must be a number of followers from 1 to %(max)s, or empty.", name=name,
                                 max=MAX_FOLLOWERS), code="validation_error")
        out[name] = value
    high, urgent = out["followers_high"], out["followers_urgent"]
    if high is not None and urgent is not None and urgent < high:
        if lenient:
            out["followers_urgent"] = high
        else:
            raise Invalid(_l("The followers count for urgent cannot be below the one for high."),
                          code="validation_error")
    return out


def rank(session, plan):
    """Raise the priority of the conversations the ingest `plan` touched whose new customer messages come
    from far-reaching or unhappy customers, with the reasons (vocabulary.PRIORITY_REASONS). Updates the
    plan's rows and the database; never commits."""
    touched = [c for c in plan.conversations if not c.row.is_spam and any(m.direction == "inbound" for m in c.messages)]
    if not touched:
        return
    settings = ranking_settings(session)
    if not settings["enabled"]:
        return
    changed = []
    for conversation in touched:
        row = conversation.row
        reasons = list(row.priority_reasons or [])
        if "manual" in reasons:
            continue  # an agent decided
        asked = asks(getattr(conversation.contact, "followers_count", None), conversation.messages, settings)
        if not asked:
            continue
        priority = max([row.priority, *(p for p, _ in asked)], key=lambda p: TIER.get(p, TIER["normal"]))
        new_reasons = [r for r in PRIORITY_REASONS if r in reasons or any(r == reason for _, reason in asked)]
        new_reasons += [r for r in reasons if r not in new_reasons]  # anything unknown stays, after
        if priority != row.priority or new_reasons != reasons:
            row.priority, row.priority_reasons = priority, new_reasons
            changed.append(row)
    _store(session, changed)


def asks(followers, messages, settings):
    """[(priority, reason)] the customer's reach and the mood of their new `messages` call for."""
    found = []
    urgent, high = settings["followers_urgent"], settings["followers_high"]
    if followers is not None:
        if urgent is not None and followers >= urgent:
            found.append(("urgent", "followers"))
        elif high is not None and followers >= high:
            found.append(("high", "followers"))
    inbound = [m for m in messages if m.direction == "inbound"]
    if settings["negative"] and any(m.sentiment == "negative" for m in inbound):
        found.append(("high", "negative"))
    if settings["complaint"] and any(m.intent == "complaint" for m in inbound):
        found.append(("high", "complaint"))
    return found


def _store(session, rows):
    """One UPDATE per distinct (priority, reasons), a handful per batch: JSON values that vary between rows
    cannot go as one array (batch_sql.update_rows)."""
    groups = {}
    for row in rows:
        groups.setdefault((row.priority, tuple(row.priority_reasons)), []).append(row.id)
    table = Conversation.__table__
    for (priority, reasons), ids in sorted(groups.items()):
        session.execute(sa.update(table).where(among(session, table.c.id, ids))
                        .values(priority=priority, priority_reasons=list(reasons)))
