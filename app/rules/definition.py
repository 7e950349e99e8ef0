"""A rule's definition checked and cleaned: `validate(conditions, actions)`, without the database.

Each condition and action is a dict {"type": vocabulary.RULE_CONDITIONS / RULE_ACTIONS, ...its fields};
any condition may carry "not": true. What refers to stored rows (accounts, teams, users, policies, canned
responses) is checked to exist by the service (app/rules/manage.py), not here.
"""
import regex
from flask_babel import lazy_gettext as _l

from app.domain_errors import Invalid
from app.rules.facts import handle_key
from app.text import fold
from app.vocabulary import CHANNELS, INTENTS, NETWORKS, PRIORITIES, RULE_ACTIONS, RULE_CONDITIONS, SENTIMENTS

MAX_ITEMS = 20  # conditions, or actions, per rule
MAX_LIST = 200  # values in one list (keywords, VIP handles, …)
MAX_TEXT = 200  # one keyword, phrase or tag
MAX_PATTERN = 300
MAX_ID = 2**31 - 1
DEFAULT_AUTO_REPLY_HOURS = 24
# Quantified groups that themselves contain a quantifier, or alternatives under a quantifier: the shapes
# that backtrack exponentially ("(a+)+", "(a|aa)*"). Refused; the run-time time limit covers the rest.
_NESTED = regex.compile(r"\((?:[^()\\]|\\.)*(?:[+*}]|\|)(?:[^()\\]|\\.)*\)\s*(?:[+*]|\{\d*,?\d*\})")
_BACKREF = regex.compile(r"\\[1-9]|\(\?P=|\\g<")


def _fail(where, message):
    raise Invalid(_l("%(field)s: %(problem)s", field=where, problem=message), code="invalid_rule",
                  details=[{"loc": where.split("."), "message": str(message)}])


def _strings(where, value, *, allowed=None, fold_them=False, key=None):
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or len(value) > MAX_LIST:
        _fail(where, _l("give between 1 and %(n)s values", n=MAX_LIST))
    cleaned = []
    for item in value:
        if not isinstance(item, str) or not item.strip() or len(item) > MAX_TEXT:
            _fail(where, _l("each value is a text of 1 to %(n)s characters", n=MAX_TEXT))
        item = item.strip()
        if allowed is not None and item not in allowed:
            _fail(where, _l("%(value)s is not one of %(allowed)s", value=item, allowed=", ".join(allowed)))
        item = key(item) if key else fold(item) if fold_them else item
        if item and item not in cleaned:
            cleaned.append(item)
    if not cleaned:
        _fail(where, _l("give between 1 and %(n)s values", n=MAX_LIST))
    return cleaned


def _ids(where, value):
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if (not isinstance(value, list) or not value or len(value) > MAX_LIST
            or not all(isinstance(v, int) and not isinstance(v, bool) and 0 < v <= MAX_ID for v in value)):
        _fail(where, _l("give between 1 and %(n)s ids", n=MAX_LIST))
    return sorted(set(value))


def _one_id(where, value):
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= MAX_ID:
        _fail(where, _l("give an id"))
    return value


def _count(where, value):
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10**12:
        _fail(where, _l("give a whole number, 0 or more"))
    return value


def check_pattern(where, pattern):
    """A regular expression a rule may run: compiles, is not too long, and has no exponential shape."""
    if not isinstance(pattern, str) or not pattern or len(pattern) > MAX_PATTERN:
        _fail(where, _l("give a pattern of 1 to %(n)s characters", n=MAX_PATTERN))
    if _NESTED.search(pattern) or _BACKREF.search(pattern):
        _fail(where, _l("nested repetition and back-references can take forever to match; simplify the pattern"))
    try:
        regex.compile(pattern, regex.IGNORECASE | regex.V1)
    except regex.error as exc:
        _fail(where, _l("not a valid regular expression (%(reason)s)", reason=str(exc)))
    return pattern


def _followers(where, raw):
    low, high = _count(f"{where}.min", raw.get("min")), _count(f"{where}.max", raw.get("max"))
    if low is None and high is None:
        _fail(f"{where}.min", _l("give a minimum, a maximum or both"))
    if low is not None and high is not None and low > high:
        _fail(f"{where}.max", _l("the maximum is below the minimum"))
    return {"min": low, "max": high}


def _vip(where, raw):
    handles = raw.get("handles")
    return {"handles": _strings(f"{where}.handles", handles, key=handle_key) if handles else []}


def _listed(name, **how):
    return lambda where, raw: {name: _strings(f"{where}.{name}", raw.get(name), **how)}


def _single(name, default=None, **how):
    return lambda where, raw: {name: _strings(f"{where}.{name}", raw.get(name, default), **how)[0]}


# condition type -> its fields, cleaned (has_link, only_emoji, only_mention take none)
CONDITION_FIELDS = {
    "network": _listed("networks", allowed=NETWORKS),
    "account": lambda where, raw: {"account_ids": _ids(f"{where}.account_ids", raw.get("account_ids"))},
    "channel": _single("channel", allowed=CHANNELS),
    "keywords": _listed("keywords"),
    "phrase": _single("phrase"),
    "regex": lambda where, raw: {"pattern": check_pattern(f"{where}.pattern", raw.get("pattern"))},
    "language": _listed("languages", key=lambda v: v.lower()[:8]),
    "followers": _followers,
    "vip": _vip,
    "contact_tags": _listed("tags", fold_them=True),
    "sentiment": _listed("sentiments", allowed=SENTIMENTS),
    "intent": _listed("intents", allowed=INTENTS),
    "business_hours": _single("when", default="in", allowed=("in", "out")),
}


def _condition(where, raw):
    out = {"type": raw["type"]}
    out.update(CONDITION_FIELDS.get(raw["type"], lambda _w, _r: {})(where, raw))
    if raw.get("not") not in (None, False, True):
        _fail(f"{where}.not", _l("true or false"))
    if raw.get("not"):
        out["not"] = True
    return out


def _action(where, raw):
    kind = raw["type"]
    out = {"type": kind}
    if kind == "tag":
        out["tags"] = _strings(f"{where}.tags", raw.get("tags"), key=lambda v: v[:64])
    elif kind == "set_priority":
        out["priority"] = _strings(f"{where}.priority", raw.get("priority"), allowed=PRIORITIES)[0]
    elif kind == "assign_team":
        out["team_id"] = _one_id(f"{where}.team_id", raw.get("team_id"))
    elif kind == "assign_agent":
        out["user_id"] = _one_id(f"{where}.user_id", raw.get("user_id"))
    elif kind == "apply_sla_policy":
        out["policy_id"] = _one_id(f"{where}.policy_id", raw.get("policy_id"))
    elif kind == "notify":
        users = raw.get("user_ids") or []
        team = raw.get("team_id")
        if not users and team is None:
            _fail(f"{where}.user_ids", _l("give users, a team or both to notify"))
        out["user_ids"] = _ids(f"{where}.user_ids", users) if users else []
        out["team_id"] = _one_id(f"{where}.team_id", team) if team is not None else None
    elif kind == "auto_reply":
        out["canned_id"] = _one_id(f"{where}.canned_id", raw.get("canned_id"))
        hours = raw.get("period_hours", DEFAULT_AUTO_REPLY_HOURS)
        if not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= 24 * 90:
            _fail(f"{where}.period_hours", _l("between 1 and %(n)s hours", n=24 * 90))
        out["period_hours"] = hours
    # exclude_from_sla, hide, mark_spam take no fields
    return out


def _items(name, values, vocabulary, clean, *, required):
    if not isinstance(values, list) or len(values) > MAX_ITEMS or (required and not values):
        _fail(name, _l("give between %(low)s and %(n)s items", low=1 if required else 0, n=MAX_ITEMS))
    cleaned = []
    for index, raw in enumerate(values):
        where = f"{name}.{index}"
        if not isinstance(raw, dict) or raw.get("type") not in vocabulary:
            _fail(f"{where}.type", _l("one of %(allowed)s", allowed=", ".join(vocabulary)))
        cleaned.append(clean(where, raw))
    return cleaned


def validate(conditions, actions):
    """(conditions, actions) cleaned, or Invalid naming the first field that is wrong. A rule with no
    conditions matches every customer message; it needs at least one action."""
    conditions = _items("conditions", conditions, RULE_CONDITIONS, _condition, required=False)
    actions = _items("actions", actions, RULE_ACTIONS, _action, required=True)
    kinds = [a["type"] for a in actions]
    for kind in set(kinds):
        if kinds.count(kind) > 1 and kind not in ("tag", "notify"):
            _fail(f"actions.{kinds.index(kind, kinds.index(kind) + 1)}.type", _l("this action is given twice"))
    return conditions, actions
