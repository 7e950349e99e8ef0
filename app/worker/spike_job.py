"""The spike-alert job: every minute, under a lease, raise the spikes that started and end those that are over.

Only one worker checks at a time (the "spike-alerts" lease); the unique index on open alerts would refuse
a second raise anyway, and an end only applies to an alert still open, so each is announced once.
"""
from app.alerts import SpikeSettings, check_spikes
from app.database import write_intent
from app.extensions import db
from app.worker.leases import claim_job

LEASE_NAME = "spike-alerts"
LEASE_SECONDS = 120  # a checking worker that dies hands over after this long


def run_spike_job(app, owner, *, now=None):
    """Periodic worker job (app/worker/jobs.py): check the spikes if this worker holds the lease."""
    session = db.session
    session.commit()  # end the caller's transaction, so the next begins with SQLite's write lock
    with write_intent():
        if not claim_job(session, LEASE_NAME, owner, LEASE_SECONDS, now=now):
            return None
    with write_intent():
        changes = check_spikes(session, SpikeSettings.from_config(app.config), now=now)
        session.commit()
    return changes
