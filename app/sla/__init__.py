"""SLA clocks (semantics in ../shared/DESIGN.md, "SLA semantics").

- hours.py: business-hours arithmetic (time zones, periods past midnight, holidays, DST).
- policies.py: which policy governs an account, cached per transaction.
- clock.py: start and stop clocks (ingest, replies, resolving call these).
- sweep.py: the worker job that moves clocks ok -> warning -> breached, exactly once.
- recompute.py: new due times for running clocks when a policy or an assignment changes.
- state.py: the clock as the inbox shows it now (paused outside business hours, …).
"""
from app.sla.clock import due_times, start_clock, stop_clock  # noqa: F401
from app.sla.policies import effective_policy  # noqa: F401
