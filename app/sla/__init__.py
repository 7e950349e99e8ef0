"""SLA clocks (semantics in docs/design.md, "SLA semantics").

- rules.py: THE rules, as plain functions every path uses (no database).
- hours.py: business-hours arithmetic (time zones, periods past midnight, holidays, DST).
- policies.py: which policy governs an account's public or private conversations, cached per transaction.
- store.py: clock rows and the conversation's mirror of its running clock.
- ledger.py: several outcomes for one conversation folded into the writes they mean.
- conversation.py: one conversation's SLA as agents' actions change it (answer, resolve, reopen).
- sweep.py: the worker job that moves clocks ok -> warning -> breached, exactly once.
- recompute.py: new due times for running clocks when a policy changes.
- state.py: the clock as the inbox shows it now (paused outside business hours, …).
- manage.py: creating and assigning policies (the API and the settings page).
"""
