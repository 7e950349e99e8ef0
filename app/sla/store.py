"""Clock rows in the database: the thin store layer under the SLA rules (app/sla/rules.py).

The conversation row mirrors its running clock (sla_state, sla_started_at, sla_warn_at,
sla_breach_at) so the inbox sorts by urgency without a join; `state_of()` reads a conversation's
`SlaState` from that mirror and `mirror()` writes it back. The clock rows themselves (sla_clocks)
are the record kept for reports: one per clock, its running one found by conversation (at most one
runs: a unique partial index). Lock order everywhere: conversations before their clocks.
"""
import sqlalchemy as sa

from app.batch_sql import any_of, insert_rows, prebuilt
from app.models import Conversation, Message, SlaClock
from app.sla.rules import Clock, SlaState

CLOCKS, CONVERSATIONS, MESSAGES = SlaClock.__table__, Conversation.__table__, Message.__table__
MIRROR = ("sla_state", "sla_started_at", "sla_warn_at", "sla_breach_at")


def state_of(conv):
    """The SlaState a conversation (an ORM object or a plain row) mirrors. Its clock's kind and policy are
    the stored clock's: the mirror does not repeat them (a running clock follows the account's policy)."""
    running = None
    if conv.sla_started_at is not None:
        level = conv.sla_state if conv.sla_state in ("ok", "warning", "breached") else "ok"
        running = Clock(None, None, conv.sla_started_at, conv.sla_warn_at, conv.sla_breach_at, level)
    return SlaState(running, conv.last_outbound_at)


def mirror(state):
    """The conversation columns that mirror `state`."""
    clock = state.running
    if clock is None:
        return {"sla_state": "stopped", "sla_started_at": None, "sla_warn_at": None, "sla_breach_at": None}
    return {"sla_state": clock.level, "sla_started_at": clock.started_at, "sla_warn_at": clock.warn_at,
            "sla_breach_at": clock.breach_at}


def set_mirror(conv, state):
    for name, value in mirror(state).items():
        setattr(conv, name, value)
    conv.last_outbound_at = state.last_answer_at


def new_clock_row(conversation_id, account_id, clock, stopped=None):
    row = {"conversation_id": conversation_id, "account_id": account_id, "policy_id": clock.policy_id,
           "kind": clock.kind, "started_at": clock.started_at, "warn_at": clock.warn_at, "breach_at": clock.breach_at,
           "state": clock.level}
    row.update(_stop_values(stopped))
    return row


def _stop_values(stopped):
    if stopped is None:
        return {"stopped_at": None, "stop_reason": None, "answered_by_user_id": None, "response_seconds": None,
                "met": None}
    return {"stopped_at": stopped.stopped_at, "stop_reason": stopped.reason,
            "answered_by_user_id": stopped.answered_by_user_id, "response_seconds": stopped.response_seconds,
            "met": stopped.met}


@prebuilt
def _stop_running(_dialect):
    c = CLOCKS.c
    return sa.update(CLOCKS).where(c.conversation_id == sa.bindparam("b_conversation_id"), c.stopped_at.is_(None)).values(
        stopped_at=sa.bindparam("b_stopped_at"), stop_reason=sa.bindparam("b_stop_reason"),
        answered_by_user_id=sa.bindparam("b_answered_by_user_id"),
        response_seconds=sa.bindparam("b_response_seconds"), met=sa.bindparam("b_met"))


@prebuilt
def _move_running(_dialect):
    c = CLOCKS.c
    # A flagged clock keeps the times it was flagged by: the rules move only unflagged ones, and so does this.
    return sa.update(CLOCKS).where(c.conversation_id == sa.bindparam("b_conversation_id"), c.stopped_at.is_(None),
                                   c.state == "ok").values(
        started_at=sa.bindparam("b_started_at"), warn_at=sa.bindparam("b_warn_at"), breach_at=sa.bindparam("b_breach_at"))


def write_clocks(session, writes):
    """Store the ClockWrites (app/sla/ledger.py) of conversations, given as [(conversation id, account id,
    ClockWrites)], in conversation order: the running clocks' stops and moves first (a new clock may
    only run once the old one stopped), then every new clock in one INSERT."""
    writes = sorted(writes, key=lambda w: w[0])
    stops = [{"b_conversation_id": cid, **{f"b_{k}": v for k, v in _stop_values(w.stop_stored).items()}}
             for cid, _aid, w in writes if w.stop_stored is not None]
    moves = [{"b_conversation_id": cid, "b_started_at": w.move_stored.started_at, "b_warn_at": w.move_stored.warn_at,
              "b_breach_at": w.move_stored.breach_at} for cid, _aid, w in writes if w.move_stored is not None]
    if stops:
        session.execute(_stop_running(session), stops if len(stops) > 1 else stops[0])
    if moves:
        session.execute(_move_running(session), moves if len(moves) > 1 else moves[0])
    new = [new_clock_row(cid, aid, clock, stopped) for cid, aid, w in writes for clock, stopped in w.new]
    if new:
        insert_rows(session, SlaClock, new)


@prebuilt
def _customer_messages_after(dialect):
    m = MESSAGES.c
    return sa.select(m.conversation_id, m.created_at).where(
        any_of(dialect, m.conversation_id, "ids"), m.direction == "inbound",
        m.created_at > sa.bindparam("after", type_=m.created_at.type)).order_by(m.conversation_id, m.created_at)


def customer_messages_after(session, conversation_ids, after):
    """{conversation id: [created_at of its stored customer messages posted after `after`, oldest first]}.
    Through the session: it flushes messages the ORM holds first."""
    found = {}
    if conversation_ids:
        for conversation_id, created_at in session.execute(
                _customer_messages_after(session), {"ids": sorted(conversation_ids), "after": after}):
            found.setdefault(conversation_id, []).append(created_at)
    return found


def waiting_since(session, conv, answered_at):
    """When the oldest customer message of `conv` posted after `answered_at` was posted, or None."""
    if conv.id is None or conv.last_inbound_at is None or conv.last_inbound_at <= answered_at:
        return None  # nothing the customer wrote is newer than the answer: no need to ask the database
    times = customer_messages_after(session, [conv.id], answered_at).get(conv.id)
    return times[0] if times else None
