"""Managing SLA policies and which account follows which: shared by the API and the settings page.

Input arrives validated (app/api/sla_schemas.py PolicyIn). Every change that can move due
times recomputes the running clocks it governs, in the same transaction. Callers commit.
"""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.audit import record
from app.domain_errors import Conflict
from app.models import SlaPolicy, SocialAccount, isoformat
from app.sla.policies import forget
from app.sla.recompute import recompute_accounts

FIELDS = ("name", "warn_minutes", "breach_minutes", "is_default", "timezone", "business_hours", "holidays")
TIMING_FIELDS = ("warn_minutes", "breach_minutes", "timezone", "business_hours", "holidays")


class PolicyConflict(Conflict, ValueError):
    """The change would break a rule (a name taken, a policy still in use); the message says which."""


def policy_dict(policy, account_ids=()):
    return {
        "id": policy.id,
        "name": policy.name,
        "is_default": policy.is_default,
        "warn_minutes": policy.warn_minutes,
        "breach_minutes": policy.breach_minutes,
        "timezone": policy.timezone,
        "business_hours": policy.business_hours,
        "holidays": list(policy.holidays or []),
        "account_ids": list(account_ids),
        "created_at": isoformat(policy.created_at),
        "updated_at": isoformat(policy.updated_at),
    }


def list_policies(session):
    """[(policy, [account ids using it])], by name."""
    policies = session.scalars(sa.select(SlaPolicy).order_by(SlaPolicy.name, SlaPolicy.id)).all()
    users = {}
    for account_id, policy_id in session.execute(
            sa.select(SocialAccount.id, SocialAccount.sla_policy_id).where(SocialAccount.sla_policy_id.is_not(None))):
        users.setdefault(policy_id, []).append(account_id)
    return [(p, sorted(users.get(p.id, []))) for p in policies]


def accounts_using(session, policy_id):
    return list(session.scalars(sa.select(SocialAccount.id).where(SocialAccount.sla_policy_id == policy_id)))


def _accounts_on_default(session):
    return list(session.scalars(sa.select(SocialAccount.id).where(SocialAccount.sla_policy_id.is_(None))))


def _check_name(session, name, policy_id=None):
    clash = session.scalar(sa.select(SlaPolicy.id).where(sa.func.lower(SlaPolicy.name) == name.lower(),
                                                         SlaPolicy.id != (policy_id or 0)))
    if clash is not None:
        raise PolicyConflict(_l("There is already a policy named “%(name)s”.", name=name))


def _clear_default(session, keep_id=None):
    """Only one policy is the default (a unique index says so): take the mark off the others first."""
    with session.no_autoflush:
        session.execute(sa.update(SlaPolicy).where(SlaPolicy.id != (keep_id or 0), SlaPolicy.is_default.is_(True))
                        .values(is_default=False).execution_options(synchronize_session="fetch"))


def create_policy(session, data):
    """`data`: PolicyIn.model_dump(). Returns (policy, clocks recomputed)."""
    _check_name(session, data["name"])
    if data["is_default"]:
        _clear_default(session)
    policy = SlaPolicy(**{k: data[k] for k in FIELDS})
    session.add(policy)
    session.flush()
    moved = recompute_accounts(session, _accounts_on_default(session)) if policy.is_default else 0
    record("sla_policy.created", target=policy, data={"name": policy.name})
    return policy, moved


def update_policy(session, policy, data):
    """Replace the policy's settings with `data` (a full PolicyIn dump). Returns clocks recomputed."""
    _check_name(session, data["name"], policy.id)
    was_default = policy.is_default
    timing_changed = any(getattr(policy, k) != data[k] for k in TIMING_FIELDS)
    if data["is_default"]:
        _clear_default(session, keep_id=policy.id)
    for key in FIELDS:
        setattr(policy, key, data[key])
    session.flush()
    governed = set(accounts_using(session, policy.id)) if timing_changed else set()
    if policy.is_default != was_default or (policy.is_default and timing_changed):
        governed |= set(_accounts_on_default(session))  # the default changed hands or changed
    moved = recompute_accounts(session, governed) if governed else 0
    forget(session)
    record("sla_policy.updated", target=policy, data={"name": policy.name, "recomputed": moved})
    return moved


def delete_policy(session, policy):
    """Delete a policy no account uses. Returns clocks recomputed (when the default went away)."""
    users = accounts_using(session, policy.id)
    if users:
        raise PolicyConflict(_l("Accounts %(accounts)s use this policy: assign them another first.",
                                accounts=", ".join(map(str, users))))
    was_default = policy.is_default
    record("sla_policy.deleted", target=policy, data={"name": policy.name})
    session.delete(policy)
    session.flush()
    return recompute_accounts(session, _accounts_on_default(session)) if was_default else 0


def assign_policy(session, account, policy):
    """Make `account` follow `policy` (None: the default). Returns clocks recomputed."""
    new_id = policy.id if policy is not None else None
    if account.sla_policy_id == new_id:
        return 0
    old_id = account.sla_policy_id
    account.sla_policy_id = new_id
    session.flush()
    moved = recompute_accounts(session, [account.id])
    record("account.sla_policy", target=account, data={"from": old_id, "to": new_id, "recomputed": moved})
    return moved
