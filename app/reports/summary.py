"""The live SLA picture: counts now per account and network, the clocks nearest to breach, pollers.

States follow the inbox (app/sla/state.py): a running clock is breached, else paused when its
account's business hours are closed now, else warning or ok by its due times. Counts come from
one grouped query over unresolved conversations; spam is left out.
"""
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.models import Conversation, SocialAccount, isoformat, utcnow
from app.reports.pollers import poller_dict, stall_after
from app.reports.response_times import Range, figures, load_clocks
from app.serialize import contact_dict
from app.sla.policies import effective_policy
from app.sla.state import clock_view

COUNT_KEYS = ("open", "pending", "unassigned", "running", "ok", "warning", "breached", "paused")


def _zero():
    return dict.fromkeys(COUNT_KEYS, 0)


def _count_rows(session, now):
    c = Conversation
    running = c.sla_started_at.is_not(None)

    def total(cond):
        return sa.func.sum(sa.case((cond, 1), else_=0))

    stmt = (
        sa.select(
            c.account_id,
            total(c.status == "open").label("open"),
            total(c.status == "pending").label("pending"),
            total(c.assignee_id.is_(None)).label("unassigned"),
            total(running).label("running"),
            total(sa.and_(running, c.sla_breach_at <= now)).label("breached"),
            total(sa.and_(running, c.sla_warn_at <= now, c.sla_breach_at > now)).label("warning"),
        )
        .where(c.status != "resolved", c.is_spam.is_(False))
        .group_by(c.account_id)
    )
    return {row.account_id: row for row in session.execute(stmt)}


def _account_counts(session, account, row, now):
    counts = _zero()
    if row is None:
        return counts
    for key in ("open", "pending", "unassigned", "running", "breached", "warning"):
        counts[key] = int(getattr(row, key) or 0)
    not_breached = counts["running"] - counts["breached"]
    schedule = effective_policy(session, account.id, "public").schedule
    if schedule is not None and not schedule.status(now)[0]:
        counts["paused"], counts["warning"] = not_breached, 0
    else:
        counts["ok"] = not_breached - counts["warning"]
    return counts


def at_risk(session, limit, now):
    """Running clocks on unresolved conversations, nearest to breach first (breached ones lead, most overdue first)."""
    if limit <= 0:
        return []
    convs = session.scalars(
        sa.select(Conversation)
        .where(Conversation.status != "resolved", Conversation.sla_breach_at.is_not(None),
               Conversation.is_spam.is_(False))
        .order_by(Conversation.sla_breach_at, Conversation.id).limit(limit)
        .options(selectinload(Conversation.contact), selectinload(Conversation.assignee))
    ).all()
    items = []
    for conv in convs:
        view = clock_view(conv, now, session)
        items.append({
            "conversation_id": conv.id, "account_id": conv.account_id, "network": conv.network,
            "contact": contact_dict(conv.contact), "snippet": conv.snippet,
            "assignee": {"id": conv.assignee.id, "name": conv.assignee.name} if conv.assignee else None,
            "sla": view,
        })
    return items


def summary(session, *, window_hours=24, at_risk_limit=25, now=None):
    now = now or utcnow()
    rows = _count_rows(session, now)
    limit = stall_after()
    accounts, totals, networks = [], _zero(), {}
    for account in session.scalars(sa.select(SocialAccount).order_by(SocialAccount.name, SocialAccount.id)):
        counts = _account_counts(session, account, rows.get(account.id), now)
        for key, value in counts.items():
            totals[key] += value
            networks.setdefault(account.network, _zero())[key] += value
        accounts.append({
            "id": account.id, "name": account.name, "network": account.network, "enabled": account.enabled,
            "policy": effective_policy(session, account.id, "public").ref(),
            "counts": counts, "poller": poller_dict(account, now, limit),
        })
    window = Range.between(now - timedelta(hours=window_hours), now)
    attainment = figures(load_clocks(session, window, now=now))
    return {
        "as_of": isoformat(now),
        "totals": totals,
        "accounts": accounts,
        "networks": [{"network": n, "counts": c} for n, c in sorted(networks.items())],
        "at_risk": at_risk(session, at_risk_limit, now),
        "stalled_accounts": [a["id"] for a in accounts if a["poller"]["stalled"]],
        "attainment": {"window_hours": window_hours, "since": isoformat(now - timedelta(hours=window_hours)),
                       **attainment},
    }
