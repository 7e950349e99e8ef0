"""The account page in a real browser: change your password from the topbar; weak ones are refused with the reason;
admins reset a user's password and the new one is shown once."""
import pytest

from tests.fixtures.browser import screenshot

pytestmark = pytest.mark.browser


def test_agent_changes_their_password_from_the_topbar(open_page, live_server, make_user):
    user = make_user("agent", email="ana.smith@example.test", name="Ana Smith")
    page = open_page(user)
    page.click("a.me-name")
    page.wait_for_url(f"{live_server.url}/account")
    page.fill("input[name=current_password]", "correct horse battery")
    page.fill("input[name=new_password]", "Ana.Smith.2024")
    page.fill("input[name=confirm]", "Ana.Smith.2024")
    page.click("button:has-text('Change password')")
    assert "too close to your e-mail address or name" in page.locator(".field-error").first.text_content()
    page.fill("input[name=current_password]", "correct horse battery")
    page.fill("input[name=new_password]", "violet lantern orbit")
    page.fill("input[name=confirm]", "violet lantern orbit")
    page.click("button:has-text('Change password')")
    assert "Password changed" in page.locator(".flash").text_content()
    screenshot(page, "account-password-changed")
    page.click("button:has-text('Sign out everywhere')")
    page.wait_for_url(f"{live_server.url}/login*")
    assert "signed out everywhere" in page.locator(".flash").text_content()
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", "violet lantern orbit")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_admin_resets_a_password_and_sees_it_once(open_page, live_server, make_user):
    admin, agent = make_user("admin"), make_user("agent")
    page = open_page(admin, path="/admin/users")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"tr[data-user='{agent.id}'] button:has-text('Reset password')").click()
    secret = page.locator("[data-testid=secret]").text_content().strip()
    assert len(secret) >= 12 and agent.email in page.locator(".secret-box").text_content()
    page.goto(f"{live_server.url}/admin/users")
    assert secret not in page.content()
