"""The sandbox's Instagram slice through facebook-sdk over real HTTP: account discovery, media, comments and
replies, mentions, refusals, usage headers and the BUC budget, faults, DMs, the signed `instagram` webhooks and
the traffic generator's Instagram customers."""
import hashlib
import hmac
import json
import re
from datetime import datetime, timedelta, timezone

import facebook
import pytest
import requests

from app.sandbox import DEMO_FACEBOOK
from app.sandbox.demo_accounts import DEMO_INSTAGRAM, numbered_brand
from tests.test_sandbox import graph
from tests.fixtures.push import FAST_RETRIES, control, subscription_state, wait_for
from tests.fixtures.push import receiver  # noqa: F401  (fixture)
from tests.test_sandbox_push import subscribe

PAGE = DEMO_FACEBOOK["page_id"]
IG = DEMO_INSTAGRAM["ig_user_id"]
TOKEN = DEMO_FACEBOOK["page_access_token"]
V = "v21.0"
MEDIA_FIELDS = ("id,caption,comments_count,like_count,media_type,media_product_type,permalink,thumbnail_url,"
                "media_url,timestamp,username")
COMMENT_FIELDS = ("id,text,timestamp,username,from{id,username},parent_id,hidden,like_count,media{id},"
                  "replies{id,text,timestamp,username,from{id,username},parent_id,hidden,like_count}")
ANN = {"username": "ann.lee", "id": "6100000000000001"}
BOB = {"username": "bob_k", "id": "6100000000000002"}


@pytest.fixture
def ig(sandbox):
    sandbox.network.reset({**FAST_RETRIES, "messenger_conversations_per_second": 1000})
    return sandbox


def refusal(call):
    with pytest.raises(facebook.GraphAPIError) as error:
        call()
    return error.value


def ig_control(sandbox, method, path, status=201, **kwargs):
    resp = control(sandbox, method, f"/instagram{path}", **kwargs)
    assert resp.status_code == status, resp.text
    return resp.json()


def brand_media(sandbox, **fields):
    return ig_control(sandbox, "POST", "/media", json={"caption": "New drop 🔥", **fields})


def customer_comment(sandbox, media_id, text, author=ANN, **fields):
    return ig_control(sandbox, "POST", "/comments", json={"media_id": media_id, "text": text, "author": author,
                                                          **fields})


def raw_get(sandbox, path, **params):
    return requests.get(f"{sandbox.url}/{V}/{path}", params={"access_token": TOKEN, **params}, timeout=5)


def ago(**delta):
    return (datetime.now(timezone.utc) - timedelta(**delta)).isoformat()


# ------------------------------------------------------------------ reading

def test_the_page_leads_to_its_instagram_account_and_the_user_node(ig):
    api = graph(ig)
    linked = api.get_object(PAGE, fields="instagram_business_account{id,username,name}")
    assert linked == {"instagram_business_account": {"id": IG, "username": "carebox.demo", "name": "Carebox Demo"},
                      "id": PAGE}
    assert api.get_object(PAGE, fields="instagram_business_account")["instagram_business_account"] == {"id": IG}
    user = api.get_object(IG, fields="id,username,name,followers_count,media_count")
    assert user["username"] == "carebox.demo" and user["media_count"] == 4 and user["followers_count"] > 0
    assert api.get_object(IG) == {"id": IG}
    assert refusal(lambda: api.get_object(IG, fields="nonsense")).code == 100
    other = numbered_brand("instagram", 1)
    ig.network.add_brands("instagram", 1)
    assert refusal(lambda: api.get_object(other["ig_user_id"])).code == 100  # not this page's account


def test_media_newest_first_with_types_permalinks_thumbnails_and_paging(ig):
    api = graph(ig)
    first = api.get_connections(IG, "media", fields=MEDIA_FIELDS, limit=3)
    assert len(first["data"]) == 3 and "next" in first["paging"]
    rest = api.get_connections(IG, "media", fields=MEDIA_FIELDS, limit=3, after=first["paging"]["cursors"]["after"])
    media = first["data"] + rest["data"]
    assert "next" not in rest["paging"] and len(media) == 4
    times = [m["timestamp"] for m in media]
    assert times == sorted(times, reverse=True)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000", t) for t in times)
    assert all(re.fullmatch(r"https://www\.instagram\.com/p/[\w-]{11}/", m["permalink"]) for m in media)
    by_type = {(m["media_type"], m["media_product_type"]): m for m in media}
    reel = by_type[("VIDEO", "REELS")]
    image = by_type[("IMAGE", "FEED")]
    assert reel["thumbnail_url"].startswith(ig.url) and "thumbnail_url" not in image
    assert ("CAROUSEL_ALBUM", "FEED") in by_type and all(m["username"] == "carebox.demo" for m in media)
    picture = requests.get(image["media_url"], timeout=5)
    assert picture.status_code == 200 and picture.headers["Content-Type"].startswith("image/svg+xml")
    carousel = api.get_object(by_type[("CAROUSEL_ALBUM", "FEED")]["id"], fields="id,children{id}")
    assert len(carousel["children"]["data"]) == 3
    assert api.get_object(image["id"]) == {"id": image["id"]}


def test_someone_elses_media_and_missing_objects_are_error_100_33(ig):
    api = graph(ig)
    foreign = brand_media(ig, owner={"username": "someone"}, caption="my holiday")
    for object_id in (foreign["id"], "17999999999999999"):
        error = refusal(lambda object_id=object_id: api.get_object(object_id))
        assert (error.code, error.result["error"]["error_subcode"]) == (100, 33)


def test_comments_top_level_newest_first_with_nested_replies_oldest_first(ig):
    api = graph(ig)
    media = brand_media(ig)["id"]
    older = customer_comment(ig, media, "Is this in stock?", created_at=ago(minutes=30))
    newer = customer_comment(ig, media, "Love it", author=BOB, created_at=ago(minutes=20))
    first_reply = customer_comment(ig, media, "me too", author=BOB, parent_id=older["id"], created_at=ago(minutes=10))
    # A reply to a reply lands on the top-level comment.
    second_reply = customer_comment(ig, media, "same question", parent_id=first_reply["id"])
    assert second_reply["parent_id"] == older["id"]
    brand = ig_control(ig, "POST", "/brand-comments", json={"in_reply_to": older["id"], "text": "Yes, it is!"})
    ig_control(ig, "PATCH", f"/comments/{newer['id']}", status=200, json={"hidden": True})

    page = api.get_connections(media, "comments", fields=COMMENT_FIELDS, since=int(datetime.now().timestamp()))
    assert [c["id"] for c in page["data"]] == [newer["id"], older["id"]]  # `since` ignored
    hidden, top = page["data"]
    assert hidden["hidden"] is True and "parent_id" not in top
    assert top["from"] == {"id": ANN["id"], "username": ANN["username"]} and top["media"] == {"id": media}
    replies = top["replies"]["data"]
    assert [r["id"] for r in replies] == [first_reply["id"], second_reply["id"], brand["id"]]
    assert all(r["parent_id"] == older["id"] for r in replies) and replies[-1]["from"]["id"] == IG
    assert api.get_object(media, fields="comments_count")["comments_count"] == 5

    paged = api.get_connections(media, "comments", fields="id", limit=1)
    assert paged["data"] == [{"id": newer["id"]}] and "next" in paged["paging"]
    after = api.get_connections(media, "comments", fields="id", limit=1, after=paged["paging"]["cursors"]["after"])
    assert after["data"] == [{"id": older["id"]}] and "next" not in after["paging"]

    edge = api.get_connections(older["id"], "replies", fields="id,text,parent_id", limit=2)
    assert [r["id"] for r in edge["data"]] == [first_reply["id"], second_reply["id"]] and "next" in edge["paging"]
    node = api.get_object(second_reply["id"], fields="id,text,username,parent_id,hidden,media{id}")
    assert node == {"id": second_reply["id"], "text": "same question", "username": ANN["username"],
                    "parent_id": older["id"], "hidden": False, "media": {"id": media}}
    assert set(api.get_object(older["id"])) == {"timestamp", "text", "id"}


def test_nested_replies_show_a_page_of_50_and_point_to_the_rest(ig):
    api = graph(ig)
    media = brand_media(ig)["id"]
    top = ig.network.instagram.add_comment(media, "thread", ANN)
    for n in range(52):
        ig.network.instagram.add_comment(media, f"reply {n}", BOB, parent_id=top.id)
    (listed,) = api.get_connections(media, "comments", fields="id,replies{id,text}")["data"]
    nested = listed["replies"]
    assert len(nested["data"]) == 50 and nested["data"][0]["text"] == "reply 0"
    rest = api.get_connections(top.id, "replies", fields="text", after=nested["paging"]["cursors"]["after"])
    assert [r["text"] for r in rest["data"]] == ["reply 50", "reply 51"]


# ------------------------------------------------------------------ writing

def test_replies_land_on_the_top_level_comment_and_refusals_say_why(ig):
    api = graph(ig)
    media = brand_media(ig)["id"]
    question = customer_comment(ig, media, "Where is my parcel?")
    follow_up = customer_comment(ig, media, "hello??", parent_id=question["id"])
    answer = api.put_object(follow_up["id"], "replies", message="We are checking, sorry!")
    assert api.get_object(answer["id"], fields="parent_id,from{id}") == {
        "parent_id": question["id"], "from": {"id": IG}, "id": answer["id"]}
    sent = ig_control(ig, "GET", "/sent", status=200)["sent"]
    assert sent[-1] == {"kind": "reply", "id": answer["id"], "media_id": media, "parent_id": question["id"],
                        "text": "We are checking, sorry!", "in_reply_to": follow_up["id"]}
    top = api.put_object(media, "comments", message="Restock on Friday!")
    assert "parent_id" not in api.get_object(top["id"], fields="id,parent_id")

    too_long = refusal(lambda: api.put_object(question["id"], "replies", message="x" * 2201))
    assert too_long.code == 100
    assert api.put_object(question["id"], "replies", message="x" * 2200)["id"]

    ig_control(ig, "PATCH", f"/comments/{question['id']}", status=200, json={"hidden": True})
    hidden = refusal(lambda: api.put_object(follow_up["id"], "replies", message="hi"))
    assert hidden.code == 100 and "hidden" in hidden.message

    live = brand_media(ig, kind="live", caption="We're live!")["id"]
    live_comment = customer_comment(ig, live, "hi from the live")
    on_live = refusal(lambda: api.put_object(live_comment["id"], "replies", message="hi"))
    assert on_live.code == 100 and "live video" in on_live.message
    assert "live video" in refusal(lambda: api.put_object(live, "comments", message="hi")).message
    assert [m["id"] for m in api.get_connections(IG, "live_media")["data"]] == [live]

    ig_control(ig, "DELETE", f"/comments/{follow_up['id']}", status=200)
    deleted = refusal(lambda: api.put_object(follow_up["id"], "replies", message="hi"))
    assert (deleted.code, deleted.result["error"]["error_subcode"]) == (100, 33)
    assert refusal(lambda: api.get_object(follow_up["id"])).code == 100


def test_moderation_through_the_graph_api(ig):
    api = graph(ig)
    media = brand_media(ig)["id"]
    comment = customer_comment(ig, media, "spam spam")
    assert api.request(f"{V}/{comment['id']}", post_args={"hide": "true"}) == {"success": True}
    assert api.get_object(comment["id"], fields="hidden")["hidden"] is True
    assert api.request(f"{V}/{media}", post_args={"comment_enabled": "false"}) == {"success": True}
    assert ig_control(ig, "POST", "/comments", status=409, json={"media_id": media, "text": "hi", "author": ANN})
    api.delete_object(comment["id"])
    assert refusal(lambda: api.get_object(comment["id"])).code == 100


def test_mentions_are_read_through_the_user_node_and_answered_on_the_mentions_edge(ig):
    api = graph(ig)
    caption = ig_control(ig, "POST", "/mentions", json={"in": "caption", "text": "Got my box, thanks @carebox.demo.",
                                                         "author": ANN})
    mention = ig_control(ig, "POST", "/mentions", json={"in": "comment", "text": "@carebox.demo where is mine?",
                                                         "author": BOB})
    read = api.get_object(IG, fields=f"mentioned_comment.comment_id({mention['id']}){{id,text,timestamp,like_count,"
                                     "username,from{id,username},media{id,caption,permalink,media_type,"
                                     "media_product_type,username,timestamp}}")
    found = read["mentioned_comment"]
    assert read["id"] == IG and found["id"] == mention["id"] and found["text"] == "carebox.demo where is mine?"
    assert found["from"] == {"id": BOB["id"], "username": BOB["username"]}
    assert found["media"]["id"] == mention["media_id"] and found["media"]["username"] != "carebox.demo"
    media = api.get_object(IG, fields=f"mentioned_media.media_id({caption['id']}){{id,caption,media_type,"
                                      "media_product_type,permalink,timestamp,username,comments_count,like_count,"
                                      "owner{id}}")["mentioned_media"]
    assert media["caption"] == "Got my box, thanks carebox.demo." and media["owner"] == {"id": ANN["id"]}
    assert media["username"] == ANN["username"]
    # Not readable as nodes: only through the mention fields.
    assert refusal(lambda: api.get_object(mention["id"])).code == 100

    answer = api.put_object(IG, "mentions", media_id=mention["media_id"], comment_id=mention["id"],
                            message="Sorry Bob, DM us your order number")
    caption_answer = api.put_object(IG, "mentions", media_id=caption["id"], message="Enjoy! 💛")
    kinds = [(s["kind"], s["id"]) for s in ig_control(ig, "GET", "/sent", status=200)["sent"]]
    assert kinds == [("mention_reply", answer["id"]), ("mention_reply", caption_answer["id"])]
    assert ig.network.instagram.comments[answer["id"]].parent_id == mention["id"]
    assert ig.network.instagram.comments[caption_answer["id"]].parent_id is None

    ig_control(ig, "PATCH", f"/media/{caption['id']}", status=200, json={"comments_enabled": False})
    off = refusal(lambda: api.put_object(IG, "mentions", media_id=caption["id"], message="hi"))
    assert off.code == 100 and "disabled" in off.message
    assert "disabled" in refusal(lambda: api.get_object(
        IG, fields=f"mentioned_media.media_id({caption['id']}){{id}}")).message
    not_mentioning = customer_comment(ig, mention["media_id"], "no mention here")
    assert refusal(lambda: api.get_object(
        IG, fields=f"mentioned_comment.comment_id({not_mentioning['id']}){{id}}")).code == 100


# ------------------------------------------------------------------ limits and faults

def test_every_instagram_response_carries_the_instagram_usage_header(ig):
    media = brand_media(ig)["id"]
    for path in (IG, f"{IG}/media", f"{media}/comments", f"{PAGE}/conversations"):
        resp = raw_get(ig, path, **({"platform": "instagram"} if "conversations" in path else {}))
        assert resp.status_code == 200, resp.text
        (usage,) = json.loads(resp.headers["X-Business-Use-Case-Usage"])[IG]
        assert usage["type"] == "instagram"
        assert set(usage) == {"type", "call_count", "total_cputime", "total_time", "estimated_time_to_regain_access"}
    facebook_call = raw_get(ig, f"{PAGE}/feed")
    assert json.loads(facebook_call.headers["X-Business-Use-Case-Usage"])[PAGE][0]["type"] == "pages"


def test_the_budget_is_calls_per_impression_and_80002_once_spent(ig):
    ig.network.reset({"instagram_calls_per_impression": 2, "instagram_impressions": 2})
    api = graph(ig)
    for _ in range(4):
        api.get_object(IG)
    spent = refusal(lambda: api.get_object(IG))
    assert spent.code == 80002 and spent.result["error"]["is_transient"] is True
    assert spent.result["error"]["type"] == "OAuthException"
    assert "too many calls to this Instagram account" in spent.message
    usage = json.loads(raw_get(ig, IG).headers["X-Business-Use-Case-Usage"])[IG][0]
    assert usage["call_count"] == 100 and usage["estimated_time_to_regain_access"] > 0
    assert api.get_object(PAGE)["id"] == PAGE  # the page's own budget is another one


def test_faults_hit_instagram_calls_the_way_they_hit_facebook_ones(ig):
    api = graph(ig)
    control(ig, "POST", "/faults", json={"kind": "html", "network": "instagram", "status": 502})
    assert api.get_object(PAGE)["id"] == PAGE  # a Facebook call is not an Instagram one
    html = raw_get(ig, f"{IG}/media")
    assert html.status_code == 502 and html.headers["Content-Type"].startswith("text/html")
    control(ig, "POST", "/faults", json={"kind": "429", "network": "instagram", "retry_after": 120})
    limited = raw_get(ig, IG)
    assert limited.json()["error"]["code"] == 80002
    assert json.loads(limited.headers["X-Business-Use-Case-Usage"])[IG][0]["estimated_time_to_regain_access"] == 2
    control(ig, "POST", "/faults", json={"kind": "503", "network": "instagram", "every": 2, "count": 2})
    statuses = [raw_get(ig, IG).status_code for _ in range(4)]
    assert statuses == [200, 503, 200, 503]
    assert any(k.startswith("instagram ") for k in control(ig, "GET", "/stats").json()["endpoints"])
    media = brand_media(ig)["id"]
    for n in range(3):
        customer_comment(ig, media, f"comment {n}")
    control(ig, "POST", "/faults", json={"kind": "duplicate_page", "network": "instagram"})
    first = api.get_connections(media, "comments", fields="text", limit=2)
    repeated = api.get_connections(media, "comments", fields="text", limit=2, after=first["paging"]["cursors"]["after"])
    assert repeated["data"][0] == first["data"][-1]  # the page boundary repeats, as a flaky proxy might


# ------------------------------------------------------------------ DMs

def customer_dm(sandbox, text, sender=ANN, **fields):
    return ig_control(sandbox, "POST", "/messages", json={"text": text, "sender": sender, **fields})


def send(api, recipient, text="Thanks, we are on it", **extra):
    args = {"recipient": json.dumps(recipient), "messaging_type": "RESPONSE", "message": json.dumps({"text": text})}
    args.update(extra)
    return api.request(f"{V}/{PAGE}/messages", post_args=args)


def test_instagram_conversations_show_usernames_and_only_the_20_newest_messages(ig):
    api = graph(ig)
    for n in range(25):
        customer_dm(ig, f"message {n}", created_at=ago(minutes=60 - n))
    customer_dm(ig, "hello page", sender=BOB)
    messenger_only = api.get_connections(PAGE, "conversations", platform="messenger")
    assert messenger_only["data"] == []
    fields = "id,updated_time,participants,messages{id,message,from,to,created_time}"
    found = api.get_connections(PAGE, "conversations", platform="instagram", fields=fields)["data"]
    assert len(found) == 2
    bob, ann = found
    assert {p["id"]: p for p in ann["participants"]["data"]} == {
        ANN["id"]: ANN, IG: {"id": IG, "username": "carebox.demo"}}
    nested = ann["messages"]["data"]
    assert nested[0]["message"] == "message 24" and nested[0]["from"] == ANN
    listed = api.get_connections(ann["id"], "messages", fields="id,message", limit=100)["data"]
    assert len(listed) == 20 and listed[-1]["message"] == "message 5"
    assert api.get_object(listed[0]["id"], fields="message")["message"] == "message 24"
    oldest = next(m for m in ig.network.messenger.conversations[ann["id"]].messages if m.text == "message 0")
    assert "deleted" in refusal(lambda: api.get_object(oldest.id)).message


def test_the_instagram_conversations_api_allows_2_calls_a_second(ig):
    ig.network.reset({"messenger_conversations_per_second": 2})
    api = graph(ig)
    api.get_connections(PAGE, "conversations", platform="instagram")
    api.get_connections(PAGE, "conversations", platform="instagram")
    assert refusal(lambda: api.get_connections(PAGE, "conversations", platform="instagram")).code == 613


def test_send_api_to_instagram_window_length_and_human_agent(ig):
    api = graph(ig)
    customer_dm(ig, "Where is my order?", created_at=ago(hours=23))
    assert send(api, {"id": ANN["id"]})["recipient_id"] == ANN["id"]
    too_long = refusal(lambda: send(api, {"id": ANN["id"]}, text="x" * 1001))
    assert too_long.code == 100 and "1000" in too_long.message
    assert send(api, {"id": ANN["id"]}, text="x" * 1000)

    customer_dm(ig, "old question", sender=BOB, created_at=ago(days=3))
    late = refusal(lambda: send(api, {"id": BOB["id"]}))
    assert (late.code, late.result["error"]["error_subcode"]) == (10, 2534022)
    assert late.message == "(#10) This message is sent outside of allowed window."
    tagged = {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
    assert refusal(lambda: send(api, {"id": BOB["id"]}, **tagged)).code == 10  # no permission yet
    control(ig, "POST", "/messenger/human-agent", json={"page_id": PAGE, "enabled": True})
    assert send(api, {"id": BOB["id"]}, **tagged)["recipient_id"] == BOB["id"]
    sent = ig_control(ig, "GET", "/sent?kind=dm", status=200)["sent"]
    assert [s["recipient_id"] for s in sent] == [ANN["id"], ANN["id"], BOB["id"]]


def test_private_replies_once_within_7_days_live_only_while_live_and_no_window(ig):
    api = graph(ig)
    media = brand_media(ig)["id"]
    comment = customer_comment(ig, media, "My parcel never came")
    sent = send(api, {"comment_id": comment["id"]}, text="Sorry! Your order number?")
    assert sent["recipient_id"] == ANN["id"]
    again = refusal(lambda: send(api, {"comment_id": comment["id"]}))
    assert again.code == 10900
    assert refusal(lambda: send(api, {"id": ANN["id"]})).code == 10  # the window is not open yet
    customer_dm(ig, "It is 123456")
    assert send(api, {"id": ANN["id"]})["recipient_id"] == ANN["id"]

    old = customer_comment(ig, media, "ancient", author=BOB, created_at=ago(days=8))
    assert refusal(lambda: send(api, {"comment_id": old["id"]})).code == 10903
    live = brand_media(ig, kind="live", caption="live now")["id"]
    during = customer_comment(ig, live, "hi", author=BOB)
    after = customer_comment(ig, live, "hello", author={"username": "cy"})
    assert send(api, {"comment_id": during["id"]})["recipient_id"] == BOB["id"]
    ig_control(ig, "PATCH", f"/media/{live}", status=200, json={"live": False})
    assert refusal(lambda: send(api, {"comment_id": after["id"]})).code == 10903
    kinds = [s["kind"] for s in ig_control(ig, "GET", "/sent", status=200)["sent"]]
    assert kinds == ["private_reply", "dm", "private_reply"]


# ------------------------------------------------------------------ webhooks

def signed(headers, body):
    expected = "sha256=" + hmac.new(DEMO_INSTAGRAM["app_secret"].encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers["X-Hub-Signature-256"], expected)


def test_instagram_webhooks_are_signed_and_arrive_in_order(ig, receiver):  # noqa: F811
    subscribe(ig, receiver)
    wait_for(lambda: subscription_state(ig), "the handshake")
    api = graph(ig)
    media = brand_media(ig)["id"]
    question = customer_comment(ig, media, "Où est ma commande? </script>")
    reply = customer_comment(ig, media, "same", author=BOB, parent_id=question["id"])
    answer = api.put_object(question["id"], "replies", message="On it!")
    live = brand_media(ig, kind="live", caption="live")["id"]
    live_comment = customer_comment(ig, live, "hi live")
    caption = ig_control(ig, "POST", "/mentions", json={"in": "caption", "text": "@carebox.demo yay"})
    mention = ig_control(ig, "POST", "/mentions", json={"in": "comment", "text": "@carebox.demo help"})
    dm = customer_dm(ig, "hello in private")
    echo = send(api, {"id": ANN["id"]}, text="Hi Ann")
    native = ig_control(ig, "POST", "/account-messages", json={"recipient_id": ANN["id"], "text": "from the app"})
    wait_for(lambda: len(receiver.posts) == 9, "nine pushes")

    changes, events = [], []
    for headers, body in receiver.posts:
        assert signed(headers, body) and body.isascii()
        payload = json.loads(body)
        (entry,) = payload["entry"]
        assert payload["object"] == "instagram" and entry["id"] == IG
        changes += entry.get("changes", [])
        events += entry.get("messaging", [])
    assert [c["field"] for c in changes] == ["comments"] * 3 + ["live_comments", "mentions", "mentions"]
    first, second, third, on_live, by_caption, by_comment = (c["value"] for c in changes)
    assert first == {"id": question["id"], "from": ANN, "text": "Où est ma commande? </script>",
                     "media": {"id": media, "media_product_type": "FEED"}}
    assert second["parent_id"] == question["id"] and second["id"] == reply["id"]
    assert third["from"] == {"id": IG, "username": "carebox.demo"} and third["id"] == answer["id"]
    assert on_live["id"] == live_comment["id"] and on_live["media"]["media_product_type"] == "LIVE"
    assert by_caption == {"media_id": caption["id"]}
    assert by_comment == {"media_id": mention["media_id"], "comment_id": mention["id"]}
    assert [e["message"]["mid"] for e in events] == [dm["id"], echo["message_id"], native["id"]]
    customer, api_echo, app_echo = events
    assert customer["sender"] == {"id": ANN["id"]} and customer["recipient"] == {"id": IG}
    assert "is_echo" not in customer["message"] and customer["message"]["text"] == "hello in private"
    assert api_echo["message"]["is_echo"] is True and api_echo["sender"] == {"id": IG}
    assert app_echo["message"]["is_echo"] is True and isinstance(app_echo["timestamp"], int)


# ------------------------------------------------------------------ traffic and brands

def test_the_traffic_generator_makes_instagram_customers_busy(ig):
    ig.network.reset({"traffic_instagram_share": 0.8, "traffic_private_share": 0.3})
    created = control(ig, "POST", "/traffic", json={"burst": 200}).json()["generated_now"]
    instagram = [c for c in created if c["network"] == "instagram"]
    kinds = {c.get("kind") for c in instagram}
    assert {"comment", "reply", "brand_native"} <= kinds
    assert kinds & {"caption_mention", "comment_mention"} and kinds & {"private", "moved", "private_follow_up"}
    texts = " ".join(c["text"] for c in instagram)
    assert any("\u0600" <= ch <= "\u06ff" for ch in texts) and re.search("[а-яА-Я]", texts)
    book = ig.network.instagram
    assert any(c.author["id"] == IG for c in book.comments.values())  # the brand answered natively
    assert ig.network.messenger.page_conversations(PAGE, "instagram")
    timeline = control(ig, "GET", "/timeline").json()["timelines"]
    assert any(t["network"] == "instagram" and t["threads"] for t in timeline)
    assert "Instagram · @carebox.demo" in control(ig, "GET", "/").text


def test_numbered_instagram_brands_are_linked_to_their_pages(ig):
    brands = control(ig, "POST", "/brands", json={"network": "instagram", "count": 2}).json()["brands"]
    assert [b["username"] for b in brands] == ["brand.1", "brand.2"]
    token = brands[1]["page_access_token"]
    api = graph(ig, token=token)
    linked = api.get_object(brands[1]["page_id"], fields="instagram_business_account{id,username}")
    assert linked["instagram_business_account"] == {"id": brands[1]["ig_user_id"], "username": "brand.2"}
    assert len(api.get_connections(brands[1]["ig_user_id"], "media")["data"]) == 4


def test_no_instagram_account_without_its_page(ig):
    ig.network.reset({"facebook_pages": []})
    assert ig.network.pages == {} and ig.network.instagram.accounts == {}
