"""Admin → permissions in a real browser: lower who may delete messages on the network, and it sticks."""
import sqlalchemy as sa

from app.models import User
from app.permissions import lowest_roles, may
from tests.conftest import writing
from tests.fixtures.browser import screenshot


def test_admin_lets_agents_delete_messages_and_the_setting_sticks(open_page, db, make_user):
    admin, agent = make_user("admin"), make_user("agent")
    assert not may(db.session, agent, "moderation.delete")
    page = open_page(admin, path="/admin/permissions")
    assert page.locator(".admin-nav a[aria-current=page]").text_content() == "Permissions"
    picker = page.get_by_label("Delete messages on the network")
    assert picker.input_value() == "manager"
    picker.select_option("agent")
    page.click("button:has-text('Save permissions')")
    page.wait_for_selector(".flash:has-text('Permissions saved.')")
    db.session.commit()
    assert lowest_roles(db.session)["moderation.delete"] == "agent"
    assert may(db.session, agent, "moderation.delete")
    page.reload()
    assert page.get_by_label("Delete messages on the network").input_value() == "agent"
    assert page.get_by_label("Hide and unhide messages on the network").input_value() == "agent"  # untouched

    page.click(".admin-nav a:has-text('Audit log')")
    row = page.locator("tr[data-audit]", has_text="permission.changed")
    assert row.count() == 1
    assert admin.name in row.text_content() and '"to": "agent"' in row.text_content()
    screenshot(page, "admin-audit-log")
    assert page.errors == []


def test_permissions_page_reads_right_to_left_in_arabic(open_page, db, make_user):
    admin = make_user("admin")
    with writing(db) as session:
        session.execute(sa.update(User).where(User.id == admin.id).values(locale="ar"))
    page = open_page(admin, path="/admin/permissions")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    first, last = page.evaluate("""() => {
        const row = document.querySelector('tr[data-permission="moderation.delete"]');
        return [row.cells[0], row.cells[2]].map((cell) => cell.getBoundingClientRect().x);
    }""")
    assert first > last  # the permission's name starts the row: on the right
    screenshot(page, "admin-permissions-ar")
    assert page.errors == []
