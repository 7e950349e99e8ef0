"""Request counters for tests and the demo: per endpoint, per account, and peak concurrency.

The peak of concurrent in-flight requests per account is how multi-worker
tests prove that only one worker polls an account at a time.
"""
import threading
from collections import Counter


class RequestStats:
    def __init__(self):
        self._lock = threading.Lock()
        self._by_endpoint = Counter()
        self._by_account = Counter()
        self._in_flight = Counter()
        self._max_in_flight = Counter()

    def begin(self, endpoint, account):
        with self._lock:
            self._by_endpoint[endpoint] += 1
            self._by_account[account] += 1
            self._in_flight[account] += 1
            self._max_in_flight[account] = max(self._max_in_flight[account], self._in_flight[account])

    def end(self, account):
        with self._lock:
            self._in_flight[account] -= 1

    def clear(self):
        """Forget the counts, but not requests still in flight (they will end later)."""
        with self._lock:
            self._by_endpoint.clear()
            self._by_account.clear()
            self._max_in_flight = Counter({k: v for k, v in self._in_flight.items() if v > 0})

    def snapshot(self):
        with self._lock:
            accounts = set(self._by_account) | set(self._max_in_flight)
            return {
                "requests": sum(self._by_endpoint.values()),
                "endpoints": dict(self._by_endpoint),
                "accounts": {
                    account: {
                        "requests": self._by_account[account],
                        "in_flight": self._in_flight[account],
                        "max_in_flight": self._max_in_flight[account],
                    }
                    for account in sorted(accounts)
                },
            }
