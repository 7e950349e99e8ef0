"""The spike job's reads and writes: every account's window counts in one grouped query, and alerts raised
or ended by conditional statements (the unique open index makes a second raise a no-op, the state check a
second end)."""
from datetime import timedelta

import sqlalchemy as sa

from app.alerts.rules import Counts
from app.batch_sql import among
from app.database import insert_for
from app.models import Alert, Message, SocialAccount

WINDOW = timedelta(minutes=15)
HISTORY_DAYS = 7
RECENT_WINDOWS = 4  # the hour before the last window: what is usual for an account connected today


def windows(now, *, window=WINDOW, days=HISTORY_DAYS, recent=RECENT_WINDOWS):
    """[(start, end)]: the last `window` up to now, the same window on each of the `days` days before, then
    the `recent` windows just before the last one (rules.known_history reads them in this order)."""
    same_time = [(now - timedelta(days=d) - window, now - timedelta(days=d)) for d in range(days + 1)]
    return same_time + [(now - window * (n + 1), now - window * n) for n in range(1, recent + 1)]


def watched_accounts(session):
    """{account id: when it was connected} of the enabled accounts, and of those with an open alert (so it
    can end after the account was disabled)."""
    with_open_alert = sa.select(Alert.account_id).where(Alert.state == "open")
    return dict(session.execute(sa.select(SocialAccount.id, SocialAccount.created_at).where(
        sa.or_(SocialAccount.enabled.is_(True), SocialAccount.id.in_(with_open_alert)))).all())


def window_counts(session, account_ids, spans):
    """{account id: [Counts of each of `spans`]}.

    One query: each inbound message is bucketed by the window it falls in and counted per account and
    bucket; the index on (account_id, created_at) serves each window's range."""
    if not account_ids:
        return {}
    created = Message.created_at
    bucket = sa.case(*[((created >= start) & (created < end), n) for n, (start, end) in enumerate(spans)])
    negative = sa.func.sum(sa.case((Message.sentiment == "negative", 1), else_=0))
    rows = session.execute(
        sa.select(Message.account_id, bucket.label("bucket"), sa.func.count(), negative)
        .where(among(session, Message.account_id, account_ids), Message.direction == "inbound",
               sa.or_(*[(created >= start) & (created < end) for start, end in spans]))
        .group_by(Message.account_id, bucket)
    )
    counts = {account_id: [Counts() for _ in spans] for account_id in account_ids}
    for account_id, n, total, negatives in rows:
        counts[account_id][int(n)] = Counts(int(total), int(negatives or 0))
    return counts


def open_alerts(session):
    """{(account id, kind): Alert} of every open alert."""
    return {(a.account_id, a.kind): a for a in session.scalars(sa.select(Alert).where(Alert.state == "open"))}


def raise_alert(session, account_id, decision, window_start, window_end, now):
    """Insert the open alert unless one of its kind is already open on the account: the Alert, or None."""
    alert_id = session.execute(
        insert_for(session, Alert)
        .values(account_id=account_id, kind=decision.kind, state="open", observed=float(decision.observed),
                baseline=float(decision.baseline), window_start=window_start, window_end=window_end,
                created_at=now)
        .on_conflict_do_nothing(index_elements=["account_id", "kind"], index_where=sa.text("state = 'open'"))
        .returning(Alert.id)
    ).scalar()
    return session.get(Alert, alert_id) if alert_id is not None else None


def end_alert(session, alert, now):
    """End `alert` if it is still open: True when this call ended it."""
    ended = session.execute(
        sa.update(Alert).where(Alert.id == alert.id, Alert.state == "open")
        .values(state="ended", ended_at=now).returning(Alert.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    if ended is None:
        return False
    session.refresh(alert)
    return True
