"""The SLA rules (docs/design.md, "SLA semantics") as plain functions, used by every path.

Ingest, replies, resolving, reopening, the sweep and policy changes all decide through these
functions; none of them touches the database. The store layer (app/sla/store.py, app/ingest/store.py)
reads the state they take and writes the outcomes they return.

The state of one conversation's SLA is an `SlaState`: its running clock (a `Clock`, or None) and
when we last answered. A customer message starts a clock unless one runs or our last answer is newer
than the message; an answer (from Carebox or native on the network) stops it, and a customer message
posted after that answer starts the next clock at once; resolving stops it without an answer. Each
function returns an `SlaOutcome`: the new state and the clock records to write (started, moved,
stopped). Due times and response seconds are business time under the clock's policy.
"""
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

LEVELS = ("ok", "warning", "breached")
ANSWER_REASONS = ("reply", "native_reply")
STOP_REASONS = ANSWER_REASONS + ("resolved",)


@dataclass(frozen=True)
class Clock:
    """A running response clock: when it started, when it warns and breaches, how far it has gone."""

    policy_id: int | None
    kind: str  # "first" response, or "next" (the customer wrote again after our answer)
    started_at: datetime
    warn_at: datetime
    breach_at: datetime
    level: str = "ok"  # the flags the sweep has set: ok -> warning -> breached


@dataclass(frozen=True)
class StoppedClock:
    """What a stopped clock records for reports."""

    clock: Clock
    stopped_at: datetime
    reason: str  # "reply", "native_reply" or "resolved"
    answered_by_user_id: int | None
    response_seconds: float
    met: bool | None  # answered before its breach; None when resolved unanswered before breaching


@dataclass(frozen=True)
class SlaState:
    running: Clock | None = None
    last_answer_at: datetime | None = None


@dataclass(frozen=True)
class SlaOutcome:
    state: SlaState
    started: Clock | None = None  # a new clock to store (it may also be `stopped` by the same event)
    moved: Clock | None = None  # the running clock with new times
    stopped: StoppedClock | None = None

    @property
    def changed(self):
        return self.started is not None or self.moved is not None or self.stopped is not None


@dataclass(frozen=True)
class Transition:
    """The sweep's move of one clock: ok -> warning, or ok/warning -> breached."""

    from_level: str
    to_level: str


def due_times(policy, started_at):
    """(warn_at, breach_at) of a clock started at `started_at` under `policy`."""
    return (_add_business_time(policy, started_at, policy.warn_minutes * 60),
            _add_business_time(policy, started_at, policy.breach_minutes * 60))


def business_seconds(policy, start, end):
    """Seconds between two instants during which a clock under `policy` runs."""
    if policy.schedule is None:
        return max((end - start).total_seconds(), 0.0)
    return policy.schedule.seconds_between(start, end)


def _add_business_time(policy, start, seconds):
    if policy.schedule is None:
        return start + timedelta(seconds=seconds)
    return policy.schedule.add(start, seconds)


def new_clock(policy, started_at, *, after_answer):
    warn_at, breach_at = due_times(policy, started_at)
    return Clock(policy.id, "next" if after_answer else "first", started_at, warn_at, breach_at)


# ------------------------------------------------------------------ the events of a conversation

def customer_wrote(state, posted_at, *, policy, waits_for_answer=True):
    """A customer message posted at `posted_at`. `waits_for_answer` is False when the conversation
    expects none (resolved, spam): then nothing starts.

    A message our last answer is newer than was covered by that answer. With a clock running, a message
    older than its start (it arrived late) moves the start back, unless the clock is flagged already
    (it keeps the times it was flagged by)."""
    if not waits_for_answer:
        return SlaOutcome(state)
    if state.last_answer_at is not None and posted_at < state.last_answer_at:
        return SlaOutcome(state)
    running = state.running
    if running is None:
        clock = new_clock(policy, posted_at, after_answer=state.last_answer_at is not None)
        return SlaOutcome(replace(state, running=clock), started=clock)
    if posted_at < running.started_at and running.level == "ok":
        warn_at, breach_at = due_times(policy, posted_at)
        moved = replace(running, started_at=posted_at, warn_at=warn_at, breach_at=breach_at)
        return SlaOutcome(replace(state, running=moved), moved=moved)
    return SlaOutcome(state)


def answered(state, answered_at, *, policy, native, by_user_id=None, waiting_since=None, waits_for_answer=True):
    """We answered at `answered_at`: from Carebox (`native` False, by `by_user_id`) or natively on the
    network (seen by the poller). The running clock stops; an answer before the breach meets the SLA.

    `waiting_since` is when the oldest customer message posted after this answer was posted (None when
    there is none): that customer is still waiting, so the next clock starts there at once."""
    last_answer_at = max(filter(None, (state.last_answer_at, answered_at)))
    stopped = None
    if state.running is not None:
        stopped = _stop(state.running, answered_at, policy, "native_reply" if native else "reply",
                        by_user_id=None if native else by_user_id)
    after = SlaState(None, last_answer_at)
    if waits_for_answer and waiting_since is not None and waiting_since > answered_at:
        clock = new_clock(policy, waiting_since, after_answer=True)
        return SlaOutcome(replace(after, running=clock), started=clock, stopped=stopped)
    return SlaOutcome(after, stopped=stopped)


def resolved(state, at, *, policy):
    """The conversation was resolved (or marked spam): the clock stops, unanswered. Resolving is no
    answer, so it neither meets nor misses the SLA, unless the clock had breached already."""
    if state.running is None:
        return SlaOutcome(state)
    stopped = _stop(state.running, at, policy, "resolved")
    return SlaOutcome(replace(state, running=None), stopped=stopped)


def reopened(state, at, *, policy, customer_waiting):
    """An agent reopened a resolved conversation. If the customer's last message is still unanswered
    (`customer_waiting`), the conversation is back in the queue: a clock starts now, since the time
    before it was resolved was already accounted for when it stopped."""
    if state.running is not None or not customer_waiting:
        return SlaOutcome(state)
    clock = new_clock(policy, at, after_answer=state.last_answer_at is not None)
    return SlaOutcome(replace(state, running=clock), started=clock)


def _stop(clock, at, policy, reason, *, by_user_id=None):
    at = max(at, clock.started_at)
    if reason in ANSWER_REASONS:
        met = at < clock.breach_at
    else:
        met = False if at >= clock.breach_at else None
    return StoppedClock(clock, at, reason, by_user_id if reason in ANSWER_REASONS else None,
                        round(business_seconds(policy, clock.started_at, at), 3), met)


# ------------------------------------------------------------------ time passing

def level_at(clock, now):
    """How far `clock` has run at `now` by its due times (right even before the sweep has flagged it);
    a flag the sweep set never goes back."""
    by_time = "breached" if now >= clock.breach_at else "warning" if now >= clock.warn_at else "ok"
    return max(by_time, clock.level, key=LEVELS.index)


def due_transition(clock, now):
    """The sweep's move for `clock` at `now`, or None. A clock already past its breach time goes straight
    to breached (one move, from wherever it was): nobody needs a warning about a post that is already late."""
    if clock.level != "breached" and now >= clock.breach_at:
        return Transition(clock.level, "breached")
    if clock.level == "ok" and clock.warn_at <= now < clock.breach_at:
        return Transition("ok", "warning")
    return None


def under_new_policy(clock, policy):
    """The running clock after its policy changed: what has not happened yet moves. An unflagged clock
    gets new warning and breach times; a warned one keeps its warning and gets a new breach time; a
    breached one keeps both. The clock follows the new policy from now on either way."""
    if clock.level == "breached":
        return replace(clock, policy_id=policy.id)
    warn_at, breach_at = due_times(policy, clock.started_at)
    if clock.level == "warning":
        warn_at = clock.warn_at
    return replace(clock, policy_id=policy.id, warn_at=warn_at, breach_at=breach_at)


def shown_state(clock, now, schedule):
    """What the inbox shows for a clock: stopped, its level, or paused while business hours are closed
    (a breach stands at any hour). Returns (state, level, pause) where pause is None, or
    (reason, resumes_at) when paused, or ("open", pauses_at) when business hours will close."""
    if clock is None:
        return "stopped", None, None
    level = level_at(clock, now)
    if schedule is None:
        return level, level, None
    is_open, change = schedule.status(now)
    if is_open:
        return level, level, ("open", change)
    if level == "breached":
        return level, level, None
    return "paused", level, ("holiday" if schedule.is_holiday(now) else "outside_business_hours", change)
