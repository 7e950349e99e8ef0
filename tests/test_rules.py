"""Rules in the one ingest path: each action, order and stop, exactly once (the same item twice, a push racing a
poll), hit counts (and in /metrics), the automatic answer at most once per customer, and the dry run deciding
exactly what the live rule then does."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from app.accounts import create_account
from app.ingest.items import InboundAuthor, InboundItem
from app.ingest.pipeline import ingest
from app.models import (
    CannedResponse, Contact, Conversation, Message, Notification, Rule, RuleHit, SlaClock, SlaPolicy, Team,
    team_members,
)
from app.rules import dry_run, manage
from tests.conftest import writing
from tests.fixtures.push import receiver  # noqa: F401  (fixture)


def item(ext, text="hello", author="c1", minutes_ago=5, **kw):
    created = datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)
    return InboundItem(external_id=ext, text=text, created_at=created,
                       author=InboundAuthor(author, handle=f"h_{author}", name=f"Name {author}"), **kw)


@pytest.fixture
def manager(make_user):
    return make_user("manager")


@pytest.fixture
def make_rule(db, manager):
    def make(conditions, actions, *, enabled=True, stop=False, name=None):
        with writing(db) as session:
            rule = manage.create_rule(session, manager, name=name or f"rule {len(conditions)}/{len(actions)}",
                                      conditions=conditions, actions=actions, enabled=enabled, stop=stop)
        return rule.id

    return make


def run(db, account, items, **kw):
    with writing(db) as session:
        results = ingest(session, account, items, **kw)
    return results


def conversation_of(db, result):
    db.session.expire_all()
    return db.session.get(Conversation, result.conversation_id)


def hits(db, rule_id=None):
    db.session.expire_all()
    query = sa.select(RuleHit).order_by(RuleHit.id)
    if rule_id is not None:
        query = query.where(RuleHit.rule_id == rule_id)
    return db.session.scalars(query).all()


def test_tag_priority_team_agent_and_a_hit_recorded(db, custom_account, make_rule, make_user):
    agent = make_user("agent")
    with writing(db) as session:
        team = Team(name="Billing", languages=[])
        session.add(team)
    rule_id = make_rule([{"type": "keywords", "keywords": ["refund"]}], [
        {"type": "tag", "tags": ["money"]}, {"type": "set_priority", "priority": "urgent"},
        {"type": "assign_team", "team_id": team.id}, {"type": "assign_agent", "user_id": agent.id}])
    matched, other = run(db, custom_account, [item("1", "Refund me!"), item("2", "thanks", author="c2")])
    conv = conversation_of(db, matched)
    assert conv.tags == ["money"] and conv.priority == "urgent" and "rule" in conv.priority_reasons
    assert (conv.team_id, conv.assignee_id) == (team.id, agent.id)
    untouched = conversation_of(db, other)
    assert untouched.tags == [] and untouched.priority == "normal" and untouched.team_id is None
    [hit] = hits(db)
    assert (hit.rule_id, hit.message_id, hit.conversation_id) == (rule_id, matched.message_id, conv.id)
    assert [a["type"] for a in hit.actions] == ["tag", "set_priority", "assign_team", "assign_agent"]
    rule = db.session.get(Rule, rule_id)
    assert rule.hit_count == 1 and rule.last_hit_at is not None


def test_published_events_carry_what_rules_did(db, custom_account, make_rule):
    from app.events import PENDING_KEY

    make_rule([], [{"type": "tag", "tags": ["seen"]}, {"type": "set_priority", "priority": "high"}])
    with writing(db) as session:
        ingest(session, custom_account, [item("1", "hi")])
        [created] = [e.data for e in session.info[PENDING_KEY] if e.name == "conversation.created"]
    assert created["conversation"]["tags"] == ["seen"] and created["conversation"]["priority"] == "high"
    assert created["conversation"]["priority_reasons"] == ["rule"]


def test_rules_run_in_order_and_stop_ends_the_run(db, custom_account, make_rule, manager):
    first = make_rule([{"type": "phrase", "phrase": "help"}], [{"type": "tag", "tags": ["first"]}], stop=True)
    second = make_rule([], [{"type": "tag", "tags": ["second"]}])
    helped, plain = run(db, custom_account, [item("1", "help me"), item("2", "hello", author="c2")])
    assert conversation_of(db, helped).tags == ["first"]
    assert conversation_of(db, plain).tags == ["second"]
    with writing(db) as session:
        manage.reorder(session, manager, [second, first])
    [again] = run(db, custom_account, [item("3", "help again", author="c3")])
    assert conversation_of(db, again).tags == ["second", "first"]


def test_disabled_rules_do_not_run(db, custom_account, make_rule):
    make_rule([], [{"type": "tag", "tags": ["x"]}], enabled=False)
    [result] = run(db, custom_account, [item("1")])
    assert conversation_of(db, result).tags == [] and hits(db) == []


def test_the_same_item_twice_runs_the_rule_once(db, custom_account, make_rule):
    rule_id = make_rule([], [{"type": "tag", "tags": ["x"]}])
    run(db, custom_account, [item("1"), item("2")])
    run(db, custom_account, [item("1"), item("2"), item("3")])
    assert len(hits(db, rule_id)) == 3
    assert db.session.get(Rule, rule_id).hit_count == 3


def test_brand_messages_never_run_rules(db, custom_account, make_rule):
    make_rule([], [{"type": "tag", "tags": ["x"]}])
    question = item("q", "question?")
    run(db, custom_account, [question])
    run(db, custom_account, [InboundItem("r", "answer", question.created_at + timedelta(minutes=1),
                                         InboundAuthor("brand"), in_reply_to="q", from_brand=True)])
    assert len(hits(db)) == 1


def test_apply_sla_policy_moves_the_clock_to_that_policy_and_later_clocks_follow_it(db, custom_account, make_rule):
    with writing(db) as session:
        policy = SlaPolicy(name="VIP", warn_minutes=5, breach_minutes=10, timezone="UTC", holidays=[])
        session.add(policy)
    make_rule([{"type": "keywords", "keywords": ["vip"]}], [{"type": "apply_sla_policy", "policy_id": policy.id}])
    [result] = run(db, custom_account, [item("1", "vip here", minutes_ago=2)])
    conv = conversation_of(db, result)
    assert conv.sla_policy_id == policy.id
    assert conv.sla_breach_at - conv.sla_started_at == timedelta(minutes=10)
    clock = db.session.scalars(sa.select(SlaClock).where(SlaClock.conversation_id == conv.id)).one()
    assert clock.policy_id == policy.id and clock.breach_at == conv.sla_breach_at
    # A native answer, then the customer again (no keyword): the next clock also follows the chosen policy.
    answer = InboundItem("r", "on it", datetime.now(timezone.utc) - timedelta(minutes=1), InboundAuthor("brand"),
                         in_reply_to="1", from_brand=True)
    run(db, custom_account, [answer, item("2", "still waiting", minutes_ago=0)])
    conv = conversation_of(db, result)
    running = db.session.scalars(sa.select(SlaClock).where(SlaClock.conversation_id == conv.id,
                                                           SlaClock.stopped_at.is_(None))).one()
    assert running.policy_id == policy.id and running.breach_at - running.started_at == timedelta(minutes=10)
    from app.sla.state import clock_view

    assert clock_view(conv, session=db.session)["policy"]["id"] == policy.id


def test_exclude_from_sla_and_mark_spam_leave_no_clock(db, custom_account, make_rule):
    make_rule([{"type": "keywords", "keywords": ["later"]}], [{"type": "exclude_from_sla"}])
    make_rule([{"type": "has_link"}], [{"type": "mark_spam"}])
    later, spam, normal = run(db, custom_account, [
        item("1", "answer later"), item("2", "cheap pills www.pills.example", author="c2"),
        item("3", "hello", author="c3")])
    for result in (later, spam):
        conv = conversation_of(db, result)
        assert conv.sla_exempt and conv.sla_state == "stopped" and conv.sla_breach_at is None
        assert db.session.scalars(sa.select(SlaClock).where(SlaClock.conversation_id == conv.id)).all() == []
    assert conversation_of(db, spam).is_spam and conversation_of(db, spam).status == "resolved"
    assert conversation_of(db, normal).sla_state == "ok"
    # The customer writes again: still no clock, and the sweep has nothing of theirs.
    run(db, custom_account, [item("4", "and again", minutes_ago=1)])
    conv = conversation_of(db, later)
    assert conv.sla_state == "stopped"
    assert db.session.scalars(sa.select(SlaClock).where(SlaClock.conversation_id == conv.id)).all() == []


def test_hide_marks_the_message_for_the_worker(db, make_rule):
    from app.sandbox import DEMO_FACEBOOK
    from tests.fixtures.polling import CREDENTIAL_KEYS

    with writing(db) as session:
        account = create_account(session, network="facebook", name="Page", credentials={
            k: v for k, v in DEMO_FACEBOOK.items() if k in CREDENTIAL_KEYS["facebook"]})
    make_rule([{"type": "has_link"}], [{"type": "hide"}])
    spam, fine = run(db, account, [item("fb1", "see http://scam.example"), item("fb2", "hello", author="c2")])
    db.session.expire_all()
    assert db.session.get(Message, spam.message_id).moderation_pending == "hide"
    assert db.session.get(Message, fine.message_id).moderation_pending is None


def test_notify_users_and_a_team(db, custom_account, make_rule, make_user):
    one, two, three = make_user("agent"), make_user("agent"), make_user("agent")
    with writing(db) as session:
        team = Team(name="Escalations", languages=[])
        session.add(team)
        session.flush()
        session.execute(team_members.insert(), [{"team_id": team.id, "user_id": two.id},
                                                {"team_id": team.id, "user_id": one.id}])
    make_rule([{"type": "sentiment", "sentiments": ["negative"], "not": True}],
              [{"type": "notify", "user_ids": [one.id], "team_id": team.id}], name="Watch")
    [result] = run(db, custom_account, [item("1", "hello")])
    db.session.expire_all()
    notes = db.session.scalars(sa.select(Notification).order_by(Notification.user_id)).all()
    assert [(n.user_id, n.kind, n.conversation_id) for n in notes] == [
        (one.id, "rule", result.conversation_id), (two.id, "rule", result.conversation_id)]
    assert "Watch" in notes[0].text and three.id not in {n.user_id for n in notes}


def test_auto_reply_once_per_customer_per_period_marked_automatic_in_their_language(db, custom_account, make_rule):
    with writing(db) as session:
        english = CannedResponse(title="Hi", shortcut="/hi", text="Thanks {{contact.name}}, we are on it.",
                                 language="en")
        russian = CannedResponse(title="Привет", shortcut="/hi", text="Спасибо, {{contact.name}}!", language="ru")
        session.add_all([english, russian])
    rule_id = make_rule([], [{"type": "auto_reply", "canned_id": english.id, "period_hours": 24}])
    first = run(db, custom_account, [item("1", "Здравствуйте, у меня не работает приложение", minutes_ago=3),
                                     item("2", "И ещё один вопрос", minutes_ago=2)])
    run(db, custom_account, [item("3", "hello again", minutes_ago=1)])
    run(db, custom_account, [item("4", "hi there", author="c2", minutes_ago=1)])
    db.session.expire_all()
    automatic = db.session.scalars(sa.select(Message).where(Message.automatic_rule_id.is_not(None))
                                   .order_by(Message.id)).all()
    assert len(automatic) == 2  # one per customer, not one per message
    assert [m.automatic_rule_id for m in automatic] == [rule_id, rule_id]
    assert all(m.direction == "outbound" and m.delivery_status == "queued" and m.author_user_id is None
               for m in automatic)
    assert automatic[0].conversation_id == first[0].conversation_id
    assert automatic[0].text == "Спасибо, Name c1!"  # the customer's language
    assert automatic[1].text == "Thanks Name c2, we are on it."
    contact = db.session.scalars(sa.select(Contact).where(Contact.external_id == "c1")).one()
    assert contact.last_auto_reply_at is not None
    assert conversation_of(db, first[0]).assignee_id is None  # an automatic answer takes no conversation
    assert len(hits(db, rule_id)) == 2  # the hits say what was done: the messages that got no answer have none


def test_auto_reply_never_to_spam(db, custom_account, make_rule):
    with writing(db) as session:
        canned = CannedResponse(title="Hi", shortcut="/hi", text="Hello!")
        session.add(canned)
    make_rule([{"type": "keywords", "keywords": ["casino"]}], [{"type": "mark_spam"}])
    make_rule([], [{"type": "auto_reply", "canned_id": canned.id, "period_hours": 1}])
    run(db, custom_account, [item("1", "best casino", author="c2")])  # marked spam by the first rule
    run(db, custom_account, [item("2", "hello", minutes_ago=150)])
    with writing(db) as session:  # an agent marks it spam; the customer writes again past the period
        session.scalars(sa.select(Conversation).join(Contact).where(Contact.external_id == "c1")).one().is_spam = True
    run(db, custom_account, [item("3", "hello?", minutes_ago=1)])
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(
        Message.automatic_rule_id.is_not(None))) == 1  # the first, before it was spam


def test_hit_counts_in_metrics(app, db, custom_account, make_rule):
    app.config["CAREBOX_METRICS_ALLOW_LOOPBACK"] = True
    rule_id = make_rule([], [{"type": "tag", "tags": ["x"]}])

    def scraped():  # the counter lives as long as the process: ids of earlier tests' rules come back
        body = app.test_client().get("/metrics").get_data(as_text=True)
        found = [x for x in body.splitlines() if x.startswith(f'carebox_rule_hits_total{{rule_id="{rule_id}"}}')]
        return float(found[0].split()[-1]) if found else 0.0

    before = scraped()
    run(db, custom_account, [item("1"), item("2", author="c2")])
    run(db, custom_account, [item("1")])
    assert scraped() - before == 2


def test_the_dry_run_decides_exactly_what_the_live_rule_then_does(db, custom_account, manager, make_user):
    """Stored traffic dry-run, then the same traffic ingested for a second account with the rule on: the same
    messages match (by text and customer) with the same actions; and a dry run of the live window agrees."""
    with writing(db) as session:
        canned = CannedResponse(title="Hi", shortcut="/hi", text="Hello!")
        session.add(canned)
        second = create_account(session, network="custom", name="Clone")
    definition = {
        "conditions": [{"type": "keywords", "keywords": ["refund", "broken"]}, {"type": "has_link", "not": True}],
        "actions": [{"type": "tag", "tags": ["care"]}, {"type": "set_priority", "priority": "high"},
                    {"type": "auto_reply", "canned_id": canned.id, "period_hours": 24}],
    }
    texts = [("a", "my order is broken"), ("a", "refund please"), ("b", "refund? https://x.example"),
             ("b", "all good"), ("c", "BROKEN again"), ("d", "hello"), ("c", "still broken")]
    traffic = [item(f"one-{n}", text, author=who, minutes_ago=60 - n) for n, (who, text) in enumerate(texts)]
    run(db, custom_account, traffic)
    with writing(db) as session:
        checked = manage.checked_definition(session, definition["conditions"], definition["actions"], actor=manager)
        before = dry_run.dry_run(session, checked, now=datetime.now(timezone.utc))
    assert before["scanned"] == len(texts) and before["matched"] == 4
    with writing(db) as session:
        rule = manage.create_rule(session, manager, name="Care", enabled=True, **definition)
    # Other customers (contacts are per network): the automatic answers they got are theirs alone.
    clone = [InboundItem(f"two-{i.external_id}", i.text, i.created_at, InboundAuthor(f"z{i.author.external_id}"))
             for i in traffic]
    results = run(db, second, clone)
    live = {(h.message_id): h.actions for h in hits(db, rule.id)}
    by_id = {r.message_id: (r.external_id.removeprefix("two-")) for r in results}
    planned = {m["text"]: m["actions"] for m in before["items"]}
    assert {by_id[mid] for mid in live} == {f"one-{n}" for n, (_w, t) in enumerate(texts) if t in planned}
    for message_id, actions in live.items():
        text = texts[int(by_id[message_id].split("-")[1])][1]
        assert actions == planned[text], text
    # And the live window's dry run (both accounts now) plans, for the clone's messages, what the rule did.
    with writing(db) as session:
        after = dry_run.dry_run(session, session.get(Rule, rule.id), now=datetime.now(timezone.utc))
    replayed = {m["message_id"]: m["actions"] for m in after["items"] if m["message_id"] in by_id}
    assert replayed == live


VERIFY = {"CAREBOX_FACEBOOK_VERIFY_TOKEN": "verify-me"}


@pytest.mark.config(**VERIFY)
def test_a_push_racing_a_poll_runs_each_rule_once_per_message(app, db, live_server, sandbox, receiver, make_rule):
    from app.sandbox import DEMO_FACEBOOK
    from tests.fixtures.polling import connect
    from tests.fixtures.push import FAST_RETRIES, race_push_and_poll, subscribed

    sandbox.network.reset(FAST_RETRIES)
    account = connect(db, sandbox, "facebook")
    subscribed(sandbox, DEMO_FACEBOOK["page_id"], receiver.url)
    rule_id = make_rule([], [{"type": "tag", "tags": ["seen"]}])
    expected = []
    for round_number in range(2):
        delivered = len(expected)
        expected += [sandbox.network.messenger.customer_message(
            DEMO_FACEBOOK["page_id"], f"round {round_number} message {n}", {"id": f"2400000000000{n:04d}",
                                                                           "name": "Ann"}).id for n in range(4)]
        race_push_and_poll(app, db, live_server, receiver, account.id, expected, delivered, f"worker-{round_number}")
    db.session.expire_all()
    stored = db.session.scalars(sa.select(Message.id).where(Message.account_id == account.id,
                                                            Message.direction == "inbound")).all()
    assert len(stored) == len(expected)
    per_message = db.session.execute(sa.select(RuleHit.message_id, sa.func.count()).where(RuleHit.rule_id == rule_id)
                                     .group_by(RuleHit.message_id)).all()
    assert sorted(m for m, _ in per_message) == sorted(stored) and {n for _, n in per_message} == {1}
    assert db.session.get(Rule, rule_id).hit_count == len(expected)


def test_a_dry_run_reads_only_the_accounts_and_networks_the_rule_can_match(db, custom_account, manager):
    with writing(db) as session:
        other = create_account(session, network="custom", name="Other")
    run(db, custom_account, [item("1", "refund"), item("2", "hello", author="c2")])
    run(db, other, [item("3", "refund", author="c3")])
    now = datetime.now(timezone.utc)
    with writing(db) as session:
        only = dry_run.dry_run(session, {"conditions": [{"type": "account", "account_ids": [other.id]}],
                                         "actions": [{"type": "tag", "tags": ["x"]}]}, now=now)
        none = dry_run.dry_run(session, {"conditions": [{"type": "network", "networks": ["twitter"]}],
                                         "actions": [{"type": "tag", "tags": ["x"]}]}, now=now)
        negated = dry_run.dry_run(session, {"conditions": [{"type": "account", "account_ids": [other.id],
                                                            "not": True}], "actions": [{"type": "mark_spam"}]},
                                  now=now)
    assert (only["scanned"], only["matched"]) == (1, 1)
    assert (none["scanned"], none["matched"]) == (0, 0)
    assert (negated["scanned"], negated["matched"]) == (3, 2)


def test_a_rule_naming_a_deleted_team_or_policy_skips_that_action_and_never_fails_the_ingest(
        db, custom_account, make_rule):
    with writing(db) as session:
        team = Team(name="Gone", languages=[])
        policy = SlaPolicy(name="Gone too", warn_minutes=5, breach_minutes=10, timezone="UTC", holidays=[])
        session.add_all([team, policy])
    rule_id = make_rule([], [{"type": "assign_team", "team_id": team.id},
                             {"type": "apply_sla_policy", "policy_id": policy.id}, {"type": "tag", "tags": ["ok"]}])
    with writing(db) as session:
        session.delete(session.get(Team, team.id))
        session.delete(session.get(SlaPolicy, policy.id))
    [result] = run(db, custom_account, [item("1")])
    conv = conversation_of(db, result)
    assert (conv.team_id, conv.sla_policy_id, conv.tags) == (None, None, ["ok"])
    assert [a["type"] for a in hits(db, rule_id)[0].actions] == ["tag"]


def test_editing_a_policy_a_rule_chose_moves_those_clocks(db, custom_account, make_rule):
    from app.sla import manage as sla_manage

    with writing(db) as session:
        policy = SlaPolicy(name="Fast", warn_minutes=5, breach_minutes=10, timezone="UTC", holidays=[], channel="any")
        session.add(policy)
    make_rule([], [{"type": "apply_sla_policy", "policy_id": policy.id}])
    [result] = run(db, custom_account, [item("1", minutes_ago=1)])
    with writing(db) as session:
        data = sla_manage.policy_dict(session.get(SlaPolicy, policy.id))
        data = {k: data[k] for k in sla_manage.FIELDS} | {"breach_minutes": 20}
        assert sla_manage.update_policy(session, session.get(SlaPolicy, policy.id), data) == 1
    conv = conversation_of(db, result)
    assert conv.sla_breach_at - conv.sla_started_at == timedelta(minutes=20)


def test_an_automatic_answer_is_announced_after_the_message_it_answers(db, custom_account, make_rule, monkeypatch):
    from app.events import publisher

    with writing(db) as session:
        canned = CannedResponse(title="Hi", shortcut="/hi", text="Hello!")
        session.add(canned)
    make_rule([], [{"type": "auto_reply", "canned_id": canned.id}])
    emitted = []
    monkeypatch.setattr(publisher, "_emit", lambda pending: emitted.append(
        (pending.name, pending.data.get("message", {}).get("direction"))))
    run(db, custom_account, [item("1", "hello")])
    assert emitted == [("conversation.created", None), ("message.created", "inbound"),
                       ("message.created", "outbound")]
