"""The first inbox page in a real browser: live updates over Socket.IO, customer text never executed."""
import requests

from tests.fixtures.browser import screenshot


def test_inbox_shows_new_message_live_and_escapes_it(open_page, live_server, make_user, make_token, custom_account):
    agent = make_user("agent")
    page = open_page(agent)
    page.wait_for_selector("#connection-state.conn-live")
    hostile = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script> مرحبا'
    resp = requests.post(f"{live_server.url}/api/v1/messages", headers={"Authorization": f"Bearer {make_token(agent)}"},
                         json={"account_id": custom_account.id, "external_id": "b-1", "text": hostile,
                               "author": {"external_id": "c1", "handle": "<b>evil</b>", "name": "Eve"}}, timeout=5)
    assert resp.status_code == 201
    item = page.wait_for_selector(".conversation .snippet")
    assert item.text_content() == hostile  # shown as text
    assert page.evaluate("window.__pwned") is None  # never executed
    assert page.locator(".conversation .who").text_content().endswith("@<b>evil</b>")
    screenshot(page, "first-inbox")
    assert page.errors == []
