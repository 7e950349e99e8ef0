"""Starting and stopping response clocks.

A clock starts at the platform time of the oldest customer message that has
no later answer, and stops when we answer (here or natively on the network)
or the conversation is resolved. A customer message after our answer starts
the next clock ("next" response). Under business hours the clock runs only
while the policy's hours are open: due times and response seconds are
business time.

The conversation row mirrors its running clock (sla_state, sla_started_at,
sla_warn_at, sla_breach_at) so the inbox can sort by urgency without a join.
"""
from contextlib import contextmanager
from datetime import timedelta
from types import SimpleNamespace

import sqlalchemy as sa

from app.batch_sql import any_of, prebuilt, update_rows
from app.models import Message, SlaClock
from app.sla.policies import Policy, configured_policy, effective_policy  # noqa: F401  (Policy: re-exported)

ANSWERS = ("reply", "native_reply")


def default_policy():
    """The configured policy (kept for callers that have no session at hand)."""
    return configured_policy()


def due_times(policy, started_at):
    """When a clock started at `started_at` warns and breaches under `policy`."""
    return (
        add_business_time(policy, started_at, policy.warn_minutes * 60),
        add_business_time(policy, started_at, policy.breach_minutes * 60),
    )


def add_business_time(policy, start, seconds):
    schedule = policy.schedule
    return start + timedelta(seconds=seconds) if schedule is None else schedule.add(start, seconds)


def business_seconds(policy, start, end):
    """Seconds between two instants during which a clock under `policy` runs."""
    schedule = policy.schedule
    if schedule is None:
        return max((end - start).total_seconds(), 0.0)
    return schedule.seconds_between(start, end)


def start_clock(session, conversation, started_at, *, policy, kind="first", collect=None):
    """Start a clock for a customer message posted at `started_at`. Returns the new clock, or None.

    Nothing starts when a clock is running already (it started at an older message) or when
    the message predates our latest answer (that answer covered it). A message older than
    the running clock's start (it arrived late) moves the start back.

    With `collect` (a list), the new clock is appended to it as a row (a dict) instead of added
    to the session: ingest inserts a whole batch's new clocks in one statement.
    """
    if conversation.last_outbound_at is not None and started_at < conversation.last_outbound_at:
        return None
    if conversation.sla_started_at is not None:  # the conversation mirrors its running clock
        if started_at < conversation.sla_started_at:
            _move_start(session, conversation, started_at, policy)
        return None
    warn_at, breach_at = due_times(policy, started_at)
    values = dict(conversation_id=conversation.id, account_id=conversation.account_id, policy_id=policy.id,
                  kind=kind, started_at=started_at, warn_at=warn_at, breach_at=breach_at, state="ok")
    if collect is not None:
        collect.append(values)
        clock = values
    else:
        clock = SlaClock(**values)
        session.add(clock)
        preloaded = session.info.get(RUNNING_KEY)
        if preloaded is not None:
            preloaded[conversation.id] = clock
    conversation.sla_state = "ok"
    conversation.sla_started_at, conversation.sla_warn_at, conversation.sla_breach_at = started_at, warn_at, breach_at
    return clock


def _move_start(session, conversation, started_at, policy):
    clock = _running(session, conversation.id)
    if clock is None or clock.state != "ok":
        return  # a flagged clock keeps the due times it was flagged by
    clock.started_at = started_at
    clock.warn_at, clock.breach_at = due_times(policy, started_at)
    _write_plain(session, clock, ("started_at", "warn_at", "breach_at"))
    conversation.sla_started_at, conversation.sla_warn_at, conversation.sla_breach_at = (
        clock.started_at, clock.warn_at, clock.breach_at)


def stop_clock(session, conversation, stopped_at, reason, *, user_id=None):
    """Stop the running clock, if any, and keep it for reports. Returns the stopped clock or None.

    `reason` is "reply" (sent from Carebox; pass the agent's user_id), "native_reply" (seen by
    the poller) or "resolved". After an answer, customer messages posted later than it start
    the next clock at once.
    """
    clock = _running(session, conversation.id) if conversation.sla_started_at is not None else None
    if clock is not None:
        policy = _policy_of(session, clock, conversation)
        stopped_at = max(stopped_at, clock.started_at)
        clock.stopped_at = stopped_at
        clock.stop_reason = reason
        clock.answered_by_user_id = user_id if reason in ANSWERS else None
        clock.response_seconds = round(business_seconds(policy, clock.started_at, stopped_at), 3)
        # An answer before the breach meets the SLA. Resolving without an answer is neither,
        # unless the clock had breached already.
        if reason in ANSWERS:
            clock.met = stopped_at < clock.breach_at
        else:
            clock.met = False if stopped_at >= clock.breach_at else None
        conversation.sla_state = "stopped"
        conversation.sla_started_at = conversation.sla_warn_at = conversation.sla_breach_at = None
        _write_plain(session, clock, ("stopped_at", "stop_reason", "answered_by_user_id", "response_seconds", "met"))
    if reason in ANSWERS:
        _start_after_answer(session, conversation, stopped_at)
    return clock


def _start_after_answer(session, conversation, answered_at):
    """Customer messages posted after this answer are still waiting: the next clock starts at the oldest."""
    if conversation.status == "resolved" or conversation.is_spam or conversation.id is None:
        return None
    if conversation.last_inbound_at is not None and conversation.last_inbound_at <= answered_at:
        return None  # nothing the customer wrote is newer than the answer: no need to ask the database
    oldest = session.scalar(_oldest_inbound_after(session), {"conversation_id": conversation.id, "after": answered_at})
    if oldest is None:
        return None
    policy = effective_policy(session, conversation.account_id)
    return start_clock(session, conversation, oldest, policy=policy, kind="next")


@prebuilt
def _oldest_inbound_after(_dialect):
    m = Message.__table__.c  # through the session all the same: it flushes messages the ORM holds first
    return sa.select(sa.func.min(m.created_at)).where(
        m.conversation_id == sa.bindparam("conversation_id"), m.direction == "inbound",
        m.created_at > sa.bindparam("after", type_=m.created_at.type))


def _policy_of(session, clock, conversation):
    from app.sla.policies import policy_by_id

    if clock.policy_id is not None:
        return policy_by_id(session, clock.policy_id)
    return effective_policy(session, conversation.account_id)


RUNNING_KEY = "carebox.running_clocks"
CLOCKS = SlaClock.__table__


@prebuilt
def _running_clocks(dialect):
    return sa.select(*CLOCKS.c).where(any_of(dialect, CLOCKS.c.conversation_id, "ids"), CLOCKS.c.stopped_at.is_(None))


@contextmanager
def running_clocks_preloaded(session, conversation_ids):
    """Within the block, the running clocks of these conversations come from one query made here, as plain
    rows, instead of one ORM query each (ingest answers many conversations at a time). A row that is stopped
    or moved is written at once (_write_plain), so a next clock started later in the block never meets it
    still running in the database."""
    preloaded = dict.fromkeys(conversation_ids)
    if preloaded:
        for row in session.execute(_running_clocks(session), {"ids": sorted(preloaded)}):
            preloaded[row.conversation_id] = SimpleNamespace(**row._mapping)
    session.info[RUNNING_KEY] = preloaded
    try:
        yield
    finally:
        session.info.pop(RUNNING_KEY, None)


def _write_plain(session, clock, names):
    """Write these columns of a clock that is a plain preloaded row (as the ORM writes only what changed);
    an ORM clock is written by the session's flush."""
    if isinstance(clock, SimpleNamespace):
        update_rows(session, SlaClock, [{"id": clock.id, **{name: getattr(clock, name) for name in names}}])


def _running(session, conversation_id):
    preloaded = session.info.get(RUNNING_KEY)
    if preloaded is not None and conversation_id in preloaded:
        clock = preloaded[conversation_id]
        return clock if clock is not None and clock.stopped_at is None else None
    with session.no_autoflush:
        pending = [c for c in session.new if isinstance(c, SlaClock) and c.conversation_id == conversation_id]
    if pending:
        return pending[0]
    return session.execute(
        sa.select(SlaClock).where(SlaClock.conversation_id == conversation_id, SlaClock.stopped_at.is_(None))
    ).scalar_one_or_none()
