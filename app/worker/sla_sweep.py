"""The SLA sweep job: every few seconds, under a lease, move the clocks that fell due and announce each move.

Only one worker sweeps at a time: the job holds the "sla-sweep" lease (app/worker/leases.py). Each batch
of moves (app/sla/sweep.py) and its `sla.changed` events commit together, so a move is announced once.

Events are built by the shared serialisers (conversation_summary(), clock_dict()) from the rows the
UPDATEs return, held in namedtuples: ORM objects for a thousand conversations, or SQLAlchemy's Row
attribute access, would be most of the sweep's cost.
"""
import logging
from collections import namedtuple

import sqlalchemy as sa

from app import events
from app.batch_sql import among
from app.database import write_intent
from app.extensions import db
from app.models import Contact, Conversation, utcnow
from app.serialize import conversation_summary
from app.sla.state import clock_dict
from app.sla.sweep import flag_due
from app.worker.leases import claim_job

log = logging.getLogger(__name__)

LEASE_NAME = "sla-sweep"
LEASE_SECONDS = 30  # a sweeping worker that dies hands over after this long
BATCH = 1000  # clocks per transaction
MAX_BATCHES = 20  # per run, so a huge backlog cannot hold the lease forever

CONVERSATIONS, CONTACTS = Conversation.__table__, Contact.__table__
ConversationRow = namedtuple("ConversationRow", CONVERSATIONS.c.keys() + ["contact"])
CONTACT_COLUMNS = [CONTACTS.c[name] for name in
                   ("id", "external_id", "handle", "name", "followers_count", "profile_url")]
ContactRow = namedtuple("ContactRow", [c.name for c in CONTACT_COLUMNS])


def run_sweep_job(app, owner):
    """Periodic worker job (app/worker/jobs.py): sweep if this worker holds the sweep lease."""
    session = db.session
    with write_intent():
        if not claim_job(session, LEASE_NAME, owner, LEASE_SECONDS):
            return None
    return sweep(session)


def sweep(session, *, now=None, batch=BATCH, max_batches=MAX_BATCHES):
    """Flag and announce every clock due now. Commits per batch (ending the caller's transaction first,
    so each batch starts with SQLite's write lock); returns the transitions this call made."""
    session.commit()
    done = []
    for _ in range(max_batches):
        with write_intent():
            made = sweep_batch(session, now=now or utcnow(), limit=batch)
            session.commit()
        done += made
        if len(made) < batch:
            break
    if done:
        log.info("sla sweep: %d transition(s)", len(done))
    return done


def sweep_batch(session, *, now, limit=BATCH):
    """One batch of moves and their events in the caller's transaction (the caller commits; events go out then)."""
    made = flag_due(session, now=now, limit=limit)
    if made:
        _publish(session, made)
    return made


def _publish(session, made):
    """One sla.changed per transition, serialised as everywhere else from the rows in hand."""
    contacts = _contacts(session, {t.conversation.contact_id for t in made})
    for t in made:
        conversation = ConversationRow(*t.conversation, contacts[t.conversation.contact_id])
        events.publish(session, "sla.changed", {
            "conversation": conversation_summary(conversation),
            "clock": clock_dict(t.clock),
            "from": t.from_state,
            "to": t.to_state,
        })


def _contacts(session, ids):
    """The events carry each conversation's contact: read them all in one query."""
    rows = session.execute(sa.select(*CONTACT_COLUMNS).where(among(session, CONTACTS.c.id, ids)))
    return {contact.id: contact for contact in map(ContactRow._make, rows)}
