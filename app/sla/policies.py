"""Which SLA policy governs an account, loaded once per transaction.

An account's own policy wins; accounts without one follow the policy marked
default; with no such policy, the configured minutes (CAREBOX_SLA_WARN_MINUTES,
CAREBOX_SLA_BREACH_MINUTES) apply, always running.

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
            "timezone": self.timezone,
        }


def configured_policy():
    cfg = current_app.config
    return Policy(None, cfg["CAREBOX_SLA_WARN_MINUTES"], cfg["CAREBOX_SLA_BREACH_MINUTES"], name="Default")


def from_row(row):
    return Policy(row.id, row.warn_minutes, row.breach_minutes, row.timezone or "UTC", row.business_hours,
                  tuple(row.holidays or ()), row.name)


@dataclass
class _Loaded:
    by_id: dict
    default: Policy
    account_policy_ids: dict | None = None  # account id -> policy id or None; read when first needed


@prebuilt
def _all_policies(_dialect):
    return sa.select(*SlaPolicy.__table__.c)


def _loaded(session):
    cached = session.info.get(CACHE_KEY)
    if cached is None:
        rows = session.execute(_all_policies(session)).all()
        by_id = {r.id: from_row(r) for r in rows}
        default = next((by_id[r.id] for r in rows if r.is_default), None) or configured_policy()
        cached = session.info[CACHE_KEY] = _Loaded(by_id, default)
    return cached


def _account_policy_id(session, account_id):
    """The account's policy id: from the account object when this session holds it already loaded (ingest
    does), else from one query for all accounts."""
    account = session.identity_map.get(identity_key(SocialAccount, account_id))
    if account is not None and "sla_policy_id" in account.__dict__:
        return account.__dict__["sla_policy_id"]
    loaded = _loaded(session)
    if loaded.account_policy_ids is None or account_id not in loaded.account_policy_ids:
        if loaded.account_policy_ids is not None:  # an account created since: read policies and accounts afresh
            forget(session)
            loaded = _loaded(session)
        loaded.account_policy_ids = dict(session.execute(sa.select(SocialAccount.id, SocialAccount.sla_policy_id)).all())
    return loaded.account_policy_ids.get(account_id)


def forget(session):
    """Drop the cached policies (after changing a policy or an account's assignment)."""
    session.info.pop(CACHE_KEY, None)


def default_policy(session):
    return _loaded(session).default


def policy_by_id(session, policy_id):
    """A stored policy, or the default one when `policy_id` is None or gone."""
    loaded = _loaded(session)
    return loaded.by_id.get(policy_id, loaded.default) if policy_id is not None else loaded.default


def effective_policy(session, account_id):
    policy_id = _account_policy_id(session, account_id)
    loaded = _loaded(session)
    return loaded.by_id.get(policy_id, loaded.default) if policy_id is not None else loaded.default


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _expire(session):
    forget(session)
