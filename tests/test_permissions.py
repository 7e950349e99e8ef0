"""Role permissions: defaults, what admins set (page and API), admins always allowed, every change audited."""
import re

import pytest
import sqlalchemy as sa

from app import permissions
from app.domain_errors import Invalid, NotPermitted
from app.errors import handle_domain_error
from app.models import AuditEvent, Setting
from tests.conftest import csrf_from, login


def form_token(html):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def audited(db, action="permission.changed"):
    db.session.commit()
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_defaults_hold_until_an_admin_changes_them(db, make_user):
    agent, manager = make_user("agent"), make_user("manager")
    assert permissions.lowest_roles(db.session) == {name: default for name, (default, _) in permissions.PERMISSIONS.items()}
    assert permissions.may(db.session, agent, "moderation.hide")
    assert not permissions.may(db.session, agent, "moderation.delete")
    assert permissions.may(db.session, manager, "moderation.delete")
    assert not permissions.may(db.session, agent, "rules.manage")


def test_overrides_lower_and_raise_the_role_and_keep_the_rest(db, make_user):
    agent, manager, admin = make_user("agent"), make_user("manager"), make_user("admin")
    permissions.set_lowest_roles(db.session, {"moderation.delete": "agent", "moderation.hide": "admin"}, actor=admin)
    db.session.commit()
    assert permissions.may(db.session, agent, "moderation.delete")
    assert not permissions.may(db.session, manager, "moderation.hide")
    assert permissions.may(db.session, manager, "rules.manage")  # untouched: its default
    permissions.set_lowest_roles(db.session, {"moderation.hide": "manager"}, actor=admin)
    db.session.commit()
    assert permissions.lowest_roles(db.session)["moderation.delete"] == "agent"  # an earlier change stays
    assert permissions.may(db.session, manager, "moderation.hide") and not permissions.may(db.session, agent, "moderation.hide")


def test_a_stored_role_that_is_not_one_falls_back_to_the_default(db, make_user):
    db.session.add(Setting(key=permissions.SETTING_KEY, value={"moderation.delete": "owner"}))
    db.session.commit()
    assert permissions.lowest_roles(db.session)["moderation.delete"] == "manager"


def test_admins_keep_every_permission_and_inactive_users_have_none(db, make_user):
    admin, manager = make_user("admin"), make_user("manager")
    permissions.set_lowest_roles(db.session, {name: "admin" for name in permissions.PERMISSIONS}, actor=admin)
    db.session.commit()
    assert all(permissions.may(db.session, admin, name) for name in permissions.PERMISSIONS)
    permissions.set_lowest_roles(db.session, {name: "agent" for name in permissions.PERMISSIONS}, actor=admin)
    manager.is_active = admin.is_active = False
    db.session.commit()
    assert not any(permissions.may(db.session, user, name) for user in (admin, manager) for name in permissions.PERMISSIONS)
    assert not permissions.may(db.session, None, "moderation.hide")


def test_unknown_names_and_roles_are_refused_and_nothing_is_stored(db, make_user):
    admin = make_user("admin")
    with pytest.raises(Invalid) as refused:
        permissions.set_lowest_roles(db.session, {"moderation.hide": "agent", "moderation.nuke": "agent"}, actor=admin)
    assert refused.value.code == "unknown_permission"
    with pytest.raises(Invalid) as refused:
        permissions.set_lowest_roles(db.session, {"moderation.hide": "owner"}, actor=admin)
    assert refused.value.code == "unknown_role"
    assert db.session.get(Setting, permissions.SETTING_KEY) is None
    with pytest.raises(KeyError):
        permissions.may(db.session, admin, "moderation.nuke")  # a typo in the code fails loudly, never "allowed"


def test_check_raises_not_permitted_which_answers_403(app, db, make_user):
    agent = make_user("agent")
    permissions.check(db.session, agent, "moderation.hide")
    with pytest.raises(NotPermitted) as refused:
        permissions.check(db.session, agent, "moderation.delete")
    with app.test_request_context("/api/v1/messages/1", method="DELETE"):
        body, status, _headers = handle_domain_error(refused.value)
    assert status == 403
    assert body.get_json()["error"] == {"code": "not_permitted",
                                        "message": "Your role may not do this: Delete messages on the network."}


def test_every_change_is_audited_with_who_from_and_to(db, make_user):
    admin = make_user("admin")
    permissions.set_lowest_roles(db.session, {"moderation.delete": "agent", "moderation.hide": "agent"}, actor=admin)
    db.session.commit()
    events = audited(db)
    assert [(e.actor_user_id, e.data) for e in events] == [
        (admin.id, {"permission": "moderation.delete", "from": "manager", "to": "agent"})]  # hide was agent already


# --- the admin page -----------------------------------------------------------------------

@pytest.fixture
def admin_client(app, make_user):
    client = app.test_client()
    admin = make_user("admin")
    login(client, admin)
    return client, admin


@pytest.mark.parametrize("role", ["agent", "manager"])
def test_pages_and_api_are_for_admins_only(app, make_user, make_token, role):
    client = app.test_client()
    user = make_user(role)
    login(client, user)
    for path in ("/admin/permissions", "/admin/audit", "/api/v1/permissions"):
        assert client.get(path).status_code == 403, path
    assert client.post("/admin/permissions", data={}).status_code == 403
    resp = client.put("/api/v1/permissions", json={"lowest_roles": {"moderation.delete": "agent"}},
                      headers={"X-CSRFToken": csrf_from(client)})
    assert resp.status_code == 403
    assert app.test_client().get("/api/v1/permissions",
                                 headers={"Authorization": f"Bearer {make_token(user)}"}).status_code == 403


def test_admin_page_saves_the_lowest_roles_with_csrf(admin_client, db):
    client, admin = admin_client
    html = client.get("/admin/permissions").get_data(as_text=True)
    assert "Delete messages on the network" in html and 'aria-current="page"' in html
    data = {field: default for field, default in ((permissions_field(n), d)
                                                  for n, (d, _) in permissions.PERMISSIONS.items())}
    data[permissions_field("moderation.delete")] = "agent"
    assert client.post("/admin/permissions", data=data).status_code == 400  # no CSRF token
    assert permissions.lowest_roles(db.session)["moderation.delete"] == "manager"
    resp = client.post("/admin/permissions", data={**data, "csrf_token": form_token(html)})
    assert resp.status_code == 302
    assert permissions.lowest_roles(db.session)["moderation.delete"] == "agent"
    assert [e.data for e in audited(db)] == [{"permission": "moderation.delete", "from": "manager", "to": "agent"}]
    data[permissions_field("rules.manage")] = "owner"
    assert client.post("/admin/permissions", data={**data, "csrf_token": form_token(html)}).status_code == 400
    assert permissions.lowest_roles(db.session)["rules.manage"] == "manager"


def permissions_field(name):
    from app.admin.forms import PermissionsForm

    return PermissionsForm.field_of(name)


def test_api_lists_and_changes_permissions(admin_client, db, make_token):
    client, admin = admin_client
    listing = client.get("/api/v1/permissions").get_json()["items"]
    assert {"name": "moderation.delete", "description": "Delete messages on the network", "default_role": "manager",
            "lowest_role": "manager"} in listing
    assert [item["name"] for item in listing] == list(permissions.PERMISSIONS)
    body = {"lowest_roles": {"moderation.delete": "agent"}}
    assert client.put("/api/v1/permissions", json=body).status_code == 400  # a session caller needs CSRF
    resp = client.put("/api/v1/permissions", json=body, headers={"X-CSRFToken": csrf_from(client)})
    assert resp.status_code == 200
    assert {i["name"]: i["lowest_role"] for i in resp.get_json()["items"]}["moderation.delete"] == "agent"
    token = {"Authorization": f"Bearer {make_token(admin, scopes=('read', 'write', 'admin'))}"}
    refused = client.application.test_client().put(
        "/api/v1/permissions", headers=token,
        json={"lowest_roles": {"moderation.hide": "admin", "moderation.nuke": "agent"}})
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "unknown_permission"
    assert permissions.lowest_roles(db.session)["moderation.hide"] == "agent"  # nothing of a refused body is kept
    bad_role = client.application.test_client().put("/api/v1/permissions", headers=token,
                                                     json={"lowest_roles": {"moderation.hide": "owner"}})
    assert bad_role.status_code == 422
    events = audited(db)
    assert [(e.actor_user_id, e.data["permission"], e.data["to"]) for e in events] == [
        (admin.id, "moderation.delete", "agent")]


# --- the audit log page -------------------------------------------------------------------

def test_audit_log_lists_who_did_what_filtered_and_paged(admin_client, db, make_user):
    from app.admin import permissions as page

    client, admin = admin_client
    other = make_user("admin", name="Other <b>admin</b>")
    for n in range(page.AUDIT_PAGE + 5):
        permissions.set_lowest_roles(db.session, {"moderation.delete": "agent" if n % 2 == 0 else "manager"},
                                     actor=other)
    db.session.commit()
    html = client.get("/admin/audit").get_data(as_text=True)
    assert html.count("data-audit=") == page.AUDIT_PAGE
    assert "Other &lt;b&gt;admin&lt;/b&gt;" in html and "<b>admin</b>" not in html  # names are escaped
    older = re.search(r'href="([^"]*before=\d+[^"]*)"', html).group(1).replace("&amp;", "&")
    rest = client.get(older).get_data(as_text=True)
    assert rest.count("data-audit=") == 5 + 3  # and the oldest: both admins created, the first one signing in
    by_other = client.get(f"/admin/audit?actor={other.id}&action=permission").get_data(as_text=True)
    assert by_other.count("data-audit=") == page.AUDIT_PAGE
    logins = client.get(f"/admin/audit?action=login&actor={admin.id}").get_data(as_text=True)
    assert logins.count("data-audit=") == 1 and "permission.changed" not in logins
    assert "No events match." in client.get("/admin/audit?action=nothing.like.this").get_data(as_text=True)
    for junk in ("?actor=abc", "?before=99999999999999999999", "?action=%25_%25", "?actor=-4"):
        assert client.get(f"/admin/audit{junk}").status_code == 200, junk
