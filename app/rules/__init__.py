"""Rules managers write: ordered, each with conditions and actions, run once per new customer message inside
the one ingest path (and, for a dry run, over the last 7 days of stored messages, by the same functions).

- definition.py: `validate(conditions, actions)`; facts.py: `Facts`, what conditions read; matching.py:
  `matches` and `planned_actions` (pure: the live run and the dry run decide through them alike).
- apply.py: planned actions applied to the ingest plan's rows and the database; store.py: the SQL.
- dry_run.py, manage.py (CRUD for the API and pages).

Exactly once: a message is in `plan.messages` only when this batch inserted it, and each hit is a rule_hits row
unique by (rule, message), inserted before its actions apply: a hit already recorded applies nothing.
"""
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.metrics import RULE_HITS
from app.models import utcnow
from app.rules import apply, store
from app.rules.facts import build_facts
from app.rules.matching import planned_actions
from app.sla.policies import conversation_policy


def run_rules(session, account, plan):
    """Run the enabled rules, in order, over the new customer messages of the ingest `plan`; apply their
    actions to the plan's rows and the database and record each hit. Never commits."""
    customer = [m for m in plan.messages if m.direction == "inbound" and m.id is not None]
    rules = store.enabled_rules(session) if customer else []
    chosen_now = _run(session, account, plan, customer, rules) if rules else set()
    # The plan started or moved clocks under the account's policy (ingest knows nothing of rules): conversations
    # a rule chose a policy for, or took out of SLA, now or earlier, keep their clocks so.
    apply.follow_sla_choices(session, plan, chosen_now)


def _run(session, account, plan, customer, rules):
    """Returns the ids of the conversations whose SLA a rule changed (a policy, out of SLA)."""
    now = utcnow()
    context = store.contact_context(session, {m.conversation.row.contact_id for m in customer})
    existing = store.existing_references(session, rules)
    hits, auto_replied = [], set()
    for message in customer:
        row = message.conversation.row
        tags, last_auto_reply_at, accepts_dms = context.get(row.contact_id, ((), None, None))
        if row.contact_id in auto_replied:
            last_auto_reply_at = message.created_at  # one automatic answer per customer per batch at most
        facts = None
        for rule in rules:
            if facts is None:  # again after a hit: later rules see what earlier ones did (spam, a policy)
                facts = live_facts(session, account, message, row, tags, last_auto_reply_at, accepts_dms)
            actions = planned_actions({"conditions": rule.conditions, "actions": rule.actions}, facts, existing)
            if not actions:
                continue
            hits.append({"rule_id": rule.id, "message_id": message.id, "conversation_id": row.id,
                         "actions": actions, "created_at": now, "rule_name": rule.name})
            apply.to_row(row, actions, now)
            facts = None
            if any(a["type"] == "auto_reply" for a in actions):
                auto_replied.add(row.contact_id)
                last_auto_reply_at = message.created_at
            if rule.stop:
                break
    recorded = store.record_hits(session, [{k: v for k, v in h.items() if k != "rule_name"} for h in hits])
    applied = [h for h in hits if (h["rule_id"], h["message_id"]) in recorded]
    counts = {}
    for hit in applied:
        counts[hit["rule_id"]] = counts.get(hit["rule_id"], 0) + 1
    store.bump_hit_counts(session, counts, now)
    counted = session.info.setdefault(COUNTED_KEY, {})
    for rule_id, count in counts.items():
        counted[rule_id] = counted.get(rule_id, 0) + count
    apply.to_database(session, account, plan, applied, now=now)
    return {h["conversation_id"] for h in applied if any(a["type"] in apply.SLA_ACTIONS for a in h["actions"])}


COUNTED_KEY = "carebox_rule_hits"  # {rule id: hits} of the transaction, counted in /metrics once it commits


@event.listens_for(Session, "after_commit")
def _count_committed_hits(session):
    for rule_id, count in session.info.pop(COUNTED_KEY, {}).items():
        RULE_HITS.labels(str(rule_id)).inc(count)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back_hits(session, previous_transaction):
    if previous_transaction.parent is None:
        session.info.pop(COUNTED_KEY, None)


def live_facts(session, account, message, row, tags, last_auto_reply_at, accepts_dms):
    contact = message.conversation.contact
    return build_facts(
        network=account.network, account_id=account.id, channel=row.channel, text=message.text,
        created_at=message.created_at, received_at=message.received_at, language=message.language,
        sentiment=message.sentiment, intent=message.intent, followers=getattr(contact, "followers_count", None),
        contact_handle=getattr(contact, "handle", None), contact_external_id=getattr(contact, "external_id", None),
        contact_tags=tags, accepts_dms=accepts_dms, last_auto_reply_at=last_auto_reply_at, is_spam=row.is_spam,
        policy=conversation_policy(session, row))
