"""One event catalogue (app/events/catalogue.py): every event and webhook type declared once, with its payload.

The suite itself runs with CAREBOX_CHECK_EVENT_PAYLOADS on (TestConfig, and the worker and web processes the
tests start), so every payload any test makes Carebox publish is checked against its schema as it goes out;
the tests here check the catalogue against the code that publishes, the browsers that listen and the
OpenAPI document integrators read.
"""
import re
from pathlib import Path

import pydantic
import pytest

from app import events
from app.events import catalogue

ROOT = Path(__file__).resolve().parent.parent
PUBLISHED = re.compile(r"""(?:events\.publish|\bpublish)\(\s*[\w.]+,\s*["']([\w.]+)["']|emit_now\(\s*["']([\w.]+)["']""")
SOCKETIO_BUILT_INS = {"connect", "disconnect", "connect_error"}


def names_published_in_code():
    found = set()
    for path in (ROOT / "app").rglob("*.py"):
        for match in PUBLISHED.finditer(path.read_text()):
            found.add(match.group(1) or match.group(2))
    return found


def names_browsers_listen_to():
    found = set()
    for path in (ROOT / "static" / "js").rglob("*.js"):
        text = path.read_text()
        found |= set(re.findall(r"""socket\.on\(\s*["']([\w.]+)["']""", text))
        for block in re.findall(r"connect\(\{(.*?)\n  \}\);", text, flags=re.S):  # inbox/main.js handlers
            found |= set(re.findall(r"""^\s*["']?([\w.]+)["']?:\s*\(""", block, flags=re.M)) - {"onConnect"}
        for block in re.findall(r"REFRESH_EVENTS = \[(.*?)\]", text, flags=re.S):  # dashboard.js
            found |= set(re.findall(r"""["']([\w.]+)["']""", block))
    return found


def test_every_event_the_code_publishes_is_declared_and_every_declared_one_is_published():
    published = names_published_in_code()
    assert published - set(catalogue.EVENTS) == set(), "published but not declared"
    assert set(catalogue.EVENTS) - published == set(), "declared but never published: drop or publish them"


def test_browsers_listen_only_to_declared_events():
    listened = names_browsers_listen_to()
    assert {"conversation.created", "message.created", "presence", "account.updated"} <= listened  # the scan works
    assert listened - set(catalogue.EVENTS) - SOCKETIO_BUILT_INS == set()


def test_the_server_handles_exactly_the_declared_client_events():
    handled = set(re.findall(r"""on_event\(\s*["']([\w.]+)["']""", (ROOT / "app/realtime/__init__.py").read_text()))
    assert handled - SOCKETIO_BUILT_INS == set(catalogue.CLIENT_EVENTS)


def test_every_webhook_type_comes_from_declared_events():
    for webhook_type in catalogue.WEBHOOK_TYPES.values():
        assert webhook_type.sources and set(webhook_type.sources) <= set(catalogue.EVENTS), webhook_type.name


def test_publishing_an_undeclared_name_fails(app, db):
    with pytest.raises(catalogue.UndeclaredEvent):
        events.publish(db.session, "conversation.exploded", {"conversation": {}})
    with pytest.raises(catalogue.UndeclaredEvent):
        events.emit_now("typing.everywhere", {})
    db.session.rollback()


def test_a_payload_that_does_not_fit_its_schema_fails_while_checking_is_on(app, db):
    assert app.config["CAREBOX_CHECK_EVENT_PAYLOADS"]  # as for the whole suite
    with pytest.raises(pydantic.ValidationError):
        events.publish(db.session, "sla.recomputed", {"account_ids": "all", "clocks": 1})
    with pytest.raises(pydantic.ValidationError):
        events.publish(db.session, "sla.recomputed", {"account_ids": [1], "clocks": 1, "surprise": True})
    db.session.rollback()


def test_the_openapi_webhooks_section_is_the_catalogue(client):
    doc = client.get("/api/v1/openapi.json").json
    assert set(doc["webhooks"]) == set(catalogue.WEBHOOK_TYPES)
    for name, webhook_type in catalogue.WEBHOOK_TYPES.items():
        operation = doc["webhooks"][name]["post"]
        assert operation["description"].startswith(webhook_type.description)
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        envelope = doc["components"]["schemas"][ref]
        assert envelope["properties"]["type"]["const"] == name
        data = envelope["properties"]["data"]["$ref"].rsplit("/", 1)[-1]
        assert data.endswith(webhook_type.data.__name__)
