"""The Redis message queue that carries Socket.IO events between web nodes and workers."""
import threading
import time
from contextlib import contextmanager

import socketio

from app.events.revocation import RoomDisconnects
from app.events.rooms import RoomMembership

MAX_RECONNECT_SECONDS = 3


class RedisQueue(RoomDisconnects, RoomMembership, socketio.RedisManager):
    """python-socketio's RedisManager, with short timeouts, a quick way back after an outage, and the
    events of one commit published together.

    The library doubles its wait between reconnection attempts up to 60 s, so after a long Redis
    outage nodes would stay deaf to each other for up to a minute while /readyz already says
    Redis is fine. Here the wait is capped at a few seconds.

    The library publishes each event with its own round trip to Redis; a worker storing a poller's
    page of 100 emits over a hundred, which halved its ingest rate (bench/ingest.py with REDIS_URL).
    Inside `publishing_together()` they go as one pipeline of PUBLISH commands instead: the same
    messages in the same order, so nodes of any version understand them.

    RoomDisconnects adds disconnecting a whole room on every node (access that ends, app/realtime/revocation.py);
    RoomMembership moving a whole room's connections in and out of others (team membership, app/events/rooms.py).
    """

    def __init__(self, url, channel):
        super().__init__(url, channel=channel, redis_options={
            "socket_connect_timeout": 1, "socket_timeout": 2, "health_check_interval": 15})
        self._held = threading.local()  # per thread (per greenlet under gevent): the messages held back

    @contextmanager
    def publishing_together(self):
        """Publish the events emitted in the block in one round trip when it ends (local clients get them at once)."""
        if getattr(self._held, "messages", None) is not None:  # nested: the outer block publishes
            yield
            return
        self._held.messages = []
        try:
            yield
        finally:
            messages, self._held.messages = self._held.messages, None
            if messages:
                self._publish_all(messages)

    def _publish(self, data):
        held = getattr(self._held, "messages", None)
        if held is None:
            return super()._publish(data)
        held.append(data)
        return None

    def _publish_all(self, messages):
        for retries_left in (1, 0):  # as the library's _publish: reconnect once, then give up and say so
            try:
                if not self.connected:
                    self._redis_connect()
                pipeline = self.redis.pipeline(transaction=False)
                for data in messages:
                    pipeline.publish(self.channel, self.json.dumps(data))
                pipeline.execute()
                return
            except Exception as exc:
                self.connected = False
                self._get_logger().error("Cannot publish %d events to redis... %s (%s)", len(messages),
                                         "retrying" if retries_left else "giving up", exc)

    def _redis_listen_with_retries(self):  # overrides the library's loop (same logic, capped wait)
        retry_sleep = 0.5
        subscribed = False
        while True:
            try:
                if not subscribed:
                    self._redis_connect()
                    self.pubsub.subscribe(self.channel)
                    subscribed = True
                    retry_sleep = 0.5
                yield from self.pubsub.listen()
            except Exception as exc:
                self._get_logger().error("Cannot receive from redis... retrying in %.1f secs (%s)", retry_sleep, exc)
                subscribed = False
                time.sleep(retry_sleep)
                retry_sleep = min(retry_sleep * 2, MAX_RECONNECT_SECONDS)
