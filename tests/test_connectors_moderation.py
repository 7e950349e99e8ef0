"""Moderation through the connectors against the sandbox over real HTTP (tweepy, facebook-sdk): hide, unhide,
delete, like and unlike on X, Facebook and Instagram, each refusal reason, rate limits, 5xx and HTML faults,
idempotence, and the state the network then shows."""
import pytest
import requests

from app.connectors import FacebookConnector, InstagramConnector, TwitterConnector
from app.connectors.base import (
    MODERATION_REFUSALS,
    AccountInfo,
    AuthError,
    Connector,
    ModerationResult,
    RateLimited,
    RejectedError,
    TransientError,
)
from app.sandbox import DEMO_FACEBOOK, DEMO_X
from app.sandbox.demo_accounts import DEMO_INSTAGRAM
from tests.fixtures.sandbox import facebook_account_info, x_account_info

BRAND = DEMO_X["user_id"]
PAGE = DEMO_FACEBOOK["page_id"]
IG = DEMO_INSTAGRAM["ig_user_id"]
SECRETS = [DEMO_FACEBOOK["page_access_token"], DEMO_FACEBOOK["app_secret"], DEMO_X["access_token"],
           DEMO_X["consumer_secret"], DEMO_X["access_token_secret"]]


def x_connector(sandbox, **credentials):
    return TwitterConnector(x_account_info(sandbox.url, **credentials), timeout=2)


def fb_connector(sandbox, **credentials):
    return FacebookConnector(facebook_account_info(sandbox.url, **credentials), timeout=2)


def ig_connector(sandbox):
    credentials = {k: v for k, v in DEMO_INSTAGRAM.items() if k not in ("username", "name", "app_id")}
    return InstagramConnector(AccountInfo(3, "instagram", "Demo Instagram", None, None, sandbox.url, credentials),
                              timeout=2)


def state(sandbox, object_id):
    return requests.get(f"{sandbox.url}/_sandbox/moderation/{object_id}", timeout=5).json()


def fault(sandbox, kind, network, **options):
    sandbox.network.add_fault(kind, network=network, **options)


def refused(call):
    with pytest.raises(RejectedError) as caught:
        call()
    assert caught.value.reason in MODERATION_REFUSALS
    assert not any(secret in caught.value.message for secret in SECRETS), caught.value.message
    return caught.value


def brand_conversation(sandbox):
    root = sandbox.network.post_brand_tweet(BRAND, "Our holiday opening hours are out")
    return sandbox.network.inject_tweet(BRAND, "@carebox_demo cheap followers here", in_reply_to=root.id)


def fb_comment(sandbox, text="Scam link: bit.ly/free"):
    return sandbox.network.inject_comment(PAGE, text, author={"id": "9001", "name": "Spam Bot"})


def ig_comment(sandbox, text="Fake giveaway, DM me"):
    book = sandbox.network.instagram
    return book.add_comment(book.media_of(book.accounts[IG])[0].id, text, {"username": "spam.account"})


# ------------------------------------------------------------------ the interface

def test_a_connector_without_moderation_refuses_with_not_supported():
    plain = Connector(AccountInfo(9, "custom", "Shop chat", None, None, None, {}), timeout=1)
    for call in (lambda: plain.hide("1"), lambda: plain.delete("1"), lambda: plain.like("1"),
                 lambda: plain.unlike("1")):
        assert refused(call).reason == "not_supported"


# ------------------------------------------------------------------------ X

def test_x_hides_unhides_and_rehides_a_reply_in_the_brands_conversation(sandbox):
    reply = brand_conversation(sandbox)
    x = x_connector(sandbox)
    assert x.hide(reply.id) == ModerationResult(reply.id, hidden=True)
    assert x.hide(reply.id, True).hidden is True  # hiding twice succeeds
    assert state(sandbox, reply.id)["hidden"] is True
    assert x.last_rate_limits["hide_replies"].limit == 50 and x.last_rate_limits["hide_replies"].remaining == 48
    assert x.hide(reply.id, hidden=False) == ModerationResult(reply.id, hidden=False)
    assert state(sandbox, reply.id)["hidden"] is False


def test_x_refuses_to_hide_a_mention_as_not_hideable_and_a_gone_tweet_as_object_missing(sandbox):
    mention = sandbox.network.inject_tweet(BRAND, "@carebox_demo my parcel is late")
    error = refused(lambda: x_connector(sandbox).hide(mention.id))
    assert (error.reason, error.status) == ("not_hideable", 403) and "conversation you started" in error.message
    reply = brand_conversation(sandbox)
    sandbox.network.delete(reply.id)
    assert refused(lambda: x_connector(sandbox).hide(reply.id)).reason == "object_missing"
    assert refused(lambda: x_connector(sandbox).delete(reply.id)).reason == "not_supported"  # X has no delete


def test_x_moderation_needs_user_context(sandbox):
    bearer_only = x_connector(sandbox, consumer_key=None, consumer_secret=None, access_token=None,
                              access_token_secret=None)
    with pytest.raises(AuthError):
        bearer_only.hide("1")
    with pytest.raises(AuthError):
        bearer_only.like("1")


def test_x_likes_twice_and_unlikes(sandbox):
    mention = sandbox.network.inject_tweet(BRAND, "@carebox_demo all sorted, thanks!")
    x = x_connector(sandbox)
    assert x.like(mention.id) == ModerationResult(mention.id, liked=True)
    assert x.like(mention.id).liked is True
    assert state(sandbox, mention.id)["liked_by"] == [BRAND] and state(sandbox, mention.id)["like_count"] == 1
    assert x.last_rate_limits["likes"].remaining == 48
    assert x.unlike(mention.id) == ModerationResult(mention.id, liked=False)
    assert state(sandbox, mention.id)["liked_by"] == []
    assert refused(lambda: x.like("12345")).reason == "object_missing"


def test_x_like_with_a_token_of_another_user_is_not_permitted(sandbox):
    mention = sandbox.network.inject_tweet(BRAND, "@carebox_demo hello")
    # tweepy reads the user id from the token's "<id>-" prefix: a token registered for the brand but carrying
    # another id sends the like to /2/users/<other>/likes, which X refuses.
    sandbox.network.x_accounts[BRAND].access_token = "42-sandbox-x-access-token"
    error = refused(lambda: x_connector(sandbox, access_token="42-sandbox-x-access-token").like(mention.id))
    assert (error.reason, error.status) == ("not_permitted", 403)
    assert state(sandbox, mention.id)["liked_by"] == []


def test_x_moderation_rate_limit_is_rate_limited_with_the_reset(sandbox):
    sandbox.network.reset({"x_rate_limits": {"hide_replies": {"user": 1}}})
    reply = brand_conversation(sandbox)
    x = x_connector(sandbox)
    x.hide(reply.id)
    with pytest.raises(RateLimited) as caught:
        x.hide(reply.id)
    assert caught.value.reset_at is not None and caught.value.status == 429
    assert x.last_rate_limits["hide_replies"].remaining == 0


@pytest.mark.parametrize("kind", ["500", "503", "html"])
def test_x_moderation_outages_are_transient(sandbox, kind):
    reply = brand_conversation(sandbox)
    fault(sandbox, kind, "twitter", path_contains="/hidden")
    with pytest.raises(TransientError):
        x_connector(sandbox).hide(reply.id)
    assert state(sandbox, reply.id)["hidden"] is False
    assert x_connector(sandbox).hide(reply.id).hidden is True  # the next try goes through


# ----------------------------------------------------------------- Facebook

def test_facebook_hides_unhides_and_rehides_a_comment(sandbox):
    comment = fb_comment(sandbox)
    facebook = fb_connector(sandbox)
    assert facebook.hide(comment.id) == ModerationResult(comment.id, hidden=True)
    assert facebook.hide(comment.id).hidden is True
    assert state(sandbox, comment.id)["hidden"] is True
    assert "feed" in facebook.last_rate_limits and facebook.last_rate_limits["feed"].limit == 100
    assert facebook.hide(comment.id, hidden=False).hidden is False
    assert state(sandbox, comment.id)["hidden"] is False


def test_facebook_refuses_hiding_the_pages_own_comment_as_not_hideable(sandbox):
    own = sandbox.network.post_page_comment(PAGE, sandbox.network.latest_post(PAGE).id, "We are open until 8 pm")
    error = refused(lambda: fb_connector(sandbox).hide(own.id))
    assert (error.reason, error.code) == ("not_hideable", 100) and "cannot be hidden" in error.message


def test_facebook_deletes_a_comment_and_a_second_delete_is_object_missing(sandbox):
    comment = fb_comment(sandbox, "You are all thieves")
    facebook = fb_connector(sandbox)
    assert facebook.delete(comment.id) == ModerationResult(comment.id, deleted=True)
    assert state(sandbox, comment.id)["deleted"] is True
    assert refused(lambda: facebook.delete(comment.id)).reason == "object_missing"
    assert refused(lambda: facebook.hide(comment.id)).reason == "object_missing"


def test_facebook_likes_twice_and_unlikes_as_the_page(sandbox):
    comment = fb_comment(sandbox, "The courier was lovely")
    facebook = fb_connector(sandbox)
    assert facebook.like(comment.id) == ModerationResult(comment.id, liked=True)
    assert facebook.like(comment.id).liked is True
    assert state(sandbox, comment.id)["liked_by"] == [PAGE] and state(sandbox, comment.id)["like_count"] == 1
    assert facebook.unlike(comment.id).liked is False
    assert state(sandbox, comment.id)["liked_by"] == []


def test_facebook_moderation_without_the_permission_is_not_permitted_and_not_an_auth_error(sandbox):
    sandbox.network.reset({"facebook_pages_without_engagement": [PAGE]})
    comment = fb_comment(sandbox)
    facebook = fb_connector(sandbox)
    for call in (lambda: facebook.hide(comment.id), lambda: facebook.delete(comment.id),
                 lambda: facebook.like(comment.id)):
        error = refused(call)
        assert (error.reason, error.code) == ("not_permitted", 200)


def test_facebook_bad_token_is_an_auth_error(sandbox):
    comment = fb_comment(sandbox)
    with pytest.raises(AuthError) as caught:
        fb_connector(sandbox, page_access_token="wrong-token").hide(comment.id)
    assert "wrong-token" not in caught.value.message


def test_facebook_moderation_rate_limit_carries_the_regain_time(sandbox):
    comment = fb_comment(sandbox)
    fault(sandbox, "429", "facebook", retry_after=120)
    with pytest.raises(RateLimited) as caught:
        fb_connector(sandbox).hide(comment.id)
    assert caught.value.reset_at is not None and caught.value.code == 32
    assert state(sandbox, comment.id)["hidden"] is False


@pytest.mark.parametrize("kind", ["500", "503", "html", "malformed"])
def test_facebook_moderation_outages_are_transient(sandbox, kind):
    comment = fb_comment(sandbox)
    fault(sandbox, kind, "facebook")
    with pytest.raises(TransientError):
        fb_connector(sandbox).delete(comment.id)
    assert state(sandbox, comment.id)["deleted"] is False
    assert fb_connector(sandbox).delete(comment.id).deleted is True


def test_facebook_moderation_sends_the_appsecret_proof(sandbox):
    comment = fb_comment(sandbox)
    with pytest.raises(AuthError):  # a wrong secret makes a wrong proof: the sandbox checks it on every call
        fb_connector(sandbox, app_secret="not-the-secret").like(comment.id)
    assert state(sandbox, comment.id)["liked_by"] == []


# ---------------------------------------------------------------- Instagram

def test_instagram_hides_unhides_likes_unlikes_and_deletes(sandbox):
    comment = ig_comment(sandbox)
    instagram = ig_connector(sandbox)
    assert instagram.hide(comment.id) == ModerationResult(comment.id, hidden=True)
    assert instagram.hide(comment.id).hidden is True
    assert state(sandbox, comment.id)["hidden"] is True
    assert instagram.last_rate_limits["instagram"].limit == 100
    assert instagram.hide(comment.id, hidden=False).hidden is False
    assert instagram.like(comment.id) == ModerationResult(comment.id, liked=True)
    assert instagram.like(comment.id).liked is True
    assert state(sandbox, comment.id)["liked_by"] == [IG] and state(sandbox, comment.id)["like_count"] == 1
    assert instagram.unlike(comment.id).liked is False
    assert instagram.delete(comment.id) == ModerationResult(comment.id, deleted=True)
    assert state(sandbox, comment.id)["deleted"] is True
    for call in (lambda: instagram.delete(comment.id), lambda: instagram.hide(comment.id),
                 lambda: instagram.like(comment.id)):
        assert refused(call).reason == "object_missing"


def test_instagram_refuses_hiding_the_accounts_own_comment(sandbox):
    book = sandbox.network.instagram
    media = book.media_of(book.accounts[IG])[0]
    own = book.comment_on_media(book.accounts[IG], media.id, "Thanks for the love!")
    assert refused(lambda: ig_connector(sandbox).hide(own.id)).reason == "not_hideable"


def test_instagram_like_burst_is_rate_limited_until_access_comes_back(sandbox):
    sandbox.network.reset({"instagram_like_burst": 1, "instagram_like_burst_window": 60})
    comment = ig_comment(sandbox)
    instagram = ig_connector(sandbox)
    instagram.like(comment.id)
    with pytest.raises(RateLimited) as caught:
        instagram.unlike(comment.id)
    assert caught.value.code == 17 and caught.value.reset_at is not None
    assert state(sandbox, comment.id)["liked_by"] == [IG]


@pytest.mark.parametrize("kind", ["500", "html"])
def test_instagram_moderation_outages_are_transient(sandbox, kind):
    comment = ig_comment(sandbox)
    fault(sandbox, kind, "instagram")
    with pytest.raises(TransientError):
        ig_connector(sandbox).hide(comment.id)
    assert state(sandbox, comment.id)["hidden"] is False
