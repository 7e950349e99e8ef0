"""Managing SLA policies and which account follows which: shared by the API and the settings page.

Input arrives validated (app/api/sla_schemas.py PolicyIn). Every change that can move due
times recomputes the running clocks it governs, in the same transaction. Callers commit.

A policy targets a channel kind ("any", "public", "private"); one policy per kind may be its default
(app/sla/policies.py says who follows which). An account follows one policy for its public
conversations (`sla_policy_id`) and may follow another for its private ones (`private_sla_policy_id`).
"""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.audit import record
from app.domain_errors import Conflict
from app.models import Conversation, SlaPolicy, SocialAccount, isoformat
from app.sla.policies import forget
from app.sla.recompute import recompute_accounts

FIELDS = ("name", "warn_minutes", "breach_minutes", "is_default", "channel", "timezone", "business_hours", "holidays")
ASSIGNMENTS = {"public": "sla_policy_id", "private": "private_sla_policy_id"}  # channel -> account column
TIMING_FIELDS = ("warn_minutes", "breach_minutes", "timezone", "business_hours", "holidays")


class PolicyConflict(Conflict, ValueError):
    """The change would break a rule (a name taken, a policy still in use); the message says which."""


def policy_dict(policy, account_ids=()):
    return {
        "id": policy.id,
        "name": policy.name,
        "is_default": policy.is_default,
        "channel": policy.channel or "any",
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
    """[(policy, [account ids using it, for either channel])], by name."""
    policies = session.scalars(sa.select(SlaPolicy).order_by(SlaPolicy.name, SlaPolicy.id)).all()
    users = {}
    for account_id, public_id, private_id in session.execute(
            sa.select(SocialAccount.id, SocialAccount.sla_policy_id, SocialAccount.private_sla_policy_id)):
        for policy_id in {public_id, private_id} - {None}:
            users.setdefault(policy_id, []).append(account_id)
    return [(p, sorted(users.get(p.id, []))) for p in policies]


def accounts_using(session, policy_id):
    """Accounts that follow the policy, for their public or their private conversations."""
    return list(session.scalars(sa.select(SocialAccount.id).where(sa.or_(
        SocialAccount.sla_policy_id == policy_id, SocialAccount.private_sla_policy_id == policy_id))
        .order_by(SocialAccount.id)))


def _accounts_on_default(session):
    """Accounts a default policy may govern (one of their channels has no policy of its own)."""
    return list(session.scalars(sa.select(SocialAccount.id).where(sa.or_(
        SocialAccount.sla_policy_id.is_(None), SocialAccount.private_sla_policy_id.is_(None)))))


def _check_name(session, name, policy_id=None):
    clash = session.scalar(sa.select(SlaPolicy.id).where(sa.func.lower(SlaPolicy.name) == name.lower(),
                                                         SlaPolicy.id != (policy_id or 0)))
    if clash is not None:
        raise PolicyConflict(_l("There is already a policy named “%(name)s”.", name=name))


def _clear_default(session, channel, keep_id=None):
    """One policy per channel kind is its default (a unique index says so): take the mark off that kind's
    other one first (the defaults of other kinds stay)."""
    with session.no_autoflush:
        session.execute(sa.update(SlaPolicy).where(SlaPolicy.id != (keep_id or 0), SlaPolicy.is_default.is_(True),
                                                   SlaPolicy.channel == channel)
                        .values(is_default=False).execution_options(synchronize_session="fetch"))


def create_policy(session, data):
    """`data`: PolicyIn.model_dump() (without "channel": "any"). Returns (policy, clocks recomputed)."""
    data = {"channel": "any", **data}
    _check_name(session, data["name"])
    if data["is_default"]:
        _clear_default(session, data["channel"])
    policy = SlaPolicy(**{k: data[k] for k in FIELDS})
    session.add(policy)
    session.flush()
    moved = recompute_accounts(session, _accounts_on_default(session)) if policy.is_default else 0
    record("sla_policy.created", target=policy, data={"name": policy.name})
    return policy, moved


def update_policy(session, policy, data):
    """Replace the policy's settings with `data` (a full PolicyIn dump). Returns clocks recomputed."""
    data = {"channel": policy.channel or "any", **data}
    _check_name(session, data["name"], policy.id)
    was_default, old_channel = policy.is_default, policy.channel
    timing_changed = any(getattr(policy, k) != data[k] for k in TIMING_FIELDS)
    if data["is_default"]:
        _clear_default(session, data["channel"], keep_id=policy.id)
    for key in FIELDS:
        setattr(policy, key, data[key])
    session.flush()
    governed = set(accounts_using(session, policy.id)) | _accounts_choosing(session, policy.id) if timing_changed else set()
    default_moved = policy.is_default != was_default or (policy.is_default and policy.channel != old_channel)
    if default_moved or (policy.is_default and timing_changed):
        governed |= set(_accounts_on_default(session))  # a default changed hands or changed
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
    choosing = _accounts_choosing(session, policy.id)  # their conversations fall back to the account's policy
    record("sla_policy.deleted", target=policy, data={"name": policy.name})
    session.delete(policy)
    session.flush()
    governed = (set(_accounts_on_default(session)) if was_default else set()) | choosing
    return recompute_accounts(session, governed) if governed else 0


def _accounts_choosing(session, policy_id):
    """Accounts with running clocks in conversations a rule put on this policy (conversations.sla_policy_id)."""
    return set(session.scalars(sa.select(Conversation.account_id).distinct().where(
        Conversation.sla_policy_id == policy_id, Conversation.sla_started_at.is_not(None))))


def assign_policy(session, account, policy, channel="public"):
    """Make `account`'s conversations of `channel` follow `policy` (None: the default for that channel).
    Returns clocks recomputed."""
    column = ASSIGNMENTS[channel]
    new_id = policy.id if policy is not None else None
    old_id = getattr(account, column)
    if old_id == new_id:
        return 0
    setattr(account, column, new_id)
    session.flush()
    moved = recompute_accounts(session, [account.id])
    record("account.sla_policy", target=account,
           data={"channel": channel, "from": old_id, "to": new_id, "recomputed": moved})
    return moved
