"""A dry run: what a rule (saved or not) would have matched and done over the stored customer messages of the
last days, decided by the same `planned_actions` over the same Facts as the live run. Changes nothing."""
from datetime import timedelta

from app.models import isoformat
from app.rules import store
from app.rules.facts import build_facts
from app.rules.matching import definition_of, planned_actions
from app.sla.policies import conversation_policy

MAX_ITEMS = 200  # matches listed (all are counted)
MAX_SCANNED = 100_000  # messages read at most


def dry_run(session, rule_or_definition, *, days=7, now):
    """{"rule_id", "since", "until", "scanned", "matched", "truncated", "items": [...]}: `rule_or_definition` is a
    Rule, or a validated {"conditions", "actions"} (app/rules/manage.py checked_definition)."""
    since, until = now - timedelta(days=days), now
    scanned = matched = 0
    items, auto_replied = [], {}  # contact id -> when this run would have answered them automatically
    accounts = store.account_ids(session, **_where(rule_or_definition))
    conditions, actions = definition_of(rule_or_definition)
    existing = store.existing_references(session, [store.LoadedRule(None, "", conditions, actions, False)])
    for row in store.stored_customer_messages(session, accounts, since, until, limit=MAX_SCANNED):
        scanned += 1
        facts = stored_facts(session, row, auto_replied.get(row.contact_id))
        actions = planned_actions(rule_or_definition, facts, existing)
        if not actions:
            continue
        if any(a["type"] == "auto_reply" for a in actions):
            auto_replied[row.contact_id] = row.created_at
        matched += 1
        if len(items) < MAX_ITEMS:
            items.append({"message_id": row.id, "conversation_id": row.conversation_id, "text": row.text,
                          "created_at": isoformat(row.created_at), "actions": actions})
    return {"rule_id": getattr(rule_or_definition, "id", None), "since": isoformat(since), "until": isoformat(until),
            "scanned": scanned, "matched": matched, "truncated": matched > len(items), "items": items}


def _where(rule_or_definition):
    """The networks and accounts a rule can match at all (its plain network and account conditions): only their
    messages are read."""
    conditions = definition_of(rule_or_definition)[0]
    where = {}
    for condition in conditions:
        if condition.get("not"):
            continue
        if condition["type"] == "network":
            where["networks"] = set(condition["networks"]) & where.get("networks", set(condition["networks"]))
        elif condition["type"] == "account":
            where["ids"] = set(condition["account_ids"]) & where.get("ids", set(condition["account_ids"]))
    return where


class _ConversationRef:
    """What `conversation_policy` reads of a conversation."""

    __slots__ = ("account_id", "channel", "sla_policy_id")

    def __init__(self, row):
        self.account_id, self.channel, self.sla_policy_id = row.account_id, row.channel, row.sla_policy_id


def stored_facts(session, row, last_auto_reply_at=None):
    """The Facts of a stored customer message (a row of store.stored_customer_messages). The automatic answers
    the customer got are those the dry run itself would have sent (`last_auto_reply_at`): what is stored now
    came after the messages scanned."""
    return build_facts(
        network=row.network, account_id=row.account_id, channel=row.channel, text=row.text,
        created_at=row.created_at, received_at=row.received_at, language=row.language, sentiment=row.sentiment,
        intent=row.intent, followers=row.followers_count, contact_handle=row.contact_handle,
        contact_external_id=row.contact_external_id, contact_tags=row.contact_tags, accepts_dms=row.accepts_dms,
        last_auto_reply_at=last_auto_reply_at, is_spam=row.is_spam, policy=conversation_policy(session, _ConversationRef(row)))
