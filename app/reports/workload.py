"""Per-agent workload: what each person holds now and what they answered today.

"Today" starts at local midnight in the time zone the manager's browser gives (UTC otherwise).
Answers are clocks stopped by that person's reply from Carebox; the median is of their
response times (business seconds).
"""
from datetime import datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.models import Conversation, SlaClock, User, isoformat, utcnow
from app.reports.stats import percentile


def workload(session, *, tz_name="UTC", now=None):
    now = now or utcnow()
    tz = ZoneInfo(tz_name)
    since = datetime.combine(now.astimezone(tz).date(), time(0), tzinfo=tz).astimezone(ZoneInfo("UTC"))
    held = {
        row.assignee_id: row for row in session.execute(
            sa.select(
                Conversation.assignee_id,
                sa.func.count().label("open"),
                sa.func.sum(sa.case((Conversation.sla_breach_at <= now, 1), else_=0)).label("breached"),
            )
            .where(Conversation.status != "resolved", Conversation.assignee_id.is_not(None),
                   Conversation.is_spam.is_(False))
            .group_by(Conversation.assignee_id)
        )
    }
    answers = {}
    for user_id, seconds in session.execute(
        sa.select(SlaClock.answered_by_user_id, SlaClock.response_seconds)
        .where(SlaClock.stopped_at >= since, SlaClock.stop_reason == "reply", SlaClock.answered_by_user_id.is_not(None))
    ):
        answers.setdefault(user_id, []).append(seconds)
    items = []
    for user in session.scalars(sa.select(User).where(User.is_active.is_(True)).order_by(User.name, User.id)):
        mine = held.get(user.id)
        times = answers.get(user.id, [])
        items.append({
            "user_id": user.id, "name": user.name, "role": user.role, "is_available": user.is_available,
            "open_assigned": int(mine.open) if mine else 0,
            "breached_assigned": int(mine.breached or 0) if mine else 0,
            "answered_today": len(times),
            "median_response_seconds": percentile(times, 0.5),
        })
    return {"as_of": isoformat(now), "since": isoformat(since), "items": items}
