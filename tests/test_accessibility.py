"""Every page through axe-core in a real browser, in English and in Arabic (right to left), as the role that sees it.

A violation of impact serious or critical fails, reported with its rule, impact, targets and page. The moderate and
minor ones are listed (test-artifacts/a11y-<locale>.json) but pass. The SLA colours (ok, warning, breached, paused)
are drawn on every background they sit on (rows, tiles, the cursor row, the list) so their contrast is checked even
when the seed data has no clock in that state.
"""
import json
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from app.canned import save_canned
from app.ingest.items import InboundAuthor, InboundItem
from app.ingest.pipeline import ingest
from app.models import SocialAccount, User
from app.sla import manage
from app.webhooks.endpoints import create_endpoint, send_test_event
from tests.conftest import writing
from tests.fixtures.browser import ARTIFACTS, show_report
from tests.test_reports import dataset  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

LOCALES = ["en", "ar"]
FAILING = {"serious", "critical"}
AXE = Axe()

# Every SLA state's class, drawn where the inbox and the dashboard draw them.
SWATCHES = """(where) => {
  const states = ["ok", "warning", "breached", "paused"];
  if (where === "inbox") {
    const row = document.querySelector("#conversation-list .conversation");
    const clock = row && row.querySelector(".sla-clock");
    if (!clock) return false;
    for (const state of states) {
      const copy = clock.cloneNode(false);
      copy.className = "sla-clock sla-" + state;
      copy.textContent = state + " 12 min";
      row.appendChild(copy);
    }
    return true;
  }
  // A copy of the at-risk table (dashboard.js keeps the real one in step with its data).
  const table = document.querySelector("#at-risk");
  const row = table && table.querySelector("tbody tr");
  if (!row) return false;
  const copy = table.cloneNode(false);
  copy.removeAttribute("id");
  copy.append(table.tHead.cloneNode(true), document.createElement("tbody"));
  for (const state of states) {
    const line = row.cloneNode(true);
    line.className = "risk sla-" + state;
    copy.tBodies[0].appendChild(line);
  }
  table.after(copy);
  return true;
}"""


class Audit:
    def __init__(self, locale):
        self.locale = locale
        self.failures = []
        self.minor = []

    def check(self, page, name):
        results = AXE.run(page, options={"resultTypes": ["violations"]})
        for violation in results.response["violations"]:
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
            entry = {"page": name, "locale": self.locale, "rule": violation["id"], "impact": violation["impact"],
                     "help": violation["help"], "targets": targets[:8], "count": len(targets)}
            (self.failures if violation["impact"] in FAILING else self.minor).append(entry)

    def finish(self, part):
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"a11y-{part}-{self.locale}.json").write_text(
            json.dumps({"failing": self.failures, "moderate_or_minor": self.minor}, indent=2, ensure_ascii=False))
        report = "\n".join(f"[{f['locale']}] {f['page']}: {f['rule']} ({f['impact']}) — {f['help']} — "
                           f"{f['count']} node(s): {', '.join(f['targets'])}" for f in self.failures)
        assert not self.failures, "axe found serious/critical violations:\n" + report


# The element the keyboard is on, and whether it shows it: an outline or a ring (box-shadow).
FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const s = getComputedStyle(e);
  const ring = (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== "none";
  const classes = typeof e.className === "string" && e.className.trim() ? "." + e.className.trim().split(/\\s+/).join(".") : "";
  return {ring, what: e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + classes};
}"""


def walk_focus(audit, page, name, presses=25):
    """Tab through the page from the top: the first stop is the skip link, and every stop shows the focus."""
    # Start from the top of the page: focus a mark put before everything, Tab from there, take the mark away.
    page.evaluate("""() => { const mark = document.createElement("span"); mark.id = "tab-start"; mark.tabIndex = -1;
                             document.body.prepend(mark); mark.focus(); }""")
    page.keyboard.press("Tab")
    page.evaluate("document.getElementById('tab-start').remove()")
    first = page.evaluate(FOCUSED)
    if not first or "skip-link" not in first["what"]:
        audit.failures.append({"page": name, "locale": audit.locale, "rule": "skip-link-first", "impact": "serious",
                               "help": "The first Tab stop is the skip link", "targets": [str(first)], "count": 1})
    for _ in range(presses):
        focused = page.evaluate(FOCUSED)
        if focused and not focused["ring"]:
            audit.failures.append({"page": name, "locale": audit.locale, "rule": "focus-visible", "impact": "serious",
                                   "help": "The focused element shows no focus ring", "targets": [focused["what"]],
                                   "count": 1})
        page.keyboard.press("Tab")
    page.evaluate("document.activeElement && document.activeElement.blur()")  # shortcuts apply outside fields


def set_locale(db, user, locale):
    with writing(db) as session:
        session.execute(sa.update(User).where(User.id == user.id).values(locale=locale))
    return user


def seed_inbox(db, account_id, agent=None):
    now = datetime.now(timezone.utc)
    with writing(db) as session:
        account = session.get(SocialAccount, account_id)
        for n, (text, name, minutes) in enumerate([
                ("Where is my parcel? It was due on Monday.", "Fay Jones", 50),
                ("Посылка не пришла", "Вим", 20), ("وين طلبي؟", "ليلى", 5)]):
            (r,) = ingest(session, account, [InboundItem(f"a11y-{n}", text, created_at=now - timedelta(minutes=minutes),
                                                         author=InboundAuthor(f"cust{n}", handle=f"cust{n}", name=name))])
    return r.conversation_id


def live_inbox(page):
    expect(page.locator("#connection-state")).to_have_class("conn conn-live")
    page.wait_for_selector("body[data-inbox-ready]", state="attached")
    expect(page.locator("#conversation-list .conversation").first).to_be_visible()
    return page


@pytest.mark.parametrize("locale", LOCALES)
def test_sign_in_and_agent_pages(browser, live_server, db, open_page, make_user, custom_account, locale):
    audit = Audit(locale)
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="ar" if locale == "ar" else "en-GB")
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/login")
        assert page.get_attribute("html", "lang") == locale
        audit.check(page, "sign-in")
        walk_focus(audit, page, "sign-in", presses=6)
        page.fill("input[name=email]", "nobody@example.test")
        page.fill("input[name=password]", "wrong password!!")
        page.click("button[type=submit]")
        page.wait_for_load_state()
        audit.check(page, "sign-in (refused)")
    finally:
        context.close()

    agent = set_locale(db, make_user("agent", name="Alex Agent"), locale)
    seed_inbox(db, custom_account.id)
    page = live_inbox(open_page(agent))
    assert page.get_attribute("html", "dir") == ("rtl" if locale == "ar" else "ltr")
    expect(page.locator("#announcer")).to_have_attribute("aria-live", "polite")  # live changes, never the focus
    walk_focus(audit, page, "inbox")
    assert page.evaluate(SWATCHES, "inbox")
    page.keyboard.press("j")
    page.keyboard.press("x")  # a row ticked for bulk actions: the bulk bar and the ticked row's colours
    expect(page.locator("#bulk-bar")).to_be_visible()
    expect(page.locator(".conversation[aria-checked=true]")).to_have_count(1)
    audit.check(page, "inbox (list, a row ticked)")
    page.reload()
    live_inbox(page)
    page.keyboard.press("r")  # opens the most urgent conversation, the cursor in the composer
    expect(page.locator("#composer-text")).to_be_focused()
    expect(page.locator("#thread .msg-inbound").first).to_be_visible()
    page.wait_for_timeout(300)  # the customer panel's history
    audit.check(page, "inbox (conversation and composer open)")
    page.keyboard.press("Escape")
    page.locator("#conversation-list").focus()
    page.keyboard.press("Shift+Slash")
    expect(page.locator("#shortcuts")).to_be_visible()
    audit.check(page, "inbox (shortcut help)")
    page.keyboard.press("Escape")
    page.click("#notifications-button")
    audit.check(page, "inbox (notifications panel)")

    page.goto(f"{live_server.url}/account")
    audit.check(page, "account")
    walk_focus(audit, page, "account")
    page.goto(f"{live_server.url}/no-such-page")
    audit.check(page, "error (404)")
    page.goto(f"{live_server.url}/api/v1/docs")
    page.wait_for_selector(".swagger-ui .opblock-tag")
    audit.check(page, "API docs")
    page.locator(".opblock-summary-control").first.click()  # one operation open: its parameters and responses
    page.wait_for_selector(".opblock.is-open .responses-wrapper")
    audit.check(page, "API docs (an operation open)")
    assert page.errors == []
    audit.finish("agent")


@pytest.mark.parametrize("locale", LOCALES)
def test_manager_pages(db, live_server, open_page, make_user, dataset, custom_account, locale):  # noqa: F811
    seed_inbox(db, custom_account.id)
    with writing(db) as session:
        policy, _ = manage.create_policy(session, {
            "name": "Office hours", "warn_minutes": 30, "breach_minutes": 60, "is_default": False,
            "timezone": "Europe/Berlin", "business_hours": {"mon": [["09:00", "17:00"]], "tue": [["09:00", "17:00"]]},
            "holidays": []})
        save_canned(session, actor=None, title="Thanks", shortcut="thanks", text="Thank you for writing!", language="en")
        save_canned(session, actor=None, title="Спасибо", shortcut="spasibo", text="Спасибо!", language="ru")
    policy_id = policy.id
    manager = set_locale(db, make_user("manager", name="Mia Manager"), locale)
    audit = Audit(locale)

    page = open_page(manager, path="/dashboard")
    page.wait_for_selector("#connection-state.conn-live")
    page.wait_for_function("document.querySelector('#tile-open .value').textContent !== '—'")
    page.wait_for_selector("#at-risk tr.risk")
    page.wait_for_selector("#agents tbody tr")
    walk_focus(audit, page, "dashboard", presses=12)
    assert page.evaluate(SWATCHES, "dashboard")
    audit.check(page, "dashboard")

    page.goto(f"{live_server.url}/reports")
    show_report(page, "2026-03-02", "2026-03-04")
    audit.check(page, "reports")
    walk_focus(audit, page, "reports", presses=15)

    page.goto(f"{live_server.url}/settings/sla")
    audit.check(page, "SLA policies (list)")
    page.goto(f"{live_server.url}/settings/sla?edit={policy_id}")
    audit.check(page, "SLA policies (edit form)")
    walk_focus(audit, page, "SLA policies (edit form)", presses=40)
    page.fill("input[name=warn_minutes]", "90")  # after the breach: refused, the form shows why
    page.fill("input[name=breach_minutes]", "60")
    page.locator("form.policy-form button[type=submit]").first.click()
    page.wait_for_load_state()
    expect(page.locator(".policy-form")).to_be_visible()
    audit.check(page, "SLA policies (form refused)")
    page.goto(f"{live_server.url}/settings/workflow/")
    audit.check(page, "workflow settings")
    walk_focus(audit, page, "workflow settings", presses=30)
    page.goto(f"{live_server.url}/settings/workflow/teams")
    audit.check(page, "teams")
    assert page.errors == []
    audit.finish("manager")


@pytest.mark.parametrize("locale", LOCALES)
def test_rules_page(db, live_server, open_page, make_user, custom_account, locale):
    """The rules list, the editor with a condition and actions open (the automatic answer's warning among them),
    a refusal next to its field, and a dry run's results."""
    from app.rules.manage import create_rule

    seed_inbox(db, custom_account.id)
    manager = set_locale(db, make_user("manager", name="Mia Manager"), locale)
    with writing(db) as session:
        canned = save_canned(session, actor=None, title="Thanks", shortcut="thanks", text="Thank you!", language="en")
        for name, enabled in (("Parcels", True), ("Spam words", False)):
            create_rule(session, session.get(User, manager.id), name=name, enabled=enabled,
                        conditions=[{"type": "keywords", "keywords": ["parcel"]}, {"type": "has_link", "not": True}],
                        actions=[{"type": "tag", "tags": ["parcel"]}, {"type": "set_priority", "priority": "high"}])
    audit = Audit(locale)
    page = open_page(manager, path="/settings/workflow/rules")
    page.wait_for_selector("#rules-page[data-ready='1']", state="attached")
    assert page.get_attribute("html", "dir") == ("rtl" if locale == "ar" else "ltr")
    audit.check(page, "rules (list)")
    walk_focus(audit, page, "rules (list)", presses=20)
    page.locator("#rules-list tr").first.locator("button.edit").click()
    for kind in ("followers", "sentiment", "business_hours"):
        page.select_option("#add-condition", kind)
        page.click("#add-condition-button")
    for kind in ("assign_agent", "notify", "auto_reply"):
        page.select_option("#add-action", kind)
        page.click("#add-action-button")
    page.locator("#actions li[data-type=auto_reply] select").select_option(str(canned.id))
    expect(page.locator("#actions li[data-type=auto_reply] .warning")).to_be_visible()
    audit.check(page, "rules (editor)")
    page.locator("#conditions li[data-type=followers] input").first.fill("")
    page.click("#save-rule")  # conditions left without values: refused, each error beside its field
    expect(page.locator("#conditions .field-error")).to_have_count(2)  # the followers bounds, the sentiments
    audit.check(page, "rules (editor, refused)")
    page.click("#rules-list tr:first-child button.dry-run")
    expect(page.locator("#dry-run-results")).to_be_visible()
    audit.check(page, "rules (dry run)")
    page.screenshot(path=str(ARTIFACTS / f"rules-{locale}.png"), full_page=True)
    assert page.errors == []
    audit.finish("rules")


@pytest.mark.parametrize("locale", LOCALES)
def test_admin_pages(db, live_server, open_page, make_user, make_token, custom_account, locale):
    admin = set_locale(db, make_user("admin", name="Ada Admin"), locale)
    make_user("agent", name="Alex Agent")
    make_user("manager", name="Mia Manager")
    make_token(admin, name="CRM sync")
    with writing(db) as session:
        endpoint, _ = create_endpoint(session, url="http://127.0.0.1:9/hook", events=["message.received"],
                                      description="CRM")
        send_test_event(session, endpoint)
    endpoint_id = endpoint.id
    audit = Audit(locale)
    page = open_page(admin, path="/admin/")
    audit.check(page, "admin (index)")
    for path, name in [("/admin/users", "admin users"), ("/admin/tokens", "admin tokens"),
                       ("/admin/webhooks", "admin webhooks"), (f"/admin/webhooks/{endpoint_id}", "admin webhook"),
                       ("/admin/permissions", "admin permissions"), ("/admin/audit", "admin audit log")]:
        page.goto(f"{live_server.url}{path}")
        audit.check(page, name)
        walk_focus(audit, page, name, presses=20)
    assert page.errors == []
    audit.finish("admin")


@pytest.mark.parametrize("locale", LOCALES)
def test_instagram_context_cards(db, open_page, make_user, locale):
    """An Instagram comment's post card and a mention's card, through axe, left to right and right to left."""
    from tests.test_browser_instagram import LENAS, MARIA, LENA, REEL, comment, instagram_account, seed, serve_contract

    account = instagram_account(db)
    now = datetime.now(timezone.utc)
    seed(db, account.id, [comment("a11y-ig-1", "Does it come in size M?", MARIA, REEL, minutes=40),
                          InboundItem(LENAS.external_id, LENAS.caption, now, LENA, network="instagram", post=LENAS)])
    agent = set_locale(db, make_user("agent", name="Alex Agent"), locale)
    audit = Audit(locale)
    page = open_page(agent)
    serve_contract(page, {"a11y-ig-1": REEL, LENAS.external_id: LENAS})
    live_inbox(page)
    page.keyboard.press("r")  # the most urgent: the comment on the reel
    expect(page.locator("#thread > .post-card .post-link")).to_be_visible()
    audit.check(page, "inbox (Instagram comment, post card)")
    page.keyboard.press("Escape")
    page.locator("#conversation-list").focus()
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    expect(page.locator("#thread > .post-card .post-owner")).to_be_visible()
    audit.check(page, "inbox (Instagram mention, post card)")
    page.screenshot(path=str(ARTIFACTS / f"instagram-mention-{locale}.png"))
    assert page.errors == []
    audit.finish("instagram")


@pytest.mark.parametrize("locale", LOCALES)
def test_moderation_marks_and_the_delete_dialog(db, sandbox, open_page, make_user, locale):
    """The thread's network-state badges, triage labels, automatic-answer mark and moderation buttons, the list's
    ranking chips, and the delete confirmation (a modal dialog), through axe, left to right and right to left."""
    from tests.fixtures.polling import connect
    from tests.test_browser_moderation import seed_marks

    account = connect(db, sandbox, "facebook")
    manager = set_locale(db, make_user("manager", name="Mia Manager"), locale)
    seed_marks(db, account.id, manager)
    audit = Audit(locale)
    page = live_inbox(open_page(manager))
    expect(page.locator(".conversation .reason").first).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("#thread .auto-answer")).to_be_visible()
    expect(page.locator("#thread .mod-state-deleted")).to_be_visible()
    audit.check(page, "inbox (moderation marks, triage labels, automatic answer)")
    page.locator("#conversation-list").focus()
    page.keyboard.press("Delete")
    expect(page.locator("#delete-dialog")).to_be_visible()
    audit.check(page, "inbox (delete on the network: confirmation)")
    page.screenshot(path=str(ARTIFACTS / f"moderation-delete-dialog-{locale}.png"))
    page.keyboard.press("Escape")
    expect(page.locator("#delete-dialog")).to_be_hidden()
    assert page.errors == []
    audit.finish("moderation")
