"""Response-time figures over a date range, from stored clocks.

The population is every clock that started in the range (days are local to the report's
time zone). For a set of clocks:

- first_response / next_response: median and p90 of the response time (business seconds)
  of the answered clocks of that kind. Answered = stopped by a reply from Carebox or a
  reply the brand made natively on the network.
- within_30 / within_60: answered within 30 / 60 minutes, as a share of the clocks that
  have had the chance to: every answered clock, plus unanswered ones (resolved without an
  answer, or still running) that were open longer than that. A clock resolved after five
  minutes without an answer (spam, a thank-you) counts in neither.
- breaches: clocks flagged breached.
- by_hour: clocks started per local hour of day (0-23): when customers write.

Every set of figures (the totals, each group, each day) also carries `channels`: the same figures
for the clocks of public conversations and of private ones (direct messages), so a report grouped
by day, agent or account shows both halves of social care side by side.
"""
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _

from app.models import Conversation, SlaClock, SocialAccount, User, utcnow
from app.reports.stats import share, spread
from app.sla.policies import policy_by_id
from app.sla.rules import ANSWER_REASONS, business_seconds
from app.vocabulary import CHANNELS

THRESHOLDS = (30, 60)  # minutes: what customers expect on social media (docs/design.md)


@dataclass(frozen=True)
class Range:
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive
    tz: ZoneInfo
    first_day: object
    last_day: object

    @classmethod
    def of_days(cls, first_day, last_day, tz_name="UTC"):
        tz = ZoneInfo(tz_name)
        start = datetime.combine(first_day, time(0), tzinfo=tz)
        end = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=tz)
        return cls(start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC")), tz, first_day, last_day)

    @classmethod
    def between(cls, start, end, tz_name="UTC"):
        """An exact window of instants (e.g. the last 24 hours)."""
        tz = ZoneInfo(tz_name)
        return cls(start, end, tz, start.astimezone(tz).date(), (end - timedelta(microseconds=1)).astimezone(tz).date())

    def days(self):
        day = self.first_day
        while day <= self.last_day:
            yield day
            day += timedelta(days=1)

    def as_dict(self):
        return {"from": self.first_day.isoformat(), "to": self.last_day.isoformat(), "tz": self.tz.key,
                "start": self.start.isoformat(), "end": self.end.isoformat()}


@dataclass
class ClockRow:
    """A stored clock with the names reports show; `elapsed` is its open business seconds so far."""

    clock: SlaClock
    account: str | None
    network: str | None
    answered_by: str | None
    elapsed: float
    channel: str = "public"  # of the clock's conversation

    @property
    def answered(self):
        return self.clock.stop_reason in ANSWER_REASONS


def load_clocks(session, rng, *, account=None, network=None, channel=None, now=None, after_id=None, limit=None):
    """ClockRows of clocks started in `rng`, oldest first (one query, whatever the filters)."""
    now = now or utcnow()
    stmt = (
        sa.select(SlaClock, SocialAccount.name, SocialAccount.network, User.name, Conversation.channel)
        .join(SocialAccount, SocialAccount.id == SlaClock.account_id)
        .join(Conversation, Conversation.id == SlaClock.conversation_id)
        .outerjoin(User, User.id == SlaClock.answered_by_user_id)
        .where(SlaClock.started_at >= rng.start, SlaClock.started_at < rng.end)
        .order_by(SlaClock.id)
    )
    if account:
        stmt = stmt.where(SlaClock.account_id == account)
    if network:
        stmt = stmt.where(SocialAccount.network == network)
    if channel:
        stmt = stmt.where(Conversation.channel == channel)
    if after_id:
        stmt = stmt.where(SlaClock.id > after_id)
    if limit:
        stmt = stmt.limit(limit)
    rows = []
    for clock, account_name, network_name, answerer, channel_kind in session.execute(stmt):
        rows.append(ClockRow(clock, account_name, network_name, answerer, _elapsed(session, clock, now),
                             channel_kind))
    return rows


def _elapsed(session, clock, now):
    if clock.stopped_at is not None:
        return clock.response_seconds or 0.0
    return business_seconds(policy_by_id(session, clock.policy_id), clock.started_at, now)


def figures(rows):
    """The figures of one set of clocks with the same figures per channel kind (see the module docstring)."""
    out = _figures(rows)
    out["channels"] = {channel: _figures([r for r in rows if r.channel == channel]) for channel in CHANNELS}
    return out


def _figures(rows):
    answered = [r for r in rows if r.answered]
    waiting = [r for r in rows if not r.answered]
    out = {
        "clocks": len(rows),
        "answered": len(answered),
        "unanswered": sum(1 for r in waiting if r.clock.stopped_at is not None),
        "running": sum(1 for r in waiting if r.clock.stopped_at is None),
        "breaches": sum(1 for r in rows if r.clock.state == "breached"),
        "first_response": spread([r.clock.response_seconds for r in answered if r.clock.kind == "first"]),
        "next_response": spread([r.clock.response_seconds for r in answered if r.clock.kind == "next"]),
    }
    for minutes in THRESHOLDS:
        limit = minutes * 60
        met = sum(1 for r in answered if r.clock.response_seconds <= limit)
        eligible = len(answered) + sum(1 for r in waiting if r.elapsed > limit)
        out[f"within_{minutes}"] = share(met, eligible)
        out[f"within_{minutes}_count"] = met
        out[f"within_{minutes}_eligible"] = eligible
    return out


def _group_key(row, group, tz):
    clock = row.clock
    if group == "day":
        day = clock.started_at.astimezone(tz).date().isoformat()
        return day, day
    if group == "account":
        return clock.account_id, row.account or _("Account %(id)s", id=clock.account_id)
    if group == "network":
        return row.network, row.network
    if group == "channel":
        return row.channel, row.channel
    if clock.stop_reason == "reply" and clock.answered_by_user_id is not None:
        return clock.answered_by_user_id, row.answered_by or _("User %(id)s", id=clock.answered_by_user_id)
    if clock.stop_reason == "native_reply":
        return "native", _("Replied natively on the network")
    if clock.stop_reason == "reply":
        return "former", _("Former staff")
    return "unanswered", _("Not answered")


def _group_order(group, g):
    if group == "channel":
        return str(CHANNELS.index(g["key"]))  # public, then private
    return str(g["key"]) if group in ("day", "network") else g["label"].casefold()


def report(session, rng, *, group="day", account=None, network=None, channel=None, now=None):
    """The whole report: totals, one row per group, every day of the range, and volume by hour."""
    rows = load_clocks(session, rng, account=account, network=network, channel=channel, now=now)
    grouped = {}
    for row in rows:
        key, label = _group_key(row, group, rng.tz)
        grouped.setdefault(key, (label, []))[1].append(row)
    by_day = {}
    for row in rows:
        by_day.setdefault(row.clock.started_at.astimezone(rng.tz).date(), []).append(row)
    by_hour = [0] * 24
    for row in rows:
        by_hour[row.clock.started_at.astimezone(rng.tz).hour] += 1
    groups = [{"key": key, "label": label, **figures(members)} for key, (label, members) in grouped.items()]
    groups.sort(key=lambda g: _group_order(group, g))
    return {
        "range": rng.as_dict(),
        "group": group,
        "channel": channel,
        "totals": figures(rows),
        "groups": groups,
        "days": [{"day": d.isoformat(), **figures(by_day.get(d, []))} for d in rng.days()],
        "by_hour": by_hour,
    }
