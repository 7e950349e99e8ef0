"""Database leases: how several workers share work without doing any of it twice.

A lease is taken with one conditional UPDATE (… WHERE lease_until < now): the
database lets exactly one worker's UPDATE match, on SQLite and PostgreSQL
alike. A worker that dies simply stops renewing; its lease runs out and
another worker takes over.
"""
import logging
import threading
from datetime import timedelta

import sqlalchemy as sa

from app.database import insert_for
from app.models import JobLease, SocialAccount, utcnow

log = logging.getLogger(__name__)


def claim_account(session, account_id, owner, seconds, *, now=None):
    """Take the poll lease of a due account. True when this worker now owns it."""
    now = now or utcnow()
    result = session.execute(
        sa.update(SocialAccount)
        .where(
            SocialAccount.id == account_id,
            SocialAccount.enabled.is_(True),
            SocialAccount.next_poll_at.is_not(None),
            SocialAccount.next_poll_at <= now,
            sa.or_(SocialAccount.lease_until.is_(None), SocialAccount.lease_until < now),
        )
        .values(lease_owner=owner, lease_until=now + timedelta(seconds=seconds))
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def renew_account(session, account_id, owner, seconds):
    result = session.execute(
        sa.update(SocialAccount)
        .where(SocialAccount.id == account_id, SocialAccount.lease_owner == owner, SocialAccount.lease_until >= utcnow())
        .values(lease_until=utcnow() + timedelta(seconds=seconds))
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


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


class LeaseKeeper:
    """Renews an account lease from a side thread while a long poll runs; `.lost` tells if it slipped away."""

    def __init__(self, app, account_id, owner, seconds):
        self.app, self.account_id, self.owner, self.seconds = app, account_id, owner, seconds
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{account_id}", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self):
        from app.extensions import db

        while not self._stop.wait(self.seconds / 3):
            with self.app.app_context():
                try:
                    if not renew_account(db.session, self.account_id, self.owner, self.seconds):
                        self.lost = True
                        return
                except Exception:  # a database hiccup must not end the renewals: try again at the next beat
                    log.warning("could not renew the lease on account %s", self.account_id, exc_info=True)
                    db.session.rollback()
                finally:
                    db.session.remove()
