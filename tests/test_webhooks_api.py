"""Webhooks API (admins): endpoints CRUD with whsec_ secrets, SSRF refusals, rotation, delivery log, test events."""
import pytest

from app.webhooks import ssrf
from tests.fixtures.webhook_receiver import receiver  # noqa: F401  (fixture)
from tests.webhook_helpers import run_worker


@pytest.fixture
def headers(make_user, make_token):
    return {"Authorization": f"Bearer {make_token(make_user('admin'), scopes=('read', 'write', 'admin'))}"}


def test_create_list_update_delete(client, headers, receiver):
    created = client.post("/api/v1/webhooks", headers=headers,
                          json={"url": receiver.url, "events": ["message.received", "sla.breached"], "description": "CRM"})
    assert created.status_code == 201, created.json
    body = created.json
    assert body["secret"].startswith("whsec_") and body["events"] == ["message.received", "sla.breached"]
    listed = client.get("/api/v1/webhooks", headers=headers).json["items"]
    assert [e["id"] for e in listed] == [body["id"]] and "secret" not in listed[0]
    patched = client.patch(f"/api/v1/webhooks/{body['id']}", headers=headers, json={"events": [], "enabled": False})
    assert patched.status_code == 200 and patched.json["events"] == [] and patched.json["enabled"] is False
    assert client.get(f"/api/v1/webhooks/{body['id']}", headers=headers).json["enabled"] is False
    assert client.delete(f"/api/v1/webhooks/{body['id']}", headers=headers).status_code == 204
    assert client.get(f"/api/v1/webhooks/{body['id']}", headers=headers).status_code == 404


def test_unknown_event_types_and_bad_urls_are_422(client, headers):
    resp = client.post("/api/v1/webhooks", headers=headers, json={"url": "https://example.test/x", "events": ["nope"]})
    assert resp.status_code == 422 and resp.json["error"]["code"] == "validation_error"
    resp = client.post("/api/v1/webhooks", headers=headers, json={"url": "ftp://example.test/x"})
    assert resp.status_code == 422 and resp.json["error"]["code"] == "url_refused"


REFUSED_URLS = [
    "http://127.0.0.1:8080/hook", "http://localhost/hook", "http://[::1]/hook", "http://10.1.2.3/hook",
    "http://192.168.0.10/hook", "http://172.16.5.4/hook", "http://169.254.169.254/latest/meta-data",
    "http://0.0.0.0/hook", "http://[::ffff:127.0.0.1]/hook", "http://100.64.0.1/hook", "http://[fd00::1]/hook",
    "http://user:pw@example.test/hook",
]


@pytest.mark.config(CAREBOX_WEBHOOK_ALLOW_PRIVATE=False)
def test_private_loopback_and_link_local_urls_are_refused(client, headers):
    # Registration only resolves the name: nothing is ever sent to these addresses.
    for url in REFUSED_URLS:
        resp = client.post("/api/v1/webhooks", headers=headers, json={"url": url})
        assert resp.status_code == 422 and resp.json["error"]["code"] == "url_refused", (url, resp.json)
        patched = client.patch("/api/v1/webhooks/1", headers=headers, json={"url": url})
        assert patched.status_code == 404  # nothing registered to change
    assert client.get("/api/v1/webhooks", headers=headers).json["items"] == []


def test_public_addresses_pass_the_guard():
    assert not ssrf.forbidden("93.184.216.34") and not ssrf.forbidden("2606:2800:220:1:248:1893:25c8:1946")
    assert ssrf.forbidden("127.0.0.2") and ssrf.forbidden("fe80::1") and ssrf.forbidden("224.0.0.1")


@pytest.mark.config(CAREBOX_WEBHOOK_ALLOW_PRIVATE=False)
def test_the_admin_setting_allows_private_addresses(client, db, headers, receiver):
    from app.models import Setting
    from tests.conftest import writing

    assert client.post("/api/v1/webhooks", headers=headers, json={"url": receiver.url}).status_code == 422
    with writing(db) as session:
        session.add(Setting(key=ssrf.SETTING_KEY, value={"allow_private": True}))
    assert client.post("/api/v1/webhooks", headers=headers, json={"url": receiver.url}).status_code == 201


def test_send_test_event_and_read_the_delivery_log(app, client, headers, receiver):
    created = client.post("/api/v1/webhooks", headers=headers, json={"url": receiver.url}).json
    receiver.secrets = [created["secret"]]
    queued = client.post(f"/api/v1/webhooks/{created['id']}/test", headers=headers)
    assert queued.status_code == 202 and queued.json["event_type"] == "webhook.test"
    run_worker(app)
    (got,) = receiver.requests
    assert got.verified and got.payload["type"] == "webhook.test" and got.webhook_id == queued.json["message_id"]
    log = client.get(f"/api/v1/webhooks/{created['id']}/deliveries", headers=headers).json
    assert log["next_cursor"] is None and log["items"][0]["status"] == "delivered"
    attempt = log["items"][0]["attempt_log"][0]
    assert attempt["status_code"] == 204 and attempt["duration_ms"] >= 0
    detail = client.get(f"/api/v1/webhooks/{created['id']}/deliveries/{queued.json['id']}", headers=headers).json
    assert detail["payload"]["type"] == "webhook.test"
    assert client.get(f"/api/v1/webhooks/{created['id']}/deliveries/999999", headers=headers).status_code == 404


def test_delivery_log_pages_with_a_cursor(app, client, headers, receiver):
    created = client.post("/api/v1/webhooks", headers=headers, json={"url": receiver.url}).json
    ids = [client.post(f"/api/v1/webhooks/{created['id']}/test", headers=headers).json["id"] for _ in range(5)]
    first = client.get(f"/api/v1/webhooks/{created['id']}/deliveries?limit=2", headers=headers).json
    second = client.get(f"/api/v1/webhooks/{created['id']}/deliveries?limit=2&cursor={first['next_cursor']}",
                        headers=headers).json
    third = client.get(f"/api/v1/webhooks/{created['id']}/deliveries?limit=2&cursor={second['next_cursor']}",
                       headers=headers).json
    assert [d["id"] for d in first["items"] + second["items"] + third["items"]] == sorted(ids, reverse=True)
    assert third["next_cursor"] is None


def test_rotate_secret_returns_the_new_one_once(client, headers, receiver):
    created = client.post("/api/v1/webhooks", headers=headers, json={"url": receiver.url}).json
    rotated = client.post(f"/api/v1/webhooks/{created['id']}/rotate-secret", headers=headers, json={"grace_seconds": 600})
    assert rotated.status_code == 200
    assert rotated.json["secret"].startswith("whsec_") and rotated.json["secret"] != created["secret"]
    assert rotated.json["previous_secret_expires_at"]


def test_event_catalogue_and_documented_payloads(client, headers):
    types = [t["type"] for t in client.get("/api/v1/webhooks/event-types", headers=headers).json["items"]]
    doc = client.get("/api/v1/openapi.json").json
    assert sorted(doc["webhooks"]) == sorted(types) and len(types) == 14 and "conversation.moved" in types
    assert {"message.hidden", "message.unhidden", "message.deleted", "alert.spike"} <= set(types)
    body = doc["webhooks"]["message.received"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    model = doc["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert set(model["properties"]) == {"type", "timestamp", "data"}


def test_only_admins_with_the_admin_scope(client, make_user, make_token):
    for role in ("agent", "manager"):
        h = {"Authorization": f"Bearer {make_token(make_user(role))}"}
        assert client.get("/api/v1/webhooks", headers=h).status_code == 403
        assert client.post("/api/v1/webhooks", headers=h, json={"url": "https://example.test"}).status_code == 403


def test_ids_no_row_can_have_are_404_not_500(client, headers):
    for path in ("/api/v1/webhooks/99999999999999999999", "/api/v1/webhooks/1/deliveries/99999999999999999999",
                 "/api/v1/users/99999999999999999999", "/api/v1/contacts/99999999999999999999"):
        assert client.get(path, headers=headers).status_code == 404, path
    assert client.delete("/api/v1/tokens/99999999999999999999", headers=headers).status_code == 404
