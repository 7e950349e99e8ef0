"""Database leases: how several workers share work without doing any of it twice.

A lease is taken with one conditional UPDATE (… WHERE lease_until < now): the
database lets exactly one worker's UPDATE match, on SQLite and PostgreSQL
alike. A worker that dies simply stops renewing; its lease runs out and
another worker takes over.

Accounts are claimed in batches (`claim_due`): one UPDATE … RETURNING takes the
leases of the most overdue free accounts and reads back what their polls need,
so a poll costs no query of its own before it reaches the network. On
PostgreSQL the candidates are picked FOR UPDATE SKIP LOCKED: workers claiming at
the same moment take different accounts instead of queueing on the same rows.
On SQLite the caller holds the write lock (`write_intent()`), which serialises
claims.
"""
import logging
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.database import insert_for
from app.extensions import db
from app.models import JobLease, SocialAccount, utcnow

log = logging.getLogger(__name__)

POLLED_NETWORKS = ("twitter", "facebook", "instagram")  # the networks with a connector (app/connectors); custom ones push


@dataclass(frozen=True)
class Claim:
    """An account whose poll lease this worker now holds, with what its poll needs."""

    account_id: int
    due: datetime  # the next_poll_at it was claimed at: when this poll was scheduled to start
    network: str
    name: str
    external_id: str | None
    handle: str | None
    api_base_url: str | None
    credentials_encrypted: str
    cursor: dict


_CLAIM_COLUMNS = (
    SocialAccount.id, SocialAccount.next_poll_at, SocialAccount.network, SocialAccount.name,
    SocialAccount.external_id, SocialAccount.handle, SocialAccount.api_base_url,
    SocialAccount.credentials_encrypted, SocialAccount.cursor,
)


def _due_and_free(now):
    return (
        SocialAccount.enabled.is_(True),
        SocialAccount.network.in_(POLLED_NETWORKS),
        SocialAccount.next_poll_at.is_not(None),
        SocialAccount.next_poll_at <= now,
        sa.or_(SocialAccount.lease_until.is_(None), SocialAccount.lease_until < now),
    )


def _claim(session, where, owner, seconds, now):
    rows = session.execute(
        sa.update(SocialAccount)
        .where(*where, *_due_and_free(now))
        .values(lease_owner=owner, lease_until=now + timedelta(seconds=seconds))
        .returning(*_CLAIM_COLUMNS)
        .execution_options(synchronize_session=False)
    ).all()
    session.commit()
    return [Claim(row[0], row[1], *row[2:8], dict(row[8] or {})) for row in rows]


def claim_account(session, account_id, owner, seconds, *, now=None):
    """Take the poll lease of one account if it is due and free: its Claim, or None."""
    claims = _claim(session, [SocialAccount.id == account_id], owner, seconds, now or utcnow())
    return claims[0] if claims else None


def claim_due(session, owner, seconds, limit, *, now=None):
    """Take the leases of up to `limit` due, free accounts, the most overdue first. Their Claims.

    On SQLite, call it inside `write_intent()`.
    """
    now = now or utcnow()
    candidates = (
        sa.select(SocialAccount.id).where(*_due_and_free(now))
        .order_by(SocialAccount.next_poll_at).limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite renders nothing (its write lock serialises)
    )
    claims = _claim(session, [SocialAccount.id.in_(candidates.scalar_subquery())], owner, seconds, now)
    return sorted(claims, key=lambda c: c.due)


def earliest_due(session):
    """When the next account becomes claimable: its next_poll_at, or the end of a lease still held on it."""
    free_at = sa.case((SocialAccount.lease_until > SocialAccount.next_poll_at, SocialAccount.lease_until),
                      else_=SocialAccount.next_poll_at)
    when = session.scalar(
        sa.select(sa.func.min(free_at)).where(
            SocialAccount.enabled.is_(True), SocialAccount.network.in_(POLLED_NETWORKS),
            SocialAccount.next_poll_at.is_not(None),
        )
    )
    session.commit()
    if isinstance(when, str):  # SQLite hands back MIN() over a CASE as its stored text
        when = SocialAccount.next_poll_at.type.process_result_value(datetime.fromisoformat(when), None)
    return when


def renew_accounts(session, account_ids, owner, seconds):
    """Extend this worker's leases on `account_ids`; returns the ids it still held (the others are lost)."""
    now = utcnow()
    renewed = session.scalars(
        sa.update(SocialAccount)
        .where(SocialAccount.id.in_(list(account_ids)), SocialAccount.lease_owner == owner,
               SocialAccount.lease_until >= now)
        .values(lease_until=now + timedelta(seconds=seconds))
        .returning(SocialAccount.id)
        .execution_options(synchronize_session=False)
    ).all()
    session.commit()
    return set(renewed)


def release_all(session, owner):
    """On shutdown: hand every lease back at once instead of letting them time out."""
    session.execute(
        sa.update(SocialAccount).where(SocialAccount.lease_owner == owner)
        .values(lease_owner=None, lease_until=None).execution_options(synchronize_session=False)
    )
    session.execute(
        sa.update(JobLease).where(JobLease.owner == owner)
        .values(owner=None, lease_until=None).execution_options(synchronize_session=False)
    )
    session.commit()


def claim_job(session, name, owner, seconds, *, now=None):
    """Take (or keep) the named singleton-job lease. True when this worker owns it until now + seconds."""
    now = now or utcnow()
    until = now + timedelta(seconds=seconds)
    result = session.execute(
        sa.update(JobLease)
        .where(JobLease.name == name, sa.or_(JobLease.lease_until.is_(None), JobLease.lease_until < now, JobLease.owner == owner))
        .values(owner=owner, lease_until=until)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 0:
        exists = session.execute(sa.select(JobLease.name).where(JobLease.name == name)).first()
        if exists is None:
            inserted = session.execute(
                insert_for(session, JobLease).on_conflict_do_nothing(index_elements=["name"]).returning(JobLease.name),
                [{"name": name, "owner": owner, "lease_until": until}],
            ).first()
            session.commit()
            return inserted is not None
    session.commit()
    return result.rowcount == 1


class Hold:
    """One poll's hold on its account's lease; `lost` turns True if a renewal found it gone."""

    def __init__(self, account_id):
        self.account_id = account_id
        self.lost = False


class LeaseKeeper:
    """Renews the leases of every poll in progress, in one UPDATE every lease/3 seconds, from one side thread.

    A poll longer than the lease keeps its account; a poll whose lease slipped away (the worker
    stalled past it, another took over) learns it from `hold.lost` and stores nothing. One
    keeper serves a whole worker, so 1,000 short polls cost no thread and no query each.

        with LeaseKeeper(app, owner, seconds) as keeper:
            with keeper.holding(account_id) as hold:
                ...  # the fetch
            if hold.lost: ...
    """

    def __init__(self, app, owner, seconds):
        self.app, self.owner, self.seconds = app, owner, seconds
        self._holds = {}  # account id -> Hold
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self._run, name="lease-keeper", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @contextmanager
    def holding(self, account_id):
        hold = Hold(account_id)
        with self._lock:
            self._holds[account_id] = hold
        try:
            yield hold
        finally:
            with self._lock:
                self._holds.pop(account_id, None)

    def _run(self):
        while not self._stop.wait(self.seconds / 3):
            with self._lock:
                holds = dict(self._holds)
            if not holds:
                continue
            with self.app.app_context():
                try:
                    renewed = renew_accounts(db.session, holds, self.owner, self.seconds)
                except Exception:  # a database hiccup must not end the renewals: try again at the next beat
                    log.warning("could not renew the leases on %d accounts", len(holds), exc_info=True)
                    db.session.rollback()
                    continue
                finally:
                    db.session.remove()
            for account_id, hold in holds.items():
                if account_id not in renewed:
                    hold.lost = True
