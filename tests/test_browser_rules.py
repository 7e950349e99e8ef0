"""The rules page in a real browser: a manager writes a rule, sees its dry run, switches it on, and a new
customer message gets its actions."""
from datetime import datetime, timedelta, timezone

import pytest
import requests
from playwright.sync_api import expect

from app.ingest.items import InboundAuthor, InboundItem
from app.ingest.pipeline import ingest
from app.models import SocialAccount
from tests.conftest import writing
from tests.fixtures.browser import screenshot

pytestmark = pytest.mark.browser

HOSTILE = '<img src=x onerror="window.__pwned=1"> my parcel is late'
PAGE = "/settings/workflow/rules"


def seed(db, account_id):
    """Customer messages through the one ingest path: two match "parcel" within the last 7 days, one matches
    but is older, one does not match."""
    now = datetime.now(timezone.utc)
    with writing(db) as session:
        account = session.get(SocialAccount, account_id)
        for n, (text, hours) in enumerate([(HOSTILE, 5), ("Where is my PARCEL?", 30), ("Thanks, all good!", 2),
                                           ("parcel never came", 24 * 9)]):
            ingest(session, account, [InboundItem(f"seed-{n}", text, created_at=now - timedelta(hours=hours),
                                                  author=InboundAuthor(f"cust-{n}", handle=f"cust{n}", name=f"C {n}"))])


def ready(page):
    page.wait_for_selector("#rules-page[data-ready='1']", state="attached")


def test_a_manager_writes_a_rule_and_sees_its_dry_run(open_page, live_server, db, make_user, make_token,
                                                       custom_account):
    seed(db, custom_account.id)
    manager = make_user("manager", name="Mia Manager")
    page = open_page(manager, path=PAGE)
    ready(page)
    expect(page.locator("#rules-list")).to_contain_text("No rules yet.")

    # The keyboard: a keywords condition, added from its picker with Enter, its words typed.
    page.focus("#add-condition")
    page.select_option("#add-condition", "keywords")
    page.keyboard.press("Tab")
    expect(page.locator("#add-condition-button")).to_be_focused()
    page.keyboard.press("Enter")
    keywords = page.locator("#conditions li[data-type=keywords] input[type=text]")
    expect(keywords).to_be_focused()
    page.keyboard.type("parcel, refund")
    # The mouse: a tag action and a priority action.
    page.select_option("#add-action", "tag")
    page.click("#add-action-button")
    page.locator("#actions li[data-type=tag] input").fill("late-delivery")
    page.select_option("#add-action", "set_priority")
    page.click("#add-action-button")
    page.locator("#actions li[data-type=set_priority] select").select_option("urgent")

    # Saved without a name: refused before sending, the reason next to the name field.
    page.click("#save-rule")
    name_error = page.locator("#rule-name + .field-error")
    expect(name_error).to_have_text("Give the rule a name.")
    expect(page.locator("#rule-name")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#rule-name")).to_be_focused()

    # The dry run of the unsaved rule: exactly the two recent matching messages, hostile text shown as text.
    page.click("#dry-run")
    results = page.locator("#dry-run-results")
    expect(results).to_be_visible()
    expect(page.locator("#dry-run-summary")).to_have_text(
        "3 customer messages of the last 7 days were read. 2 would have matched.")
    rows = page.locator("#dry-run-table tbody tr")
    expect(rows).to_have_count(2)
    assert sorted(rows.locator(".dry-text").all_text_contents()) == sorted([HOSTILE, "Where is my PARCEL?"])
    assert page.locator("#dry-run-table img").count() == 0
    assert rows.locator(".dry-text").first.get_attribute("dir") == "auto"
    expect(rows.locator(".dry-network").first).to_have_text("Custom")
    for row in rows.all():
        assert row.locator(".dry-actions li").all_text_contents() == [
            "tag it “late-delivery”", "set the priority to urgent"]
        assert row.locator(".dry-time").text_content()

    # Named and saved: the list shows it off, with its summary and no hits.
    page.locator("#rule-name").fill("Late parcels")
    page.click("#save-rule")
    row = page.locator("#rules-list tr[data-rule-id]")
    expect(row).to_have_count(1)
    expect(row.locator(".rule-name")).to_have_text("Late parcels")
    expect(row.locator(".rule-summary")).to_have_text(
        "If it has the word “parcel” or “refund” then tag it “late-delivery” and set the priority to urgent")
    switch = row.locator("input[role=switch]")
    expect(switch).not_to_be_checked()
    expect(row.locator(".rule-hits")).to_have_text("0")
    expect(row.locator(".rule-last-hit")).to_have_text("never")

    # The saved rule's own dry run agrees; then it is switched on from the keyboard.
    row.locator("button.dry-run").click()
    expect(page.locator("#dry-run-title")).to_have_text("Dry run of “Late parcels” (last 7 days)")
    expect(rows).to_have_count(2)
    switch.focus()
    page.keyboard.press("Space")
    expect(page.locator("#rules-status")).to_have_text("“Late parcels” is switched on.")
    expect(page.locator("#rules-list input[role=switch]")).to_be_checked()
    expect(page.locator("#rules-list input[role=switch]")).to_be_focused()

    # A new matching message arrives through the API: the rule acts on it and its hit count goes up.
    headers = {"Authorization": f"Bearer {make_token(make_user('agent'))}"}
    resp = requests.post(f"{live_server.url}/api/v1/messages", headers=headers, timeout=10, json={
        "account_id": custom_account.id, "external_id": "new-1", "text": "A refund for my parcel, please",
        "created_at": datetime.now(timezone.utc).isoformat(), "author": {"external_id": "cust-new", "handle": "newbie"}})
    assert resp.status_code == 201, resp.text
    conversation = requests.get(f"{live_server.url}/api/v1/conversations/{resp.json()['conversation_id']}",
                                headers=headers, timeout=10).json()
    conversation = conversation.get("conversation", conversation)
    assert "late-delivery" in conversation["tags"] and conversation["priority"] == "urgent"
    page.reload()
    ready(page)
    expect(page.locator("#rules-list tr[data-rule-id] .rule-hits")).to_have_text("1")
    expect(page.locator("#rules-list tr[data-rule-id] .rule-last-hit")).not_to_have_text("never")
    assert page.evaluate("window.__pwned") is None
    screenshot(page, "rules-page")
    assert page.errors == []


def test_rules_are_reordered_from_the_keyboard_and_deleted_after_confirming(open_page, live_server, db, make_user):
    manager = make_user("manager")
    page = open_page(manager, path=PAGE)
    ready(page)
    for name in ("First", HOSTILE):
        page.evaluate("""async (name) => {
          const csrf = document.querySelector('meta[name="csrf-token"]').content;
          const resp = await fetch("/api/v1/rules", {method: "POST", credentials: "same-origin",
            headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
            body: JSON.stringify({name: name, actions: [{type: "mark_spam"}]})});
          if (resp.status !== 201) throw new Error(await resp.text());
        }""", name)
    page.reload()
    ready(page)
    names = page.locator("#rules-list .rule-name")
    expect(names).to_have_text(["First", HOSTILE])  # a hostile name is text, not markup
    second_up = page.locator("#rules-list tr").nth(1).locator("button.move-up")
    second_up.focus()
    page.keyboard.press("Enter")
    expect(names).to_have_text([HOSTILE, "First"])
    expect(page.locator("#rules-list tr").first.locator("button.move-down")).to_be_focused()  # up is now disabled
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.locator("#rules-list tr").first.locator("button.delete").click()
    expect(names).to_have_count(2)
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#rules-list tr").first.locator("button.delete").click()
    expect(names).to_have_text(["First"])
    assert page.evaluate("window.__pwned") is None
    assert page.errors == []


def test_editing_a_rule_shows_the_services_refusal_beside_its_field(open_page, live_server, db, make_user, make_token,
                                                                    custom_account):
    from app.models import Rule, User
    from app.rules.manage import create_rule

    manager = make_user("manager")
    with writing(db) as session:
        rule = create_rule(session, session.get(User, manager.id), name="Accounts", conditions=[
            {"type": "account", "account_ids": [custom_account.id]}], actions=[{"type": "exclude_from_sla"}])
    rule_id = rule.id
    page = open_page(manager, path=PAGE)
    ready(page)
    expect(page.locator("#rules-list .rule-summary")).to_have_text("If it came to Web chat (Custom) then take it out of SLA")
    # The team picker is offered only where the teams API answers.
    teams_api = requests.get(f"{live_server.url}/api/v1/teams", timeout=10,
                             headers={"Authorization": f"Bearer {make_token(manager)}"}).status_code == 200
    offered = page.eval_on_selector_all("#add-action option", "options => options.map(o => o.value)")
    assert ("assign_team" in offered) == teams_api and "auto_reply" in offered
    page.locator("#rules-list button.edit").click()
    expect(page.locator("#editor-title")).to_be_focused()
    expect(page.locator("#rule-name")).to_have_value("Accounts")
    expect(page.locator("#conditions li[data-type=account] [data-key=account_ids] input")).to_be_checked()
    page.select_option("#add-condition", "regex")
    page.click("#add-condition-button")
    pattern = page.locator("#conditions li[data-type=regex] input[type=text]")
    expect(pattern).to_be_focused()
    assert pattern.get_attribute("dir") == "ltr"
    page.keyboard.type("(a+)+$")  # backtracks exponentially: the service refuses it
    page.locator("#conditions li[data-type=regex] input.negate").check()
    pattern.press("Enter")  # submits the form
    error = page.locator("#conditions li[data-type=regex] .field-error")
    expect(error).to_contain_text("nested repetition")
    expect(pattern).to_have_attribute("aria-invalid", "true")
    pattern.fill("order\\s+\\d+")
    page.click("#save-rule")
    expect(page.locator("#rules-status")).to_have_text("Saved “Accounts”.")
    expect(error).to_have_count(0)
    expect(page.locator("#rules-list .rule-summary")).to_contain_text(
        "it came to Web chat (Custom) and it does not match the pattern order\\s+\\d+")
    db.session.commit()
    stored = db.session.get(Rule, rule_id)
    db.session.refresh(stored)
    assert stored.conditions[1] == {"type": "regex", "pattern": "order\\s+\\d+", "not": True}
    assert page.errors == []
