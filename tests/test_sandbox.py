"""The sandbox network over real HTTP: shapes parsed by tweepy and facebook-sdk, limits, paging, faults, control."""
import hashlib
import hmac
import threading
import time

import facebook
import pytest
import requests
import tweepy

from app.connectors.http import RewritingSession
from app.sandbox import DEMO_FACEBOOK, DEMO_X, SandboxNetwork, SandboxServer

BRAND = DEMO_X["user_id"]
PAGE = DEMO_FACEBOOK["page_id"]
TOKEN = DEMO_FACEBOOK["page_access_token"]
BEARER = {"Authorization": f"Bearer {DEMO_X['bearer_token']}"}
MENTION_FIELDS = dict(
    expansions=["author_id"], tweet_fields=["created_at", "author_id", "conversation_id", "referenced_tweets"],
    user_fields=["username", "name", "public_metrics"],
)


def x_client(sandbox, bearer=True, user=True, timeout=2):
    client = tweepy.Client(
        bearer_token=DEMO_X["bearer_token"] if bearer else None,
        **({k: DEMO_X[k] for k in ("consumer_key", "consumer_secret", "access_token", "access_token_secret")}
           if user else {}),
    )
    client.session = RewritingSession("https://api.twitter.com", sandbox.url, timeout)
    return client


def graph(sandbox, token=TOKEN, timeout=2):
    api = facebook.GraphAPI(access_token=token, timeout=timeout,
                            session=RewritingSession("https://graph.facebook.com", sandbox.url, timeout))
    api.version = "v21.0"
    return api


def control(sandbox, method, path, **kwargs):
    response = requests.request(method, f"{sandbox.url}/_sandbox{path}", timeout=5, **kwargs)
    return response


# ----------------------------------------------------------------------- X

def test_x_me_needs_user_context(sandbox):
    me = x_client(sandbox).get_me(user_auth=True).data
    assert (str(me.id), me.username, me.name) == (BRAND, "carebox_demo", "Carebox Demo")
    with pytest.raises(tweepy.Forbidden) as refused:
        x_client(sandbox).get_me(user_auth=False)
    assert refused.value.response.json()["type"] == "https://api.twitter.com/2/problems/unsupported-authentication"


def test_x_unknown_credentials_get_401_problem(sandbox):
    response = requests.get(f"{sandbox.url}/2/users/{BRAND}/mentions", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.json() == {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}
    client = x_client(sandbox)
    client.consumer_key = "someone-else"
    with pytest.raises(tweepy.Unauthorized):
        client.get_me(user_auth=True)


def test_x_mentions_shapes_parse_in_tweepy(sandbox):
    author = {"id": "777", "username": "jane_doe", "name": "Jane Doe", "followers_count": 42}
    first = sandbox.network.inject_tweet(BRAND, "@carebox_demo where is my parcel?", author=author)
    reply = sandbox.network.inject_tweet(BRAND, "@carebox_demo hello?", author=author, in_reply_to=first.id)

    response = x_client(sandbox).get_users_mentions(BRAND, **MENTION_FIELDS)
    newest, oldest = response.data
    assert [str(t.id) for t in response.data] == [reply.id, first.id]  # newest first
    assert newest.created_at.tzinfo is not None and newest.author_id == 777
    assert newest.conversation_id == int(first.id)
    assert [(r.type, str(r.id)) for r in newest.referenced_tweets] == [("replied_to", first.id)]
    assert oldest.referenced_tweets is None and newest.edit_history_tweet_ids == [int(reply.id)]
    user = response.includes["users"][0]
    assert (user.username, user.name, user.public_metrics["followers_count"]) == ("jane_doe", "Jane Doe", 42)
    assert response.meta == {"result_count": 2, "newest_id": reply.id, "oldest_id": first.id}

    raw = requests.get(f"{sandbox.url}/2/users/{BRAND}/mentions", headers=BEARER).json()
    assert raw["data"][0] == {"id": reply.id, "text": "@carebox_demo hello?", "edit_history_tweet_ids": [reply.id]}
    assert "includes" not in raw
    timed = requests.get(f"{sandbox.url}/2/users/{BRAND}/mentions?tweet.fields=created_at", headers=BEARER).json()
    assert timed["data"][0]["created_at"].endswith("Z") and len(timed["data"][0]["created_at"]) == 24


def test_x_empty_and_minimal_and_invalid(sandbox):
    empty = requests.get(f"{sandbox.url}/2/users/{BRAND}/mentions", headers=BEARER)
    assert empty.json() == {"meta": {"result_count": 0}}
    assert x_client(sandbox).get_users_mentions(BRAND).data is None

    bare = sandbox.network.inject_tweet(BRAND, "just text", minimal=True)
    data = x_client(sandbox).get_users_mentions(BRAND, **MENTION_FIELDS)
    assert data.data[0].author_id is None and data.data[0].created_at is None and data.includes == {}
    assert str(data.data[0].id) == bare.id

    with pytest.raises(tweepy.BadRequest) as bad:
        x_client(sandbox).get_users_mentions(BRAND, max_results=3)
    body = bad.value.response.json()
    assert body["type"] == "https://api.twitter.com/2/problems/invalid-request" and body["errors"]
    with pytest.raises(tweepy.BadRequest):
        x_client(sandbox).get_users_mentions(BRAND, tweet_fields=["not_a_field"])


def test_x_pagination_and_since_id(sandbox):
    ids = [sandbox.network.inject_tweet(BRAND, f"@carebox_demo number {n}").id for n in range(12)]
    client = x_client(sandbox)
    seen, token, pages = [], None, 0
    while True:
        page = client.get_users_mentions(BRAND, max_results=5, pagination_token=token)
        seen += [str(t.id) for t in page.data]
        pages += 1
        token = page.meta.get("next_token")
        if not token:
            break
    assert seen == ids[::-1] and pages == 3
    newer = client.get_users_mentions(BRAND, since_id=ids[8])
    assert [str(t.id) for t in newer.data] == ids[:8:-1]
    assert [str(t.id) for t in client.get_users_mentions(BRAND, until_id=ids[2]).data] == ids[1::-1]


def test_x_start_time_end_time_and_their_validation(sandbox):
    from datetime import datetime, timedelta, timezone

    now = datetime.now(timezone.utc).replace(microsecond=0)
    times = [now - timedelta(hours=h) for h in (5, 4, 3, 2, 1)]
    ids = [sandbox.network.inject_tweet(BRAND, f"@carebox_demo at -{5 - n}h", created_at=t).id
           for n, t in enumerate(times)]
    assert [int(i) for i in ids] == sorted(int(i) for i in ids)  # backdated ids encode their time, as on X
    client = x_client(sandbox)
    window = client.get_users_mentions(BRAND, start_time=times[1], end_time=times[3])  # inclusive, tweepy's format
    assert [str(t.id) for t in window.data] == ids[3:0:-1]
    # since_id takes precedence over start_time, until_id over end_time.
    assert [str(t.id) for t in client.get_users_mentions(BRAND, since_id=ids[2], start_time=times[0]).data] == \
        ids[:2:-1]
    assert [str(t.id) for t in client.get_users_mentions(BRAND, until_id=ids[1], end_time=times[4]).data] == [ids[0]]
    assert [str(t.id) for t in client.get_users_tweets(BRAND, start_time=times[0]).data or []] == []

    def refused(**params):
        response = requests.get(f"{sandbox.url}/2/users/{BRAND}/mentions", headers=BEARER, params=params)
        assert response.status_code == 400 and response.json()["title"] == "Invalid Request"
        return response.json()["errors"][0]["message"]

    assert "must be a minimum of 10 seconds prior to the request time" in refused(
        start_time=now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert "must be a minimum of 10 seconds prior" in refused(
        end_time=(now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert "on or after 2010-11-06" in refused(start_time="2009-01-01T00:00:00Z")
    assert "must be after 'start_time'" in refused(start_time="2024-01-02T00:00:00Z", end_time="2024-01-01T00:00:00Z")
    assert "not a valid RFC 3339" in refused(start_time="yesterday")


def test_x_create_tweet_and_refusals(sandbox):
    network = sandbox.network
    mention = network.inject_tweet(BRAND, "@carebox_demo my order is late")
    client = x_client(sandbox)
    created = client.create_tweet(text="Sorry! Checking now.", in_reply_to_tweet_id=mention.id, user_auth=True)
    assert set(created.data) == {"id", "text", "edit_history_tweet_ids"} and created.data["text"] == "Sorry! Checking now."

    own = client.get_users_tweets(BRAND, tweet_fields=["referenced_tweets", "conversation_id"])
    assert str(own.data[0].id) == created.data["id"] and own.data[0].conversation_id == int(mention.id)
    assert network.replies("twitter", BRAND)[0]["in_reply_to"] == mention.id

    def refusal(**kwargs):
        with pytest.raises(tweepy.HTTPException) as refused:
            client.create_tweet(user_auth=True, **kwargs)
        return refused.value.response.status_code, refused.value.response.json()["detail"]

    assert refusal(text="Sorry! Checking now.", in_reply_to_tweet_id=mention.id) == (
        403, "You are not allowed to create a Tweet with duplicate content.")
    status, detail = refusal(text="日" * 141)  # CJK counts double: weighted length 282
    assert status == 403 and "too long" in detail
    assert client.create_tweet(text="日" * 140, user_auth=True).data["id"]
    network.delete(mention.id)
    assert refusal(text="Still there?", in_reply_to_tweet_id=mention.id) == (
        403, "You attempted to reply to a Tweet that is deleted or not visible to you.")
    assert refusal(text="Unknown parent", in_reply_to_tweet_id="123")[0] == 403
    assert refusal(text="")[0] == 400
    with pytest.raises(tweepy.Forbidden):  # app-only auth cannot tweet
        client.create_tweet(text="app only", user_auth=False)


def test_x_rate_limit_headers_and_429(sandbox):
    sandbox.network.reset({"x_rate_limit_window": 10, "x_rate_limits": {"mentions": {"app": 3}}})
    url = f"{sandbox.url}/2/users/{BRAND}/mentions"
    remaining = []
    for _ in range(3):
        response = requests.get(url, headers=BEARER)
        assert response.status_code == 200 and response.headers["x-rate-limit-limit"] == "3"
        remaining.append(int(response.headers["x-rate-limit-remaining"]))
    assert remaining == [2, 1, 0]
    refused = requests.get(url, headers=BEARER)
    assert refused.status_code == 429
    assert refused.json() == {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank",
                              "status": 429}
    reset = int(refused.headers["x-rate-limit-reset"])
    assert refused.headers["x-rate-limit-remaining"] == "0" and time.time() < reset <= time.time() + 11
    with pytest.raises(tweepy.TooManyRequests) as limited:
        x_client(sandbox).get_users_mentions(BRAND)
    assert limited.value.reset_time == reset
    # Other endpoints and user context have their own windows.
    assert x_client(sandbox).get_users_mentions(BRAND, user_auth=True).meta == {"result_count": 0}


# -------------------------------------------------------------- Graph API

def test_graph_page_lookup_and_token_errors(sandbox):
    api = graph(sandbox)
    assert api.get_object("me") == {"id": PAGE, "name": "Carebox Demo Page"}
    assert api.get_object(PAGE, fields="id,name,fan_count")["fan_count"] > 0

    raw = requests.get(f"{sandbox.url}/v21.0/me", params={"access_token": "nope"})
    assert raw.status_code == 400 and raw.headers["content-type"].startswith("application/json")
    error = raw.json()["error"]
    assert (error["code"], error["type"], error["message"]) == (
        190, "OAuthException", "Invalid OAuth access token - Cannot parse access token")
    assert error["fbtrace_id"]
    with pytest.raises(facebook.GraphAPIError) as refused:
        graph(sandbox, token="nope").get_object("me")
    assert refused.value.code == 190

    proof = hmac.new(DEMO_FACEBOOK["app_secret"].encode(), TOKEN.encode(), hashlib.sha256).hexdigest()
    assert api.get_object("me", appsecret_proof=proof)["id"] == PAGE
    with pytest.raises(facebook.GraphAPIError) as wrong_proof:
        api.get_object("me", appsecret_proof="0" * 64)
    assert wrong_proof.value.code == 100 and "appsecret_proof" in wrong_proof.value.message
    with pytest.raises(facebook.GraphAPIError) as unknown_field:
        api.get_object("me", fields="id,nonsense")
    assert unknown_field.value.code == 100


def test_graph_feed_paging_with_absolute_next_urls(sandbox):
    for n in range(3):
        sandbox.network.publish_post(PAGE, f"Announcement {n}")
    api = graph(sandbox)
    first = api.get_connections(PAGE, "feed", fields="id,message,created_time,updated_time", limit=2)
    assert [p["message"] for p in first["data"]] == ["Announcement 2", "Announcement 1"]
    assert first["data"][0]["created_time"].endswith("+0000")
    next_url = first["paging"]["next"]
    assert next_url.startswith(sandbox.url + "/v21.0/") and f"access_token={TOKEN}" in next_url
    second = requests.get(next_url).json()
    assert [p["message"] for p in second["data"]][0] == "Announcement 0"
    third = api.get_connections(PAGE, "feed", limit=2, after=second["paging"]["cursors"]["after"])
    assert len(third["data"]) == 1 and "next" not in third["paging"] and "previous" in third["paging"]
    back = api.get_connections(PAGE, "feed", limit=2, before=third["paging"]["cursors"]["before"])
    assert [p["id"] for p in back["data"]] == [p["id"] for p in second["data"]]


def test_graph_comments_filters_orders_fields(sandbox):
    network = sandbox.network
    post = network.latest_post(PAGE)
    updated_before = post.updated_time
    top = network.inject_comment(PAGE, "Where is my order?", author={"id": "501", "name": "Ann"})
    anonymous = network.inject_comment(PAGE, "Same here", author=None)
    reply = network.inject_comment(PAGE, "Any news?", parent_id=top.id, author={"id": "502", "name": "Bob"})
    api = graph(sandbox)
    fields = "id,message,created_time,from{id,name},parent{id}"

    toplevel = api.get_connections(post.id, "comments", fields=fields)["data"]
    assert [c["id"] for c in toplevel] == [top.id, anonymous.id]
    assert "from" not in toplevel[1] and "parent" not in toplevel[0]
    stream = api.get_connections(post.id, "comments", filter="stream", fields=fields)["data"]
    assert [c["id"] for c in stream] == [top.id, anonymous.id, reply.id]
    assert stream[2]["parent"] == {"id": top.id} and stream[2]["from"] == {"id": "502", "name": "Bob"}
    assert stream[0]["created_time"].endswith("+0000") and len(stream[0]["created_time"]) == 24
    newest_first = api.get_connections(post.id, "comments", filter="stream", order="reverse_chronological")
    assert [c["id"] for c in newest_first["data"]] == [reply.id, anonymous.id, top.id]
    replies = api.get_connections(top.id, "comments")["data"]
    assert [c["id"] for c in replies] == [reply.id]
    assert api.get_connections(post.id, "comments", since=int(time.time()) + 60)["data"] == []
    assert api.get_object(post.id, fields="updated_time")["updated_time"] >= updated_before.strftime("%Y-%m-%dT%H:%M:%S")


def test_graph_page_reply_and_refusals(sandbox):
    network = sandbox.network
    comment = network.inject_comment(PAGE, "Help please", author={"id": "600", "name": "Cat"})
    api = graph(sandbox)
    created = api.put_object(comment.id, "comments", message="We are on it!")
    assert set(created) == {"id"}
    stream = api.get_connections(comment.post_id, "comments", filter="stream", fields="id,from,parent,message")
    mine = stream["data"][-1]
    assert mine["id"] == created["id"] and mine["from"]["id"] == PAGE and mine["parent"]["id"] == comment.id
    assert network.replies("facebook", PAGE)[0]["in_reply_to"] == comment.id

    with pytest.raises(facebook.GraphAPIError) as empty:
        api.put_object(comment.id, "comments", message="")
    assert empty.value.code == 100
    network.delete(comment.id)
    with pytest.raises(facebook.GraphAPIError) as gone:
        api.put_object(comment.id, "comments", message="Hello?")
    assert gone.value.code == 100 and gone.value.result["error"]["error_subcode"] == 33
    assert f"Object with ID '{comment.id}' does not exist" in gone.value.message
    with pytest.raises(facebook.GraphAPIError) as bad_token:
        graph(sandbox, token="expired").put_object(comment.post_id, "comments", message="Hi")
    assert bad_token.value.code == 190


def test_graph_usage_headers_and_page_limit(sandbox):
    sandbox.network.reset({"graph_rate_limit_window": 10, "graph_rate_limits": {"page": 4}})
    url = f"{sandbox.url}/v21.0/{PAGE}"
    usage = []
    for _ in range(4):
        response = requests.get(url, params={"access_token": TOKEN})
        assert response.status_code == 200
        usage.append(response.json() and __import__("json").loads(response.headers["X-Page-Usage"])["call_count"])
        assert "call_count" in response.headers["X-App-Usage"]
    assert usage == [25, 50, 75, 100]
    limited = requests.get(url, params={"access_token": TOKEN}).json()["error"]
    assert limited["code"] == 32 and "request limit reached" in limited["message"]


# ------------------------------------------------------------------ faults

def test_faults_fail_the_next_matching_requests(sandbox):
    network = sandbox.network
    network.add_fault("503", network="twitter", count=2)
    for _ in range(2):
        with pytest.raises(tweepy.TwitterServerError):
            x_client(sandbox).get_users_mentions(BRAND)
    assert x_client(sandbox).get_users_mentions(BRAND).meta == {"result_count": 0}

    network.add_fault("503", network="facebook")
    with pytest.raises(facebook.GraphAPIError) as unavailable:
        graph(sandbox).get_object("me")
    assert unavailable.value.code == 2

    network.add_fault("malformed", network="twitter")
    with pytest.raises(requests.JSONDecodeError):
        x_client(sandbox).get_users_mentions(BRAND)
    network.add_fault("malformed", network="facebook")
    with pytest.raises(ValueError):
        graph(sandbox).get_object("me")

    network.add_fault("bad_token", network="twitter")
    with pytest.raises(tweepy.Unauthorized):
        x_client(sandbox).get_users_mentions(BRAND)
    network.add_fault("bad_token", network="facebook")
    with pytest.raises(facebook.GraphAPIError) as expired:
        graph(sandbox).get_object("me")
    assert expired.value.code == 190

    network.add_fault("429", network="twitter", path_contains="/mentions")
    assert x_client(sandbox).get_users_tweets(BRAND).meta == {"result_count": 0}  # other path: untouched
    with pytest.raises(tweepy.TooManyRequests) as limited:
        x_client(sandbox).get_users_mentions(BRAND)
    assert limited.value.reset_time > time.time()
    network.add_fault("429", network="facebook")
    with pytest.raises(facebook.GraphAPIError) as page_limit:
        graph(sandbox).get_object("me")
    assert page_limit.value.code == 32


def test_fault_skip_reset_timeout_and_clear(sandbox):
    network = sandbox.network
    network.add_fault("reset_connection", network="twitter", skip=1)
    assert x_client(sandbox).get_users_mentions(BRAND).meta == {"result_count": 0}  # skipped
    with pytest.raises(requests.ConnectionError):
        x_client(sandbox).get_users_mentions(BRAND)

    network.add_fault("timeout", network="facebook", delay=1.0)
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        graph(sandbox, timeout=0.3).get_object("me")
    assert time.monotonic() - started < 0.9

    assert control(sandbox, "POST", "/faults", json={"kind": "503", "count": 5}).status_code == 201
    assert control(sandbox, "POST", "/faults", json={"kind": "nonsense"}).status_code == 400
    assert len(control(sandbox, "GET", "/faults").json()["faults"]) == 1
    assert control(sandbox, "DELETE", "/faults").json() == {"faults": []}
    assert graph(sandbox).get_object("me")["id"] == PAGE


def test_duplicate_page_fault_repeats_an_item(sandbox):
    for n in range(6):
        sandbox.network.inject_tweet(BRAND, f"@carebox_demo dup {n}")
    sandbox.network.add_fault("duplicate_page", network="twitter")
    first = x_client(sandbox).get_users_mentions(BRAND, max_results=5)
    second = x_client(sandbox).get_users_mentions(BRAND, max_results=5, pagination_token=first.meta["next_token"])
    assert second.data[0].id == first.data[-1].id and len(second.data) == 2

    post = sandbox.network.latest_post(PAGE)
    for n in range(3):
        sandbox.network.inject_comment(PAGE, f"comment {n}", post_id=post.id)
    sandbox.network.add_fault("duplicate_page", network="facebook")
    page1 = graph(sandbox).get_connections(post.id, "comments", limit=2)
    page2 = graph(sandbox).get_connections(post.id, "comments", limit=2, after=page1["paging"]["cursors"]["after"])
    assert page2["data"][0]["id"] == page1["data"][-1]["id"] and len(page2["data"]) == 2


def test_duplicate_page_overlap_repeats_as_many_items_as_asked(sandbox):
    for n in range(20):
        sandbox.network.inject_tweet(BRAND, f"@carebox_demo overlap {n}")
    sandbox.network.add_fault("duplicate_page", network="twitter", overlap=4)
    first = x_client(sandbox).get_users_mentions(BRAND, max_results=10)
    second = x_client(sandbox).get_users_mentions(BRAND, max_results=10, pagination_token=first.meta["next_token"])
    assert [t.id for t in second.data[:4]] == [t.id for t in first.data[-4:]]

    post = sandbox.network.latest_post(PAGE)
    for n in range(10):
        sandbox.network.inject_comment(PAGE, f"comment {n}", post_id=post.id)
    sandbox.network.add_fault("duplicate_page", network="facebook", overlap=3)
    page1 = graph(sandbox).get_connections(post.id, "comments", limit=5)
    page2 = graph(sandbox).get_connections(post.id, "comments", limit=5, after=page1["paging"]["cursors"]["after"])
    assert [c["id"] for c in page2["data"][:3]] == [c["id"] for c in page1["data"][-3:]]
    assert sandbox.network.stats.snapshot()["served"]["facebook"] == {"items": 7, "repeats": 3}


def test_periodic_faults_fail_every_kth_request_for_a_count_or_a_duration(sandbox):
    network = sandbox.network
    network.add_fault("503", network="twitter", every=3, count=None)
    outcomes = []
    for _ in range(9):
        try:
            x_client(sandbox).get_users_mentions(BRAND)
            outcomes.append("ok")
        except tweepy.TwitterServerError:
            outcomes.append("503")
    assert outcomes == ["ok", "ok", "503"] * 3 and len(network.faults.pending()) == 1

    network.clear_faults()
    network.add_fault("500", network="facebook", every=2, count=2)
    codes = []
    for _ in range(6):
        try:
            graph(sandbox).get_object("me")
            codes.append(None)
        except facebook.GraphAPIError as error:
            codes.append(error.code)
    assert codes == [None, 1, None, 1, None, None]  # code 1: "An unknown error has occurred."

    network.add_fault("503", network="twitter", every=1, count=None, duration=0.3)
    with pytest.raises(tweepy.TwitterServerError):
        x_client(sandbox).get_users_mentions(BRAND)
    time.sleep(0.35)
    assert x_client(sandbox).get_users_mentions(BRAND).meta == {"result_count": 0}
    assert network.faults.pending() == []
    with pytest.raises(ValueError, match="only a periodic fault"):
        network.add_fault("503", count=None)


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80001])
def test_graph_rate_limit_codes_carry_the_business_use_case_usage(sandbox, code):
    sandbox.network.add_fault("429", network="facebook", code=code, retry_after=125)
    response = requests.get(f"{sandbox.url}/v21.0/{PAGE}", params={"access_token": TOKEN})
    error = response.json()["error"]
    assert error["code"] == code and error["type"] == "OAuthException" and error["message"].startswith(f"(#{code})")
    usage = __import__("json").loads(response.headers["X-Business-Use-Case-Usage"])
    assert usage == {PAGE: [{"type": "pages", "call_count": 100, "total_cputime": 50, "total_time": 50,
                             "estimated_time_to_regain_access": 3}]}  # minutes, rounded up
    assert "call_count" in response.headers["X-App-Usage"] and "call_count" in response.headers["X-Page-Usage"]
    # Only that call was refused; the next one reports ordinary usage and no wait.
    usage = __import__("json").loads(requests.get(f"{sandbox.url}/v21.0/{PAGE}", params={"access_token": TOKEN})
                                     .headers["X-Business-Use-Case-Usage"])
    assert usage[PAGE][0]["estimated_time_to_regain_access"] == 0 and usage[PAGE][0]["call_count"] < 100


def test_spent_graph_budget_estimates_the_time_to_regain_access(sandbox):
    sandbox.network.reset({"graph_rate_limit_window": 600, "graph_rate_limits": {"page": 2}})
    url = f"{sandbox.url}/v21.0/{PAGE}"
    for _ in range(2):
        assert requests.get(url, params={"access_token": TOKEN}).status_code == 200
    refused = requests.get(url, params={"access_token": TOKEN})
    assert refused.json()["error"]["code"] == 32
    usage = __import__("json").loads(refused.headers["X-Business-Use-Case-Usage"])[PAGE][0]
    assert usage["call_count"] == 100 and usage["estimated_time_to_regain_access"] in (10, 11)  # minutes, rounded up


@pytest.mark.parametrize("status", [502, 503, 504, 200])
def test_html_error_pages_from_a_proxy(sandbox, status):
    sandbox.network.add_fault("html", status=status, count=2)
    raw = requests.get(f"{sandbox.url}/2/users/{BRAND}/mentions", headers=BEARER)
    assert raw.status_code == status and raw.headers["Content-Type"].startswith("text/html")
    assert raw.text.startswith("<html>") and "nginx" in raw.text
    with pytest.raises(facebook.GraphAPIError) as parsed:  # facebook-sdk reads only a JSON error
        graph(sandbox).get_object("me")
    assert parsed.value.code is None and "Maintype" in str(parsed.value)
    sandbox.network.add_fault("html", status=status, network="twitter")
    with pytest.raises((tweepy.TwitterServerError, requests.JSONDecodeError)):  # a 200 page fails to parse
        x_client(sandbox).get_users_mentions(BRAND)


def test_control_api_arms_the_new_faults(sandbox):
    armed = control(sandbox, "POST", "/faults", json={"kind": "429", "network": "facebook", "every": 5, "code": 613,
                                                      "retry_after": 60})
    assert armed.status_code == 201
    fault = armed.json()["fault"]
    assert (fault["kind"], fault["every"], fault["count"]) == ("429", 5, None)
    assert (fault["code"], fault["retry_after"]) == (613, 60)
    assert control(sandbox, "POST", "/faults", json={"kind": "html", "status": 502}).status_code == 201
    assert control(sandbox, "POST", "/faults", json={"kind": "duplicate_page", "overlap": 10}).status_code == 201
    assert control(sandbox, "POST", "/faults", json={"kind": "429", "code": 999}).status_code == 400
    assert control(sandbox, "POST", "/faults", json={"kind": "html", "status": 418}).status_code == 400
    assert len(control(sandbox, "GET", "/faults").json()["faults"]) == 3


# ----------------------------------------------------------------- control

def test_control_endpoints_round_trip(sandbox):
    created = control(sandbox, "POST", "/posts", json={
        "network": "twitter", "account": BRAND, "text": "@carebox_demo hi",
        "author": {"id": "9001", "username": "ctl_user", "name": "Control User", "followers_count": 5},
        "created_at": "2024-01-15T10:30:00Z",
    })
    assert created.status_code == 201
    tweet_id = created.json()["id"]
    tweets = x_client(sandbox).get_users_mentions(BRAND, tweet_fields=["created_at"]).data
    assert tweets[0].created_at.isoformat() == "2024-01-15T10:30:00+00:00"

    native = control(sandbox, "POST", "/brand-replies", json={
        "network": "twitter", "account": BRAND, "in_reply_to": tweet_id, "text": "Answered from the X app"})
    assert native.status_code == 201
    assert control(sandbox, "GET", "/replies?network=twitter").json() == {"replies": []}  # native: not via API

    comment = control(sandbox, "POST", "/posts", json={"network": "facebook", "page_id": PAGE, "text": "Hello",
                                                       "author": None})
    assert comment.status_code == 201
    comment_id = comment.json()["id"]
    assert "from" not in graph(sandbox).get_object(comment_id, fields="id,from,message")
    fb_reply = control(sandbox, "POST", "/brand-replies", json={
        "network": "facebook", "page_id": PAGE, "in_reply_to": comment_id, "text": "Hi there"})
    assert fb_reply.json()["parent_id"] == comment_id

    assert control(sandbox, "DELETE", f"/posts/{tweet_id}").json()["deleted"] == "tweet"
    assert control(sandbox, "DELETE", f"/posts/{tweet_id}").status_code == 404
    missing = control(sandbox, "POST", "/posts", json={"network": "twitter", "text": "x", "in_reply_to": tweet_id})
    assert missing.status_code == 404
    assert control(sandbox, "POST", "/posts", json={"network": "myspace", "text": "x"}).status_code == 400
    assert control(sandbox, "POST", "/page-posts", json={"text": "Fresh post"}).status_code == 201

    stats = control(sandbox, "GET", "/stats").json()
    assert stats["accounts"][f"twitter:{BRAND}"]["requests"] >= 1
    assert stats["accounts"][f"facebook:{PAGE}"]["max_in_flight"] == 1
    assert control(sandbox, "POST", "/reset").json() == {"reset": True}
    assert control(sandbox, "GET", "/stats").json()["objects"]["tweets"] == 0


def test_stats_count_concurrent_requests_per_account(sandbox):
    sandbox.network.add_fault("timeout", network="twitter", delay=0.3, count=2)
    threads = [threading.Thread(target=lambda: x_client(sandbox, timeout=3).get_users_mentions(BRAND))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    account = sandbox.network.stats.snapshot()["accounts"][f"twitter:{BRAND}"]
    assert account["max_in_flight"] == 2 and account["in_flight"] == 0


def test_timeline_page_escapes_and_threads(sandbox):
    network = sandbox.network
    mention = network.inject_tweet(BRAND, "@carebox_demo <script>alert('x')</script> 😡")
    x_client(sandbox).create_tweet(text="We're sorry <b>really</b>", in_reply_to_tweet_id=mention.id)
    network.inject_comment(PAGE, "مرحبا، أين طلبي؟", author={"id": "1", "name": "<img src=x onerror=alert(1)>"})
    page = control(sandbox, "GET", "/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "<script>alert" not in page.text and "&lt;script&gt;alert(" in page.text
    assert "<img src=x" not in page.text and "sent by Carebox" in page.text and "مرحبا" in page.text
    timelines = control(sandbox, "GET", "/timeline").json()["timelines"]
    x_thread = timelines[0]["threads"][0]
    assert x_thread["id"] == mention.id and x_thread["replies"][0]["via_api"] is True


# ----------------------------------------------------------------- traffic

def test_traffic_burst_is_varied_and_threaded(sandbox):
    created = control(sandbox, "POST", "/traffic", json={"burst": 150}).json()["generated_now"]
    networks = {c["network"] for c in created}
    assert networks == {"twitter", "facebook", "instagram"}
    texts = " ".join(c["text"] for c in created)
    assert any("\u0600" <= ch <= "\u06ff" for ch in texts)  # Arabic
    assert "ў" in texts or "і" in texts  # Belarusian
    network = sandbox.network
    assert any(t.in_reply_to_tweet_id for t in network.tweets.values())
    assert any(c.parent_id for c in network.comments.values())
    assert any(c.author is None for c in network.comments.values())
    authors = [t.author_id for t in network.tweets.values()]
    assert len(set(authors)) < len(authors)  # recurring customers
    assert all(len(c["text"]) <= 280 for c in created if c["network"] == "twitter")


def test_traffic_thread_runs_and_stops(sandbox):
    before = sandbox.traffic.generated
    sandbox.traffic.configure(rate=1200, enabled=True)  # ~20 posts a second
    deadline = time.monotonic() + 3
    while sandbox.traffic.generated < before + 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    sandbox.traffic.configure(enabled=False)
    assert sandbox.traffic.generated >= before + 3
    assert control(sandbox, "GET", "/traffic").json()["enabled"] is False


# --------------------------------------------------------------------- ids

def test_ids_grow_with_time_across_restarts(sandbox):
    old = sandbox.network.inject_tweet(BRAND, "@carebox_demo before restart")
    time.sleep(0.005)  # ids order by millisecond; a real restart takes far longer
    restarted = SandboxNetwork()
    new = restarted.inject_tweet(BRAND, "@carebox_demo after restart")
    assert int(new.id) > int(old.id)
    comment = restarted.inject_comment(PAGE, "hi")
    assert comment.id.split("_")[0] == restarted.latest_post(PAGE).number


def test_server_with_own_settings_and_traffic(tmp_path):
    with SandboxServer({"traffic_rate": 3000, "traffic_seed": 7}) as server:
        deadline = time.monotonic() + 3
        while server.traffic.generated < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.traffic.generated >= 2
        assert requests.get(server.url + "/_sandbox/stats", timeout=2).status_code == 200
    assert server.traffic.status()["running"] is False


def test_traffic_backlog_is_backdated(sandbox):
    from datetime import datetime, timezone

    created = sandbox.traffic.backlog([70, 5])
    assert len(created) == 2
    network = sandbox.network
    messenger = [m for c in network.messenger.conversations.values() for m in c.messages]
    times = [obj.created_at if hasattr(obj, "created_at") else obj.created_time
             for obj in [*network.tweets.values(), *network.comments.values(), *network.dm_events.values(), *messenger]]
    ages = sorted((datetime.now(timezone.utc) - t).total_seconds() / 60 for t in times)
    assert round(ages[-1]) == 70 and round(ages[0]) == 5
