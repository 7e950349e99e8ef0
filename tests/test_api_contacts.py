"""Contacts API: list with search and cursor pagination; one contact with their conversations."""
from tests.webhook_helpers import push_messages


def test_list_search_page_and_detail(client, make_user, make_token, custom_account):
    token = make_token(make_user("agent"))
    headers = {"Authorization": f"Bearer {token}"}
    push_messages(client, token, custom_account, 3)  # customers cust0, cust1, cust2
    resp = client.post("/api/v1/messages", headers=headers, json={
        "account_id": custom_account.id, "external_id": "ar-1", "text": "مرحبا",
        "author": {"external_id": "ar", "handle": "Ahmed_100%", "name": "أحمد"}})
    assert resp.status_code == 201
    first = client.get("/api/v1/contacts?limit=2", headers=headers).json
    second = client.get(f"/api/v1/contacts?limit=2&cursor={first['next_cursor']}", headers=headers).json
    handles = [c["handle"] for c in first["items"] + second["items"]]
    assert handles == ["Ahmed_100%", "cust2", "cust1", "cust0"] and second["next_cursor"] is None
    assert [c["handle"] for c in client.get("/api/v1/contacts?q=أحمد", headers=headers).json["items"]] == ["Ahmed_100%"]
    assert [c["handle"] for c in client.get("/api/v1/contacts?q=100%25", headers=headers).json["items"]] == ["Ahmed_100%"]
    assert client.get("/api/v1/contacts?q=_", headers=headers).json["items"][0]["handle"] == "Ahmed_100%"  # _ is literal
    assert client.get("/api/v1/contacts?network=twitter", headers=headers).json["items"] == []
    contact = first["items"][0]
    detail = client.get(f"/api/v1/contacts/{contact['id']}", headers=headers).json
    assert detail["name"] == "أحمد" and [c["contact"]["id"] for c in detail["conversations"]] == [contact["id"]]
    assert detail["conversations"][0]["snippet"] == "مرحبا"
    assert client.get("/api/v1/contacts/999999", headers=headers).status_code == 404
    assert client.get("/api/v1/contacts?cursor=abc", headers=headers).status_code == 422
