"""Brakes on guessing: sign-in attempts per account and per client address, failed token checks per address.

Counts are kept by `limits`, the rate-limiting engine of Flask-Limiter (its storages, strategies and
limit strings): in memory in the one-process default, in Redis when REDIS_URL is set, so every web node
spends from the same budgets. Each budget is a limit string ("5 per minute; 20 per hour") read from the
configuration, counted in a moving window.

Flask-Limiter's extension itself is not installed: its hooks evaluate route limits on every request
(a measurable cost on the hot API paths) and we have none; these budgets are spent at exact points
instead: before a password is checked, before a token is looked up, and in the Socket.IO connect
handler, which no route decorator reaches.

If Redis cannot be reached, counting goes on in this process's memory for a few seconds before Redis
is tried again: a node keeps braking guesses on its own rather than refusing every sign-in or
waiting on Redis for each API call.
"""
import logging
import math
import time
from functools import lru_cache

from flask import current_app
from limits import parse_many
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)

STORAGE_RETRY_SECONDS = 5


class Throttled(Exception):
    """Too many attempts: refused before anything was checked. `retry_after` is in whole seconds."""

    def __init__(self, budget, retry_after):
        super().__init__(f"{budget} exhausted; retry after {retry_after} s")
        self.budget = budget
        self.retry_after = retry_after


@lru_cache(maxsize=32)
def _parse(limit_string):
    return tuple(parse_many(limit_string))


class Budget:
    """A named allowance of attempts per key (an e-mail, a client address), set by one config value."""

    def __init__(self, name, setting):
        self.name = name
        self.setting = setting

    def spend(self, key):
        """Count an attempt now; raises Throttled (and the caller stops) when none was left."""
        self._run("hit", key)

    def check(self, key):
        """Raises Throttled when nothing is left; counts nothing (pair with `charge` after a failure)."""
        self._run("test", key)

    def charge(self, key):
        """Count a failure that already happened."""
        for item in self._items():
            _call("hit", item, self._ids(key))

    def once_per_window(self, key):
        """True the first time in the shortest window for `key` (to log a flood once, not per request)."""
        item = min(self._items(), key=lambda i: i.get_expiry())
        return _call("hit", _parse(f"1 per {item.get_expiry()} seconds")[0], (self._prefix(), "once", self.name, key))

    def _run(self, method, key):
        ids = self._ids(key)
        for item in self._items():
            if not _call(method, item, ids):
                raise Throttled(self.name, _retry_after(item, ids))

    def _items(self):
        return _parse(current_app.config[self.setting])

    def _ids(self, key):
        return (self._prefix(), self.name, str(key or "-").lower())

    @staticmethod
    def _prefix():
        return current_app.extensions["carebox_throttle"]["prefix"]


LOGIN_PER_ACCOUNT = Budget("login-account", "CAREBOX_LOGIN_LIMIT_ACCOUNT")
LOGIN_FAILURES_PER_IP = Budget("login-ip", "CAREBOX_LOGIN_LIMIT_IP")
TOKEN_FAILURES_PER_IP = Budget("token-ip", "CAREBOX_TOKEN_LIMIT_IP")


def _strategies():
    state = current_app.extensions["carebox_throttle"]
    if state["storage_down_until"] > time.monotonic():
        return state["fallback"], None
    return state["strategy"], state


def _call(method, item, ids):
    strategy, state = _strategies()
    try:
        return getattr(strategy, method)(item, *ids)
    except Exception as exc:
        if state is None:
            raise
        log.warning("rate-limit storage unreachable, counting in memory for %d s: %s", STORAGE_RETRY_SECONDS, exc)
        state["storage_down_until"] = time.monotonic() + STORAGE_RETRY_SECONDS
        return getattr(state["fallback"], method)(item, *ids)


def _retry_after(item, ids):
    strategy, _ = _strategies()
    try:
        reset_at = strategy.get_window_stats(item, *ids).reset_time
    except Exception:
        return item.get_expiry()
    return max(1, math.ceil(reset_at - time.time()))


def reset():
    """Forget every count (tests; with Redis, every counter of the storage)."""
    state = current_app.extensions["carebox_throttle"]
    state["strategy"].storage.reset()
    state["fallback"].storage.reset()


def init_app(app):
    redis_url = app.config.get("REDIS_URL")
    # Short timeouts: an unreachable Redis costs a sign-in a second, then memory takes over for a while.
    storage = storage_from_string(redis_url, socket_connect_timeout=1, socket_timeout=1) if redis_url \
        else MemoryStorage()
    app.extensions["carebox_throttle"] = {
        "strategy": MovingWindowRateLimiter(storage),
        "fallback": MovingWindowRateLimiter(MemoryStorage()),
        "storage_down_until": 0.0,
        # Deployments (and test runs) sharing one Redis keep their own counts, as they keep their own channel.
        "prefix": app.config.get("CAREBOX_SOCKETIO_CHANNEL") or "carebox",
    }
