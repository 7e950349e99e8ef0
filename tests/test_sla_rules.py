"""The SLA rules (docs/design.md, "SLA semantics") as plain functions: no database, no application."""
from datetime import datetime, timedelta, timezone

import pytest

from app.sla import rules
from app.sla.ledger import ClockWrites
from app.sla.policies import Policy

T0 = datetime(2026, 6, 10, 10, 0, tzinfo=timezone.utc)  # a Wednesday
DEFAULT = Policy(None, 30, 60)
OFFICE = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
NIGHT_SHIFT = {d: [["22:00", "06:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def minutes(n):
    return timedelta(minutes=n)


def running(started=T0, level="ok", policy=DEFAULT):
    warn, breach = rules.due_times(policy, started)
    return rules.Clock(policy.id, "first", started, warn, breach, level)


# ------------------------------------------------------------------ a customer writes

@pytest.mark.parametrize("case, state, posted, waits, expect", [
    ("first message starts the first clock", rules.SlaState(), T0, True, ("started", "first", T0)),
    ("a follow-up after our answer starts the next clock", rules.SlaState(None, T0 - minutes(5)), T0, True,
     ("started", "next", T0)),
    ("a message older than our answer was covered by it", rules.SlaState(None, T0 + minutes(1)), T0, True, None),
    ("no clock while the conversation expects no answer (resolved, spam)", rules.SlaState(), T0, False, None),
    ("a newer message leaves the running clock alone", rules.SlaState(running()), T0 + minutes(5), True, None),
    ("an older message arriving late moves the start back", rules.SlaState(running()), T0 - minutes(10), True,
     ("moved", "first", T0 - minutes(10))),
    ("a flagged clock keeps the times it was flagged by", rules.SlaState(running(level="warning")),
     T0 - minutes(10), True, None),
])
def test_customer_wrote(case, state, posted, waits, expect):
    outcome = rules.customer_wrote(state, posted, policy=DEFAULT, waits_for_answer=waits)
    if expect is None:
        assert not outcome.changed and outcome.state == state, case
        return
    what, kind, started = expect
    clock = outcome.started if what == "started" else outcome.moved
    assert clock is not None and outcome.state.running == clock, case
    assert (clock.started_at, clock.warn_at, clock.breach_at) == (started, started + minutes(30), started + minutes(60))
    assert clock.kind == kind or what == "moved"


# ------------------------------------------------------------------ we answer

@pytest.mark.parametrize("case, native, at, expect_met, expect_reason", [
    ("an answer before the breach meets the SLA", False, T0 + minutes(20), True, "reply"),
    ("an answer after the breach misses it", False, T0 + minutes(75), False, "reply"),
    ("a native brand answer seen by the poller stops the clock too", True, T0 + minutes(15), True, "native_reply"),
])
def test_answered_stops_the_clock(case, native, at, expect_met, expect_reason):
    outcome = rules.answered(rules.SlaState(running()), at, policy=DEFAULT, native=native, by_user_id=7)
    stopped = outcome.stopped
    assert (stopped.reason, stopped.met, stopped.stopped_at) == (expect_reason, expect_met, at), case
    assert stopped.response_seconds == (at - T0).total_seconds()
    assert stopped.answered_by_user_id == (None if native else 7)  # a native answer has no Carebox author
    assert outcome.state == rules.SlaState(None, at) and outcome.started is None


def test_a_customer_still_waiting_after_our_answer_gets_the_next_clock_at_once():
    outcome = rules.answered(rules.SlaState(running()), T0 + minutes(10), policy=DEFAULT, native=True,
                             waiting_since=T0 + minutes(12))
    assert outcome.stopped.clock.started_at == T0
    assert (outcome.started.kind, outcome.started.started_at) == ("next", T0 + minutes(12))
    assert outcome.state.running == outcome.started and outcome.state.last_answer_at == T0 + minutes(10)


def test_an_answer_without_a_running_clock_only_moves_the_last_answer():
    outcome = rules.answered(rules.SlaState(None, T0), T0 + minutes(3), policy=DEFAULT, native=False)
    assert outcome.stopped is None and outcome.state == rules.SlaState(None, T0 + minutes(3))


def test_an_answer_stamped_before_the_clock_started_counts_zero_seconds():
    outcome = rules.answered(rules.SlaState(running()), T0 - minutes(1), policy=DEFAULT, native=True)
    assert outcome.stopped.stopped_at == T0 and outcome.stopped.response_seconds == 0


# ------------------------------------------------------------------ resolving, reopening

@pytest.mark.parametrize("at, met", [(T0 + minutes(20), None), (T0 + minutes(61), False)])
def test_resolving_is_no_answer(at, met):
    outcome = rules.resolved(rules.SlaState(running()), at, policy=DEFAULT)
    assert (outcome.stopped.reason, outcome.stopped.met, outcome.stopped.answered_by_user_id) == ("resolved", met, None)
    assert outcome.state.running is None


def test_resolving_without_a_clock_changes_nothing():
    assert not rules.resolved(rules.SlaState(None, T0), T0, policy=DEFAULT).changed


@pytest.mark.parametrize("waiting, starts", [(True, True), (False, False)])
def test_reopening_puts_a_waiting_customer_back_in_the_queue(waiting, starts):
    outcome = rules.reopened(rules.SlaState(None, None), T0, policy=DEFAULT, customer_waiting=waiting)
    assert (outcome.started is not None) == starts
    if starts:
        assert (outcome.started.started_at, outcome.started.kind) == (T0, "first")


# ------------------------------------------------------------------ time passing: the sweep

@pytest.mark.parametrize("level, now, expect", [
    ("ok", T0 + minutes(29), None),
    ("ok", T0 + minutes(30), ("ok", "warning")),
    ("ok", T0 + minutes(61), ("ok", "breached")),  # nobody needs a warning about a post already late
    ("warning", T0 + minutes(45), None),
    ("warning", T0 + minutes(60), ("warning", "breached")),
    ("breached", T0 + minutes(600), None),
])
def test_due_transition(level, now, expect):
    move = rules.due_transition(running(level=level), now)
    assert (None if move is None else (move.from_level, move.to_level)) == expect


@pytest.mark.parametrize("level, now, shown", [
    ("ok", T0 + minutes(31), "warning"),  # right before the sweep has flagged it
    ("warning", T0 + minutes(5), "warning"),  # a flag never goes back
    ("ok", T0 + minutes(5), "ok"),
])
def test_level_at(level, now, shown):
    assert rules.level_at(running(level=level), now) == shown


# ------------------------------------------------------------------ policy change

def test_a_new_policy_moves_only_what_has_not_happened_yet():
    relaxed = Policy(5, 120, 240)
    ok, warned, breached = running(), running(level="warning"), running(level="breached")
    assert (rules.under_new_policy(ok, relaxed).warn_at, rules.under_new_policy(ok, relaxed).breach_at) == (
        T0 + minutes(120), T0 + minutes(240))
    moved = rules.under_new_policy(warned, relaxed)
    assert (moved.warn_at, moved.breach_at, moved.policy_id) == (warned.warn_at, T0 + minutes(240), 5)
    kept = rules.under_new_policy(breached, relaxed)
    assert (kept.warn_at, kept.breach_at, kept.policy_id) == (breached.warn_at, breached.breach_at, 5)


# ------------------------------------------------------------------ business hours

def policy_with(hours, tz="Europe/London", holidays=()):
    return Policy(3, 30, 60, tz, hours, tuple(holidays))


@pytest.mark.parametrize("case, hours, tz, holidays, started, warn, breach", [
    ("inside hours: plain minutes", OFFICE, "UTC", (), datetime(2026, 6, 10, 10, 0), datetime(2026, 6, 10, 10, 30),
     datetime(2026, 6, 10, 11, 0)),
    ("posted Friday evening: runs from Monday 09:00", OFFICE, "UTC", (), datetime(2026, 6, 12, 18, 0),
     datetime(2026, 6, 15, 9, 30), datetime(2026, 6, 15, 10, 0)),
    ("straddles closing time", OFFICE, "UTC", (), datetime(2026, 6, 10, 16, 50), datetime(2026, 6, 11, 9, 20),
     datetime(2026, 6, 11, 9, 50)),
    ("a period past midnight", NIGHT_SHIFT, "UTC", (), datetime(2026, 6, 10, 23, 45), datetime(2026, 6, 11, 0, 15),
     datetime(2026, 6, 11, 0, 45)),
    ("posted by day, night shift picks it up", NIGHT_SHIFT, "UTC", (), datetime(2026, 6, 10, 12, 0),
     datetime(2026, 6, 10, 22, 30), datetime(2026, 6, 10, 23, 0)),
    ("a holiday is skipped", OFFICE, "UTC", ("2026-06-11",), datetime(2026, 6, 10, 16, 50),
     datetime(2026, 6, 12, 9, 20), datetime(2026, 6, 12, 9, 50)),
    # Europe/London springs forward at 01:00 UTC on 29 March 2026: "00:00"-"06:00" lasts five real hours.
    ("spring-forward night", NIGHT_SHIFT | {"sun": [["00:00", "06:00"]]}, "Europe/London", (),
     datetime(2026, 3, 29, 0, 45), datetime(2026, 3, 29, 1, 15), datetime(2026, 3, 29, 1, 45)),
    # …and falls back at 01:00 UTC on 25 October 2026: local 01:00-02:00 happens twice.
    ("fall-back night", {"sun": [["01:00", "02:00"]]}, "Europe/London", (), datetime(2026, 10, 25, 0, 0),
     datetime(2026, 10, 25, 0, 30), datetime(2026, 10, 25, 1, 0)),
])
def test_due_times_under_business_hours(case, hours, tz, holidays, started, warn, breach):
    utc = timezone.utc
    policy = policy_with(hours, tz, holidays)
    assert rules.due_times(policy, started.replace(tzinfo=utc)) == (warn.replace(tzinfo=utc),
                                                                    breach.replace(tzinfo=utc)), case


def test_answer_seconds_count_business_time_only():
    policy = policy_with(OFFICE, "UTC")
    started = datetime(2026, 6, 12, 16, 30, tzinfo=timezone.utc)  # Friday, half an hour before closing
    clock = running(started, policy=policy)
    outcome = rules.answered(rules.SlaState(clock), datetime(2026, 6, 15, 9, 10, tzinfo=timezone.utc),
                             policy=policy, native=False)
    assert outcome.stopped.response_seconds == 40 * 60 and outcome.stopped.met is True


@pytest.mark.parametrize("now, state, reason", [
    (datetime(2026, 6, 10, 16, 50), "ok", None),
    (datetime(2026, 6, 10, 20, 0), "paused", "outside_business_hours"),
    (datetime(2026, 6, 11, 12, 0), "paused", "holiday"),
])
def test_shown_state_pauses_outside_business_hours(now, state, reason):
    policy = policy_with(OFFICE, "UTC", ("2026-06-11",))
    clock = running(datetime(2026, 6, 10, 16, 45, tzinfo=timezone.utc), policy=policy)  # due on Friday
    shown, level, pause = rules.shown_state(clock, now.replace(tzinfo=timezone.utc), policy.schedule)
    assert shown == state
    assert (pause[0] if shown == "paused" else None) == reason


def test_a_breach_stands_at_any_hour():
    policy = policy_with(OFFICE, "UTC")
    clock = running(datetime(2026, 6, 10, 9, 0, tzinfo=timezone.utc), policy=policy)
    assert rules.shown_state(clock, datetime(2026, 6, 10, 22, 0, tzinfo=timezone.utc), policy.schedule)[0] == "breached"


# ------------------------------------------------------------------ several outcomes before anything is stored

def test_a_page_that_starts_stops_and_restarts_a_clock_is_two_new_rows():
    state = rules.SlaState()
    writes = ClockWrites(stored_running=False)
    for event in (
        lambda s: rules.customer_wrote(s, T0, policy=DEFAULT),
        lambda s: rules.answered(s, T0 + minutes(5), policy=DEFAULT, native=True),
        lambda s: rules.customer_wrote(s, T0 + minutes(10), policy=DEFAULT),
        lambda s: rules.answered(s, T0 + minutes(13), policy=DEFAULT, native=True),
    ):
        outcome = event(state)
        writes.add(outcome)
        state = outcome.state
    assert writes.stop_stored is None and writes.move_stored is None
    assert [(c.kind, c.started_at, s.stopped_at) for c, s in writes.new] == [
        ("first", T0, T0 + minutes(5)), ("next", T0 + minutes(10), T0 + minutes(13))]


def test_stopping_the_stored_clock_then_starting_the_next():
    writes = ClockWrites(stored_running=True)
    writes.add(rules.answered(rules.SlaState(running()), T0 + minutes(5), policy=DEFAULT, native=True,
                              waiting_since=T0 + minutes(6)))
    assert writes.stop_stored.stopped_at == T0 + minutes(5)
    assert [(c.started_at, s) for c, s in writes.new] == [(T0 + minutes(6), None)]


def test_a_ledger_refuses_to_stop_what_does_not_run():
    with pytest.raises(ValueError):
        ClockWrites(stored_running=False).add(rules.resolved(rules.SlaState(running()), T0, policy=DEFAULT))
