"""SLA clocks (semantics in ../shared/DESIGN.md, "SLA semantics")."""
from app.sla.clock import effective_policy, due_times, start_clock, stop_clock  # noqa: F401
