"""The sandbox's moderation emulation over plain HTTP: X's hidden replies and likes, Facebook's is_hidden, delete
and likes, Instagram's hide, delete and likes; their rules, budgets, error shapes and the state the control API
shows (app/sandbox/x_moderation.py, graph_moderation.py, instagram_likes.py)."""
import requests
from requests_oauthlib import OAuth1

from app.sandbox import DEMO_FACEBOOK, DEMO_X
from app.sandbox.demo_accounts import DEMO_INSTAGRAM

BRAND = DEMO_X["user_id"]
PAGE = DEMO_FACEBOOK["page_id"]
IG = DEMO_INSTAGRAM["ig_user_id"]
TOKEN = DEMO_FACEBOOK["page_access_token"]
USER_AUTH = OAuth1(DEMO_X["consumer_key"], DEMO_X["consumer_secret"], DEMO_X["access_token"],
                   DEMO_X["access_token_secret"])
APP_AUTH = {"Authorization": f"Bearer {DEMO_X['bearer_token']}"}


def x(sandbox, method, path, **kwargs):
    kwargs.setdefault("auth", USER_AUTH)
    return requests.request(method, f"{sandbox.url}/2{path}", timeout=5, **kwargs)


def graph(sandbox, method, path, **params):
    return requests.request(method, f"{sandbox.url}/v21.0/{path}", params={"access_token": TOKEN, **params},
                            timeout=5)


def state(sandbox, object_id):
    response = requests.get(f"{sandbox.url}/_sandbox/moderation/{object_id}", timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


def brand_conversation(sandbox):
    """A post by the brand and a customer's reply in its conversation."""
    root = sandbox.network.post_brand_tweet(BRAND, "Our holiday opening hours are out")
    reply = sandbox.network.inject_tweet(BRAND, "@carebox_demo buy cheap followers here", in_reply_to=root.id)
    return root, reply


# ------------------------------------------------------------------------ X

def test_x_hides_and_unhides_a_reply_in_the_brands_conversation_and_rehiding_succeeds(sandbox):
    _, reply = brand_conversation(sandbox)
    for _ in range(2):
        response = x(sandbox, "PUT", f"/tweets/{reply.id}/hidden", json={"hidden": True})
        assert response.status_code == 200 and response.json() == {"data": {"hidden": True}}
    assert state(sandbox, reply.id)["hidden"] is True
    assert int(response.headers["x-rate-limit-limit"]) == 50
    assert int(response.headers["x-rate-limit-remaining"]) == 48
    response = x(sandbox, "PUT", f"/tweets/{reply.id}/hidden", json={"hidden": False})
    assert response.json() == {"data": {"hidden": False}} and state(sandbox, reply.id)["hidden"] is False
    log = requests.get(f"{sandbox.url}/_sandbox/moderation?network=twitter", timeout=5).json()["actions"]
    assert [entry["action"] for entry in log] == ["hide", "hide", "unhide"]


def test_x_refuses_to_hide_outside_the_brands_conversations_with_a_problem_document(sandbox):
    root, reply = brand_conversation(sandbox)
    mention = sandbox.network.inject_tweet(BRAND, "@carebox_demo my parcel is late")  # the customer's conversation
    own = sandbox.network.post_brand_tweet(BRAND, "Sorry to hear that", in_reply_to=reply.id)
    for tweet_id in (mention.id, root.id, own.id):
        response = x(sandbox, "PUT", f"/tweets/{tweet_id}/hidden", json={"hidden": True})
        assert response.status_code == 403
        body = response.json()
        assert set(body) == {"title", "detail", "type", "status"} and body["status"] == 403
        assert "conversation you started" in body["detail"]
        assert state(sandbox, tweet_id)["hidden"] is False


def test_x_hide_needs_user_context_a_boolean_and_a_live_tweet(sandbox):
    _, reply = brand_conversation(sandbox)
    app_only = x(sandbox, "PUT", f"/tweets/{reply.id}/hidden", json={"hidden": True}, auth=None, headers=APP_AUTH)
    assert app_only.status_code == 403 and app_only.json()["type"].endswith("unsupported-authentication")
    bad = x(sandbox, "PUT", f"/tweets/{reply.id}/hidden", json={"hidden": "yes"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["parameters"] == {"hidden": ["yes"]}
    sandbox.network.delete(reply.id)
    gone = x(sandbox, "PUT", f"/tweets/{reply.id}/hidden", json={"hidden": True})
    assert gone.status_code == 404 and gone.json()["type"].endswith("resource-not-found")


def test_x_hides_at_most_the_conversations_limit(sandbox):
    sandbox.network.reset({"x_hidden_per_conversation": 1})
    root, first = brand_conversation(sandbox)
    second = sandbox.network.inject_tweet(BRAND, "@carebox_demo spam again", in_reply_to=root.id)
    assert x(sandbox, "PUT", f"/tweets/{first.id}/hidden", json={"hidden": True}).status_code == 200
    refused = x(sandbox, "PUT", f"/tweets/{second.id}/hidden", json={"hidden": True})
    assert refused.status_code == 403 and "more posts" in refused.json()["detail"]


def test_x_hide_budget_is_per_user_and_spent_with_429(sandbox):
    sandbox.network.reset({"x_rate_limits": {"hide_replies": {"user": 2}}})
    _, reply = brand_conversation(sandbox)
    statuses = [x(sandbox, "PUT", f"/tweets/{reply.id}/hidden", json={"hidden": True}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    spent = x(sandbox, "PUT", f"/tweets/{reply.id}/hidden", json={"hidden": True})
    assert spent.headers["x-rate-limit-remaining"] == "0" and int(spent.headers["x-rate-limit-reset"]) > 0


def test_x_likes_once_unlikes_and_refuses_another_users_id(sandbox):
    mention = sandbox.network.inject_tweet(BRAND, "@carebox_demo thanks, all sorted!")
    for _ in range(2):
        response = x(sandbox, "POST", f"/users/{BRAND}/likes", json={"tweet_id": mention.id})
        assert response.status_code == 200 and response.json() == {"data": {"liked": True}}
    assert state(sandbox, mention.id)["liked_by"] == [BRAND] and state(sandbox, mention.id)["like_count"] == 1
    other = x(sandbox, "POST", f"/users/{mention.author_id}/likes", json={"tweet_id": mention.id})
    assert other.status_code == 403 and other.json()["status"] == 403 and "permitted" in other.json()["detail"]
    response = x(sandbox, "DELETE", f"/users/{BRAND}/likes/{mention.id}")
    assert response.json() == {"data": {"liked": False}} and state(sandbox, mention.id)["like_count"] == 0
    assert x(sandbox, "DELETE", f"/users/{BRAND}/likes/{mention.id}").json() == {"data": {"liked": False}}
    missing = x(sandbox, "POST", f"/users/{BRAND}/likes", json={"tweet_id": "12345"})
    assert missing.status_code == 404


def test_x_likes_have_their_own_window(sandbox):
    sandbox.network.reset({"x_rate_limits": {"likes": {"user": 1}}})
    mention = sandbox.network.inject_tweet(BRAND, "@carebox_demo great service")
    assert x(sandbox, "POST", f"/users/{BRAND}/likes", json={"tweet_id": mention.id}).status_code == 200
    assert x(sandbox, "POST", f"/users/{BRAND}/likes", json={"tweet_id": mention.id}).status_code == 429
    assert x(sandbox, "DELETE", f"/users/{BRAND}/likes/{mention.id}").status_code == 200  # unlikes: another window


# ----------------------------------------------------------------- Facebook

def test_facebook_hides_a_customers_comment_and_graph_shows_is_hidden(sandbox):
    comment = sandbox.network.inject_comment(PAGE, "Scam link: bit.ly/free", author={"id": "9001", "name": "Spam Bot"})
    for _ in range(2):
        response = graph(sandbox, "POST", comment.id, is_hidden="true")
        assert response.status_code == 200 and response.json() == {"success": True}
    read = graph(sandbox, "GET", comment.id, fields="is_hidden,can_hide").json()
    assert (read["is_hidden"], read["can_hide"]) == (True, True)
    assert "x-business-use-case-usage" in {k.lower() for k in response.headers}
    graph(sandbox, "POST", comment.id, is_hidden="false")
    assert state(sandbox, comment.id)["hidden"] is False


def test_facebook_refuses_hiding_the_pages_own_comment(sandbox):
    post = sandbox.network.latest_post(PAGE)
    own = sandbox.network.post_page_comment(PAGE, post.id, "We are open until 8 pm")
    assert graph(sandbox, "GET", own.id, fields="can_hide").json()["can_hide"] is False
    response = graph(sandbox, "POST", own.id, is_hidden="true")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 100 and "cannot be hidden" in error["message"] and "fbtrace_id" in error
    bad = graph(sandbox, "POST", own.id, is_hidden="maybe")
    assert bad.status_code == 400 and "boolean" in bad.json()["error"]["message"]


def test_facebook_deletes_a_comment_once(sandbox):
    comment = sandbox.network.inject_comment(PAGE, "You are all thieves")
    response = graph(sandbox, "DELETE", comment.id)
    assert response.status_code == 200 and response.json() == {"success": True}
    assert state(sandbox, comment.id)["deleted"] is True
    again = graph(sandbox, "DELETE", comment.id).json()["error"]
    assert (again["code"], again["error_subcode"]) == (100, 33)


def test_facebook_likes_and_unlikes_as_the_page(sandbox):
    comment = sandbox.network.inject_comment(PAGE, "Thank you, the courier was lovely")
    for _ in range(2):
        assert graph(sandbox, "POST", f"{comment.id}/likes").json() == {"success": True}
    assert state(sandbox, comment.id)["liked_by"] == [PAGE] and state(sandbox, comment.id)["like_count"] == 1
    assert graph(sandbox, "GET", comment.id, fields="user_likes").json()["user_likes"] is True
    assert graph(sandbox, "DELETE", f"{comment.id}/likes").json() == {"success": True}
    assert state(sandbox, comment.id)["liked_by"] == []
    refused = graph(sandbox, "DELETE", f"{comment.id}/comments")
    assert refused.json()["error"]["error_subcode"] == 33


def test_facebook_moderation_without_pages_manage_engagement_is_error_200(sandbox):
    sandbox.network.reset({"facebook_pages_without_engagement": [PAGE]})
    comment = sandbox.network.inject_comment(PAGE, "Spam spam spam")
    for method, path, params in (("POST", comment.id, {"is_hidden": "true"}), ("DELETE", comment.id, {}),
                                 ("POST", f"{comment.id}/likes", {})):
        response = graph(sandbox, method, path, **params)
        assert response.status_code == 403 and response.json()["error"]["code"] == 200
    assert state(sandbox, comment.id) == {"id": comment.id, "network": "facebook", "hidden": False,
                                          "deleted": False, "liked_by": [], "like_count": 0}


# ---------------------------------------------------------------- Instagram

def ig_comment(sandbox, text="Fake giveaway, DM me", username="spam.account"):
    book = sandbox.network.instagram
    media = book.media_of(book.accounts[IG])[0]
    return book.add_comment(media.id, text, {"username": username})


def test_instagram_hides_likes_and_deletes_a_comment(sandbox):
    comment = ig_comment(sandbox)
    assert graph(sandbox, "POST", comment.id, hide="true").json() == {"success": True}
    assert graph(sandbox, "POST", comment.id, hide="true").json() == {"success": True}
    assert graph(sandbox, "GET", comment.id, fields="hidden").json()["hidden"] is True
    for _ in range(2):
        assert graph(sandbox, "POST", f"{IG}/likes", comment_id=comment.id).json() == {"success": True}
    assert state(sandbox, comment.id)["liked_by"] == [IG] and state(sandbox, comment.id)["like_count"] == 1
    assert graph(sandbox, "DELETE", f"{IG}/likes", comment_id=comment.id).json() == {"success": True}
    response = graph(sandbox, "DELETE", comment.id)
    assert response.json() == {"success": True} and '"type": "instagram"' in response.headers["x-business-use-case-usage"]
    assert state(sandbox, comment.id)["deleted"] is True
    gone = graph(sandbox, "POST", comment.id, hide="false").json()["error"]
    assert (gone["code"], gone["error_subcode"]) == (100, 33)


def test_instagram_refuses_hiding_the_owners_comment_and_likes_with_both_ids(sandbox):
    book = sandbox.network.instagram
    media = book.media_of(book.accounts[IG])[0]
    own = book.comment_on_media(book.accounts[IG], media.id, "Thanks for the love!")
    refused = graph(sandbox, "POST", own.id, hide="true").json()["error"]
    assert refused["code"] == 100 and "cannot be hidden" in refused["message"]
    both = graph(sandbox, "POST", f"{IG}/likes", comment_id=own.id, media_id=media.id).json()["error"]
    assert both["code"] == 100 and "not both" in both["message"]


def test_instagram_like_burst_locks_likes_out_for_an_hour(sandbox):
    sandbox.network.reset({"instagram_like_burst": 2, "instagram_like_burst_window": 60})
    comment = ig_comment(sandbox, "Love it")
    assert [graph(sandbox, "POST", f"{IG}/likes", comment_id=comment.id).status_code for _ in range(3)] == [
        200, 200, 403]
    locked = graph(sandbox, "POST", f"{IG}/likes", comment_id=comment.id)
    assert locked.json()["error"]["code"] == 17
    assert '"estimated_time_to_regain_access": 60' in locked.headers["x-business-use-case-usage"]
    assert graph(sandbox, "POST", comment.id, hide="true").status_code == 200  # hiding is not a like
