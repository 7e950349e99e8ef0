"""The rules' pure core: definitions checked, each condition, negation, planned actions, the regex time limit.
No database."""
from datetime import datetime, timedelta, timezone

import pytest

from app.domain_errors import Invalid
from app.rules.definition import validate
from app.rules.facts import build_facts, folded
from app.rules.matching import matches, planned_actions, regex_matches
from app.sla.policies import Policy

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)  # a Tuesday
OFFICE = Policy(7, 30, 60, "UTC", {"tue": [["09:00", "17:00"]]})


def facts(text="hello", **kw):
    values = {"network": "facebook", "account_id": 1, "channel": "public", "text": text, "created_at": NOW,
              "received_at": NOW}
    values.update(kw)
    return build_facts(**values)


def holds(condition, f):
    conditions, _ = validate([condition], [{"type": "tag", "tags": ["x"]}])
    return matches(conditions, f)


@pytest.mark.parametrize("condition, yes, no", [
    ({"type": "network", "networks": ["facebook", "twitter"]}, facts(), facts(network="instagram")),
    ({"type": "account", "account_ids": [1]}, facts(), facts(account_id=2)),
    ({"type": "channel", "channel": "private"}, facts(channel="private"), facts()),
    ({"type": "keywords", "keywords": ["refund", "Café"]}, facts("I want my REFUND!"), facts("refunded already")),
    ({"type": "keywords", "keywords": ["cafe"]}, facts("Le CAFÉ est froid"), facts("cafeteria")),
    ({"type": "keywords", "keywords": ["возврат"]}, facts("Где мой ВОЗВРАТ?"), facts("возвратный")),
    ({"type": "phrase", "phrase": "not working"}, facts("It is NOT working at all"), facts("not really working")),
    ({"type": "regex", "pattern": r"order\s*#?\d{5}"}, facts("my Order #12345 is late"), facts("order 12")),
    ({"type": "language", "languages": ["ru", "be"]}, facts(language="be"), facts(language="en")),
    ({"type": "has_link"}, facts("win here https://spam.example/x"), facts("no links.")),
    ({"type": "only_emoji"}, facts("😡😡 👎🏽"), facts("bad 😡")),
    ({"type": "only_mention"}, facts("@brand @support"), facts("@brand help")),
    ({"type": "followers", "min": 10000}, facts(followers=50000), facts(followers=9999)),
    ({"type": "followers", "max": 100}, facts(followers=3), facts(followers=None)),
    ({"type": "vip", "handles": ["@BigStar"]}, facts(contact_handle="bigstar"), facts(contact_handle="small")),
    ({"type": "vip", "handles": ["123"]}, facts(contact_external_id="123"), facts(contact_external_id="124")),
    ({"type": "vip"}, facts(contact_tags=["VIP"]), facts(contact_tags=["press"])),
    ({"type": "contact_tags", "tags": ["press", "Partner"]}, facts(contact_tags=["partner"]), facts(contact_tags=[])),
    ({"type": "sentiment", "sentiments": ["negative"]}, facts(sentiment="negative"), facts(sentiment="neutral")),
    ({"type": "intent", "intents": ["complaint", "spam"]}, facts(intent="spam"), facts(intent="question")),
    ({"type": "business_hours", "when": "in"}, facts(policy=OFFICE), facts(policy=OFFICE, created_at=NOW.replace(hour=20))),
    ({"type": "business_hours", "when": "out"}, facts(policy=OFFICE, created_at=NOW.replace(hour=6)), facts(policy=OFFICE)),
])
def test_each_condition_and_its_negation(condition, yes, no):
    assert holds(condition, yes) and not holds(condition, no)
    negated = dict(condition, **{"not": True})
    assert not holds(negated, yes) and holds(negated, no)


def test_a_policy_without_business_hours_is_always_in_business_hours():
    assert holds({"type": "business_hours", "when": "in"}, facts(policy=Policy(1, 30, 60)))
    assert holds({"type": "business_hours", "when": "in"}, facts(policy=None))


def test_all_conditions_must_hold_and_no_conditions_match_everything():
    conditions, _ = validate([{"type": "network", "networks": ["facebook"]},
                              {"type": "keywords", "keywords": ["refund"]}], [{"type": "hide"}])
    assert matches(conditions, facts("refund please"))
    assert not matches(conditions, facts("hello"))
    assert matches([], facts("anything"))


def test_folding_drops_case_and_diacritics():
    assert folded("Crème BRÛLÉE") == "creme brulee"
    assert folded("مَرْحَبًا") == "مرحبا"  # Arabic harakat


@pytest.mark.parametrize("conditions, actions, where", [
    ([{"type": "nope"}], [{"type": "hide"}], "conditions.0.type"),
    ([], [], "actions"),
    ([], [{"type": "explode"}], "actions.0.type"),
    ([{"type": "network", "networks": ["myspace"]}], [{"type": "hide"}], "conditions.0.networks"),
    ([{"type": "keywords", "keywords": []}], [{"type": "hide"}], "conditions.0.keywords"),
    ([{"type": "followers"}], [{"type": "hide"}], "conditions.0.min"),
    ([{"type": "followers", "min": 10, "max": 5}], [{"type": "hide"}], "conditions.0.max"),
    ([{"type": "regex", "pattern": "(a+)+$"}], [{"type": "hide"}], "conditions.0.pattern"),
    ([{"type": "regex", "pattern": "(x|xx)*y"}], [{"type": "hide"}], "conditions.0.pattern"),
    ([{"type": "regex", "pattern": "(a)\\1"}], [{"type": "hide"}], "conditions.0.pattern"),
    ([{"type": "regex", "pattern": "[unclosed"}], [{"type": "hide"}], "conditions.0.pattern"),
    ([{"type": "sentiment", "sentiments": ["angry"]}], [{"type": "hide"}], "conditions.0.sentiments"),
    ([{"type": "has_link", "not": "yes"}], [{"type": "hide"}], "conditions.0.not"),
    ([], [{"type": "set_priority", "priority": "extreme"}], "actions.0.priority"),
    ([], [{"type": "assign_team"}], "actions.0.team_id"),
    ([], [{"type": "notify"}], "actions.0.user_ids"),
    ([], [{"type": "auto_reply", "canned_id": 1, "period_hours": 0}], "actions.0.period_hours"),
    ([], [{"type": "hide"}, {"type": "hide"}], "actions.1.type"),
])
def test_invalid_definitions_name_the_field(conditions, actions, where):
    with pytest.raises(Invalid) as refused:
        validate(conditions, actions)
    assert refused.value.details[0]["loc"] == where.split(".")
    assert where in str(refused.value.message)


def test_validate_cleans():
    conditions, actions = validate(
        [{"type": "keywords", "keywords": [" Refund ", "refund", "Money"]}, {"type": "vip", "handles": ["@Star"]},
         {"type": "has_link", "not": False}],
        [{"type": "auto_reply", "canned_id": 4}, {"type": "tag", "tags": ["a"]}, {"type": "tag", "tags": ["b"]}])
    assert conditions == [{"type": "keywords", "keywords": ["Refund", "refund", "Money"]},
                          {"type": "vip", "handles": ["star"]}, {"type": "has_link"}]
    assert actions[0] == {"type": "auto_reply", "canned_id": 4, "period_hours": 24}


def test_the_regex_time_limit_stops_a_pattern_that_runs_too_long(caplog):
    text = "ab" * 50_000 + "z"
    assert regex_matches(r"a.*?a.*?a.*?z", text) is True  # within the real limit it matches
    # With a limit no search over a megabyte can meet, the same pattern gives up: no match, and it says so.
    assert regex_matches(r"a.*?a.*?a.*?z", text, seconds=1e-9) is False
    assert "rule pattern timed out" in caplog.text


def rule(conditions, actions):
    conditions, actions = validate(conditions, actions)
    return {"conditions": conditions, "actions": actions}


def test_planned_actions_are_what_the_rule_does_where_it_can():
    every = rule([], [{"type": "tag", "tags": ["t"]}, {"type": "hide"}, {"type": "set_priority", "priority": "high"}])
    assert [a["type"] for a in planned_actions(every, facts())] == ["tag", "hide", "set_priority"]
    # A private message cannot be hidden; a custom channel has no network to hide on.
    assert [a["type"] for a in planned_actions(every, facts(channel="private"))] == ["tag", "set_priority"]
    assert [a["type"] for a in planned_actions(every, facts(network="custom"))] == ["tag", "set_priority"]
    assert planned_actions(rule([{"type": "has_link"}], [{"type": "hide"}]), facts("plain")) == []


def test_auto_reply_never_to_spam_nor_twice_in_the_period_nor_outside_the_window():
    answer = rule([], [{"type": "auto_reply", "canned_id": 1, "period_hours": 24}])
    assert planned_actions(answer, facts())[0]["type"] == "auto_reply"
    assert planned_actions(answer, facts(is_spam=True)) == []
    assert planned_actions(rule([], [{"type": "mark_spam"}, {"type": "auto_reply", "canned_id": 1}]), facts()) == [
        {"type": "mark_spam"}]
    assert planned_actions(answer, facts(last_auto_reply_at=NOW - timedelta(hours=23))) == []
    assert planned_actions(answer, facts(last_auto_reply_at=NOW - timedelta(hours=24)))
    late = NOW + timedelta(hours=25)
    assert planned_actions(answer, facts(channel="private", received_at=late)) == []  # Messenger window closed
    assert planned_actions(answer, facts(channel="private", network="twitter", accepts_dms=False)) == []
    assert planned_actions(answer, facts(channel="private", network="twitter", received_at=late))
