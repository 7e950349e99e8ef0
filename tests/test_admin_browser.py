"""Admin webhook pages and the API docs in a real browser: register, see the secret once, send a test, read the log."""
import requests

from tests.fixtures.browser import screenshot
from tests.fixtures.webhook_receiver import receiver  # noqa: F401  (fixture)
from tests.webhook_helpers import run_worker


def test_admin_registers_an_endpoint_and_reads_its_delivery_log(app, open_page, live_server, make_user, make_token,
                                                                  custom_account, receiver):
    admin = make_user("admin")
    page = open_page(admin, path="/admin/webhooks")
    page.fill("input[name=url]", receiver.url)
    page.fill("input[name=description]", "CRM")
    page.check("input[value='message.received']")
    page.click("button:has-text('Add endpoint')")
    secret = page.locator("[data-testid=secret]").text_content()
    assert secret.startswith("whsec_")
    receiver.secrets = [secret]

    hostile = '<img src=x onerror="window.__pwned=1"> مرحبا'
    resp = requests.post(f"{live_server.url}/api/v1/messages", headers={"Authorization": f"Bearer {make_token(admin)}"},
                         json={"account_id": custom_account.id, "external_id": "adm-1", "text": hostile,
                               "author": {"external_id": "c1", "handle": "eve"}}, timeout=5)
    assert resp.status_code == 201
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Send test event')")
    page.wait_for_selector(".flash")
    run_worker(app)
    page.reload()
    rows = page.locator("tr[data-delivery]")
    assert rows.count() == 2
    assert page.locator("tr.delivery-delivered").count() == 2
    page.locator("tr.attempts details summary").last.click()  # the oldest: message.received
    body = page.locator("pre.payload").last.text_content()
    assert '<img src=x onerror=\\"window.__pwned=1\\"> مرحبا' in body  # the customer's text, as JSON text
    assert page.evaluate("window.__pwned") is None  # customer text shown as text, never run
    assert {r.payload["type"] for r in receiver.requests} == {"message.received", "webhook.test"}
    assert secret not in page.content()  # shown once, at creation only
    screenshot(page, "admin-webhook-log")
    assert page.errors == []


def test_api_docs_render_paths_and_webhook_events_without_a_cdn(open_page, make_user):
    page = open_page(make_user("agent"), path="/api/v1/docs")
    page.wait_for_selector(".swagger-ui .opblock-tag")
    assert page.locator(".opblock-tag", has_text="webhooks").count() >= 1
    page.wait_for_selector("text=message.received")
    screenshot(page, "api-docs")
    assert page.errors == []
