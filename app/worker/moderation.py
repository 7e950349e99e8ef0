"""The pending-moderation job: every few seconds, under a lease, do the network actions rules asked for.

One worker at a time holds the "moderation-pending" lease (app/worker/leases.py); a run stops well within
it, so a slow network cannot let a second worker start on the same rows. A worker that dies mid-run hands
over when the lease runs out, and the rows it had not recorded are done again (app/moderation/pending.py).
"""
from app.database import write_intent
from app.extensions import db
from app.moderation import run_pending
from app.worker.leases import claim_job

LEASE_NAME = "moderation-pending"
LEASE_SECONDS = 60


def run_pending_moderation_job(app, owner):
    """Periodic worker job (app/worker/jobs.py)."""
    session = db.session
    with write_intent():
        if not claim_job(session, LEASE_NAME, owner, LEASE_SECONDS):
            return None
    return run_pending(session, time_budget=LEASE_SECONDS / 3)
