"""Request counters for tests and the demo: per endpoint, per account, peak concurrency, items served.

The peak of concurrent in-flight requests per account is how multi-worker
tests prove that only one worker polls an account at a time; how often each
post was served in a listing is how resume tests prove no range was read twice.
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
        self._served = {}  # network -> Counter of object ids served in listings
        self._epoch = 0  # bumped by clear(): requests begun before it no longer count

    def begin(self, endpoint, account):
        """Count a request; returns the token to pass to end()."""
        with self._lock:
            self._by_endpoint[endpoint] += 1
            self._by_account[account] += 1
            self._in_flight[account] += 1
            self._max_in_flight[account] = max(self._max_in_flight[account], self._in_flight[account])
            return self._epoch

    def end(self, account, epoch):
        with self._lock:
            if epoch == self._epoch:
                self._in_flight[account] -= 1

    def note_served(self, network, object_ids):
        """Count the posts a listing response carried (tweets of a timeline page, comments of a stream page)."""
        with self._lock:
            self._served.setdefault(network, Counter()).update(object_ids)

    def served(self, network):
        """{object id: how many responses carried it} for `network` (a copy)."""
        with self._lock:
            return Counter(self._served.get(network, Counter()))

    def clear(self):
        """Start counting afresh; requests still in flight (a sleeping fault) are forgotten."""
        with self._lock:
            self._epoch += 1
            for counter in (self._by_endpoint, self._by_account, self._in_flight, self._max_in_flight):
                counter.clear()
            self._served.clear()

    def snapshot(self):
        with self._lock:
            accounts = set(self._by_account) | set(self._max_in_flight)
            return {
                "requests": sum(self._by_endpoint.values()),
                "endpoints": dict(self._by_endpoint),
                "served": {network: {"items": len(counts), "repeats": sum(counts.values()) - len(counts)}
                           for network, counts in self._served.items()},
                "accounts": {
                    account: {
                        "requests": self._by_account[account],
                        "in_flight": self._in_flight[account],
                        "max_in_flight": self._max_in_flight[account],
                    }
                    for account in sorted(accounts)
                },
            }
