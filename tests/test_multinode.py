"""Carebox scaled out on this machine: two gunicorn web nodes (A with the gthread worker, B with gevent),
two `flask worker`s, the sandbox, PostgreSQL (the test run's database) and Redis (the shared server,
on a channel of this run's own).

What each test proves, end to end over real HTTP and real Socket.IO clients:
- an agent on web node A sees what a worker ingested and what a colleague replied through node B;
- presence (viewing, typing, leaving) crosses nodes;
- the workers share the accounts and never poll one account twice at once (the sandbox counts);
- SLA transitions and webhook deliveries happen exactly once across both workers, even when the
  sweeping worker hands over to the other;
- a SIGKILLed worker's accounts move to the survivor once its leases run out.
Latencies are printed, not asserted (the sandbox and the nodes share two cores with the test).
"""
import os
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
import requests
import sqlalchemy as sa

from tests.fixtures.cluster import (
    LEASE_SECONDS, Cluster, SocketAgent, api, multinode_marks, report, reset_sandbox, seed, truncate_all_tables,
    wait_until, x_brand,
)
from tests.fixtures.polling import assert_stored_exactly_once
from tests.fixtures.webhook_receiver import receiver  # noqa: F401  (fixture)

REDIS_URL = os.environ.get("CAREBOX_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
pytestmark = multinode_marks()

REPLY_BRAND = x_brand(0)  # the realtime test replies on this one (a reply is a request outside the poll lease)
SPLIT_BRANDS = [x_brand(n) for n in range(1, 5)]


def ms(seconds):
    return f"{seconds * 1000:.0f} ms"


def parse_time(value):
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def cluster(migrated, tmp_path_factory, request):
    """The whole cluster, started once for this module, on the test run's PostgreSQL database."""
    import redis

    from app import create_app
    from app.extensions import db
    from tests.conftest import make_config

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(f"multi-node tests need Redis at {REDIS_URL} ({exc})", pytrace=False)
    context = create_app(make_config(migrated)).app_context()  # the test's own view of the database
    context.push()
    nodes = Cluster(migrated, REDIS_URL, tmp_path_factory.mktemp("multinode"))
    failed_before, started = request.session.testsfailed, False
    try:
        sandbox = nodes.start_sandbox()
        nodes.start_web("web-a")
        nodes.start_web("web-b", worker="gevent")  # both supported web workers, talking through Redis
        nodes.wait_ready()
        reset_sandbox(sandbox, [REPLY_BRAND, *SPLIT_BRANDS])
        nodes.world = seed(db, sandbox, [REPLY_BRAND, *SPLIT_BRANDS])
        nodes.start_worker("worker-1")
        nodes.start_worker("worker-2")
        nodes.wait_ready()
        started = True
        yield nodes
    finally:
        nodes.stop()
        if not started or request.session.testsfailed > failed_before:
            print(f"cluster logs kept in {nodes.save_logs('multinode')}")
        truncate_all_tables(db)  # the next tests start from an empty database, as conftest's app fixture leaves it
        db.engine.dispose()
        context.pop()
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).delete(f"{nodes.channel}:presence")


@pytest.fixture
def db(cluster):
    """The test's view of the cluster's database (not conftest's `db`, which empties it after each test)."""
    from app.extensions import db as database

    return database


@pytest.fixture
def agents(cluster):
    """agents(name, node) -> a SocketAgent for that staff member on that node; all closed at the end."""
    opened = []

    def connect(name, node):
        agent = SocketAgent(cluster.url(node), cluster.world.tokens[name])
        opened.append(agent)
        return agent

    yield connect
    for agent in opened:
        agent.close()


def push_message(cluster, node, external_id, *, author, created_at=None, text="hello"):
    body = {"account_id": cluster.world.custom_account_id, "external_id": external_id, "text": text,
            "author": {"external_id": author, "handle": author}}
    if created_at is not None:
        body["created_at"] = created_at.isoformat()
    resp = api(cluster.url(node), cluster.world.tokens["Alex"], "POST", "/messages", json=body)
    assert resp.status_code == 201, resp.text
    return resp.json()


def inject_tweet(cluster, brand, text):
    resp = requests.post(f"{cluster.url('sandbox')}/_sandbox/posts", json={
        "network": "twitter", "account": brand["user_id"], "text": f"@{brand['username']} {text}"}, timeout=10)
    assert resp.status_code == 201, resp.text
    return resp.json()["id"]


def sandbox_stats(cluster):
    return requests.get(f"{cluster.url('sandbox')}/_sandbox/stats", timeout=10).json()


def polls_by_worker(cluster):
    """{worker name: Counter(account id -> polls that fetched)} from each worker's log."""
    counts = {}
    for name in cluster.workers(alive=False):
        counts[name] = Counter(int(line.split("poll account=")[1].split()[0])
                               for line in cluster.log_lines(name, "poll account="))
    return counts


def test_agent_on_node_a_sees_worker_ingest_and_reply_through_node_b(cluster, agents, request):
    alex, sam = agents("Alex", "web-a"), agents("Sam", "web-b")
    tweet_id = inject_tweet(cluster, REPLY_BRAND, "my parcel never arrived <script>alert(1)</script>")

    created, seen_at = alex.wait_for("message.created", lambda d: d["message"]["external_id"] == tweet_id, timeout=30)
    ingested_at = parse_time(created["message"]["received_at"]).timestamp()
    report(request, "multinode", f"worker ingest → agent on node A: {ms(seen_at - ingested_at)}")
    assert created["message"]["text"].endswith("<script>alert(1)</script>")  # data as sent: rendering escapes it
    sam.wait_for("message.created", lambda d: d["message"]["external_id"] == tweet_id)

    conversation_id = created["conversation"]["id"]
    sent_at = time.time()
    resp = api(cluster.url("web-b"), cluster.world.tokens["Sam"], "POST", f"/conversations/{conversation_id}/replies",
               json={"text": "So sorry! A new parcel leaves today.", "last_seen_message_id": created["message"]["id"]})
    assert resp.status_code == 202, resp.text
    reply_id = resp.json()["id"]
    reply, seen_at = alex.wait_for("message.created", lambda d: d["message"]["id"] == reply_id)
    report(request, "multinode", f"reply through node B → agent on node A: {ms(seen_at - sent_at)}")
    assert reply["message"]["direction"] == "outbound" and reply["message"]["author"]["name"] == "Sam"
    delivered, seen_at = alex.wait_for(
        "message.updated", lambda d: d["message"]["id"] == reply_id and d["message"]["delivery_status"] == "sent")
    report(request, "multinode", f"reply through node B → 'sent' on node A: {ms(seen_at - sent_at)}")
    posted = requests.get(f"{cluster.url('sandbox')}/_sandbox/replies", timeout=10).json()["replies"]
    assert [(r["in_reply_to"], r["text"]) for r in posted] == [(tweet_id, "So sorry! A new parcel leaves today.")]
    assert delivered["message"]["external_id"] == posted[0]["id"]
    report(request, "multinode", f"websocket disconnect from gunicorn: {ms(sam.close())}")


def test_presence_crosses_nodes(cluster, agents, request):
    conversation_id = push_message(cluster, "web-a", "presence-1", author="presence-customer")["conversation_id"]
    alex, sam = agents("Alex", "web-a"), agents("Sam", "web-b")

    asked_at = time.time()
    snapshot = alex.client.call("view", {"conversation_id": conversation_id}, timeout=10)
    assert [v["name"] for v in snapshot["viewers"]] == ["Alex"]
    seen, seen_at = sam.wait_for("presence", lambda d: d["conversation_id"] == conversation_id
                                 and [v["name"] for v in d["viewers"]] == ["Alex"])
    report(request, "multinode", f"presence (view) node A → node B: {ms(seen_at - asked_at)}")
    # On (re)connect a client asks for everyone's presence: node B answers from the shared state.
    everyone = sam.client.call("presence", timeout=10)
    assert any(s["conversation_id"] == conversation_id and [v["name"] for v in s["viewers"]] == ["Alex"]
               for s in everyone)

    asked_at = time.time()
    sam.client.emit("typing", {"conversation_id": conversation_id, "typing": True})
    typing, seen_at = alex.wait_for("presence", lambda d: d["conversation_id"] == conversation_id
                                    and [t["name"] for t in d["typers"]] == ["Sam"])
    assert sorted(v["name"] for v in typing["viewers"]) == ["Alex", "Sam"]
    report(request, "multinode", f"presence (typing) node B → node A: {ms(seen_at - asked_at)}")

    took = alex.close()
    gone, seen_at = sam.wait_for("presence", lambda d: d["conversation_id"] == conversation_id
                                 and "Alex" not in [v["name"] for v in d["viewers"]])
    assert [v["name"] for v in gone["viewers"]] == ["Sam"]
    report(request, "multinode", f"websocket disconnect from gunicorn: {ms(took)}")


def test_workers_split_the_accounts_and_never_poll_one_at_once(cluster, db, request):
    cluster.ensure_workers(2)
    sandbox = cluster.url("sandbox")
    # Slow answers: every poll takes a while, so two workers' polls overlap in time and a second poll of an
    # account would show at the sandbox as two requests in flight for it.
    requests.post(f"{sandbox}/_sandbox/faults", json={"kind": "timeout", "count": 100000, "delay": 0.1},
                  timeout=10).raise_for_status()
    before = polls_by_worker(cluster)
    try:
        posted = {b["user_id"]: [] for b in SPLIT_BRANDS}
        for round_ in range(10):
            for brand in SPLIT_BRANDS:
                posted[brand["user_id"]].append(inject_tweet(cluster, brand, f"question {round_}"))
            time.sleep(0.5)  # load spread over a few poll intervals (the waiting below needs no sleep)

        def stored_all():
            db.session.commit()
            return all(_inbound_ids(db, cluster.world.accounts[uid]) >= set(ids) for uid, ids in posted.items())

        wait_until(stored_all, 60, "every post stored", cluster.logs)
    finally:
        requests.delete(f"{sandbox}/_sandbox/faults", timeout=10)

    for user_id, ids in posted.items():
        assert_stored_exactly_once(db, cluster.world.accounts[user_id], ids)
    peaks = {uid: sandbox_stats(cluster)["accounts"][f"twitter:{uid}"]["max_in_flight"] for uid in posted}
    assert peaks == {uid: 1 for uid in posted}, "two requests for one account were in flight at once"

    after = polls_by_worker(cluster)
    split_ids = {cluster.world.accounts[uid] for uid in posted}
    share = {name: {a: after[name][a] - before.get(name, Counter())[a] for a in sorted(split_ids)}
             for name in cluster.workers()}
    report(request, "multinode", f"fetching polls per worker and account during the load: {share}")
    assert all(sum(counts.values()) > 0 for counts in share.values()), "a worker polled none of the accounts"
    assert {a for counts in share.values() for a, n in counts.items() if n} == split_ids


def _inbound_ids(db, account_id):
    from app.models import Message

    return set(db.session.scalars(sa.select(Message.external_id).where(
        Message.account_id == account_id, Message.direction == "inbound")))


def register_webhook(cluster, receiver, events):
    resp = api(cluster.url("web-a"), cluster.world.tokens["Ada"], "POST", "/webhooks",
               json={"url": receiver.url, "events": events})
    assert resp.status_code == 201, resp.text
    receiver.secrets = [resp.json()["secret"]]
    return resp.json()["id"]


def delete_webhook(cluster, endpoint_id):
    api(cluster.url("web-a"), cluster.world.tokens["Ada"], "DELETE", f"/webhooks/{endpoint_id}")


def sweep_holder(db, cluster):
    """The worker name holding the SLA sweep lease, or None."""
    from app.models import JobLease, utcnow

    db.session.commit()
    row = db.session.execute(sa.select(JobLease.owner, JobLease.lease_until).where(JobLease.name == "sla-sweep")).first()
    if row is None or row.owner is None or row.lease_until < utcnow():
        return None
    return next((name for name, owner in cluster.owners.items() if owner == row.owner), None)


def test_sla_transitions_happen_once_across_workers(cluster, db, agents, receiver, request):  # noqa: F811
    """Clocks due now and a few seconds later; in between, the sweeping worker stops and the other takes over."""
    cluster.ensure_workers(2)
    endpoint_id = register_webhook(cluster, receiver, ["sla.warning", "sla.breached"])
    watcher = agents("Sam", "web-b")
    now = datetime.now(timezone.utc)
    warn, breach = timedelta(minutes=30), timedelta(minutes=60)
    later = timedelta(seconds=8)  # the second wave: after the first sweep (every 5 s) and the handover
    # label -> (platform time of the customer's post, the transitions its clock must make)
    clocks = {}
    for n in range(3):
        clocks[f"late-{n}"] = (now - breach - timedelta(minutes=1), ["breached"])  # straight to breached
    for n in range(5):
        clocks[f"warn-{n}"] = (now - warn + later + timedelta(seconds=0.2 * n), ["warning"])
        clocks[f"breach-{n}"] = (now - breach + later + timedelta(seconds=0.2 * n), ["warning", "breached"])
    expected = Counter()
    try:
        for i, (label, (created_at, moves)) in enumerate(clocks.items()):
            conversation_id = push_message(cluster, ("web-a", "web-b")[i % 2], f"sla-{label}", author=f"sla-{label}",
                                           created_at=created_at)["conversation_id"]
            expected.update((conversation_id, to) for to in moves)
        ours = {conversation_id for conversation_id, _ in expected}

        def sla_events():
            return watcher.matching("sla.changed", lambda d: d["conversation"]["id"] in ours)

        # The first wave (3 breached, 5 warned) is swept by whoever holds the sweep lease …
        wait_until(lambda: len(sla_events()) >= 8, 30, "the first SLA wave", cluster.logs)
        holder = wait_until(lambda: sweep_holder(db, cluster), 30, "the sweep lease holder", cluster.logs)
        # … which then stops gracefully, handing the lease back: the other worker sweeps the second wave.
        assert cluster.processes[holder].stop() == 0
        cluster.start_worker(cluster.next_worker_name())  # back to two workers for the next tests
        wait_until(lambda: len(sla_events()) >= sum(expected.values()), 60, "every SLA transition", cluster.logs)
        # A last clock, due after all the others: once its event and webhook are in, no earlier one is coming.
        sentinel = push_message(cluster, "web-a", "sla-sentinel", author="sla-sentinel",
                                created_at=datetime.now(timezone.utc) - warn + timedelta(seconds=1))["conversation_id"]
        watcher.wait_for("sla.changed", lambda d: d["conversation"]["id"] == sentinel, timeout=30)
        wait_until(lambda: any(r.payload and r.payload["data"]["conversation"]["id"] == sentinel
                               for r in receiver.delivered()), 30, "the sentinel's webhook", cluster.logs)
    finally:
        delete_webhook(cluster, endpoint_id)

    assert Counter((d["conversation"]["id"], d["to"]) for d, _ in sla_events()) == expected, \
        "each transition is published exactly once"
    hooks = [r for r in receiver.requests if r.payload and r.payload["data"]["conversation"]["id"] in ours]
    assert all(r.verified for r in hooks)
    to_state = {"sla.warning": "warning", "sla.breached": "breached"}
    assert Counter((r.payload["data"]["conversation"]["id"], to_state[r.payload["type"]]) for r in hooks) == expected
    assert len({r.webhook_id for r in hooks}) == len(hooks)
    sweeps = {name: sum(int(line.split("sla sweep: ")[1].split()[0]) for line in cluster.log_lines(name, "sla sweep:"))
              for name in cluster.workers(alive=False)}
    report(request, "multinode", f"SLA transitions made per worker: {sweeps} ({holder} stopped after the first wave)")
    assert sweeps[holder] > 0 and sum(sweeps.values()) > sweeps[holder], "both workers swept"


def test_webhook_burst_delivered_once_across_workers(cluster, db, receiver, request):  # noqa: F811
    from app.models import WebhookDelivery

    workers = cluster.ensure_workers(2)
    endpoint_id = register_webhook(cluster, receiver, ["message.received"])
    # Each answer takes 50 ms: a worker sending a batch is busy for a while, and the other may claim what comes next.
    receiver.mode, receiver.slow_seconds = "slow", 0.05
    count = 60

    def all_delivered():
        """The endpoint's deliveries once all are marked delivered (after the receiver answered each)."""
        db.session.commit()
        rows = db.session.scalars(sa.select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)).all()
        return rows if rows and {r.status for r in rows} == {"delivered"} else None

    try:
        started = time.time()
        with ThreadPoolExecutor(max_workers=2) as pool:  # both nodes at once
            list(pool.map(lambda n: push_message(cluster, ("web-a", "web-b")[n % 2], f"burst-{n}",
                                                 author=f"burst-{n % 7}"), range(count)))
        rows = wait_until(all_delivered, 60, "every delivery of the burst", cluster.logs)
        report(request, "multinode", f"{count} message.received webhooks delivered {ms(time.time() - started)} "
                                     f"after the first POST (each answer takes 50 ms)")
    finally:
        delete_webhook(cluster, endpoint_id)

    assert all(r.verified for r in receiver.requests)
    webhook_ids = [r.webhook_id for r in receiver.requests]
    assert len(webhook_ids) == len(set(webhook_ids)) == len(rows) == count, "every event delivered exactly once"
    assert {r.message_id for r in rows} == set(webhook_ids)
    assert {r.payload["data"]["message"]["external_id"] for r in receiver.requests} == {
        f"burst-{n}" for n in range(count)}
    senders = {name: len(cluster.log_lines(name, f"endpoint={endpoint_id} ")) for name in workers}
    report(request, "multinode", f"webhook deliveries sent per worker: {senders}")
    # Each delivery went out from exactly one worker. Which ones is not fixed: one endpoint's backlog is claimed
    # oldest first, up to a batch at a time, so a burst that is all in before the next claim goes to one worker
    # (which keeps the endpoint's order); the two share when the burst spans several claims.
    assert sum(senders.values()) == count, "every delivery sent by exactly one worker"


def test_killed_worker_accounts_move_to_the_survivor(cluster, db, request):
    from app.models import SocialAccount

    workers = cluster.ensure_workers(2)
    brand = SPLIT_BRANDS[0]
    account_id = cluster.world.accounts[brand["user_id"]]
    sandbox = cluster.url("sandbox")
    # Its next poll hangs at the sandbox for 2 s (shorter than the lease): the worker is killed holding it.
    requests.post(f"{sandbox}/_sandbox/faults", json={"kind": "timeout", "count": 1, "delay": 2.0,
                                                     "path_contains": brand["user_id"]}, timeout=10).raise_for_status()

    def lease():
        db.session.commit()
        return db.session.execute(sa.select(SocialAccount.lease_owner, SocialAccount.lease_until)
                                  .where(SocialAccount.id == account_id)).first()

    def fetching_owner():
        """The lease owner while one of its requests is in flight at the sandbox."""
        owner = lease().lease_owner
        in_flight = sandbox_stats(cluster)["accounts"].get(f"twitter:{brand['user_id']}", {}).get("in_flight")
        return owner if owner and in_flight else None

    def survivor_holds():
        row = lease()
        return row if row.lease_owner == cluster.owners[survivor] else None

    owner = wait_until(fetching_owner, 30, "a worker fetching the account", cluster.logs)
    victim = next(name for name, o in cluster.owners.items() if o == owner)
    survivor = next(name for name in workers if name != victim)
    workers[victim].kill()
    killed_at = time.time()
    dead = lease()
    assert dead.lease_owner == owner  # SIGKILL: nothing was handed back, the lease runs out on its own
    dead_until = dead.lease_until
    polled_before = polls_by_worker(cluster)[survivor]

    # Every account gets a new post; the survivor alone must fetch them all.
    posted = {b["user_id"]: inject_tweet(cluster, b, "anyone there?") for b in SPLIT_BRANDS}
    taken = wait_until(survivor_holds, 30, "the survivor to take the account", cluster.logs, interval=0.005)
    took_over_at = time.time()
    # The claim waited for the dead worker's lease to run out (a claim sets lease_until = now + LEASE_SECONDS).
    claimed_at = taken.lease_until - timedelta(seconds=LEASE_SECONDS)
    assert claimed_at >= dead_until
    report(request, "multinode", f"killed worker's account taken over {ms(took_over_at - killed_at)} after the kill: "
                                 f"its lease ran out after {ms(dead_until.timestamp() - killed_at)} (lease "
                                 f"{LEASE_SECONDS} s), the survivor's next poll tick came "
                                 f"{ms((claimed_at - dead_until).total_seconds())} later")

    def all_stored():
        db.session.commit()
        return all(ext in _inbound_ids(db, cluster.world.accounts[uid]) for uid, ext in posted.items())

    wait_until(all_stored, 60, "the survivor to fetch every account's new post", cluster.logs)
    polled_after = polls_by_worker(cluster)[survivor]
    assert {cluster.world.accounts[uid] for uid in posted} <= {a for a in polled_after
                                                              if polled_after[a] > polled_before[a]}
    peaks = {uid: sandbox_stats(cluster)["accounts"][f"twitter:{uid}"]["max_in_flight"] for uid in posted}
    assert peaks == {uid: 1 for uid in posted}
