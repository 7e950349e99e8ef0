"""Workflow through the API: status, priority, tags, assignment, bulk, notes, counts, canned responses, team."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from app.assignment import set_auto_assign_mode
from app.ingest.items import InboundAuthor, InboundItem
from app.ingest.pipeline import ingest
from app.models import Conversation, Notification, SlaClock


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def customer_message(db, account, ext, author="c1", text="help", minutes_ago=5):
    created = datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)
    (result,) = ingest(db.session, account, [InboundItem(ext, text, created, InboundAuthor(author, handle=author))])
    db.session.commit()
    return db.session.get(Conversation, result.conversation_id)


@pytest.fixture
def agent_token(make_user, make_token):
    agent = make_user("agent", name="Alex Agent")
    return agent, make_token(agent)


def test_patch_status_priority_tags_assignee(db, client, custom_account, agent_token, make_user):
    agent, token = agent_token
    conv = customer_message(db, custom_account, "m1")
    other = make_user("agent", name="Sam Agent")
    resp = client.patch(f"/api/v1/conversations/{conv.id}", headers=auth(token),
                        json={"priority": "urgent", "tags": ["Refund", " refund ", "late delivery"], "assignee_id": other.id})
    assert resp.status_code == 200, resp.json
    assert resp.json["priority"] == "urgent" and resp.json["tags"] == ["refund", "late delivery"]
    assert resp.json["assignee_id"] == other.id
    note = db.session.scalars(sa.select(Notification).where(Notification.user_id == other.id)).one()
    assert note.kind == "assigned" and "Alex Agent" in note.text
    resolved = client.patch(f"/api/v1/conversations/{conv.id}", headers=auth(token), json={"status": "resolved"})
    assert resolved.json["status"] == "resolved" and resolved.json["sla"]["state"] == "stopped"
    clock = db.session.scalars(sa.select(SlaClock)).one()
    assert clock.stop_reason == "resolved" and clock.met is None  # resolved unanswered, before the breach
    assert client.patch(f"/api/v1/conversations/{conv.id}", headers=auth(token), json={"status": "closed"}).status_code == 422
    assert client.patch(f"/api/v1/conversations/{conv.id}", headers=auth(token), json={"assignee_id": 999}).status_code == 422
    assert client.patch("/api/v1/conversations/999", headers=auth(token), json={"priority": "low"}).status_code == 404
    assert client.patch(f"/api/v1/conversations/{conv.id}", headers=auth(token), json={"status": None}).status_code == 422


def test_customer_writing_again_reopens_a_recently_resolved_conversation(app, db, client, custom_account, agent_token):
    _, token = agent_token
    conv = customer_message(db, custom_account, "r1")
    client.patch(f"/api/v1/conversations/{conv.id}", headers=auth(token), json={"status": "resolved"})
    again = customer_message(db, custom_account, "r2", minutes_ago=0)
    assert again.id == conv.id and again.status == "open" and again.sla_started_at is not None
    clocks = db.session.scalars(sa.select(SlaClock).order_by(SlaClock.id)).all()
    assert [c.stopped_at is None for c in clocks] == [False, True]
    # Past the reopen window, a new conversation opens instead.
    client.patch(f"/api/v1/conversations/{conv.id}", headers=auth(token), json={"status": "resolved"})
    app.config["CAREBOX_REOPEN_WINDOW_HOURS"] = 0
    fresh = customer_message(db, custom_account, "r3", minutes_ago=0)
    assert fresh.id != conv.id


def test_claim_and_reassign(db, client, custom_account, agent_token, make_user, make_token):
    agent, token = agent_token
    conv = customer_message(db, custom_account, "cl1")
    assert client.post(f"/api/v1/conversations/{conv.id}/claim", headers=auth(token)).json["assignee_id"] == agent.id
    sam = make_user("agent", name="Sam")
    taken = client.post(f"/api/v1/conversations/{conv.id}/claim", headers=auth(make_token(sam)))
    assert taken.status_code == 409 and "Alex Agent already has" in taken.json["error"]["message"]
    unassign = client.patch(f"/api/v1/conversations/{conv.id}", headers=auth(token), json={"assignee_id": None})
    assert unassign.json["assignee_id"] is None


def test_bulk_actions(db, client, custom_account, agent_token):
    agent, token = agent_token
    convs = [customer_message(db, custom_account, f"b{i}", author=f"c{i}") for i in range(3)]
    ids = [c.id for c in convs]
    h = auth(token)
    assert client.post("/api/v1/conversations/bulk", headers=h, json={"ids": ids, "action": "assign", "value": "me"}).json == {
        "updated": ids, "errors": []}
    tagged = client.post("/api/v1/conversations/bulk", headers=h, json={"ids": ids + [999], "action": "tag", "value": "vip"})
    assert tagged.json["updated"] == ids and tagged.json["errors"] == [{"id": 999, "message": "no such conversation"}]
    spam = client.post("/api/v1/conversations/bulk", headers=h, json={"ids": ids[:1], "action": "spam"})
    assert spam.json["updated"] == ids[:1]
    db.session.expire_all()
    first = db.session.get(Conversation, ids[0])
    assert first.is_spam and first.status == "resolved" and first.tags == ["vip"] and first.assignee_id == agent.id
    resolved = client.post("/api/v1/conversations/bulk", headers=h, json={"ids": ids[1:], "action": "resolve"})
    assert resolved.json["updated"] == ids[1:]
    missing_value = client.post("/api/v1/conversations/bulk", headers=h, json={"ids": ids, "action": "tag"})
    assert missing_value.json["updated"] == [] and len(missing_value.json["errors"]) == 3
    assert client.post("/api/v1/conversations/bulk", headers=h, json={"ids": ids, "action": "explode"}).status_code == 422


def test_notes_with_mentions_notify_colleagues(db, client, custom_account, agent_token, make_user, make_token):
    agent, token = agent_token
    sam = make_user("agent", name="Sam Agent", email="sam@example.test")
    conv = customer_message(db, custom_account, "n1")
    resp = client.post(f"/api/v1/conversations/{conv.id}/notes", headers=auth(token),
                       json={"text": "@sam can you check the courier? <script>x</script>"})
    assert resp.status_code == 201 and resp.json["direction"] == "note" and resp.json["mentions"] == [sam.id]
    inbox = client.get("/api/v1/notifications", headers=auth(make_token(sam))).json
    assert inbox["unread"] == 1 and inbox["items"][0]["kind"] == "mention"
    assert client.post("/api/v1/notifications/read", headers=auth(make_token(sam)), json={}).json["unread"] == 0
    bad = client.post(f"/api/v1/conversations/{conv.id}/notes", headers=auth(token), json={"text": "x", "mentions": [999]})
    assert bad.status_code == 422
    detail = client.get(f"/api/v1/conversations/{conv.id}", headers=auth(token)).json
    assert [m["direction"] for m in detail["messages"]] == ["inbound", "note"]
    assert detail["sla"]["started_at"] is not None  # a note is not an answer


def test_counts_and_filters(db, client, custom_account, agent_token):
    agent, token = agent_token
    a = customer_message(db, custom_account, "k1", author="ana", text="Где мой заказ?", minutes_ago=70)
    customer_message(db, custom_account, "k2", author="bo", text="أين طلبي؟", minutes_ago=40)
    customer_message(db, custom_account, "k3", author="cy", text="thanks!", minutes_ago=1)
    client.post(f"/api/v1/conversations/{a.id}/claim", headers=auth(token))
    counts = client.get("/api/v1/conversations/counts?status=open", headers=auth(token)).json
    assert counts["status"] == {"open": 3, "pending": 0, "resolved": 0}
    assert counts["assignee"] == {"me": 1, "none": 2, "all": 3}
    assert counts["sla"] == {"ok": 1, "warning": 1, "breached": 1, "paused": 0, "stopped": 0}
    urgent_first = client.get("/api/v1/conversations?status=open", headers=auth(token)).json["items"]
    assert [c["contact"]["handle"] for c in urgent_first] == ["ana", "bo", "cy"]
    assert urgent_first[0]["sla"]["state"] == "breached"
    assert [c["contact"]["handle"] for c in client.get("/api/v1/conversations?q=ЗАКАЗ", headers=auth(token)).json["items"]] == ["ana"]
    assert [c["contact"]["handle"] for c in client.get("/api/v1/conversations?q=طلبي", headers=auth(token)).json["items"]] == ["bo"]
    assert [c["contact"]["handle"] for c in client.get("/api/v1/conversations?assignee=me", headers=auth(token)).json["items"]] == ["ana"]
    assert [c["contact"]["handle"] for c in client.get("/api/v1/conversations?sla=warning", headers=auth(token)).json["items"]] == ["bo"]


def test_cursor_pagination_walks_every_conversation_once(db, client, custom_account, agent_token):
    _, token = agent_token
    for i in range(7):
        customer_message(db, custom_account, f"p{i}", author=f"u{i}", minutes_ago=i * 3)
    c = customer_message(db, custom_account, "p-answered", author="z")
    c.sla_started_at = c.sla_warn_at = c.sla_breach_at = None
    db.session.commit()
    for sort in ("sla", "newest", "oldest"):
        seen, cursor = [], None
        while True:
            url = f"/api/v1/conversations?limit=3&sort={sort}" + (f"&cursor={cursor}" if cursor else "")
            page = client.get(url, headers=auth(token)).json
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert len(seen) == len(set(seen)) == 8, sort
    assert client.get("/api/v1/conversations?cursor=garbage", headers=auth(token)).status_code == 400


def test_conversation_detail_has_history_account_and_limit(db, client, custom_account, agent_token):
    _, token = agent_token
    old = customer_message(db, custom_account, "h1")
    client.patch(f"/api/v1/conversations/{old.id}", headers=auth(token), json={"is_spam": True})
    new = customer_message(db, custom_account, "h2")
    assert new.id != old.id  # spam never reopens
    detail = client.get(f"/api/v1/conversations/{new.id}", headers=auth(token)).json
    assert detail["account"]["name"] == "Web chat" and detail["reply_limit"]["max"] == 20000
    assert [(h["id"], h["outcome"]) for h in detail["history"]] == [(old.id, "spam")]


def test_canned_responses_are_managed_by_managers(client, make_user, make_token):
    agent_h = auth(make_token(make_user("agent")))
    manager_h = auth(make_token(make_user("manager")))
    body = {"title": "Thanks", "shortcut": "thx", "text": "Thanks {{contact.name}}! — {{agent.name}}"}
    assert client.post("/api/v1/canned-responses", headers=agent_h, json=body).status_code == 403
    created = client.post("/api/v1/canned-responses", headers=manager_h, json=body)
    assert created.status_code == 201
    assert client.post("/api/v1/canned-responses", headers=manager_h, json=body).status_code == 409
    assert client.get("/api/v1/canned-responses", headers=agent_h).json["items"][0]["shortcut"] == "thx"
    cid = created.json["id"]
    assert client.patch(f"/api/v1/canned-responses/{cid}", headers=agent_h, json={"title": "x"}).status_code == 403
    assert client.patch(f"/api/v1/canned-responses/{cid}", headers=manager_h, json={"title": "Thank you"}).json["title"] == "Thank you"
    assert client.post("/api/v1/canned-responses", headers=manager_h, json={**body, "shortcut": "has space"}).status_code == 422
    assert client.delete(f"/api/v1/canned-responses/{cid}", headers=manager_h).status_code == 204
    assert client.get("/api/v1/canned-responses", headers=agent_h).json["items"] == []


@pytest.mark.parametrize("mode", ["round_robin", "least_loaded"])
def test_auto_assignment_among_available_agents(db, client, custom_account, make_user, make_token, mode):
    a, b, c = (make_user("agent", name=n) for n in ("A", "B", "C"))
    manager_h = auth(make_token(make_user("manager")))
    assert client.put("/api/v1/settings/auto-assign", headers=auth(make_token(a)), json={"mode": mode}).status_code == 403
    assert client.put("/api/v1/settings/auto-assign", headers=manager_h, json={"mode": mode}).json == {"mode": mode}
    assert client.patch("/api/v1/me", headers=auth(make_token(c)), json={"is_available": False}).json["is_available"] is False
    assignees = [customer_message(db, custom_account, f"aa{i}", author=f"x{i}").assignee_id for i in range(4)]
    assert set(assignees) == {a.id, b.id} and assignees.count(a.id) == 2  # C is away
    set_auto_assign_mode(db.session, "off")
    db.session.commit()
    assert customer_message(db, custom_account, "aa-off", author="y").assignee_id is None


def test_team_and_me(client, make_user, make_token):
    agent = make_user("agent", name="Alex")
    h = auth(make_token(agent))
    assert client.get("/api/v1/me", headers=h).json["email"] == agent.email
    team = client.get("/api/v1/team", headers=h).json["items"]
    assert team == [{"id": agent.id, "name": "Alex", "role": "agent", "is_available": True}]
    assert "email" not in team[0]


def test_paused_clocks_are_their_own_filter_and_count(db, client, custom_account, agent_token):
    """Outside the account policy's business hours, clocks that have not breached show as paused."""
    import time_machine

    from app.models import SlaPolicy

    _, token = agent_token
    weekdays = SlaPolicy(name="Weekdays", warn_minutes=30, breach_minutes=60, timezone="Europe/Minsk",
                         business_hours={d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")})
    db.session.add(weekdays)
    db.session.flush()
    custom_account.sla_policy_id = weekdays.id
    db.session.commit()
    with time_machine.travel(datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc), tick=True):  # a Saturday
        customer_message(db, custom_account, "pz1", author="pat", minutes_ago=5)
        counts = client.get("/api/v1/conversations/counts?status=open", headers=auth(token)).json
        assert counts["sla"]["paused"] == 1 and counts["sla"]["ok"] == 0
        paused = client.get("/api/v1/conversations?sla=paused", headers=auth(token)).json["items"]
        assert [c["contact"]["handle"] for c in paused] == ["pat"]
        assert paused[0]["sla"]["paused"] is True and paused[0]["sla"]["paused_reason"] == "outside_business_hours"
        assert client.get("/api/v1/conversations?sla=ok", headers=auth(token)).json["items"] == []
