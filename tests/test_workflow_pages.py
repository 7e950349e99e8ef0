"""Managers' workflow page: canned responses and auto-assignment through real forms (CSRF included)."""
import re

import sqlalchemy as sa

from app.assignment import auto_assign_mode
from app.models import CannedResponse
from tests.conftest import login


def csrf(page):
    return re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data).group(1).decode()


def test_manager_manages_canned_responses_and_auto_assign(client, db, make_user):
    login(client, make_user("manager"))
    page = client.get("/settings/workflow/")
    assert page.status_code == 200
    token = csrf(page)
    saved = client.post("/settings/workflow/canned", data={"csrf_token": token, "title": "Hello",
                                                          "shortcut": "hi", "text": "Hi {{contact.name}} <b>!</b>"})
    assert saved.status_code == 302
    listed = client.get("/settings/workflow/")
    assert b"/hi" in listed.data and b"&lt;b&gt;" in listed.data  # escaped
    dup = client.post("/settings/workflow/canned", data={"csrf_token": token, "title": "x", "shortcut": "HI", "text": "y"})
    assert dup.status_code == 409 and b"already used" in dup.data
    bad = client.post("/settings/workflow/canned", data={"csrf_token": token, "title": "x", "shortcut": "a b", "text": "y"})
    assert bad.status_code == 400
    assert client.post("/settings/workflow/auto-assign", data={"csrf_token": token, "mode": "least_loaded"}).status_code == 302
    assert auto_assign_mode(db.session) == "least_loaded"
    canned = db.session.scalars(sa.select(CannedResponse)).one()
    client.post("/settings/workflow/canned/delete", data={"csrf_token": token, "id": canned.id})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CannedResponse)) == 0


def test_agents_cannot_open_workflow_settings(client, make_user):
    login(client, make_user("agent"))
    assert client.get("/settings/workflow/").status_code == 403
    assert client.post("/settings/workflow/auto-assign", data={"mode": "off"}).status_code in (400, 403)
