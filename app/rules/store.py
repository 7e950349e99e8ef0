"""The rules' thin store layer: the enabled rules (one short query per ingest batch), the contacts' context,
hits recorded exactly once, hit counts, and stored customer messages for a dry run, in batches."""
from dataclasses import dataclass

import sqlalchemy as sa

from app.batch_sql import any_of, insert_rows, prebuilt
from app.models import Contact, Conversation, Message, Rule, RuleHit, SlaClock, SlaPolicy, SocialAccount, Team, User
from app.rules.matching import REFERENCES

RULES, HITS, CONTACTS = Rule.__table__, RuleHit.__table__, Contact.__table__
MESSAGES, CONVERSATIONS, CLOCKS = Message.__table__, Conversation.__table__, SlaClock.__table__


@dataclass(frozen=True)
class LoadedRule:
    id: int
    name: str
    conditions: list
    actions: list
    stop: bool


@prebuilt
def _enabled(_dialect):
    r = RULES.c
    return sa.select(r.id, r.name, r.conditions, r.actions, r.stop).where(r.enabled.is_(True)).order_by(r.position, r.id)


def enabled_rules(session):
    """The enabled rules in the order they run."""
    return [LoadedRule(r.id, r.name, r.conditions or [], r.actions or [], bool(r.stop))
            for r in session.execute(_enabled(session))]


def existing_references(session, rules):
    """{"team_id", "user_id", "policy_id": the ids the rules' actions name that still exist (users: active)}:
    a rule naming a team, agent or policy deleted since must not fail the ingest (matching.planned_actions)."""
    named = {field: set() for field in REFERENCES.values()}
    for rule in rules:
        for action in rule.actions:
            if action["type"] in REFERENCES:
                named[REFERENCES[action["type"]]].add(action[REFERENCES[action["type"]]])
    found = {field: set() for field in named}
    for field, model, extra in (("team_id", Team, ()), ("user_id", User, (User.is_active.is_(True),)),
                                ("policy_id", SlaPolicy, ())):
        if named[field]:
            found[field] = set(session.scalars(sa.select(model.id).where(model.id.in_(sorted(named[field])), *extra)))
    return found


@prebuilt
def _contact_context(dialect):
    c = CONTACTS.c
    return sa.select(c.id, c.tags, c.last_auto_reply_at, c.accepts_dms).where(any_of(dialect, c.id, "ids"))


def contact_context(session, contact_ids):
    """{contact id: (tags, last_auto_reply_at, accepts_dms)}."""
    if not contact_ids:
        return {}
    return {r.id: (tuple(r.tags or ()), r.last_auto_reply_at, r.accepts_dms)
            for r in session.execute(_contact_context(session), {"ids": sorted(contact_ids)})}


def record_hits(session, hits):
    """Insert rule_hits rows (dicts: rule_id, message_id, conversation_id, actions, created_at); a hit already
    stored (the same rule and message) is skipped. Returns {(rule_id, message_id)} of those inserted."""
    if not hits:
        return set()
    result = insert_rows(session, RuleHit, hits, conflict_columns=["rule_id", "message_id"],
                         returning=(HITS.c.rule_id, HITS.c.message_id))
    return {(r[0], r[1]) for r in result}


def bump_hit_counts(session, counts, now):
    """hit_count += n and last_hit_at = now for {rule id: n}, in one statement."""
    if not counts:
        return
    ids = sorted(counts)
    session.execute(sa.update(RULES).where(RULES.c.id.in_(ids)).values(
        hit_count=RULES.c.hit_count + sa.case(*((RULES.c.id == i, counts[i]) for i in ids), else_=0),
        last_hit_at=now))


def update_conversations(session, rows):
    """UPDATE conversations from `rows` (dicts with "id" and the same columns), in id order, as one executemany:
    JSON columns (tags, priority_reasons) cannot travel in batch_sql.update_rows' PostgreSQL arrays."""
    if not rows:
        return
    rows = sorted(rows, key=lambda r: r["id"])
    columns = [name for name in rows[0] if name != "id"]
    statement = sa.update(CONVERSATIONS).where(CONVERSATIONS.c.id == sa.bindparam("b_id")).values(
        {name: sa.bindparam(f"b_{name}") for name in columns})
    session.execute(statement, [{f"b_{k}": v for k, v in row.items()} for row in rows])


def mark_pending_hide(session, message_ids):
    """The worker hides these messages on the network after the commit (app/moderation)."""
    if message_ids:
        session.execute(sa.update(MESSAGES).where(MESSAGES.c.id.in_(sorted(message_ids)),
                                                  MESSAGES.c.moderation == "visible")
                        .values(moderation_pending="hide"))


def drop_running_clocks(session, conversation_ids):
    """An exempt conversation keeps no running clock (reports leave out what never ran)."""
    if conversation_ids:
        session.execute(sa.delete(CLOCKS).where(CLOCKS.c.conversation_id.in_(sorted(conversation_ids)),
                                                CLOCKS.c.stopped_at.is_(None)))


def move_running_clocks(session, moves):
    """[{"conversation_id", "policy_id", "warn_at", "breach_at"}]: the running clocks under a new policy (one
    executemany)."""
    if moves:
        c = CLOCKS.c
        session.execute(sa.update(CLOCKS).where(c.conversation_id == sa.bindparam("b_conversation_id"),
                                                c.stopped_at.is_(None))
                        .values(policy_id=sa.bindparam("b_policy_id"), warn_at=sa.bindparam("b_warn_at"),
                                breach_at=sa.bindparam("b_breach_at")),
                        [{f"b_{k}": v for k, v in m.items()} for m in moves])


STORED_COLUMNS = (
    MESSAGES.c.id, MESSAGES.c.conversation_id, MESSAGES.c.account_id, MESSAGES.c.network, MESSAGES.c.text,
    MESSAGES.c.created_at, MESSAGES.c.received_at, MESSAGES.c.language, MESSAGES.c.sentiment, MESSAGES.c.intent,
    CONVERSATIONS.c.channel, CONVERSATIONS.c.is_spam, CONVERSATIONS.c.sla_policy_id, CONVERSATIONS.c.contact_id,
    CONTACTS.c.handle.label("contact_handle"), CONTACTS.c.external_id.label("contact_external_id"),
    CONTACTS.c.followers_count, CONTACTS.c.tags.label("contact_tags"), CONTACTS.c.accepts_dms,
    CONTACTS.c.last_auto_reply_at,
)


def account_ids(session, *, networks=None, ids=None):
    """Ids of the accounts (of these networks, among these ids) a dry run reads."""
    query = sa.select(SocialAccount.id).order_by(SocialAccount.id)
    if networks is not None:
        query = query.where(SocialAccount.network.in_(sorted(networks)))
    if ids is not None:
        query = query.where(SocialAccount.id.in_(sorted(ids)))
    return list(session.scalars(query))


def stored_customer_messages(session, accounts, since, until, *, batch=500, limit=None):
    """Stored customer messages of `accounts` (ids) posted in [since, until), oldest first, with what their
    facts need; read in batches by (created_at, id) through the (account_id, created_at) index, so a week of
    traffic never sits in memory at once. Yields rows."""
    after = None
    yielded = 0
    while accounts:
        query = (sa.select(*STORED_COLUMNS)
                 .join(CONVERSATIONS, CONVERSATIONS.c.id == MESSAGES.c.conversation_id)
                 .join(CONTACTS, CONTACTS.c.id == CONVERSATIONS.c.contact_id)
                 .where(MESSAGES.c.account_id.in_(accounts), MESSAGES.c.direction == "inbound",
                        MESSAGES.c.created_at >= since, MESSAGES.c.created_at < until)
                 .order_by(MESSAGES.c.created_at, MESSAGES.c.id).limit(batch))
        if after is not None:
            query = query.where(sa.or_(MESSAGES.c.created_at > after[0], sa.and_(
                MESSAGES.c.created_at == after[0], MESSAGES.c.id > after[1])))
        rows = session.execute(query).all()
        for row in rows:
            yield row
            yielded += 1
            if limit is not None and yielded >= limit:
                return
        if len(rows) < batch:
            return
        after = (rows[-1].created_at, rows[-1].id)
