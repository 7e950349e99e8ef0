"""Id generation: X-style snowflakes that grow with time.

Because ids encode the clock, `since_id` cursors stored by Carebox keep
working across sandbox restarts (new posts always get larger ids), just as
on the real network. Facebook object ids reuse the same numbers.
"""
import threading
import time
from datetime import datetime, timezone

TWITTER_EPOCH_MS = 1288834974657  # X's snowflake epoch (2010-11-04)
SEQUENCE_BITS = 22


BACKDATED_SEQUENCE = 1 << (SEQUENCE_BITS - 1)  # sequences of backdated ids: never those next() hands out


class SnowflakeIds:
    def __init__(self):
        self._lock = threading.Lock()
        self._last_ms = 0
        self._sequence = 0
        self._backdated = {}  # ms -> last sequence used by at()

    def next(self):
        with self._lock:
            ms = max(int(time.time() * 1000) - TWITTER_EPOCH_MS, self._last_ms)
            if ms == self._last_ms:
                self._sequence += 1
                if self._sequence >= 1 << SEQUENCE_BITS:
                    ms, self._sequence = ms + 1, 0
            else:
                self._sequence = 0
            self._last_ms = ms
            return (ms << SEQUENCE_BITS) | self._sequence


    def at(self, when):
        """An id for an object created at `when`: what next() gives for now, an id of that moment for the past.

        On X an id encodes its creation time, so a post backdated by an hour sorts (and pages) an hour
        back, below the posts written since.
        """
        ms = int(when.timestamp() * 1000) - TWITTER_EPOCH_MS
        if ms < 0 or ms >= int(time.time() * 1000) - TWITTER_EPOCH_MS:
            return self.next()
        with self._lock:
            sequence = self._backdated.get(ms, BACKDATED_SEQUENCE - 1) + 1
            self._backdated[ms] = sequence
        return (ms << SEQUENCE_BITS) | sequence


def snowflake_time(snowflake):
    """The creation time encoded in an X id."""
    ms = (int(snowflake) >> SEQUENCE_BITS) + TWITTER_EPOCH_MS
    return datetime.fromtimestamp(ms / 1000, timezone.utc)
