"""The Redis message queue between web nodes and workers (app/realtime/queue.py), against the local Redis.

A commit's events reach Redis in one pipeline, in order, and only once the commit's events are all
emitted; outside such a block each event is published at once, as the library does.
"""
import json
import os
import uuid

import pytest
import redis

from app.extensions import socketio
from app.ingest.items import InboundAuthor, InboundItem
from app.ingest.pipeline import ingest
from app.realtime.queue import RedisQueue

REDIS_URL = os.environ.get("CAREBOX_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CHANNEL = f"carebox-test-queue-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def listener():
    """A subscriber on this module's channel, as another node's queue would be."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(CHANNEL)
    pubsub.get_message(timeout=1)  # the subscription confirmation
    yield pubsub
    pubsub.close()
    client.close()


def received(pubsub, count, timeout=2):
    messages = []
    while len(messages) < count:
        message = pubsub.get_message(timeout=timeout)
        assert message is not None, f"only {len(messages)} of {count} messages arrived"
        messages.append(json.loads(message["data"]))
    return messages


class PipelineSpy:
    """Counts the pipelines a RedisQueue executes and the PUBLISH commands it sends outside them."""

    def __init__(self, queue, monkeypatch):
        queue._redis_connect()
        self.pipelines, self.single = [], 0
        real_pipeline, real_publish = queue.redis.pipeline, queue.redis.publish

        def pipeline(**kw):
            pipe = real_pipeline(**kw)
            real_execute = pipe.execute

            def execute():
                self.pipelines.append(len(pipe.command_stack))
                return real_execute()

            pipe.execute = execute
            return pipe

        def publish(*args):
            self.single += 1
            return real_publish(*args)

        monkeypatch.setattr(queue.redis, "pipeline", pipeline)
        monkeypatch.setattr(queue.redis, "publish", publish)


def test_events_emitted_together_reach_redis_in_one_pipeline_in_order(listener, monkeypatch):
    queue = RedisQueue(REDIS_URL, CHANNEL)
    spy = PipelineSpy(queue, monkeypatch)
    with queue.publishing_together():
        for n in range(3):
            queue.emit("message.created", {"n": n}, namespace="/", room="staff")
        assert listener.get_message(timeout=0.3) is None  # held back until the block ends
    assert [m["data"][0]["n"] for m in received(listener, 3)] == [0, 1, 2]
    assert spy.pipelines == [3] and spy.single == 0

    queue.emit("message.created", {"n": 3}, namespace="/", room="staff")  # outside a block: at once, alone
    assert received(listener, 1)[0]["data"][0]["n"] == 3
    assert spy.single == 1


@pytest.mark.config(REDIS_URL=REDIS_URL, CAREBOX_SOCKETIO_CHANNEL=CHANNEL)
def test_a_commits_events_go_to_the_other_nodes_together(app, db, custom_account, listener, monkeypatch):
    manager = socketio.server.manager
    assert isinstance(manager, RedisQueue)
    manager.write_only = True  # this test listens itself; no subscriber thread left behind in the test process
    spy = PipelineSpy(manager, monkeypatch)
    items = [InboundItem(f"q-{n}", f"text {n}", None, InboundAuthor(f"c{n}")) for n in range(3)]
    ingest(db.session, custom_account, items)
    db.session.commit()

    messages = received(listener, 6)  # a new conversation and its message, for each customer
    assert [m["event"] for m in messages] == ["conversation.created"] * 3 + ["message.created"] * 3
    assert [m["data"][0]["message"]["external_id"] for m in messages[3:]] == ["q-0", "q-1", "q-2"]
    assert spy.pipelines == [6] and spy.single == 0
