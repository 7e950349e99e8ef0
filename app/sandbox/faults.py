"""Faults armed by tests: make the next N matching requests fail in a chosen way."""
import threading
from dataclasses import dataclass

FAULT_KINDS = ("429", "503", "timeout", "malformed", "bad_token", "reset_connection", "duplicate_page")


@dataclass
class Fault:
    kind: str
    count: int
    network: str | None = None  # "twitter", "facebook" or None for both
    path_contains: str | None = None
    delay: float | None = None  # seconds to sleep before failing (a "timeout" sleeps this long)
    skip: int = 0  # let this many matching requests through first (to fail mid-pagination)

    def matches(self, network, path):
        return (self.network in (None, network)) and (not self.path_contains or self.path_contains in path)

    def to_dict(self):
        return {"kind": self.kind, "count": self.count, "network": self.network,
                "path_contains": self.path_contains, "delay": self.delay, "skip": self.skip}


class FaultBook:
    def __init__(self):
        self._lock = threading.Lock()
        self._faults = []

    def add(self, fault):
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}; expected one of {', '.join(FAULT_KINDS)}")
        if fault.count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, network, path, kinds):
        """Consume one use of the first armed fault of one of `kinds` matching this request."""
        with self._lock:
            for fault in self._faults:
                if fault.kind in kinds and fault.matches(network, path):
                    if fault.skip > 0:
                        fault.skip -= 1
                        continue
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def clear(self):
        with self._lock:
            self._faults.clear()

    def pending(self):
        with self._lock:
            return [f.to_dict() for f in self._faults]
