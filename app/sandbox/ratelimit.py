"""Fixed-window request budgets, the way X counts them.

A window opens at a key's first request and lasts `window` seconds; every
request in it spends one call, refused ones included once the budget is gone.
"""
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    limit: int
    remaining: int
    reset: int  # epoch seconds when the window ends
    allowed: bool
    used: int


class FixedWindowLimiter:
    def __init__(self):
        self._lock = threading.Lock()
        self._windows = {}  # key -> [window_end, calls]

    def hit(self, key, limit, window):
        """Spend one call of `key`'s budget and say whether it was within it."""
        now = time.time()
        with self._lock:
            end, calls = self._windows.get(key, (0, 0))
            if now >= end:
                end, calls = now + window, 0
            calls += 1
            self._windows[key] = [end, calls]
        return Budget(limit, max(limit - calls, 0), int(end + 0.999), calls <= limit, calls)

    def exhaust(self, key, limit, window):
        """Spend the whole budget (a '429' fault): the headers then say so."""
        now = time.time()
        with self._lock:
            end, _ = self._windows.get(key, (0, 0))
            if now >= end:
                end = now + window
            self._windows[key] = [end, limit]
        return Budget(limit, 0, int(end + 0.999), False, limit)

    def clear(self):
        with self._lock:
            self._windows.clear()
