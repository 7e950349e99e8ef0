"""Bidi override spoofing in a real browser: a customer whose name, handle and text carry U+202E (and friends)
is shown in logical order, every piece isolated, in the inbox list, the thread, the header, the customer
panel and the dashboard's at-risk list."""
import pytest
import requests
import sqlalchemy as sa

from app.models import Contact, Message
from tests.conftest import writing

pytestmark = pytest.mark.browser

RLO, LRE, PDF, RLI, PDI = "\u202e", "\u202a", "\u202c", "\u2067", "\u2069"
NAME = f"{RLO}gnp.exe"  # with the override it reads "exe.png"
HANDLE = f"acme{RLO}troppus"  # reads "acmesupport" with the override
TEXT = f"Refund me: https://example.com/{RLO}fdp.exe {RLI}and{PDI} {LRE}thanks{PDF}"
CONTROLS = "[\\u202A-\\u202E\\u2066-\\u2069]"

# For the element matched by a selector: its text, whether any bidi control is left in it, the computed
# unicode-bidi of every <bdi> in it, and for the first <bdi> the left edges of its first and last characters.
INSPECT = """(selector) => {
  const node = document.querySelector(selector);
  const bdis = [...node.querySelectorAll("bdi")];
  const box = (text, i) => { const r = document.createRange(); r.setStart(text, i); r.setEnd(text, i + 1);
                              return r.getBoundingClientRect().left; };
  const first = bdis.length ? bdis[0].firstChild : null;
  return {
    text: node.textContent,
    controls: new RegExp("%s", "u").test(node.textContent),
    bidi: bdis.map((b) => getComputedStyle(b).unicodeBidi),
    own: getComputedStyle(node).unicodeBidi,
    edges: first ? [box(first, 0), box(first, first.length - 1)] : null,
  };
}""" % CONTROLS


def post_message(db, live_server, token, account):
    resp = requests.post(f"{live_server.url}/api/v1/messages", timeout=5, headers={"Authorization": f"Bearer {token}"},
                         json={"account_id": account.id, "external_id": "m-rlo", "text": TEXT,
                               "author": {"external_id": "c-rlo", "handle": HANDLE, "name": NAME}})
    assert resp.status_code == 201, resp.text
    assert resp.json()["author"]["name"] == "gnp.exe"  # the ingest path stores names without the controls…
    # …but the display must not trust what is stored (rows from before, other paths): put them back.
    with writing(db) as session:
        session.execute(sa.update(Contact).where(Contact.external_id == "c-rlo").values(name=NAME, handle=HANDLE))
        session.execute(sa.update(Message).where(Message.external_id == "m-rlo").values(
            author_name=NAME, author_handle=HANDLE))


def assert_logical_and_isolated(found, expected_text):
    assert found["text"] == expected_text
    assert found["controls"] is False
    assert found["bidi"] and set(found["bidi"]) == {"isolate"}, found
    first, last = found["edges"]
    assert first < last, f"the name is drawn right to left: {found}"  # "gnp.exe" reads left to right


def test_bidi_overrides_are_neutralised_and_pieces_isolated(open_page, db, live_server, make_user, make_token,
                                                          custom_account):
    agent = make_user("agent")
    post_message(db, live_server, make_token(agent), custom_account)
    page = open_page(agent)
    page.wait_for_selector(".conversation .who bdi")
    label = "gnp.exe @acmetroppus"
    assert_logical_and_isolated(page.evaluate(INSPECT, ".conversation .who"), label)

    page.keyboard.press("Enter")
    page.wait_for_selector("#thread .msg-inbound .msg-text")
    assert_logical_and_isolated(page.evaluate(INSPECT, "#conversation-head .who"), label)
    assert_logical_and_isolated(page.evaluate(INSPECT, "#thread .msg-inbound .msg-author"), label)
    message = page.evaluate(INSPECT, "#thread .msg-inbound .msg-text")
    assert message["text"] == "Refund me: https://example.com/fdp.exe and thanks" and message["controls"] is False
    assert message["own"] in ("isolate", "plaintext")
    link = page.locator("#thread .msg-inbound .msg-text a")
    assert link.text_content() == link.get_attribute("href") == "https://example.com/fdp.exe"  # reads as it links
    handle = page.evaluate(INSPECT, ".ib-customer .cust-handle")
    assert_logical_and_isolated(handle, "@acmetroppus")
    assert page.evaluate(INSPECT, ".ib-customer .cust-name")["text"] == "gnp.exe"
    assert RLO not in page.title()
    body = page.evaluate("document.body.innerText")
    assert not any(c in body for c in (RLO, LRE, PDF, RLI, PDI))
    assert page.errors == []


def test_the_dashboard_at_risk_list_neutralises_them_too(open_page, db, live_server, make_user, make_token,
                                                       custom_account):
    post_message(db, live_server, make_token(make_user("agent")), custom_account)
    page = open_page(make_user("manager"), path="/dashboard")
    page.wait_for_selector("#at-risk tr.risk .who bdi")
    assert_logical_and_isolated(page.evaluate(INSPECT, "#at-risk tr.risk .who"), "gnp.exe @acmetroppus")
    snippet = page.evaluate(INSPECT, "#at-risk tr.risk .snippet")
    assert snippet["controls"] is False and "https://example.com/fdp.exe" in snippet["text"]
    assert page.errors == []
