"""Spike alerts: per account, inbound volume or the share of negative messages in the last 15 minutes
against the same time on the last 7 days; raised once per spike.

`check_spikes` is the worker's periodic pass (app/worker/spike_job.py, under a lease): it reads every
account's counts (store.py), decides with the pure rules (rules.py) and raises or ends alerts, each
announced once with the `alert` event (and so the `alert.spike` webhook when raised). Managers list
and acknowledge them through the API (app/api/alerts.py) and see them on the dashboard.
"""
import logging

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app import events
from app.alerts import store
from app.alerts.rules import SpikeSettings, decide, known_history
from app.audit import record
from app.domain_errors import NotFound
from app.models import Alert, SocialAccount, User, utcnow
from app.permissions import check
from app.serialize import account_dict, alert_dict, user_dict

log = logging.getLogger(__name__)

__all__ = ["SpikeSettings", "acknowledge", "alert_item", "alert_items", "check_spikes", "list_alerts"]


def check_spikes(session, settings, *, now=None):
    """Raise the spikes that started and end those that are over, in the caller's transaction (the caller
    commits; the events go out then). Returns [(Alert, "raised" | "ended")]."""
    now = now or utcnow()
    connected = store.watched_accounts(session)
    spans = store.windows(now)
    counts = store.window_counts(session, list(connected), spans)
    opened = store.open_alerts(session)
    window_start, window_end = spans[0]
    changes = []
    for account_id, found in counts.items():
        latest, history = found[0], known_history(spans, found, connected[account_id], store.HISTORY_DAYS)
        open_kinds = {kind for (owner, kind) in opened if owner == account_id}
        for decision in decide(latest, history, settings, open_kinds):
            if decision.action == "raise":
                alert = store.raise_alert(session, account_id, decision, window_start, window_end, now)
                if alert is not None:
                    changes.append((alert, "raised"))
            elif decision.action == "end":
                alert = opened[(account_id, decision.kind)]
                if store.end_alert(session, alert, now):
                    changes.append((alert, "ended"))
    if changes:
        _announce(session, [alert for alert, _ in changes])
        log.info("spike alerts: %s", ", ".join(f"{a.kind} on account {a.account_id} {what}" for a, what in changes))
    return changes


def _announce(session, alerts):
    accounts = _accounts(session, {a.account_id for a in alerts})
    for alert in alerts:
        events.publish(session, "alert", {"alert": alert_dict(alert), "account": account_dict(accounts[alert.account_id])})


def _accounts(session, ids):
    return {a.id: a for a in session.scalars(sa.select(SocialAccount).where(SocialAccount.id.in_(sorted(ids))))}


def list_alerts(session, *, state=None, account_id=None, limit=50):
    """Open alerts first (newest first), then the most recent ended ones."""
    query = sa.select(Alert)
    if state is not None:
        query = query.where(Alert.state == state)
    if account_id is not None:
        query = query.where(Alert.account_id == account_id)
    open_first = sa.case((Alert.state == "open", 0), else_=1)
    return list(session.scalars(query.order_by(open_first, Alert.created_at.desc(), Alert.id.desc()).limit(limit)))


def alert_item(session, alert, accounts=None, users=None):
    """An alert with its account and who acknowledged it, as the API and the dashboard show it."""
    account = (accounts or {}).get(alert.account_id) or session.get(SocialAccount, alert.account_id)
    acknowledger = None
    if alert.acknowledged_by_id is not None:
        acknowledger = (users or {}).get(alert.acknowledged_by_id) or session.get(User, alert.acknowledged_by_id)
    return {"alert": alert_dict(alert), "account": account_dict(account),
            "acknowledged_by": user_dict(acknowledger) if acknowledger is not None else None}


def alert_items(session, alerts):
    """alert_item for many alerts, their accounts and acknowledgers read in two queries."""
    accounts = _accounts(session, {a.account_id for a in alerts})
    user_ids = sorted({a.acknowledged_by_id for a in alerts if a.acknowledged_by_id is not None})
    users = {u.id: u for u in session.scalars(sa.select(User).where(User.id.in_(user_ids)))} if user_ids else {}
    return [alert_item(session, a, accounts, users) for a in alerts]


def acknowledge(session, alert_id, user):
    """`user` has seen the alert (permission alerts.acknowledge): recorded on it and in the audit trail."""
    check(session, user, "alerts.acknowledge")
    alert = session.get(Alert, alert_id) if 0 < alert_id < 2**63 else None  # a bigint, or no row at all
    if alert is None:
        raise NotFound(_l("There is no alert %(id)s.", id=alert_id))
    if alert.acknowledged_by_id is None:
        alert.acknowledged_by_id = user.id
        record("alert.acknowledged", actor=user, target=alert, data={"kind": alert.kind,
                                                                             "account_id": alert.account_id})
    return alert
