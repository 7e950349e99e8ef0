"""Which SLA policy governs an account's conversations of a channel kind, loaded once per transaction.

Public conversations (mentions, comments): the account's own policy (`sla_policy_id`), else the default
policy for "public", else the default for "any", else the configured minutes (CAREBOX_SLA_WARN_MINUTES,
CAREBOX_SLA_BREACH_MINUTES), always running.
Private conversations (DMs): the account's own private policy (`private_sla_policy_id`), else the default
policy for "private", else whatever its public conversations follow. So DMs can get their own minutes,
and without any such setting they keep the public ones.

Serialising a page of conversations asks for many accounts' policies, so all
of them are read in two small queries and kept on the session until it commits
or rolls back (when they may have changed).
"""
from dataclasses import dataclass, field
from functools import cached_property

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from app.batch_sql import prebuilt
from app.models import SlaPolicy, SocialAccount
from app.sla.hours import Schedule

CACHE_KEY = "carebox_sla_policies"


@dataclass(frozen=True)
class Policy:
    id: int | None
    warn_minutes: int
    breach_minutes: int
    timezone: str = "UTC"
    business_hours: dict | None = field(default=None, hash=False, compare=False)
    holidays: tuple = ()
    name: str = "Default"
    channel: str = "any"  # the channel kind it was made for (what `effective_policy` matches defaults by)

    @cached_property
    def schedule(self):
        """The business-hours Schedule, or None when the clock always runs."""
        if not self.business_hours:
            return None
        return Schedule.build(self.timezone, self.business_hours, self.holidays)

    def ref(self):
        """The short form the inbox shows next to a clock."""
        return {
            "id": self.id, "name": self.name, "warn_minutes": self.warn_minutes,
            "breach_minutes": self.breach_minutes, "business_hours": self.business_hours is not None,
            "timezone": self.timezone, "channel": self.channel,
        }


def configured_policy():
    cfg = current_app.config
    return Policy(None, cfg["CAREBOX_SLA_WARN_MINUTES"], cfg["CAREBOX_SLA_BREACH_MINUTES"], name="Default")


def from_row(row):
    return Policy(row.id, row.warn_minutes, row.breach_minutes, row.timezone or "UTC", row.business_hours,
                  tuple(row.holidays or ()), row.name, row.channel or "any")


@dataclass
class _Loaded:
    by_id: dict
    defaults: dict  # channel kind ("any", "public", "private") -> the Policy marked default for it
    configured: Policy
    account_policy_ids: dict | None = None  # account id -> (policy id, private policy id); read when first needed

    @property
    def default(self):
        """What public conversations of an account without a policy follow."""
        return self.defaults.get("public") or self.defaults.get("any") or self.configured

    def for_account(self, policy_ids, channel):
        public_id, private_id = policy_ids
        if channel == "private":
            found = self.by_id.get(private_id) if private_id is not None else None
            if found is None:
                found = self.defaults.get("private")
            if found is not None:
                return found
        found = self.by_id.get(public_id) if public_id is not None else None
        return found or self.default


@prebuilt
def _all_policies(_dialect):
    return sa.select(*SlaPolicy.__table__.c)


def _loaded(session):
    cached = session.info.get(CACHE_KEY)
    if cached is None:
        rows = session.execute(_all_policies(session)).all()
        by_id = {r.id: from_row(r) for r in rows}
        defaults = {r.channel or "any": by_id[r.id] for r in rows if r.is_default}
        cached = session.info[CACHE_KEY] = _Loaded(by_id, defaults, configured_policy())
    return cached


ACCOUNT_POLICY_COLUMNS = ("sla_policy_id", "private_sla_policy_id")


def _account_policy_ids(session, account_id):
    """(policy id, private policy id) of the account: from the account object when this session holds it
    already loaded (ingest does), else from one query for all accounts."""
    account = session.identity_map.get(identity_key(SocialAccount, account_id))
    if account is not None and all(name in account.__dict__ for name in ACCOUNT_POLICY_COLUMNS):
        return tuple(account.__dict__[name] for name in ACCOUNT_POLICY_COLUMNS)
    loaded = _loaded(session)
    if loaded.account_policy_ids is None or account_id not in loaded.account_policy_ids:
        if loaded.account_policy_ids is not None:  # an account created since: read policies and accounts afresh
            forget(session)
            loaded = _loaded(session)
        rows = session.execute(sa.select(SocialAccount.id, SocialAccount.sla_policy_id,
                                         SocialAccount.private_sla_policy_id)).all()
        loaded.account_policy_ids = {r[0]: (r[1], r[2]) for r in rows}
    return loaded.account_policy_ids.get(account_id, (None, None))


def forget(session):
    """Drop the cached policies (after changing a policy or an account's assignment)."""
    session.info.pop(CACHE_KEY, None)


def default_policy(session, channel="public"):
    """What conversations of `channel` follow on an account without a policy of its own."""
    return _loaded(session).for_account((None, None), channel)


def policy_by_id(session, policy_id):
    """A stored policy, or the default one when `policy_id` is None or gone."""
    loaded = _loaded(session)
    return loaded.by_id.get(policy_id, loaded.default) if policy_id is not None else loaded.default


def effective_policy(session, account_id, channel):
    """The Policy of the account's conversations of `channel` ("public" or "private")."""
    policy_ids = _account_policy_ids(session, account_id)
    return _loaded(session).for_account(policy_ids, channel)


def chosen_policy(session, policy_id):
    """The stored policy `policy_id` (a rule's choice for a conversation), or None when None or gone."""
    return _loaded(session).by_id.get(policy_id) if policy_id is not None else None


def conversation_policy(session, conv):
    """The Policy a conversation follows: one a rule chose for it (`sla_policy_id`, while it exists), else its
    account's for its channel. Every path that starts, moves or shows its clock asks this."""
    chosen = chosen_policy(session, getattr(conv, "sla_policy_id", None))
    if chosen is not None:
        return chosen
    return effective_policy(session, conv.account_id, getattr(conv, "channel", None) or "public")


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _expire(session):
    forget(session)
