"""Priority from reach and mood (app/ranking.py): raised by ingest with its reasons, never lowered, left alone
once an agent set it by hand; managers' settings (API and workflow page); the default sort weighs it, with
cursor pagination across tiers."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.events import PENDING_KEY
from app.ingest.items import InboundAuthor, InboundItem
from app.ingest.pipeline import ingest
from app.models import Conversation, utcnow
from app.ranking import DEFAULTS, ranking_settings, set_ranking_settings
from tests.conftest import login, writing

COMPLAINT = "my order arrived broken and nobody answers, worst service ever 😡"
QUESTION = "what time does the Leeds branch open on Sunday?"
PRAISE = "Thank you so much, the refund came in an hour. Amazing support ❤️"


def item(ext, text, author="c1", followers=None, minutes_ago=1):
    return InboundItem(external_id=ext, text=text, created_at=utcnow() - timedelta(minutes=minutes_ago),
                       author=InboundAuthor(author, handle=f"h_{author}", followers_count=followers))


def ingested(db, account, items):
    with writing(db) as session:
        ingest(session, account, items)
        return list(session.info[PENDING_KEY])


def conversation_of(db, author):
    db.session.commit()
    return db.session.scalars(sa.select(Conversation).join(Conversation.contact)
                              .where(sa.text("contacts.external_id = :a")).params(a=author)).one()


@pytest.fixture
def mood(db):
    """Negative messages and complaints raise too (off by default)."""
    with writing(db) as session:
        set_ranking_settings(session, negative=True, complaint=True)


def ranked(db, author):
    conv = conversation_of(db, author)
    return conv.priority, conv.priority_reasons


def test_reach_raises_to_high_or_urgent_and_the_events_carry_it(db, custom_account):
    pending = ingested(db, custom_account, [item("0", COMPLAINT, "angry"),  # mood raises nothing by default
                                            item("1", QUESTION, "small", followers=50),
                                            item("2", QUESTION, "known", followers=DEFAULTS["followers_high"]),
                                            item("3", QUESTION, "star", followers=DEFAULTS["followers_urgent"] + 1)])
    assert ranked(db, "small") == ranked(db, "angry") == ("normal", [])
    assert ranked(db, "known") == ("high", ["followers"])
    assert ranked(db, "star") == ("urgent", ["followers"])
    created = {e.data["conversation"]["contact"]["handle"]: e.data["conversation"] for e in pending
               if e.name == "conversation.created"}
    assert (created["h_star"]["priority"], created["h_star"]["priority_reasons"]) == ("urgent", ["followers"])
    assert (created["h_known"]["priority"], created["h_known"]["priority_reasons"]) == ("high", ["followers"])


def test_mood_raises_to_high_and_never_lowers(db, custom_account, mood):
    ingested(db, custom_account, [item("1", COMPLAINT, "angry"), item("2", PRAISE, "happy")])
    assert ranked(db, "angry") == ("high", ["negative", "complaint"])
    assert ranked(db, "happy") == ("normal", [])
    ingested(db, custom_account, [item("3", PRAISE, "angry")])  # thanks afterwards: still high
    assert ranked(db, "angry") == ("high", ["negative", "complaint"])
    ingested(db, custom_account, [item("4", QUESTION, "angry", followers=10**6)])
    assert ranked(db, "angry") == ("urgent", ["followers", "negative", "complaint"])


def test_a_higher_priority_a_rule_set_stays_and_gains_the_reasons(db, custom_account, mood):
    ingested(db, custom_account, [item("1", QUESTION, "vip")])
    with writing(db) as session:
        session.execute(sa.update(Conversation).values(priority="urgent", priority_reasons=["rule"]))
    ingested(db, custom_account, [item("2", COMPLAINT, "vip")])
    assert ranked(db, "vip") == ("urgent", ["negative", "complaint", "rule"])


def test_a_priority_set_by_hand_is_left_alone(client, db, make_user, make_token, custom_account):
    ingested(db, custom_account, [item("1", COMPLAINT, "c1")])
    conv = conversation_of(db, "c1")
    headers = {"Authorization": f"Bearer {make_token(make_user('agent'))}"}
    patched = client.patch(f"/api/v1/conversations/{conv.id}", json={"priority": "low"}, headers=headers)
    assert patched.status_code == 200, patched.json
    assert ranked(db, "c1") == ("low", ["manual"])
    ingested(db, custom_account, [item("2", COMPLAINT, "c1", followers=10**7)])
    assert ranked(db, "c1") == ("low", ["manual"])


def test_conversations_of_one_batch_are_stored_with_their_own_reasons(db, custom_account, mood):
    ingested(db, custom_account, [item("1", COMPLAINT, "a"), item("2", QUESTION, "b", followers=10**6),
                                  item("3", COMPLAINT, "c", followers=20_000), item("4", COMPLAINT, "d")])
    assert [ranked(db, who) for who in "abcd"] == [
        ("high", ["negative", "complaint"]), ("urgent", ["followers"]),
        ("high", ["followers", "negative", "complaint"]), ("high", ["negative", "complaint"])]


def test_managers_settings_turn_ranking_off_or_keep_only_some_reasons(db, custom_account):
    with writing(db) as session:
        set_ranking_settings(session, enabled=False)
    ingested(db, custom_account, [item("1", COMPLAINT, "a", followers=10**6)])
    assert ranked(db, "a") == ("normal", [])
    with writing(db) as session:
        set_ranking_settings(session, enabled=True, complaint=True, followers_urgent=None)
    ingested(db, custom_account, [item("2", COMPLAINT, "b", followers=10**6)])
    assert ranked(db, "b") == ("high", ["followers", "complaint"])


def test_the_ranking_api_is_for_managers(client, db, make_user, make_token):
    manager = {"Authorization": f"Bearer {make_token(make_user('manager'))}"}
    agent = {"Authorization": f"Bearer {make_token(make_user('agent'))}"}
    assert client.get("/api/v1/ranking", headers=manager).json == DEFAULTS
    assert client.get("/api/v1/ranking", headers=agent).status_code == 403
    wanted = {"enabled": True, "followers_high": 500, "followers_urgent": 5000, "negative": False, "complaint": True}
    assert client.put("/api/v1/ranking", json=wanted, headers=agent).status_code == 403
    saved = client.put("/api/v1/ranking", json=wanted, headers=manager)
    assert saved.status_code == 200 and saved.json == wanted
    assert ranking_settings(db.session) == wanted
    for junk in ({"followers_high": 0}, {"followers_high": 10, "followers_urgent": 5}, {"negative": "yes"},
                 {"color": "red"}, {"followers_urgent": 10**12}):
        assert client.put("/api/v1/ranking", json=junk, headers=manager).status_code == 422, junk
    assert client.get("/api/v1/ranking", headers=manager).json == wanted


def test_the_workflow_page_sets_ranking(client, db, make_user):
    login(client, make_user("manager"))
    page = client.get("/settings/workflow/")
    assert page.status_code == 200 and b'action="/settings/workflow/ranking"' in page.data
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data).group(1).decode()
    saved = client.post("/settings/workflow/ranking", data={"csrf_token": token, "enabled": "y", "followers_high": "300",
                                                            "followers_urgent": "", "complaint": "y"})
    assert saved.status_code == 302
    assert ranking_settings(db.session) == {"enabled": True, "followers_high": 300, "followers_urgent": None,
                                            "negative": False, "complaint": True}
    bad = client.post("/settings/workflow/ranking", data={"csrf_token": token, "enabled": "y", "followers_high": "300",
                                                          "followers_urgent": "20"})
    assert bad.status_code == 400
    assert client.post("/settings/workflow/ranking", data={"enabled": "y"}).status_code == 400  # no CSRF token
    assert ranking_settings(db.session)["followers_high"] == 300


def test_agents_cannot_set_ranking_on_the_page(client, make_user):
    login(client, make_user("agent"))
    assert client.post("/settings/workflow/ranking", data={"enabled": ""}).status_code in (400, 403)


# --- the default sort


@pytest.fixture
def tiers(db, custom_account):
    """Conversations in every tier, with and without a running clock: the expected `sla` order of their ids."""
    with writing(db) as session:
        set_ranking_settings(session, enabled=False)
    ingested(db, custom_account, [item(f"m{n}", QUESTION, f"c{n}", minutes_ago=n) for n in range(8)])
    priorities = ["low", "urgent", "normal", "high", "urgent", "low", "high", "normal"]
    convs = {}
    with writing(db) as session:
        for n, priority in enumerate(priorities):
            conv = session.scalars(sa.select(Conversation).join(Conversation.contact)
                                   .where(sa.text("contacts.external_id = :a")).params(a=f"c{n}")).one()
            conv.priority = priority
            if n in (4, 6):  # no running clock: after the running ones of their tier
                conv.sla_started_at = conv.sla_warn_at = conv.sla_breach_at = None
                conv.sla_state = "stopped"
            convs[n] = conv
        session.flush()
        ids = {n: c.id for n, c in convs.items()}
        breach = {n: c.sla_breach_at for n, c in convs.items()}
    tier = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
    order = sorted(range(8), key=lambda n: (tier[priorities[n]], breach[n] is None,
                                            breach[n] or 0, n))
    return [ids[n] for n in order]


def test_the_default_sort_is_by_tier_then_due_time_and_pages_across_tiers(client, make_user, make_token, tiers):
    headers = {"Authorization": f"Bearer {make_token(make_user('manager'))}"}
    listed = client.get("/api/v1/conversations?limit=50", headers=headers).json
    assert [c["id"] for c in listed["items"]] == tiers
    for limit in (1, 2, 3):
        seen, cursor = [], None
        while True:
            page = client.get(f"/api/v1/conversations?limit={limit}" + (f"&cursor={cursor}" if cursor else ""),
                              headers=headers).json
            seen += [c["id"] for c in page["items"]]
            cursor = page.get("next_cursor")
            if not cursor:
                break
        assert seen == tiers, limit
