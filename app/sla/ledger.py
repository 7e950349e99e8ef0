"""What one conversation's SLA outcomes mean for the clock rows, when several happen before anything is stored.

A poller's page can start a clock, stop it with a native answer and start the next one for the same
conversation in one batch. `ClockWrites` folds those outcomes (app/sla/rules.py) into the writes the
store makes: at most one stop or move of the clock that was running in the database, then the new
clocks in the order they started (all but the last already stopped).
"""
from dataclasses import dataclass, field


@dataclass
class ClockWrites:
    stored_running: bool  # a clock of this conversation was running in the database before these outcomes
    stop_stored: object = None  # StoppedClock of that clock
    move_stored: object = None  # that clock with new times
    new: list = field(default_factory=list)  # [(Clock, StoppedClock | None)] in start order

    def add(self, outcome):
        if outcome.stopped is not None:
            if self._pending_running():
                self.new[-1] = (self.new[-1][0], outcome.stopped)
            elif self.stored_running and self.stop_stored is None:
                self.stop_stored = outcome.stopped
            else:
                raise ValueError("an outcome stopped a clock that is not running")
        if outcome.moved is not None:
            if self._pending_running():
                self.new[-1] = (outcome.moved, None)
            elif self.stored_running and self.stop_stored is None:
                self.move_stored = outcome.moved
            else:
                raise ValueError("an outcome moved a clock that is not running")
        if outcome.started is not None:
            self.new.append((outcome.started, None))
        return self

    def _pending_running(self):
        return bool(self.new) and self.new[-1][1] is None

    @property
    def empty(self):
        return self.stop_stored is None and self.move_stored is None and not self.new
