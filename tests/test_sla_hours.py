"""Clock arithmetic under business hours: past midnight, weekends, holidays and daylight-saving changes.

Expected instants are worked out by hand from the wall clock of the policy's zone.
"""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from app.api.sla_schemas import PolicyIn
from app.sla.rules import business_seconds, due_times
from app.sla.hours import NeverOpen, Schedule
from app.sla.policies import Policy

UTC = timezone.utc
WEEKDAYS_9_TO_5 = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def local(tz, *args):
    """A wall-clock time in `tz`, as UTC."""
    return datetime(*args, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def policy(hours=None, tz="UTC", holidays=(), warn=30, breach=60):
    return Policy(1, warn, breach, tz, hours, tuple(holidays), "test")


def test_without_business_hours_the_clock_always_runs():
    start = datetime(2026, 3, 7, 23, 50, tzinfo=UTC)  # a Saturday night
    assert due_times(policy(), start) == (start + timedelta(minutes=30), start + timedelta(minutes=60))
    assert business_seconds(policy(), start, start + timedelta(hours=5)) == 5 * 3600


def test_friday_afternoon_post_warns_and_breaches_on_monday_morning():
    p = policy(WEEKDAYS_9_TO_5, "Europe/London")
    start = local("Europe/London", 2026, 6, 12, 16, 45)  # Friday 16:45 BST
    warn, breach = due_times(p, start)
    assert warn == local("Europe/London", 2026, 6, 15, 9, 15)  # 15 min on Friday + 15 on Monday
    assert breach == local("Europe/London", 2026, 6, 15, 9, 45)
    assert business_seconds(p, start, breach) == 3600


def test_post_during_the_weekend_starts_counting_on_monday():
    p = policy(WEEKDAYS_9_TO_5, "America/New_York")
    start = local("America/New_York", 2026, 6, 13, 11, 0)  # Saturday
    assert due_times(p, start) == (local("America/New_York", 2026, 6, 15, 9, 30),
                                   local("America/New_York", 2026, 6, 15, 10, 0))
    assert business_seconds(p, start, local("America/New_York", 2026, 6, 15, 8, 59)) == 0


def test_period_running_past_midnight():
    p = policy({d: [["22:00", "06:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}, "Asia/Tokyo")
    start = local("Asia/Tokyo", 2026, 6, 10, 5, 50)  # 10 minutes before the night shift ends
    warn, breach = due_times(p, start)
    assert warn == local("Asia/Tokyo", 2026, 6, 10, 22, 20)  # 10 min + 20 min after 22:00
    assert breach == local("Asia/Tokyo", 2026, 6, 10, 22, 50)
    # Across midnight the clock does not stop: 23:50 + 30 min is 00:20.
    assert due_times(p, local("Asia/Tokyo", 2026, 6, 10, 23, 50))[0] == local("Asia/Tokyo", 2026, 6, 11, 0, 20)


def test_holidays_are_whole_local_days_even_inside_a_period_that_started_the_day_before():
    # Thursday 24 Dec: 22:00-02:00 runs into Christmas Day, which is a holiday: only 22:00-24:00 counts.
    p = policy({"thu": [["22:00", "02:00"]], "mon": [["09:00", "17:00"]]}, "Europe/Paris", holidays=["2026-12-25"])
    start = local("Europe/Paris", 2026, 12, 24, 23, 0)
    warn, breach = due_times(p, start)
    assert warn == local("Europe/Paris", 2026, 12, 24, 23, 30)
    # 60 minutes: 23:00-24:00 on Thursday; the next opening is Monday 28 at 09:00.
    assert breach == local("Europe/Paris", 2026, 12, 25, 0, 0)
    late = local("Europe/Paris", 2026, 12, 24, 23, 45)
    assert due_times(p, late)[1] == local("Europe/Paris", 2026, 12, 28, 9, 45)


def test_holiday_on_a_weekday_skips_the_whole_day():
    p = policy(WEEKDAYS_9_TO_5, "Europe/Berlin", holidays=["2026-10-05"])  # a Monday
    start = local("Europe/Berlin", 2026, 10, 2, 16, 50)  # Friday 16:50
    assert due_times(p, start)[0] == local("Europe/Berlin", 2026, 10, 6, 9, 20)  # Tuesday


def test_spring_forward_night_is_an_hour_shorter():
    # Europe/Paris, Sunday 29 March 2026: 02:00 CET jumps to 03:00 CEST.
    p = policy({"sun": [["01:00", "05:00"]]}, "Europe/Paris", warn=60, breach=120)
    start = local("Europe/Paris", 2026, 3, 29, 1, 0)
    warn, breach = due_times(p, start)
    assert warn == local("Europe/Paris", 2026, 3, 29, 3, 0)  # 01:00-02:00, then the clock reads 03:00
    assert breach == local("Europe/Paris", 2026, 3, 29, 4, 0)
    assert breach - start == timedelta(hours=2)
    day = (local("Europe/Paris", 2026, 3, 29, 0, 0), local("Europe/Paris", 2026, 3, 30, 0, 0))
    assert business_seconds(p, *day) == 3 * 3600  # 01:00-05:00 on the wall clock is three real hours


def test_fall_back_night_is_an_hour_longer():
    # America/New_York, Sunday 1 November 2026: 02:00 EDT falls back to 01:00 EST.
    p = policy({"sun": [["00:00", "03:00"]]}, "America/New_York", warn=180, breach=240)
    start = local("America/New_York", 2026, 11, 1, 0, 0)
    warn, breach = due_times(p, start)
    assert warn == start + timedelta(hours=3)  # real time: 00:00 EDT + 3 h = 02:00 EST on the wall clock
    assert warn.astimezone(ZoneInfo("America/New_York")).strftime("%H:%M %Z") == "02:00 EST"
    assert breach == start + timedelta(hours=4)  # 03:00 EST, the end of the period
    assert business_seconds(p, start, start + timedelta(days=1)) == 4 * 3600


def test_overlapping_periods_count_once_and_2400_is_midnight():
    p = policy({"wed": [["09:00", "12:00"], ["11:00", "13:00"], ["20:00", "24:00"]]}, "UTC")
    day = (datetime(2026, 6, 10, tzinfo=UTC), datetime(2026, 6, 11, tzinfo=UTC))
    assert business_seconds(p, *day) == (4 + 4) * 3600


def test_status_says_when_a_closed_clock_resumes_and_an_open_one_pauses():
    s = Schedule.build("Europe/London", WEEKDAYS_9_TO_5, ["2026-06-15"])
    open_now, closes = s.status(local("Europe/London", 2026, 6, 12, 10, 0))
    assert open_now and closes == local("Europe/London", 2026, 6, 12, 17, 0)
    open_now, opens = s.status(local("Europe/London", 2026, 6, 12, 18, 0))  # Friday evening; Monday is a holiday
    assert not open_now and opens == local("Europe/London", 2026, 6, 16, 9, 0)
    assert s.is_holiday(local("Europe/London", 2026, 6, 15, 12, 0))
    # Asked again, in any order (answers are reused within a stretch, never across one).
    assert s.status(local("Europe/London", 2026, 6, 13, 9, 0)) == (False, local("Europe/London", 2026, 6, 16, 9, 0))
    assert s.status(local("Europe/London", 2026, 6, 12, 8, 0)) == (False, local("Europe/London", 2026, 6, 12, 9, 0))
    assert s.status(local("Europe/London", 2026, 6, 12, 16, 59)) == (True, local("Europe/London", 2026, 6, 12, 17, 0))


def test_a_schedule_without_any_open_time_is_refused():
    with pytest.raises(NeverOpen):
        Schedule.build("UTC", {}).add(datetime(2026, 1, 1, tzinfo=UTC), 60)


@pytest.mark.parametrize("change, message", [
    ({"business_hours": {"mon": [["9:00", "17:00"]]}}, "not a time"),
    ({"business_hours": {"mon": [["09:00", "09:00"]]}}, "no length"),
    ({"business_hours": {"mon": [["24:00", "02:00"]]}}, "cannot start at 24:00"),
    ({"business_hours": {}}, "at least one period"),
    ({"timezone": "Mars/Olympus"}, "unknown time zone"),
    ({"warn_minutes": 90}, "breach_minutes must be at least warn_minutes"),
    ({"holidays": ["2026-02-30"]}, "date"),
])
def test_policy_input_is_validated(change, message):
    base = {"name": "Office", "warn_minutes": 30, "breach_minutes": 60, "timezone": "Europe/Paris",
            "business_hours": WEEKDAYS_9_TO_5}
    with pytest.raises(ValidationError) as info:
        PolicyIn.model_validate({**base, **change})
    assert message in str(info.value)


def test_policy_input_keeps_only_open_days_and_sorted_unique_holidays():
    stored = PolicyIn.model_validate({
        "name": "Office", "warn_minutes": 30, "breach_minutes": 60, "timezone": "Europe/Paris",
        "business_hours": {"mon": [["09:00", "17:00"]], "tue": []},
        "holidays": ["2026-12-25", "2026-01-01", "2026-12-25"],
    }).stored()
    assert stored["business_hours"] == {"mon": [["09:00", "17:00"]]}
    assert stored["holidays"] == ["2026-01-01", "2026-12-25"]
