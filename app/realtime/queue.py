"""The Redis message queue that carries Socket.IO events between web nodes and workers."""
import time

import socketio

MAX_RECONNECT_SECONDS = 3


class RedisQueue(socketio.RedisManager):
    """python-socketio's RedisManager, with short timeouts and a quick way back after an outage.

    The library doubles its wait between reconnection attempts up to 60 s, so after a long Redis
    outage nodes would stay deaf to each other for up to a minute while /readyz already says
    Redis is fine. Here the wait is capped at a few seconds.
    """

    def __init__(self, url, channel):
        super().__init__(url, channel=channel, redis_options={
            "socket_connect_timeout": 1, "socket_timeout": 2, "health_check_interval": 15})

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
