"""Faults armed by tests: make matching requests fail the way the real networks (and proxies) fail.

A fault fails the next `count` matching requests (after letting `skip` through), or, with `every=k`,
every k-th matching request: indefinitely, `count` times, or for `duration` seconds after it was armed.

Kinds (each network words them its own way; see twitter_api / graph_api):
- "429": the rate limit. X: 429 with x-rate-limit-* headers (the window spent). Graph: an error with
  `code` 4, 17, 32 (default; Instagram: 80002), 613, 80001 or 80002 and the usage headers, `retry_after` seconds to regain access.
- "500" / "503": the network's own server errors (X problem JSON; Graph codes 1 and 2).
- "html": an HTML error page from a proxy or load balancer in front of the API (`status` 502 by default;
  503, 504 or even 200), which neither tweepy nor facebook-sdk can parse.
- "timeout": answer normally, but only after `delay` seconds (long after a client's timeout).
- "malformed": a 200 with truncated JSON. "reset_connection": drop the TCP connection unanswered.
- "bad_token": the credentials are refused.
- "duplicate_page": the next page repeats the last `overlap` items of the previous one.
"""
import threading
import time
from dataclasses import dataclass, field

FAULT_KINDS = ("429", "500", "503", "html", "timeout", "malformed", "bad_token", "reset_connection",
               "duplicate_page")
GRAPH_RATE_LIMIT_CODES = (4, 17, 32, 613, 80001, 80002)
HTML_STATUSES = (200, 500, 502, 503, 504)


@dataclass
class Fault:
    kind: str
    count: int | None = 1  # failures before the fault is used up (None: no limit, for periodic faults)
    network: str | None = None  # "twitter", "facebook", "instagram" or None for all
    path_contains: str | None = None
    delay: float | None = None  # seconds to sleep before failing (a "timeout" sleeps this long)
    skip: int = 0  # let this many matching requests through first (to fail mid-pagination)
    every: int | None = None  # fail every k-th matching request instead of the next ones
    duration: float | None = None  # a periodic fault ends this many seconds after it was armed
    code: int | None = None  # Graph rate-limit code for "429"
    status: int | None = None  # HTTP status of an "html" page
    overlap: int = 1  # items a "duplicate_page" repeats
    retry_after: float | None = None  # Graph "429": seconds until access comes back (the usage headers)
    armed_at: float = field(default_factory=time.time)
    seen: int = 0  # matching requests so far (after skip)

    def matches(self, network, path):
        return (self.network in (None, network)) and (not self.path_contains or self.path_contains in path)

    def expired(self, now):
        return self.duration is not None and now >= self.armed_at + self.duration

    def to_dict(self):
        return {"kind": self.kind, "count": self.count, "network": self.network,
                "path_contains": self.path_contains, "delay": self.delay, "skip": self.skip,
                "every": self.every, "duration": self.duration, "code": self.code, "status": self.status,
                "overlap": self.overlap, "retry_after": self.retry_after}


def validate(fault):
    if fault.kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {fault.kind!r}; expected one of {', '.join(FAULT_KINDS)}")
    if fault.count is not None and fault.count < 1:
        raise ValueError("count must be at least 1 (or null for a periodic fault without end)")
    if fault.count is None and not fault.every:
        raise ValueError("only a periodic fault (every) may have no count")
    if fault.every is not None and fault.every < 1:
        raise ValueError("every must be at least 1")
    if fault.duration is not None and fault.duration <= 0:
        raise ValueError("duration must be positive")
    if fault.code is not None and fault.code not in GRAPH_RATE_LIMIT_CODES:
        raise ValueError(f"code must be one of {GRAPH_RATE_LIMIT_CODES} (Graph rate limits)")
    if fault.status is not None and fault.status not in HTML_STATUSES:
        raise ValueError(f"status must be one of {HTML_STATUSES}")
    if fault.overlap < 1:
        raise ValueError("overlap must be at least 1")
    return fault


class FaultBook:
    def __init__(self):
        self._lock = threading.Lock()
        self._faults = []

    def add(self, fault):
        validate(fault)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, network, path, kinds):
        """The first armed fault of one of `kinds` that fails this request (using it up), or None.

        Faults are tried in the order they were armed; one that skips or waits for its turn (every)
        lets the next one try.
        """
        now = time.time()
        with self._lock:
            for fault in list(self._faults):
                if fault.expired(now):
                    self._faults.remove(fault)
                    continue
                if fault.kind not in kinds or not fault.matches(network, path):
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                fault.seen += 1
                if fault.every and fault.seen % fault.every:
                    continue
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    def clear(self):
        with self._lock:
            self._faults.clear()

    def pending(self):
        now = time.time()
        with self._lock:
            return [f.to_dict() for f in self._faults if not f.expired(now)]
