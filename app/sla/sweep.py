"""The SLA sweep: moves running clocks ok -> warning -> breached when their due times pass.

Each transition happens, and is published (`sla.changed`), exactly once per clock:

- Only one worker sweeps at a time: the job holds the "sla-sweep" lease (app/worker/leases.py).
- Even if two sweeps overlap (a lease ran out mid-sweep), each move is a conditional
  UPDATE (… WHERE state = <the state we read>), so exactly one of them changes a given clock,
  and only the one that changed it publishes, in the same transaction. A crash before the
  commit loses the change and its event together; the next sweep redoes both.

Cost follows the number of clocks that change, not the number of open conversations: due
clocks are found through the partial indexes on warn_at and breach_at (only running,
unflagged clocks are in them), and every further statement touches those rows only.

A clock already past its breach time when first swept goes straight to breached (one event,
from "ok"): nobody needs a warning about a post that is already late.

On PostgreSQL the sweep locks the conversations before their clocks, in id order, skipping
any that another transaction holds (an ingest or a reply about to stop that clock): the same
order ingest and replies use, so they never deadlock; a skipped clock is caught next sweep.
"""
import logging
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app import events
from app.database import write_intent
from app.extensions import db
from app.models import Conversation, SlaClock, utcnow
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
    made = _flag(session, "breached", now, limit)
    made += _flag(session, "warning", now, limit - len(made))
    if made:
        _mirror_and_publish(session, made)
    return made


def _due(to_state, now):
    """The WHERE clause of clocks due to move to `to_state` (it matches the partial index for that move)."""
    if to_state == "breached":
        return sa.and_(SlaClock.stopped_at.is_(None), SlaClock.state != "breached", SlaClock.breach_at <= now)
    return sa.and_(SlaClock.stopped_at.is_(None), SlaClock.state == "ok", SlaClock.warn_at <= now,
                   SlaClock.breach_at > now)


def _flag(session, to_state, now, limit):
    if limit <= 0:
        return []
    due_col = SlaClock.breach_at if to_state == "breached" else SlaClock.warn_at
    candidates = session.execute(
        sa.select(SlaClock.id, SlaClock.conversation_id).where(_due(to_state, now)).order_by(due_col).limit(limit)
    ).all()
    if not candidates:
        return []
    conversation_ids = _lock_conversations(session, sorted({c.conversation_id for c in candidates}))
    clock_ids = [c.id for c in candidates if c.conversation_id in conversation_ids]
    if not clock_ids:
        return []
    values = {"state": to_state, "breached_at" if to_state == "breached" else "warned_at": now}
    # The arbiter: only rows still due match, so a concurrent sweep that got here first wins them all.
    rows = session.execute(
        sa.update(SlaClock).where(SlaClock.id.in_(clock_ids), _due(to_state, now)).values(**values)
        .returning(SlaClock.id, SlaClock.conversation_id, SlaClock.warned_at)
        .execution_options(synchronize_session=False)
    ).all()
    # warned_at is set only by the warning move: a breached clock without it came straight from ok.
    return [
        Transition(r.id, r.conversation_id,
                   "ok" if to_state == "warning" or r.warned_at is None else "warning", to_state)
        for r in rows
    ]


def _lock_conversations(session, conversation_ids):
    """PostgreSQL: row-lock these conversations, skipping busy ones. Returns the ids we hold."""
    if session.get_bind().dialect.name != "postgresql":
        return set(conversation_ids)  # SQLite: the whole database is ours (BEGIN IMMEDIATE)
    return set(session.scalars(
        sa.select(Conversation.id).where(Conversation.id.in_(conversation_ids)).order_by(Conversation.id)
        .with_for_update(skip_locked=True)
    ))


def _mirror_and_publish(session, made):
    by_state = {}
    for t in made:
        by_state.setdefault(t.to_state, []).append(t.conversation_id)
    for state, ids in by_state.items():
        session.execute(
            sa.update(Conversation).where(Conversation.id.in_(ids)).values(sla_state=state)
            .execution_options(synchronize_session=False)
        )
    conversations = {
        c.id: c for c in session.scalars(
            sa.select(Conversation).where(Conversation.id.in_([t.conversation_id for t in made]))
            .options(selectinload(Conversation.contact))
            .execution_options(populate_existing=True)
        )
    }
    clocks = {c.id: c for c in session.scalars(
        sa.select(SlaClock).where(SlaClock.id.in_([t.clock_id for t in made]))
        .execution_options(populate_existing=True)
    )}
    for t in made:
        events.publish(session, "sla.changed", {
            "conversation": conversation_summary(conversations[t.conversation_id]),
            "clock": clock_dict(clocks[t.clock_id]),
            "from": t.from_state,
            "to": t.to_state,
        })
