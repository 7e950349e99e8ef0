"""The SLA sweep: moves running clocks ok -> warning -> breached when their due times pass.

Each transition happens, and is published (`sla.changed`), exactly once per clock:

- Only one worker sweeps at a time: the job holds the "sla-sweep" lease (app/worker/leases.py).
- Even if two sweeps overlap (a lease ran out mid-sweep), each move is a conditional
  UPDATE (… WHERE the state is still one that is due), so exactly one of them changes a given
  clock, and only the one that changed it publishes, in the same transaction. A crash before the
  commit loses the change and its event together; the next sweep redoes both.

Cost follows the number of clocks that change, not the number of open conversations: due
clocks are found through the partial indexes on warn_at and breach_at (only running,
unflagged clocks are in them), and every further statement touches those rows only.

A clock already past its breach time when first swept goes straight to breached (one event,
from "ok"): nobody needs a warning about a post that is already late.

The conversation row mirrors its running clock (sla_state, due times), so the sweep moves
the conversations first and then their clocks: the order in which ingest and replies lock the
same rows, so a sweep and a reply never deadlock (one waits for the other's short transaction,
then re-checks its conditions). Events carry plain rows as the UPDATEs returned them: building
ORM objects for a thousand conversations would be most of the sweep's cost.
"""
import logging
from dataclasses import dataclass
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.orm import scoped_session

from app import events
from app.batch_sql import among
from app.database import write_intent
from app.extensions import db
from app.models import Contact, Conversation, SlaClock, utcnow
from app.serialize import conversation_summary
from app.sla.state import clock_dict
from app.worker.leases import claim_job

log = logging.getLogger(__name__)

LEASE_NAME = "sla-sweep"
LEASE_SECONDS = 30  # a sweeping worker that dies hands over after this long
BATCH = 1000  # clocks per transaction
MAX_BATCHES = 20  # per run, so a huge backlog cannot hold the lease forever


@dataclass(frozen=True)
class Transition:
    clock_id: int
    conversation_id: int
    from_state: str
    to_state: str
    clock: object = None  # the clock's row as the UPDATE left it
    conversation: object = None  # the conversation's row as the UPDATE left it, with its contact


def run_sweep_job(app, owner):
    """Periodic worker job (app/worker/jobs.py): sweep if this worker holds the sweep lease."""
    session = db.session
    with write_intent():
        if not claim_job(session, LEASE_NAME, owner, LEASE_SECONDS):
            return None
    return sweep(session)


def sweep(session, *, now=None, batch=BATCH, max_batches=MAX_BATCHES):
    """Flag every clock due now. Commits per batch (ending the caller's transaction first, so each
    batch starts with SQLite's write lock); returns the transitions this call made."""
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
    """One batch of transitions in the caller's transaction (the caller commits; events go out then)."""
    if isinstance(session, scoped_session):
        session = session()  # the Session itself: a thousand lookups through the proxy add up
    made = _flag(session, "breached", now, limit)
    made += _flag(session, "warning", now, limit - len(made))
    if made:
        _publish(session, made)
    return made


def _due(to_state, now):
    """Clocks due to move to `to_state` (the WHERE clause matches the partial index for that move)."""
    if to_state == "breached":
        return sa.and_(SlaClock.stopped_at.is_(None), SlaClock.state != "breached", SlaClock.breach_at <= now)
    return sa.and_(SlaClock.stopped_at.is_(None), SlaClock.state == "ok", SlaClock.warn_at <= now,
                   SlaClock.breach_at > now)


def _conversation_due(to_state, now):
    """The same test on the conversation's mirror of its running clock."""
    c = Conversation
    if to_state == "breached":
        return sa.and_(c.sla_state.in_(("ok", "warning")), c.sla_breach_at <= now)
    return sa.and_(c.sla_state == "ok", c.sla_warn_at <= now, c.sla_breach_at > now)


def _flag(session, to_state, now, limit):
    """Find due clocks, move their conversations, then the clocks. Returns the Transitions made.

    Conversations are updated before their clocks: the lock order of ingest and replies, so a
    sweep and a reply never deadlock. Both UPDATEs are conditional: a concurrent sweep that got
    there first has changed the rows and this one matches none of them.
    """
    if limit <= 0:
        return []
    due_col = SlaClock.breach_at if to_state == "breached" else SlaClock.warn_at
    candidates = session.scalars(
        sa.select(SlaClock.conversation_id).where(_due(to_state, now)).order_by(due_col).limit(limit)
    ).all()
    if not candidates:
        return []
    conversations = {
        row.id: SimpleNamespace(**row._mapping) for row in session.execute(
            sa.update(Conversation).where(among(session, Conversation.id, candidates), _conversation_due(to_state, now))
            .values(sla_state=to_state).returning(*Conversation.__table__.c)
            .execution_options(synchronize_session=False)
        )
    }
    if not conversations:
        return []
    values = {"state": to_state, "breached_at" if to_state == "breached" else "warned_at": now}
    clocks = session.execute(
        sa.update(SlaClock).where(among(session, SlaClock.conversation_id, conversations), _due(to_state, now))
        .values(**values).returning(*SlaClock.__table__.c)
        .execution_options(synchronize_session=False)
    ).all()
    _attach_contacts(session, conversations.values())
    # warned_at is set only by the warning move: a breached clock without it came straight from ok.
    return [
        Transition(r.id, r.conversation_id, "ok" if to_state == "warning" or r.warned_at is None else "warning",
                   to_state, clock=r, conversation=conversations[r.conversation_id])
        for r in clocks
    ]


def _attach_contacts(session, conversations):
    """The events carry each conversation's contact: read them all in one query."""
    wanted = {c.contact_id for c in conversations}
    contacts = {row.id: SimpleNamespace(**row._mapping) for row in session.execute(
        sa.select(*Contact.__table__.c).where(among(session, Contact.id, wanted)))}
    for conv in conversations:
        conv.contact = contacts[conv.contact_id]


def _publish(session, made):
    for t in made:
        events.publish(session, "sla.changed", {
            "conversation": conversation_summary(t.conversation),
            "clock": clock_dict(t.clock),
            "from": t.from_state,
            "to": t.to_state,
        })
