"""The live SLA picture: counts now per account and network, the clocks nearest to breach, pollers.

States follow the inbox (app/sla/state.py): a running clock is breached, else paused when its
account's business hours are closed now, else warning or ok by its due times. Counts come from
one grouped query over unresolved conversations (by account and channel kind); spam is left out.
Beside every set of counts (totals, each account, each network), `channels` holds the same counts for
public and for private conversations.
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
from app.vocabulary import CHANNELS

COUNT_KEYS = ("open", "pending", "unassigned", "running", "ok", "warning", "breached", "paused")


def _zero():
    return dict.fromkeys(COUNT_KEYS, 0)


class SplitCounts:
    """Counts and the same counts per channel kind, added up channel by channel."""

    def __init__(self):
        self.counts = _zero()
        self.channels = {channel: _zero() for channel in CHANNELS}

    def add(self, counts, channel):
        for key in COUNT_KEYS:
            self.counts[key] += counts[key]
            self.channels[channel][key] += counts[key]

    def add_all(self, other):
        for channel in CHANNELS:
            self.add(other.channels[channel], channel)


def _count_rows(session, now):
    c = Conversation
    running = c.sla_started_at.is_not(None)

    def total(cond):
        return sa.func.sum(sa.case((cond, 1), else_=0))

    stmt = (
        sa.select(
            c.account_id,
            c.channel,
            total(c.status == "open").label("open"),
            total(c.status == "pending").label("pending"),
            total(c.assignee_id.is_(None)).label("unassigned"),
            total(running).label("running"),
            total(sa.and_(running, c.sla_breach_at <= now)).label("breached"),
            total(sa.and_(running, c.sla_warn_at <= now, c.sla_breach_at > now)).label("warning"),
        )
        .where(c.status != "resolved", c.is_spam.is_(False))
        .group_by(c.account_id, c.channel)
    )
    rows = {}
    for row in session.execute(stmt):
        rows.setdefault(row.account_id, {})[row.channel] = row
    return rows


def _channel_counts(row, closed_now):
    counts = _zero()
    if row is None:
        return counts
    for key in ("open", "pending", "unassigned", "running", "breached", "warning"):
        counts[key] = int(getattr(row, key) or 0)
    not_breached = counts["running"] - counts["breached"]
    if closed_now:
        counts["paused"], counts["warning"] = not_breached, 0
    else:
        counts["ok"] = not_breached - counts["warning"]
    return counts


def _account_counts(session, account, rows_by_channel, now):
    """The account's SplitCounts (rows_by_channel: channel -> grouped row)."""
    counts = SplitCounts()
    if not rows_by_channel:
        return counts
    for channel in CHANNELS:  # each channel's clocks pause by the business hours of its own policy
        schedule = effective_policy(session, account.id, channel).schedule
        closed_now = schedule is not None and not schedule.status(now)[0]
        counts.add(_channel_counts(rows_by_channel.get(channel), closed_now), channel)
    return counts


def at_risk(session, limit, now, channel=None):
    """Running clocks on unresolved conversations, nearest to breach first (breached ones lead, most overdue
    first); with `channel`, only those of that channel kind."""
    if limit <= 0:
        return []
    stmt = (
        sa.select(Conversation)
        .where(Conversation.status != "resolved", Conversation.sla_breach_at.is_not(None),
               Conversation.is_spam.is_(False))
        .order_by(Conversation.sla_breach_at, Conversation.id).limit(limit)
        .options(selectinload(Conversation.contact), selectinload(Conversation.assignee))
    )
    if channel:
        stmt = stmt.where(Conversation.channel == channel)
    convs = session.scalars(stmt).all()
    items = []
    for conv in convs:
        view = clock_view(conv, now, session)
        items.append({
            "conversation_id": conv.id, "account_id": conv.account_id, "network": conv.network,
            "channel": conv.channel,
            "contact": contact_dict(conv.contact), "snippet": conv.snippet,
            "assignee": {"id": conv.assignee.id, "name": conv.assignee.name} if conv.assignee else None,
            "sla": view,
        })
    return items


def summary(session, *, window_hours=24, at_risk_limit=25, channel=None, now=None):
    """The whole picture. Counts always carry both channel kinds; `channel` narrows the at-risk list (which is
    cut at `at_risk_limit`, so a filtered list cannot be made from the unfiltered one)."""
    now = now or utcnow()
    rows = _count_rows(session, now)
    limit = stall_after()
    accounts, totals, networks = [], SplitCounts(), {}
    for account in session.scalars(sa.select(SocialAccount).order_by(SocialAccount.name, SocialAccount.id)):
        counts = _account_counts(session, account, rows.get(account.id), now)
        totals.add_all(counts)
        networks.setdefault(account.network, SplitCounts()).add_all(counts)
        accounts.append({
            "id": account.id, "name": account.name, "network": account.network, "enabled": account.enabled,
            "policy": effective_policy(session, account.id, "public").ref(),
            "private_policy": effective_policy(session, account.id, "private").ref(),
            "counts": counts.counts, "channels": counts.channels, "poller": poller_dict(account, now, limit),
        })
    window = Range.between(now - timedelta(hours=window_hours), now)
    attainment = figures(load_clocks(session, window, now=now))
    return {
        "as_of": isoformat(now),
        "totals": totals.counts,
        "channels": totals.channels,
        "accounts": accounts,
        "networks": [{"network": n, "counts": c.counts, "channels": c.channels} for n, c in sorted(networks.items())],
        "at_risk": at_risk(session, at_risk_limit, now, channel),
        "stalled_accounts": [a["id"] for a in accounts if a["poller"]["stalled"]],
        "attainment": {"window_hours": window_hours, "since": isoformat(now - timedelta(hours=window_hours)),
                       **attainment},
    }
