"""Teams: routing by account, language or both, the service's rules, the REST API, per-team auto-assignment,
and webhooks that still get every team's events."""
import pytest

from app.domain_errors import Conflict, Invalid, NotPermitted
from app.models import Conversation, Team
from app.teams import create_team, delete_team, update_team
from tests.conftest import csrf_from, login, writing
from tests.teams_helpers import account, customer, team, team_of


def test_routing_by_account_by_language_and_by_both(db, make_user):
    shop, bank = account(db, "Shop"), account(db, "Bank")
    by_account = team(db, "Shop desk", accounts=[shop])
    by_language = team(db, "Russian desk", languages=["ru"])
    both = team(db, "Shop Arabic", accounts=[shop], languages=["ar"])
    team(db, "Owns nothing")

    assert team_of(db, customer(db, shop, "s-en", "Where is my parcel?", language="en")) == by_account
    assert team_of(db, customer(db, shop, "s-ar", "وين طلبي؟", language="ar")) == both  # both beats account only
    assert team_of(db, customer(db, shop, "s-ru", "Где посылка?", language="ru")) == by_account  # account beats language
    assert team_of(db, customer(db, bank, "b-ru", "Где деньги?", language="ru")) == by_language
    assert team_of(db, customer(db, bank, "b-en", "Where is my money?", language="en")) is None  # unrouted
    assert team_of(db, customer(db, bank, "b-unknown", "ok")) is None


def test_ties_go_to_the_lowest_id_and_a_conversation_keeps_its_team(db):
    shop = account(db, "Shop")
    first = team(db, "First", accounts=[shop])
    team(db, "Second", accounts=[shop])
    russian = team(db, "Russian", languages=["ru"])
    other = account(db, "Other")
    conv = customer(db, shop, "t1", "hi", author="ann")
    assert team_of(db, conv) == first
    # Its language becomes known later (a second message): it stays with its team.
    later = customer(db, other, "t2", "ok", author="bob")
    assert team_of(db, later) is None
    assert customer(db, other, "t3", "Здравствуйте, где мой заказ?", author="bob", language="ru") == later
    assert team_of(db, later) is None
    assert russian


def test_service_validates_and_needs_teams_manage(db, make_user):
    agent, manager = make_user("agent"), make_user("manager")
    shop = account(db, "Shop")
    with writing(db) as session:
        with pytest.raises(NotPermitted):
            create_team(session, agent, name="Mine")
        for bad in ({"name": "  "}, {"name": "x" * 121}, {"name": "A", "languages": ["xx"]},
                    {"name": "A", "member_ids": [999999]}, {"name": "A", "account_ids": [999999]},
                    {"name": "A", "auto_assign": "sometimes"}):
            with pytest.raises(Invalid):
                create_team(session, manager, **bad)
        made = create_team(session, manager, name="Shop desk", member_ids=[agent.id], account_ids=[shop.id],
                           languages=["en", "en", "ru"], auto_assign="round_robin")
        assert made.languages == ["en", "ru"]
        with pytest.raises(Conflict):
            create_team(session, manager, name="shop DESK")
        team_id = made.id
    conv = customer(db, shop, "d1", "hello")
    assert team_of(db, conv) == team_id
    with writing(db) as session:
        update_team(session, manager, team_id, name="Renamed", languages=[])
        delete_team(session, manager, team_id)
    assert team_of(db, conv) is None  # deleting a team leaves its conversations unrouted
    actions = [a for (a,) in db.session.execute(db.text("SELECT action FROM audit_events ORDER BY id"))]
    assert {"team.created", "team.updated", "team.deleted"} <= set(actions)


def _json_client(client, user):
    login(client, user)
    token = csrf_from(client)
    return lambda method, path, **kw: client.open(path, method=method, headers={"X-CSRFToken": token}, **kw)


def test_rest_api_lists_own_teams_and_lets_managers_manage(app, db, make_user):
    agent, manager = make_user("agent"), make_user("manager")
    shop = account(db, "Shop")
    mine = team(db, "Mine", members=[agent])
    team(db, "Theirs")
    as_manager = _json_client(app.test_client(), manager)
    created = as_manager("POST", "/api/v1/teams", json={"name": "New", "member_ids": [agent.id],
                                                      "account_ids": [shop.id], "languages": ["ar"]})
    assert created.status_code == 201, created.json
    body = created.json
    assert body["member_ids"] == [agent.id] and body["account_ids"] == [shop.id] and body["auto_assign"] is None
    assert [t["name"] for t in as_manager("GET", "/api/v1/teams").json["items"]] == ["Mine", "New", "Theirs"]
    assert as_manager("POST", "/api/v1/teams", json={"name": "new"}).status_code == 409
    assert as_manager("POST", "/api/v1/teams", json={"name": "X", "languages": ["zz"]}).status_code == 422
    patched = as_manager("PATCH", f"/api/v1/teams/{body['id']}", json={"auto_assign": "least_loaded", "member_ids": []})
    assert patched.status_code == 200 and patched.json["auto_assign"] == "least_loaded" and patched.json["member_ids"] == []
    assert as_manager("GET", "/api/v1/teams/99999999999").status_code == 404

    as_agent = _json_client(app.test_client(), agent)
    assert [t["id"] for t in as_agent("GET", "/api/v1/teams").json["items"]] == [mine]
    assert as_agent("GET", f"/api/v1/teams/{body['id']}").status_code == 404  # not theirs (any more)
    assert as_agent("POST", "/api/v1/teams", json={"name": "Rogue"}).json["error"]["code"] == "not_permitted"
    assert as_agent("DELETE", f"/api/v1/teams/{mine}").status_code == 403
    assert as_manager("DELETE", f"/api/v1/teams/{body['id']}").status_code == 204
    assert as_manager("GET", f"/api/v1/teams/{body['id']}").status_code == 404


def _available(db, *users):
    with writing(db) as session:
        for user in users:
            session.merge(user).is_available = True


def test_auto_assignment_per_team(db, make_user):
    from app.assignment import set_auto_assign_mode

    a1, a2, b1, outsider = (make_user("agent") for _ in range(4))
    _available(db, a1, a2, b1, outsider)
    shop, bank, web = account(db, "Shop"), account(db, "Bank"), account(db, "Web")
    team(db, "A", members=[a1, a2], accounts=[shop], auto_assign="round_robin")
    team(db, "B", members=[b1], accounts=[bank])  # the workspace's mode
    with writing(db) as session:
        set_auto_assign_mode(session, "off")
    assignees = [db.session.get(Conversation, customer(db, shop, f"a{i}", "hi")).assignee_id for i in range(3)]
    assert assignees == [a1.id, a2.id, a1.id]  # round robin among A's members only
    assert db.session.get(Conversation, customer(db, bank, "b1", "hi")).assignee_id is None  # workspace: off
    with writing(db) as session:
        set_auto_assign_mode(session, "least_loaded")
    assert db.session.get(Conversation, customer(db, bank, "b2", "hi")).assignee_id == b1.id
    unrouted = db.session.get(Conversation, customer(db, web, "w1", "hi"))
    assert unrouted.team_id is None and unrouted.assignee_id == outsider.id  # the least loaded of everyone


def test_an_agent_cannot_be_assigned_another_teams_conversation(app, db, make_user):
    a, b, manager = make_user("agent"), make_user("agent"), make_user("manager")
    shop = account(db, "Shop")
    team(db, "A", members=[a], accounts=[shop])
    conv = customer(db, shop, "x1", "hi")
    as_manager = _json_client(app.test_client(), manager)
    refused = as_manager("PATCH", f"/api/v1/conversations/{conv}", json={"assignee_id": b.id})
    assert refused.status_code == 422 and refused.json["error"]["code"] == "not_in_team"
    assert as_manager("PATCH", f"/api/v1/conversations/{conv}", json={"assignee_id": a.id}).status_code == 200
    bulk = as_manager("POST", "/api/v1/conversations/bulk", json={"ids": [conv], "action": "assign", "value": b.id})
    assert bulk.json["updated"] == [] and bulk.json["errors"][0]["id"] == conv


def test_managers_move_a_conversation_between_teams(app, db, make_user):
    a, manager = make_user("agent"), make_user("manager")
    shop = account(db, "Shop")
    team_a = team(db, "A", members=[a], accounts=[shop])
    team_b = team(db, "B")
    conv = customer(db, shop, "m1", "hi")
    as_manager = _json_client(app.test_client(), manager)
    as_manager("PATCH", f"/api/v1/conversations/{conv}", json={"assignee_id": a.id})
    moved = as_manager("PATCH", f"/api/v1/conversations/{conv}", json={"team_id": team_b})
    assert moved.status_code == 200 and moved.json["team_id"] == team_b
    assert moved.json["assignee_id"] is None  # A's agent no longer sees it
    assert as_manager("PATCH", f"/api/v1/conversations/{conv}", json={"team_id": 99999}).status_code == 422
    as_agent = _json_client(app.test_client(), a)
    assert as_agent("PATCH", f"/api/v1/conversations/{conv}", json={"team_id": team_a}).status_code == 404
    assert as_manager("PATCH", f"/api/v1/conversations/{conv}", json={"team_id": None}).json["team_id"] is None
    refused = as_agent("PATCH", f"/api/v1/conversations/{conv}", json={"team_id": team_a})
    assert refused.status_code == 403  # they see it (unrouted) but may not route it


def test_the_teams_page_is_for_managers_and_its_forms_need_csrf(app, db, make_user):
    import re

    agent, manager = make_user("agent", name="Ann"), make_user("manager")
    shop = account(db, "Shop")
    agent_client = app.test_client()
    login(agent_client, agent)
    assert agent_client.get("/settings/workflow/teams").status_code == 403

    client = app.test_client()
    login(client, manager)
    page = client.get("/settings/workflow/teams")
    assert page.status_code == 200 and b"Ann" in page.data
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data).group(1).decode()
    form = {"name": "<b>Desk</b>", "member_ids": [str(agent.id)], "account_ids": [str(shop.id)], "languages": ["ar"],
            "auto_assign": ""}
    assert client.post("/settings/workflow/teams", data=form).status_code == 400  # no CSRF token
    assert client.post("/settings/workflow/teams", data={**form, "csrf_token": token}).status_code == 302
    listed = client.get("/settings/workflow/teams").data
    assert b"&lt;b&gt;Desk&lt;/b&gt;" in listed and b"<b>Desk" not in listed  # escaped
    again = client.post("/settings/workflow/teams", data={**form, "csrf_token": token})
    assert again.status_code == 409 and b"already a team" in again.data
    made = db.session.query(Team).one()
    assert [u.id for u in made.members] == [agent.id] and made.languages == ["ar"] and made.auto_assign is None
    assert client.post("/settings/workflow/teams/delete", data={"id": made.id, "csrf_token": token}).status_code == 302
    assert db.session.query(Team).count() == 0
