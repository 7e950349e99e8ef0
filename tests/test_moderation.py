"""Moderation as a service, through the real connectors to the sandbox over HTTP (tweepy, facebook-sdk): each
action on X, Facebook and Instagram, what the network then shows, the state, audit and webhooks Carebox
records, refusals, outages, bulk, and the rules' pending actions done by the worker's job."""
import json

import pytest
import sqlalchemy as sa

from app import moderation
from app.domain_errors import Conflict, Invalid, NotFound, NotPermitted, Refused, Unavailable
from app.models import AuditEvent, JobLease, Message, User, utcnow
from app.moderation.pending import backoff_of
from app.permissions import set_lowest_roles
from app.worker.moderation import run_pending_moderation_job
from tests.conftest import writing
from tests.fixtures.webhook_receiver import receiver  # noqa: F401  (fixture)
from tests.moderation_helpers import (
    BRAND, IG, PAGE, connect, customer_message, gone_from_network, moderation_actions, network_state, on_network, poll_now, stored,
)
from tests.webhook_helpers import deliveries, register, run_worker

NETWORKS = ["twitter", "facebook", "instagram"]
LIKER = {"twitter": BRAND, "facebook": PAGE, "instagram": IG}


def act(db, message, action, user):
    return moderation.moderate(db.session, message.id, action, actor=db.session.get(User, user.id))


def audit_rows(db):
    db.session.commit()
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action.like("message.%"))
                                   .order_by(AuditEvent.id)))


@pytest.mark.parametrize("network", NETWORKS)
def test_hide_unhide_like_unlike_land_on_the_network_and_are_recorded(app, db, sandbox, make_user, network,
                                                                      receiver):  # noqa: F811
    endpoint, _ = register(db, receiver, events=["message.hidden", "message.unhidden", "message.deleted"])
    _, message = customer_message(app, db, sandbox, network)
    agent = make_user("agent")
    hidden = act(db, message, "hide", agent)
    assert (hidden.moderation, hidden.moderation_error_code) == ("hidden", None) and hidden.moderated_at
    assert network_state(sandbox, message.external_id)["hidden"] is True
    assert act(db, message, "like", agent).liked is True
    assert network_state(sandbox, message.external_id)["liked_by"] == [LIKER[network]]
    assert act(db, message, "unlike", agent).liked is False
    assert network_state(sandbox, message.external_id)["liked_by"] == []
    assert act(db, message, "unhide", agent).moderation == "visible"
    assert network_state(sandbox, message.external_id)["hidden"] is False

    rows = audit_rows(db)
    assert [r.action for r in rows] == ["message.hide", "message.like", "message.unlike", "message.unhide"]
    assert all(r.actor_user_id == agent.id and r.target_id == str(message.id) for r in rows)
    assert rows[0].data == {"conversation_id": message.conversation_id, "network": network,
                            "from": "visible", "to": "hidden"}
    assert all("spam" not in json.dumps(r.data) for r in rows)  # never the customer's text
    sent = deliveries(db)
    assert [d.event_type for d in sent] == ["message.hidden", "message.unhidden"]
    payload = json.loads(sent[0].payload)["data"]
    assert payload["changes"] == {"moderation": {"from": "visible", "to": "hidden"}}
    assert payload["message"]["id"] == message.id and payload["message"]["moderation"] == "hidden"
    run_worker(app)
    assert [r.payload["type"] for r in receiver.requests] == ["message.hidden", "message.unhidden"]
    assert all(r.verified for r in receiver.requests)


@pytest.mark.parametrize("network", ["facebook", "instagram"])
def test_delete_removes_the_comment_and_then_nothing_more_can_be_done(app, db, sandbox, make_user, network):
    _, message = customer_message(app, db, sandbox, network, "You are all thieves")
    manager = make_user("manager")
    assert act(db, message, "delete", manager).moderation == "deleted"
    assert network_state(sandbox, message.external_id)["deleted"] is True
    with pytest.raises(Conflict) as caught:
        act(db, message, "delete", manager)
    assert caught.value.code == "message_deleted"
    with pytest.raises(Conflict):
        act(db, message, "hide", manager)
    assert [r.action for r in audit_rows(db)] == ["message.delete"]


def test_an_action_already_done_succeeds_without_asking_the_network(app, db, sandbox, make_user):
    _, message = customer_message(app, db, sandbox, "facebook")
    agent = make_user("agent")
    act(db, message, "hide", agent)
    act(db, message, "hide", agent)
    act(db, message, "unlike", agent)  # never liked
    assert [a["action"] for a in moderation_actions(sandbox, "facebook")] == ["hide"]
    assert [r.action for r in audit_rows(db)] == ["message.hide"]


def test_actions_that_make_no_sense_are_refused_before_the_network(app, db, sandbox, make_user):
    account = connect(db, sandbox, "twitter")
    mention = sandbox.network.inject_tweet(BRAND, "@carebox_demo my parcel is late")
    poll_now(app, db, account)
    message = stored(db, mention.id)
    agent, manager = make_user("agent"), make_user("manager")
    with pytest.raises(Invalid) as caught:
        act(db, message, "hide", agent)
    assert (caught.value.code, caught.value.extra["reason"]) == ("cannot_moderate", "not_hideable")
    with pytest.raises(Invalid) as caught:
        act(db, message, "delete", manager)
    assert caught.value.extra["reason"] == "not_supported"
    assert act(db, message, "like", agent).liked is True  # liking a mention is fine
    with pytest.raises(Invalid):
        moderation.moderate(db.session, message.id, "pin", actor=db.session.get(User, agent.id))
    with pytest.raises(NotFound):
        act(db, type("Gone", (), {"id": 10**9})(), "hide", agent)
    assert [a["action"] for a in moderation_actions(sandbox, "twitter")] == ["like"]


@pytest.mark.parametrize("network", NETWORKS)
def test_a_network_refusal_keeps_its_reason(app, db, sandbox, make_user, network):
    _, message = customer_message(app, db, sandbox, network)
    gone_from_network(sandbox, network, message.external_id)
    with pytest.raises(Refused) as caught:
        act(db, message, "hide", make_user("agent"))
    assert caught.value.code == "refused_by_network" and caught.value.extra["reason"] == "object_missing"
    assert "gone from the network" in str(caught.value.message)
    refreshed = db.session.get(Message, message.id, populate_existing=True)
    assert (refreshed.moderation, refreshed.moderation_error_code) == ("visible", "object_missing")


def test_not_permitted_by_the_network_and_by_role(app, db, sandbox, make_user):
    sandbox.network.reset({"facebook_pages_without_engagement": [PAGE]})  # the token lacks the permission
    _, message = customer_message(app, db, sandbox, "facebook")
    agent = make_user("agent")
    with pytest.raises(NotPermitted):
        act(db, message, "delete", agent)  # deleting is for managers by default
    with writing(db) as session:
        set_lowest_roles(session, {"moderation.hide": "manager"})
    with pytest.raises(NotPermitted):
        act(db, message, "hide", agent)
    assert moderation_actions(sandbox, "facebook") == []
    with pytest.raises(Refused) as caught:
        act(db, message, "hide", make_user("manager"))
    assert caught.value.extra["reason"] == "not_permitted"
    assert db.session.get(Message, message.id, populate_existing=True).moderation_error_code == "not_permitted"
    assert network_state(sandbox, message.external_id)["hidden"] is False


def test_an_outage_or_rate_limit_is_unavailable_and_changes_nothing(app, db, sandbox, make_user):
    _, message = customer_message(app, db, sandbox, "facebook")
    agent = make_user("agent")
    sandbox.network.add_fault("503", network="facebook")
    with pytest.raises(Unavailable):
        act(db, message, "hide", agent)
    sandbox.network.add_fault("429", network="facebook", retry_after=120)
    with pytest.raises(Unavailable) as caught:
        act(db, message, "hide", agent)
    assert caught.value.code == "rate_limited" and caught.value.extra["retry_at"]
    refreshed = db.session.get(Message, message.id, populate_existing=True)
    assert (refreshed.moderation, refreshed.moderation_error_code, refreshed.moderated_at) == ("visible", None, None)
    assert network_state(sandbox, message.external_id)["hidden"] is False
    assert act(db, message, "hide", agent).moderation == "hidden"  # and the next try goes through


def test_bulk_gives_each_message_its_result(app, db, sandbox, make_user):
    account = connect(db, sandbox, "facebook")
    ids = [on_network(sandbox, "facebook", f"spam {n}") for n in range(3)]
    poll_now(app, db, account)
    messages = [stored(db, external_id) for external_id in ids]
    sandbox.network.delete(ids[1])
    agent = db.session.get(User, make_user("agent").id)
    results = moderation.moderate_many(db.session, [m.id for m in messages] + [10**9], "hide", actor=agent)
    assert [(r["id"], r["ok"], r.get("reason")) for r in results] == [
        (messages[0].id, True, None), (messages[1].id, False, "object_missing"), (messages[2].id, True, None),
        (10**9, False, "not_found")]
    assert network_state(sandbox, ids[2])["hidden"] is True
    with pytest.raises(Invalid):
        moderation.moderate_many(db.session, list(range(1, 102)), "hide", actor=agent)
    with writing(db) as session:
        set_lowest_roles(session, {"moderation.bulk": "manager"})
    with pytest.raises(NotPermitted):
        moderation.moderate_many(db.session, [messages[0].id], "unhide", actor=agent)


# ------------------------------------------------------------------ pending actions of rules

def pend(db, message, action="hide"):
    with writing(db) as session:
        session.execute(sa.update(Message).where(Message.id == message.id).values(moderation_pending=action))


@pytest.mark.parametrize("network", NETWORKS)
def test_the_job_does_what_a_rule_asked_as_the_system(app, db, sandbox, network):
    _, message = customer_message(app, db, sandbox, network)
    pend(db, message)
    assert run_pending_moderation_job(app, "worker-1") == {message.id: "done"}
    assert network_state(sandbox, message.external_id)["hidden"] is True
    done = db.session.get(Message, message.id, populate_existing=True)
    assert (done.moderation, done.moderation_pending) == ("hidden", None)
    row = audit_rows(db)[-1]
    assert (row.action, row.actor_user_id, row.data["by"]) == ("message.hide", None, "rule")
    assert run_pending_moderation_job(app, "worker-1") == {}  # nothing left


def test_the_job_retries_a_5xx_with_backoff_then_succeeds(app, db, sandbox):
    _, message = customer_message(app, db, sandbox, "instagram")
    pend(db, message)
    sandbox.network.add_fault("500", network="instagram")
    assert run_pending_moderation_job(app, "worker-1") == {message.id: "retry"}
    assert db.session.get(Message, message.id, populate_existing=True).moderation_pending == "hide"
    assert backoff_of(app).failures(message.id) == 1
    assert run_pending_moderation_job(app, "worker-1") == {}  # backing off
    later = backoff_of(app)._messages[message.id][1]
    assert moderation.run_pending(db.session, now=later) == {message.id: "done"}
    assert network_state(sandbox, message.external_id)["hidden"] is True
    assert backoff_of(app).failures(message.id) == 0


def test_the_job_keeps_a_refusal_and_drops_what_makes_no_sense(app, db, sandbox):
    account = connect(db, sandbox, "twitter")
    mention = sandbox.network.inject_tweet(BRAND, "@carebox_demo spam spam")
    reply = on_network(sandbox, "twitter")
    poll_now(app, db, account)
    mention, reply = stored(db, mention.id), stored(db, reply)
    sandbox.network.delete(reply.external_id)
    pend(db, mention)
    pend(db, reply)
    assert run_pending_moderation_job(app, "worker-1") == {mention.id: "refused", reply.id: "refused"}
    db.session.expire_all()
    assert [(m.moderation_pending, m.moderation_error_code) for m in
            (db.session.get(Message, mention.id), db.session.get(Message, reply.id))] == [
        (None, "not_hideable"), (None, "object_missing")]


def test_only_the_lease_holder_runs_the_job_and_a_crash_loses_nothing(app, db, sandbox):
    _, hidden = customer_message(app, db, sandbox, "facebook")
    _, deleted = customer_message(app, db, sandbox, "instagram")
    pend(db, hidden)
    assert run_pending_moderation_job(app, "worker-1") == {hidden.id: "done"}
    # worker-1 "dies" after its network calls and before recording them: the unhide and the delete landed on the
    # network, the rows are still pending. Once its lease runs out the next worker does them again: unhiding
    # twice is harmless, and a comment found deleted already counts as deleted.
    unhide_on_network_only(db, sandbox, hidden, "facebook")
    sandbox.network.instagram.delete_comment(deleted.external_id)
    pend(db, hidden, "unhide")
    pend(db, deleted, "delete")
    assert run_pending_moderation_job(app, "worker-2") is None  # worker-1's lease still holds
    with writing(db) as session:
        session.execute(sa.update(JobLease).where(JobLease.name == "moderation-pending").values(lease_until=utcnow()))
    assert run_pending_moderation_job(app, "worker-2") == {hidden.id: "done", deleted.id: "done"}
    db.session.expire_all()
    assert db.session.get(Message, hidden.id).moderation == "visible"
    assert db.session.get(Message, deleted.id).moderation == "deleted"
    assert network_state(sandbox, hidden.external_id)["hidden"] is False
    assert [r.action for r in audit_rows(db)] == ["message.hide", "message.unhide", "message.delete"]


def unhide_on_network_only(db, sandbox, message, network):
    from app.connectors import FacebookConnector
    from tests.fixtures.sandbox import facebook_account_info

    FacebookConnector(facebook_account_info(sandbox.url), timeout=5).hide(message.external_id, hidden=False)


def test_a_worker_killed_during_a_rules_hide_loses_nothing(app, db, sandbox, start_worker):
    from tests.fixtures.processes import wait_until
    from tests.fixtures.workers import take_over, takeover_env

    _, message = customer_message(app, db, sandbox, "facebook")
    message_id, external_id = message.id, message.external_id
    # The hide reaches the network and is answered only after a while: the worker is killed meanwhile.
    sandbox.network.add_fault("timeout", network="facebook", path_contains=external_id, delay=2)
    pend(db, message)
    start = lambda: start_worker(threads=2, **takeover_env())  # noqa: E731
    worker = start()
    wait_until(lambda: not sandbox.network.faults.pending(), 60, "the hide to reach the network", worker.tail)
    worker.kill()
    assert db.session.get(Message, message_id, populate_existing=True).moderation_pending == "hide"
    with writing(db) as session:  # its lease would run out in a minute: now
        session.execute(sa.update(JobLease).where(JobLease.name == "moderation-pending").values(lease_until=utcnow()))

    def recorded():
        db.session.rollback()
        return db.session.get(Message, message_id, populate_existing=True).moderation_pending is None

    take_over(start, recorded, "the next worker to do the pending hide")
    done = db.session.get(Message, message_id, populate_existing=True)
    assert (done.moderation, done.moderation_error_code) == ("hidden", None)
    assert network_state(sandbox, external_id)["hidden"] is True
    assert [a["action"] for a in moderation_actions(sandbox, "facebook")] == ["hide", "hide"]  # twice: harmless
    assert [r.action for r in audit_rows(db)] == ["message.hide"]
