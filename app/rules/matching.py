"""Whether a rule matches a message (`matches`) and what it would do there (`planned_actions`): pure
functions over a validated definition (app/rules/definition.py) and `Facts`, the same for the live run and
the dry run.
"""
import logging
from datetime import timedelta
from functools import lru_cache

import regex

from app.rules.facts import folded

log = logging.getLogger(__name__)
REGEX_SECONDS = 0.05  # a pattern that takes longer on one message does not match it
HIDEABLE_NETWORKS = ("facebook", "instagram", "twitter")


@lru_cache(maxsize=512)
def _words(keywords):
    """One pattern for "any of these words", each a whole word of the folded text."""
    alternatives = "|".join(regex.escape(folded(k)) for k in sorted(keywords, key=len, reverse=True))
    return regex.compile(rf"(?<![\w])(?:{alternatives})(?![\w])", regex.V1)


@lru_cache(maxsize=512)
def _pattern(pattern):
    return regex.compile(pattern, regex.IGNORECASE | regex.V1)


def regex_matches(pattern, text, *, seconds=REGEX_SECONDS):
    """`pattern` found in `text` within `seconds`; a pattern that runs out of time does not match."""
    try:
        return _pattern(pattern).search(text, timeout=seconds) is not None
    except TimeoutError:
        log.warning("rule pattern timed out", extra={"pattern_length": len(pattern)})
        return False


def _followers(condition, facts):
    followers = facts.followers
    if followers is None:
        return False
    return (condition.get("min") is None or followers >= condition["min"]) and (
        condition.get("max") is None or followers <= condition["max"])


# condition type -> whether it holds for `facts`
HOLDS = {
    "network": lambda c, f: f.network in c["networks"],
    "account": lambda c, f: f.account_id in c["account_ids"],
    "channel": lambda c, f: f.channel == c["channel"],
    "keywords": lambda c, f: _words(tuple(c["keywords"])).search(f.folded_text) is not None,
    "phrase": lambda c, f: folded(c["phrase"]) in f.folded_text,
    "regex": lambda c, f: regex_matches(c["pattern"], f.text),
    "language": lambda c, f: (f.language or "").lower() in c["languages"],
    "has_link": lambda c, f: f.has_link,
    "only_emoji": lambda c, f: f.only_emoji,
    "only_mention": lambda c, f: f.only_mention,
    "followers": _followers,
    "vip": lambda c, f: "vip" in f.folded_tags or bool(f.contact_keys & set(c.get("handles") or ())),
    "contact_tags": lambda c, f: bool(f.folded_tags & set(c["tags"])),
    "sentiment": lambda c, f: f.sentiment in c["sentiments"],
    "intent": lambda c, f: f.intent in c["intents"],
    "business_hours": lambda c, f: f.in_business_hours == (c["when"] == "in"),
}


def matches(conditions, facts):
    """Every condition holds (a negated one: does not hold). No conditions: every message matches."""
    return all(HOLDS[c["type"]](c, facts) != bool(c.get("not")) for c in conditions)


REFERENCES = {"assign_team": "team_id", "assign_agent": "user_id", "apply_sla_policy": "policy_id"}


def planned_actions(rule, facts, existing=None):
    """What `rule` (a Rule or a dict with "conditions" and "actions") would do for the message of `facts`:
    [] when it does not match, else the action dicts it applies, as rule_hits and the dry run record them.
    Actions that cannot apply there are left out (hiding a private message, an automatic answer to spam,
    to a customer answered automatically within the period, or where the network allows no answer), and,
    given `existing` ({"team_id": ids, "user_id": ids of active users, "policy_id": ids}), those naming a
    team, agent or policy deleted since the rule was written."""
    conditions, actions = definition_of(rule)
    if not matches(conditions, facts):
        return []
    spam = facts.is_spam or any(a["type"] == "mark_spam" for a in actions)
    planned = []
    for action in actions:
        kind = action["type"]
        if kind == "hide" and (facts.channel != "public" or facts.network not in HIDEABLE_NETWORKS):
            continue
        if kind == "auto_reply" and not _may_auto_reply(action, facts, spam):
            continue
        if existing is not None and kind in REFERENCES and action[REFERENCES[kind]] not in existing[REFERENCES[kind]]:
            continue
        planned.append(dict(action))
    return planned


def _may_auto_reply(action, facts, spam):
    if spam or (facts.channel == "private" and not facts.can_answer_privately):
        return False
    last = facts.last_auto_reply_at
    return last is None or facts.created_at - last >= timedelta(hours=action["period_hours"])


def definition_of(rule):
    """(conditions, actions) of a Rule, a LoadedRule or a {"conditions", "actions"} dict."""
    if isinstance(rule, dict):
        return rule.get("conditions") or [], rule.get("actions") or []
    return rule.conditions or [], rule.actions or []
