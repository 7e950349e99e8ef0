"""Teams in a real browser: a manager creates a team with a member and an account on the teams page; that
agent's inbox then shows only the team's conversations and unrouted ones, live included; a move to another
team takes one out of it."""
import requests
from playwright.sync_api import expect

from tests.conftest import writing
from tests.teams_helpers import account, customer


def test_manager_creates_a_team_and_the_agents_inbox_follows_it(db, open_page, make_user, make_token, live_server):
    ann = make_user("agent", name="Ann Agent")
    make_user("agent", name="Bob Agent")
    manager = make_user("manager", name="Mia Manager")
    shop, bank, web = account(db, "Shop"), account(db, "Bank"), account(db, "Web")

    page = open_page(manager, path="/settings/workflow/teams")
    page.fill("input[name=name]", "Shop desk")
    page.locator("#member_ids label", has_text="Ann Agent").click()
    page.locator("#account_ids label", has_text="Shop").click()
    page.click("button[type=submit].primary")
    expect(page.locator("#teams tbody tr").first).to_contain_text("Shop desk")
    expect(page.locator("#teams tbody tr").first).to_contain_text("Ann Agent")
    # The other team, by the API: it owns the bank's conversations.
    token = make_token(manager)
    other = requests.post(f"{live_server.url}/api/v1/teams", headers={"Authorization": f"Bearer {token}"},
                          json={"name": "Bank desk", "account_ids": [bank.id]}, timeout=10)
    assert other.status_code == 201

    customer(db, shop, "s1", "My parcel is late", author="shop_customer")
    customer(db, bank, "b1", "My card is blocked", author="bank_customer")
    customer(db, web, "w1", "Are you open today?", author="web_customer")

    inbox = open_page(ann)
    expect(inbox.locator("#connection-state")).to_have_class("conn conn-live")
    names = inbox.locator(".conversation .who")
    expect(names).to_have_count(2)
    expect(inbox.locator("#conversation-list")).to_contain_text("shop_customer")
    expect(inbox.locator("#conversation-list")).to_contain_text("web_customer")
    expect(inbox.locator("#conversation-list")).not_to_contain_text("bank_customer")

    # Live: the bank's next customer never shows up; the shop's does.
    customer(db, bank, "b2", "Hello?", author="bank_second")
    customer(db, shop, "s2", "Hello?", author="shop_second")
    expect(names).to_have_count(3)
    expect(inbox.locator("#conversation-list")).not_to_contain_text("bank_second")

    # The team filter narrows to the team's own.
    inbox.select_option("#f-team", label="Shop desk")
    expect(names).to_have_count(2)
    expect(inbox.locator("#conversation-list")).not_to_contain_text("web_customer")
    inbox.select_option("#f-team", value="")

    # A manager moves the shop's first conversation to the bank's team: it leaves Ann's inbox live.
    with writing(db) as session:
        from app.models import Contact, Conversation
        conv = session.query(Conversation).join(Contact).filter(Contact.handle == "shop_customer").one()
    moved = requests.patch(f"{live_server.url}/api/v1/conversations/{conv.id}",
                           headers={"Authorization": f"Bearer {token}"}, json={"team_id": other.json()["id"]}, timeout=10)
    assert moved.status_code == 200
    expect(names).to_have_count(2)
    expect(inbox.locator("#conversation-list")).not_to_contain_text("shop_customer")
    assert inbox.errors == []
