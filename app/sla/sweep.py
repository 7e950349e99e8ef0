"""Which SLA clocks move now, and moving them: ok -> warning -> breached, each exactly once.

Which clock moves where is decided by app/sla/rules.py (`due_transition`); this module finds the
candidates and makes the moves. The worker's sweep job (app/worker/sla_sweep.py) runs it under a lease
and announces each move (`sla.changed`) in the same transaction.

- Even if two sweeps overlap (a lease ran out mid-sweep), each move is a conditional UPDATE (… WHERE
  the state is still one that is due), so exactly one of them changes a given clock, and only the one
  that changed it announces it. A crash before the commit loses the change and its event together;
  the next sweep redoes both.
- Cost follows the number of clocks that change, not the number of open conversations: due clocks are
  found through the partial indexes on warn_at and breach_at (only running, unflagged clocks are in
  them; _state_is() and _running() keep both planners on them), and every further statement reaches
  those rows only, by primary key.
- The conversation row mirrors its running clock (sla_state, due times), so the conversations move
  first and then their clocks: the order in which ingest and replies lock the same rows, so a sweep
  and a reply never deadlock.
"""
from collections import namedtuple
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import scoped_session

from app.batch_sql import among
from app.models import Conversation, SlaClock
from app.sla import rules

CLOCKS, CONVERSATIONS = SlaClock.__table__, Conversation.__table__
# Rows as the UPDATEs return them, with the models' attribute names (what the serialisers read).
ClockRow = namedtuple("ClockRow", CLOCKS.c.keys())


@dataclass(frozen=True)
class Transition:
    clock_id: int
    conversation_id: int
    from_state: str
    to_state: str
    clock: object = None  # the clock's row as the UPDATE left it (a ClockRow)
    conversation: object = None  # the conversation's row as the UPDATE left it


def flag_due(session, *, now, limit):
    """Move up to `limit` clocks that are due at `now`, in the caller's transaction. Returns the Transitions."""
    if isinstance(session, scoped_session):
        session = session()  # the Session itself: a thousand lookups through the proxy add up
    made = _flag(session, "breached", now, limit)
    made += _flag(session, "warning", now, limit - len(made))
    return made


def _state_is(value):
    """The state as a literal, not a bind parameter: a generic plan (PostgreSQL may cache one for a
    statement psycopg has prepared, after five runs) can use the partial index only if it sees the value."""
    return sa.literal_column(f"'{value}'")


def _running(sqlite):
    """`stopped_at IS NULL`, as the due indexes' WHERE clauses say it. SQLite's planner takes any IS NULL
    term for a selective lookup: it walked every running clock through the stopped_at index until that
    index left running clocks out (migration 0002). likely() tells it most clocks pass, so no index on
    stopped_at can lure it off the due index (whose WHERE clause the term still matches)."""
    running = CLOCKS.c.stopped_at.is_(None)
    return sa.func.likely(running) if sqlite else running


def _due(to_state, now, sqlite):
    """Clocks due to move to `to_state` (the WHERE clause matches the partial index for that move)."""
    c = CLOCKS.c
    if to_state == "breached":
        return sa.and_(_running(sqlite), c.state != _state_is("breached"), c.breach_at <= now)
    return sa.and_(_running(sqlite), c.state == _state_is("ok"), c.warn_at <= now, c.breach_at > now)


def _conversation_due(to_state, now):
    """The same test on the conversation's mirror of its running clock."""
    c = CONVERSATIONS.c
    if to_state == "breached":
        return sa.and_(c.sla_state.in_(("ok", "warning")), c.sla_breach_at <= now)
    return sa.and_(c.sla_state == "ok", c.sla_warn_at <= now, c.sla_breach_at > now)


def _flag(session, to_state, now, limit):
    """Find due clocks, let the rules decide their moves, then move their conversations, then the clocks.
    Returns the Transitions made.

    The SQL finds candidates through the partial indexes; `rules.due_transition` decides. Conversations
    are updated before their clocks: the lock order of ingest and replies, so a sweep and a reply never
    deadlock. Both UPDATEs are conditional (still running, still due, not moved yet): a concurrent sweep
    that got there first has changed the rows and this one matches none of them.
    """
    if limit <= 0:
        return []
    due = _due(to_state, now, sqlite=session.get_bind().dialect.name == "sqlite")
    due_col = CLOCKS.c.breach_at if to_state == "breached" else CLOCKS.c.warn_at
    c = CLOCKS.c
    candidates = session.execute(
        sa.select(c.id, c.conversation_id, c.started_at, c.warn_at, c.breach_at, c.state)
        .where(due).order_by(due_col).limit(limit)).all()
    moves = {}  # conversation id -> (clock id, rules.Transition)
    for row in candidates:
        move = rules.due_transition(rules.Clock(None, None, row.started_at, row.warn_at, row.breach_at, row.state), now)
        if move is not None and move.to_level == to_state:
            moves[row.conversation_id] = (row.id, move)
    if not moves:
        return []
    # Core UPDATEs (not ORM-enabled ones): the same SQL, updated_at included, without the ORM's bookkeeping.
    conversations = {row.id: row for row in session.execute(
        sa.update(CONVERSATIONS)
        .where(among(session, CONVERSATIONS.c.id, moves), _conversation_due(to_state, now))
        .values(sla_state=to_state).returning(*CONVERSATIONS.c)
    )}
    if not conversations:
        return []
    values = {"state": to_state, "breached_at" if to_state == "breached" else "warned_at": now}
    clocks = map(ClockRow._make, session.execute(
        # By primary key: one live entry per clock (a conversation keeps all its past clocks).
        sa.update(CLOCKS).where(among(session, CLOCKS.c.id, [moves[cid][0] for cid in conversations]), due)
        .values(**values).returning(*CLOCKS.c)
    ))
    return [
        Transition(r.id, r.conversation_id, moves[r.conversation_id][1].from_level, to_state, clock=r,
                   conversation=conversations[r.conversation_id])
        for r in clocks
    ]
