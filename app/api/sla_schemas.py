"""Request and response models of the SLA and reports API (app/api/sla.py, app/api/reports.py).

PolicyIn is also what the settings page validates its form against, so both paths accept
exactly the same policies.
"""
from datetime import date, datetime
from typing import Literal
from zoneinfo import available_timezones

from pydantic import BaseModel, Field, field_validator, model_validator

from app.api.schemas import Network, Query, Strict
from app.shapes import CallBudgetOut, Channel
from app.sla.hours import WEEKDAYS, period_minutes

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
PolicyChannel = Literal["any", "public", "private"]  # app/vocabulary.py POLICY_CHANNELS
POLICY_CHANNEL_HELP = ('The channel kind the policy is for: "public" (mentions, comments), "private" (direct '
                       'messages) or "any". The default of a kind is what accounts without their own policy '
                       'follow there; private messages fall back to the public policy.')
MAX_HOLIDAYS = 400
MAX_PERIODS_PER_DAY = 6
MAX_ID = 2**31 - 1  # ids are 32-bit integers in the database


def _valid_timezone(name):
    if name not in available_timezones():
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as Europe/Paris)")
    return name


# --- policies -----------------------------------------------------------------------------

class PolicyIn(Strict):
    name: str = Field(min_length=1, max_length=120)
    warn_minutes: int = Field(ge=1, le=60 * 24 * 14)
    breach_minutes: int = Field(ge=1, le=60 * 24 * 30)
    is_default: bool = Field(default=False, description="The default of its channel kind (one per kind).")
    channel: PolicyChannel = Field(default="any", description=POLICY_CHANNEL_HELP)
    timezone: str = Field(default="UTC", max_length=64)
    business_hours: dict[Weekday, list[tuple[str, str]]] | None = Field(
        default=None,
        description='Per weekday, periods ["HH:MM", "HH:MM"] in the time zone; an end not after the start '
                    'runs past midnight; "24:00" ends at midnight. null: the clock always runs.',
        examples=[{"mon": [["09:00", "12:30"], ["13:30", "18:00"]], "sat": [["22:00", "02:00"]]}],
    )
    holidays: list[date] = Field(default_factory=list, max_length=MAX_HOLIDAYS,
                                 description="Local dates on which the clock does not run.")

    _tz = field_validator("timezone")(_valid_timezone)

    @field_validator("business_hours")
    @classmethod
    def _periods(cls, value):
        if value is None:
            return None
        cleaned = {}
        for day in WEEKDAYS:
            periods = value.get(day) or []
            if len(periods) > MAX_PERIODS_PER_DAY:
                raise ValueError(f"{day}: at most {MAX_PERIODS_PER_DAY} periods")
            for start, end in periods:
                try:
                    period_minutes(start, end)
                except ValueError as exc:
                    raise ValueError(f"{day}: {exc}") from None
                if start == end:
                    raise ValueError(f"{day}: a period {start}-{end} has no length")
            if periods:
                cleaned[day] = [(start, end) for start, end in periods]
        if not cleaned:
            raise ValueError("business hours need at least one period (or null for around the clock)")
        return cleaned

    @model_validator(mode="after")
    def _order(self):
        if self.breach_minutes < self.warn_minutes:
            raise ValueError("breach_minutes must be at least warn_minutes")
        return self

    def stored(self):
        """The values as the model stores them."""
        data = self.model_dump()
        if self.business_hours is not None:
            data["business_hours"] = {day: [list(p) for p in periods] for day, periods in self.business_hours.items()}
        data["holidays"] = sorted({d.isoformat() for d in self.holidays})
        return data


class PolicyPatch(Strict):
    """Any PolicyIn fields; the result is validated as a whole."""

    name: str | None = None
    warn_minutes: int | None = None
    breach_minutes: int | None = None
    is_default: bool | None = None
    channel: PolicyChannel | None = None
    timezone: str | None = None
    business_hours: dict[Weekday, list[tuple[str, str]]] | None = None
    holidays: list[date] | None = None


class PolicyOut(BaseModel):
    id: int
    name: str
    is_default: bool
    channel: PolicyChannel
    warn_minutes: int
    breach_minutes: int
    timezone: str
    business_hours: dict[str, list[list[str]]] | None
    holidays: list[str]
    account_ids: list[int]
    created_at: datetime | None
    updated_at: datetime | None
    recomputed: int | None = Field(default=None, description="Running clocks given new due times by this change.")


class PolicyListOut(BaseModel):
    items: list[PolicyOut]
    default: dict = Field(description="What public conversations of accounts without a policy follow.")
    private_default: dict = Field(description="What private conversations of accounts without a private policy follow.")
    next_cursor: str | None = None


class AccountPolicyIn(Strict):
    """Either field or both; one left out stays as it is."""

    policy_id: int | None = Field(default=None, ge=1, le=MAX_ID,
                                  description="The policy of the account's public conversations, or null to "
                                              "follow the default policy.")
    private_policy_id: int | None = Field(default=None, ge=1, le=MAX_ID,
                                          description="The policy of the account's private conversations (direct "
                                                      "messages), or null to follow the default private policy "
                                                      "(else the public one).")

    @model_validator(mode="after")
    def _something(self):
        if not self.model_fields_set:
            raise ValueError("give policy_id, private_policy_id or both")
        return self


class AccountPolicyOut(BaseModel):
    account_id: int
    policy_id: int | None
    private_policy_id: int | None
    recomputed: int


# --- summary, workload --------------------------------------------------------------------

class SummaryQuery(Query):
    window_hours: int = Field(default=24, ge=1, le=24 * 90, description="Attainment over the last N hours.")
    at_risk: int = Field(default=25, ge=0, le=200, description="How many running clocks to list.")
    channel: Channel | None = Field(default=None, description="List only the at-risk clocks of public or of private "
                                                               "conversations (the counts carry both, always).")


class Counts(BaseModel):
    open: int
    pending: int
    unassigned: int
    running: int
    ok: int
    warning: int
    breached: int
    paused: int


CHANNEL_COUNTS = "The same counts for public and for private conversations."


class Figures(BaseModel):
    clocks: int
    answered: int
    unanswered: int
    running: int
    breaches: int
    first_response: dict
    next_response: dict
    within_30: float | None
    within_60: float | None
    within_30_count: int
    within_60_count: int
    within_30_eligible: int
    within_60_eligible: int


class ChannelFigures(Figures):
    channels: dict[Channel, Figures] = Field(
        description="The same figures for the clocks of public and of private conversations.")


class RateLimitOut(BaseModel):
    limit: int | None
    remaining: int | None
    reset_at: datetime | None


class PollerOut(BaseModel):
    state: str
    polled: bool
    stalled: bool
    stalled_reason: str | None
    last_poll_at: datetime | None
    last_success_at: datetime | None
    poll_lag_seconds: float | None
    rate_limit_remaining: int | None
    rate_limit_reset_at: datetime | None
    rate_limits: dict[str, RateLimitOut] = Field(
        default_factory=dict, description="Each endpoint's budget by name, as in the account's `health.rate_limits`.")
    budget: CallBudgetOut | None = Field(
        default=None, description="The network's documented per-account call budget, as in `health.budget`.")
    last_error: str | None
    last_error_at: datetime | None
    next_poll_at: datetime | None


class AccountSummaryOut(BaseModel):
    id: int
    name: str
    network: Network
    enabled: bool
    policy: dict = Field(description="The SLA policy of the account's public conversations.")
    private_policy: dict | None = Field(default=None, description="The SLA policy of its private conversations.")
    counts: Counts
    channels: dict[Channel, Counts] = Field(description=CHANNEL_COUNTS)
    poller: PollerOut


class AtRiskOut(BaseModel):
    conversation_id: int
    account_id: int
    network: Network
    channel: Channel
    contact: dict
    snippet: str
    assignee: dict | None
    sla: dict = Field(description="The conversation's clock, as in the conversation's \"sla\" field.")


class SummaryOut(BaseModel):
    as_of: datetime
    totals: Counts
    channels: dict[Channel, Counts] = Field(description=CHANNEL_COUNTS + " (the totals' split)")
    accounts: list[AccountSummaryOut]
    networks: list[dict]
    at_risk: list[AtRiskOut]
    stalled_accounts: list[int]
    attainment: dict


class WorkloadQuery(Query):
    tz: str = Field(default="UTC", max_length=64, description="Time zone that decides when 'today' starts.")

    _tz = field_validator("tz")(_valid_timezone)


class AgentWorkloadOut(BaseModel):
    user_id: int
    name: str
    role: str
    is_available: bool
    open_assigned: int
    breached_assigned: int
    answered_today: int
    median_response_seconds: float | None


class WorkloadOut(BaseModel):
    as_of: datetime
    since: datetime
    items: list[AgentWorkloadOut]


# --- reports ------------------------------------------------------------------------------

class ReportQuery(Query):
    start: date = Field(alias="from", description="First day (inclusive), in `tz`.")
    end: date = Field(alias="to", description="Last day (inclusive), in `tz`.")
    tz: str = Field(default="UTC", max_length=64)
    group: Literal["day", "account", "network", "channel", "agent"] = "day"
    account: int | None = Field(default=None, ge=1, le=MAX_ID)
    network: Network | None = None
    channel: Channel | None = Field(default=None, description="Only clocks of public or of private conversations.")
    format: Literal["json", "csv"] = "json"

    _tz = field_validator("tz")(_valid_timezone)

    @model_validator(mode="after")
    def _range(self):
        if self.end < self.start:
            raise ValueError("'to' must not be before 'from'")
        if (self.end - self.start).days > 366:
            raise ValueError("a report covers at most 366 days")
        return self


class ReportGroupOut(ChannelFigures):
    key: str | int | None
    label: str


class ReportOut(BaseModel):
    range: dict
    group: str
    channel: Channel | None = None
    totals: ChannelFigures
    groups: list[ReportGroupOut]
    by_hour: list[int]
    days: list[dict]


class ClocksQuery(ReportQuery):
    cursor: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=500, ge=1, le=5000)


class ClockOut(BaseModel):
    id: int
    conversation_id: int
    account_id: int
    account: str | None
    network: Network | None
    channel: Channel
    policy_id: int | None
    kind: str
    state: str
    started_at: datetime
    warn_at: datetime
    breach_at: datetime
    warned_at: datetime | None
    breached_at: datetime | None
    stopped_at: datetime | None
    stop_reason: str | None
    answered_by_user_id: int | None
    answered_by: str | None
    response_seconds: float | None
    met: bool | None


class ClockListOut(BaseModel):
    items: list[ClockOut]
    next_cursor: str | None
