"""Control endpoints under /_sandbox/ for tests, the demo and curious humans (JSON, no auth).

POST   /_sandbox/posts            inject a customer tweet or comment
POST   /_sandbox/dms              {"account", "text", "author", "created_at"}: a customer DMs the X brand
PATCH  /_sandbox/x-users/<id>     {"receives_your_dm": false}: the user stops accepting the brands' DMs
POST   /_sandbox/page-posts       the page publishes a new post
POST   /_sandbox/brands           {"network", "count", "first"}: register numbered brands (twitter, facebook,
                                  instagram: linked to Facebook brand n's page); their credentials
POST   /_sandbox/brand-replies    the brand answers natively (not through Carebox)
DELETE /_sandbox/posts/<id>       delete a tweet, comment or page post
GET    /_sandbox/replies          replies Carebox sent through the APIs, newest first
GET    /_sandbox/moderation       moderation calls the brands made through the APIs, oldest first (?network=)
GET    /_sandbox/moderation/<id>  a tweet's or comment's state on the network: hidden, deleted, liked_by
POST   /_sandbox/faults           arm a fault ({"kind", "count", "every", "duration", "code", "status", …},
                                  see app/sandbox/faults.py; network twitter | facebook | instagram | absent);
                                  DELETE clears them; GET lists them
POST   /_sandbox/traffic          {"rate", "enabled", "burst"}; GET shows the generator
POST   /_sandbox/traffic/wave     {"kind": "spam" | "complaints", "network", "count", "language", "topic"}: one
                                  spam wave or complaint burst now (traffic_waves.py)
GET    /_sandbox/stats            request counts and peak concurrency per account
POST   /_sandbox/push-subscriptions  {"page_id", "callback_url", "verify_token"}: Facebook webhooks
GET    /_sandbox/push-subscriptions  subscriptions and the latest deliveries; DELETE unsubscribes
POST   /_sandbox/messenger/messages       {"page_id", "text", "sender": {"id", "name"?}, "created_at"?}: a customer
                                          writes to the page on Messenger (pushed as a `messages` webhook)
POST   /_sandbox/messenger/page-messages  {"page_id", "recipient_id", "text"}: the page answers from its inbox
                                          (echoed with the Page inbox app id)
POST   /_sandbox/messenger/human-agent    {"page_id", "enabled"}: grant or revoke the Human Agent permission
POST   /_sandbox/reset            back to the seeded state ({"settings": {...}} overrides)
/_sandbox/instagram/…           Instagram media, comments, mentions, DMs, moderation: see instagram_control.py
GET    /_sandbox/timeline         every brand's threads as JSON; GET /_sandbox/ as HTML
"""
from datetime import datetime, timezone

from flask import Blueprint, current_app, jsonify, render_template, request

from app.sandbox.hooks import current_network
from app.sandbox.network import RANDOM_AUTHOR, Refused
from app.sandbox.timeline import build_timelines
from app.sandbox.traffic_waves import WaveRefused

bp = Blueprint("sandbox_control", __name__, url_prefix="/_sandbox")


class ControlError(Exception):
    def __init__(self, message, status=400):
        super().__init__(message)
        self.message, self.status = message, status


@bp.errorhandler(ControlError)
def on_control_error(error):
    return jsonify({"error": error.message}), error.status


def _body():
    body = request.get_json(silent=True)
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise ControlError("expected a JSON object")
    return body


def _text(body):
    text = body.get("text")
    if not isinstance(text, str) or not text:
        raise ControlError("text is required")
    return text


def _time(value):
    if value in (None, ""):
        return None
    try:
        if isinstance(value, (int, float)):
            return datetime.fromtimestamp(value, timezone.utc)
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        raise ControlError(f"created_at is not a time: {value!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _x_account(body):
    network = current_network()
    account = str(body.get("account") or next(iter(network.x_accounts), ""))
    if account not in network.x_accounts:
        raise ControlError(f"unknown X account {account!r}", 404)
    return account


def _page_id(body):
    network = current_network()
    page_id = str(body.get("page_id") or body.get("account") or next(iter(network.pages), ""))
    if page_id not in network.pages:
        raise ControlError(f"unknown Facebook page {page_id!r}", 404)
    return page_id


def _network_name(body, allowed=("twitter", "facebook")):
    name = body.get("network")
    if name not in allowed:
        raise ControlError("network must be " + " or ".join(f'"{n}"' for n in allowed))
    return name


def _created(obj_id, **extra):
    return jsonify({"id": obj_id, **extra}), 201


@bp.post("/posts")
def inject_post():
    body = _body()
    network = current_network()
    try:
        if _network_name(body) == "twitter":
            tweet = network.inject_tweet(
                _x_account(body), _text(body), author=body.get("author"), in_reply_to=body.get("in_reply_to"),
                created_at=_time(body.get("created_at")), minimal=bool(body.get("minimal")),
            )
            return _created(tweet.id, conversation_id=tweet.conversation_id, author_id=tweet.author_id)
        comment = network.inject_comment(
            _page_id(body), _text(body), post_id=body.get("post_id"), parent_id=body.get("parent_id"),
            author=body.get("author", RANDOM_AUTHOR), created_at=_time(body.get("created_at")),
        )
        return _created(comment.id, post_id=comment.post_id, parent_id=comment.parent_id)
    except Refused as refused:
        raise ControlError(f"no live post {refused.object_id!r} to reply to", 404) from None


@bp.post("/dms")
def inject_dm():
    body = _body()
    event = current_network().inject_dm(
        _x_account(body), _text(body), author=body.get("author"), created_at=_time(body.get("created_at")),
    )
    return _created(event.id, dm_conversation_id=event.dm_conversation_id, sender_id=event.sender_id)


@bp.patch("/x-users/<user_id>")
def update_x_user(user_id):
    body = _body()
    network = current_network()
    with network.lock:
        user = network.x_users.get(user_id)
        if user is None:
            raise ControlError(f"unknown X user {user_id!r}", 404)
        if "receives_your_dm" in body:
            if not isinstance(body["receives_your_dm"], bool):
                raise ControlError("receives_your_dm must be true or false")
            user.receives_your_dm = body["receives_your_dm"]
    return jsonify({"id": user.id, "receives_your_dm": user.receives_your_dm})


@bp.post("/brands")
def add_brands():
    body = _body()
    try:
        count, first = int(body.get("count", 1)), int(body.get("first", 1))
    except (TypeError, ValueError):
        raise ControlError("count and first must be integers") from None
    if not 1 <= count <= 10000 or first < 1:
        raise ControlError("count must be 1..10000 and first at least 1")
    network_name = _network_name(body, ("twitter", "facebook", "instagram"))
    return jsonify({"brands": current_network().add_brands(network_name, count, first)}), 201


@bp.post("/page-posts")
def publish_page_post():
    body = _body()
    post = current_network().publish_post(_page_id(body), _text(body), created_time=_time(body.get("created_at")))
    return _created(post.id)


@bp.post("/brand-replies")
def brand_reply():
    body = _body()
    network = current_network()
    in_reply_to = body.get("in_reply_to")
    try:
        if _network_name(body) == "twitter":
            tweet = network.post_brand_tweet(_x_account(body), _text(body), in_reply_to=in_reply_to)
            return _created(tweet.id)
        if not in_reply_to:
            raise ControlError("in_reply_to (a post or comment id) is required")
        comment = network.post_page_comment(_page_id(body), in_reply_to, _text(body))
        return _created(comment.id, parent_id=comment.parent_id)
    except Refused as refused:
        if refused.reason == "duplicate":
            raise ControlError("duplicate content", 409) from None
        raise ControlError(f"no live post {refused.object_id!r} to reply to", 404) from None


@bp.delete("/posts/<object_id>")
def delete_post(object_id):
    kind = current_network().delete(object_id)
    if kind is None:
        raise ControlError(f"no live object {object_id!r}", 404)
    return jsonify({"id": object_id, "deleted": kind})


@bp.get("/replies")
def list_replies():
    replies = current_network().replies(request.args.get("network") or None, request.args.get("account") or None)
    return jsonify({"replies": replies})


@bp.get("/moderation")
def moderation_log():
    network = current_network()
    wanted = request.args.get("network") or None
    with network.lock:
        log = [entry for entry in network.moderation_log if wanted in (None, entry["network"])]
    return jsonify({"actions": log})


@bp.get("/moderation/<object_id>")
def moderation_state(object_id):
    state = current_network().moderation_state(object_id)
    if state is None:
        raise ControlError(f"no tweet or comment {object_id!r}", 404)
    return jsonify(state)


@bp.post("/faults")
def add_fault():
    body = _body()
    network_name = body.get("network")
    if network_name not in (None, "twitter", "facebook", "instagram"):
        raise ControlError('network must be "twitter", "facebook", "instagram" or absent (all)')
    options = {name: body[name] for name in ("every", "duration", "code", "status", "overlap", "retry_after")
               if body.get(name) is not None}
    try:
        fault = current_network().add_fault(
            body.get("kind"), count=body.get("count", None if body.get("every") else 1), network=network_name,
            path_contains=body.get("path_contains"), delay=body.get("delay"), skip=body.get("skip", 0), **options,
        )
    except (TypeError, ValueError) as exc:
        raise ControlError(str(exc)) from None
    return jsonify({"fault": fault.to_dict()}), 201


@bp.get("/faults")
def list_faults():
    return jsonify({"faults": current_network().faults.pending()})


@bp.delete("/faults")
def clear_faults():
    current_network().clear_faults()
    return jsonify({"faults": []})


def _traffic():
    return current_app.extensions["sandbox"].traffic


@bp.post("/traffic")
def configure_traffic():
    body = _body()
    traffic = _traffic()
    try:
        rate = float(body["rate"]) if "rate" in body else None
        burst = int(body.get("burst", 0))
    except (TypeError, ValueError):
        raise ControlError("rate must be a number, burst an integer") from None
    if rate is not None and rate < 0:
        raise ControlError("rate must not be negative")
    traffic.configure(rate=rate, enabled=body.get("enabled"))
    generated = [traffic.generate_one() for _ in range(min(burst, 500))]
    return jsonify({**traffic.status(), "generated_now": generated})


@bp.post("/traffic/wave")
def traffic_wave():
    """One spam wave or complaint burst now: {"kind": "spam" | "complaints", "network"?, "count"?, "language"?,
    "topic"?} (traffic_waves.py); 201 with the posts made."""
    body = _body()
    count = body.get("count")
    if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 1):
        raise ControlError("count must be a positive integer")
    try:
        made = _traffic().waves.wave(body.get("kind"), network=body.get("network"), count=count,
                                     language=body.get("language"), topic=body.get("topic"))
    except WaveRefused as refused:
        raise ControlError(str(refused)) from None
    return jsonify(made), 201


@bp.get("/traffic")
def traffic_status():
    return jsonify(_traffic().status())


@bp.get("/stats")
def stats():
    network = current_network()
    snapshot = network.stats.snapshot()
    with network.lock:
        snapshot["objects"] = {
            "tweets": len(network.tweets), "page_posts": len(network.posts), "comments": len(network.comments),
            "api_replies": len(network.api_replies), "instagram_media": len(network.instagram.media),
            "instagram_comments": len(network.instagram.comments),
        }
    return jsonify(snapshot)


@bp.post("/push-subscriptions")
def subscribe_push():
    """Subscribe a callback to a page's feed (page_id defaults to the first page); 202: the handshake
    runs in the background, GET shows its state."""
    body = _body()
    try:
        subscription = current_network().push.subscribe(
            _page_id(body), str(body.get("callback_url") or ""), body.get("verify_token")
        )
    except ValueError as exc:
        raise ControlError(str(exc)) from None
    return jsonify({"subscription": subscription.to_dict()}), 202


@bp.get("/push-subscriptions")
def list_push_subscriptions():
    push = current_network().push
    return jsonify({"subscriptions": push.subscriptions(), "deliveries": push.deliveries()})


@bp.delete("/push-subscriptions")
def unsubscribe_push():
    current_network().push.unsubscribe(request.args.get("page_id") or None)
    return jsonify({"subscriptions": current_network().push.subscriptions()})


@bp.post("/reset")
def reset():
    settings = _body().get("settings")
    if settings is not None and not isinstance(settings, dict):
        raise ControlError("settings must be an object")
    current_network().reset(settings)
    return jsonify({"reset": True})


@bp.get("/timeline")
def timeline_json():
    return jsonify({"timelines": build_timelines(current_network())})


@bp.get("/")
def timeline_page():
    network = current_network()
    return render_template(
        "sandbox_timeline.html", timelines=build_timelines(network), stats=network.stats.snapshot(),
        traffic=_traffic().status(),
    )


@bp.post("/messenger/messages")
def messenger_customer_message():
    body = _body()
    sender = body.get("sender")
    if not isinstance(sender, dict) or not sender.get("id"):
        raise ControlError("sender {id, name?} is required")
    message = current_network().messenger.customer_message(
        _page_id(body), _text(body), sender, created_at=_time(body.get("created_at")))
    return _created(message.id, conversation_id=message.conversation_id)


@bp.post("/messenger/page-messages")
def messenger_page_message():
    body = _body()
    try:
        message = current_network().messenger.page_inbox_message(
            _page_id(body), str(body.get("recipient_id") or ""), _text(body))
    except KeyError:
        raise ControlError(f"no conversation with {body.get('recipient_id')!r}", 404) from None
    return _created(message.id, conversation_id=message.conversation_id)


@bp.post("/messenger/human-agent")
def messenger_human_agent():
    body = _body()
    page_id = _page_id(body)
    current_network().messenger.set_human_agent(page_id, bool(body.get("enabled", True)))
    return jsonify({"page_id": page_id, "human_agent": bool(body.get("enabled", True))})
