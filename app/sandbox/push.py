"""Facebook webhooks from the sandbox: page feed changes pushed to subscribed callback URLs, like Facebook.

Subscribing (the control endpoint, or the "facebook_push_subscriptions" setting) starts
Facebook's handshake: GET callback?hub.mode=subscribe&hub.challenge=<n>&hub.verify_token=<t>;
the subscription is active once the callback answers 200 with the challenge. The handshake
is retried with backoff, because a receiver may still be starting (`flask demo`).

Then every comment added on the page (a customer's or the page's own) is POSTed as
{"object": "page", "entry": [{"id", "time", "changes": [{"field": "feed", "value": {...}}]}]}
signed with X-Hub-Signature-256: "sha256=" + hex HMAC-SHA256 of the raw body with the page's
app secret. Like Facebook, the body escapes non-ASCII characters and slashes, so a receiver
must verify the bytes it received, not a re-encoding of the parsed JSON.

Instagram (app/sandbox/instagram.py, messenger.py) goes to the subscription of the page the IG account is
linked to, as {"object": "instagram", "entry": [{"id": <ig-user-id>, "time", "changes" | "messaging"}]},
signed the same way and sent in order (one thread, like Messenger's).

Everything is sent from a small thread pool: the API call that added the comment never
waits. Each request has a timeout; failed deliveries (no answer, not 2xx) are retried a few
times with exponential backoff and jitter, then recorded as failed (Facebook would retry for
longer; the poller is Carebox's safety net). reset() and stop() abandon what is pending.
"""
import hashlib
import hmac
import json
import logging
import random
import secrets
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

import requests

from app.sandbox.graph_objects import fb_time

log = logging.getLogger(__name__)

USER_AGENT = "facebookexternalua"
MAX_RETRY_DELAY = 10.0  # seconds; the backoff doubles up to this


@dataclass
class Subscription:
    page_id: str
    callback_url: str
    verify_token: str
    state: str = "pending"  # pending (handshake not done yet), active, failed (handshake refused)
    error: str | None = None
    handshake_attempts: int = 0

    def to_dict(self):
        return {k: v for k, v in asdict(self).items() if k != "verify_token"}


class Refusal(Exception):
    """A definite answer that retrying will not change (a handshake refused)."""


class _Run:
    """The deliveries of one generation: reset() and stop() end it, waking any retry that waits."""

    def __init__(self):
        self.ended = threading.Event()


class FacebookPushSender:
    def __init__(self, network):
        self.network = network
        self._lock = threading.Lock()
        self._subscriptions = {}  # page id -> Subscription (one callback per page, as per Facebook app)
        self._deliveries = deque(maxlen=200)  # the latest outcomes, for tests and curious humans
        self._executor = None
        self._ordered = None  # one thread: Messenger events arrive in order ("messages are always sent in order")
        self._run = _Run()

    # ---------------------------------------------------------- subscriptions

    def subscribe(self, page_id, callback_url, verify_token):
        """Subscribe `callback_url` to the page's feed; the handshake runs in the background."""
        page_id = str(page_id)
        if page_id not in self.network.pages:
            raise KeyError(page_id)
        if urlsplit(callback_url).scheme not in ("http", "https") or not urlsplit(callback_url).netloc:
            raise ValueError("callback_url must be an http(s) URL")
        if not verify_token:
            raise ValueError("verify_token is required")
        subscription = Subscription(page_id, callback_url, str(verify_token))
        with self._lock:
            self._subscriptions[page_id] = subscription
            run = self._run
        self._submit(self._verify, subscription, run)
        return subscription

    def unsubscribe(self, page_id=None):
        with self._lock:
            if page_id is None:
                self._subscriptions.clear()
            else:
                self._subscriptions.pop(str(page_id), None)

    def subscriptions(self):
        with self._lock:
            return [s.to_dict() for s in self._subscriptions.values()]

    def deliveries(self):
        """What happened to the latest pushes, newest first."""
        with self._lock:
            return list(reversed(self._deliveries))

    def reset(self, subscriptions=()):
        """Forget every subscription and pending delivery, then subscribe the given ones (settings)."""
        self._end_run()
        with self._lock:
            self._subscriptions.clear()
            self._deliveries.clear()
        for sub in subscriptions or ():
            self.subscribe(sub["page_id"], sub["callback_url"], sub["verify_token"])

    def stop(self):
        self._end_run()
        with self._lock:
            executors, self._executor, self._ordered = (self._executor, self._ordered), None, None
        for executor in executors:
            if executor is not None:
                executor.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------------ events

    def comment_added(self, page, post, comment):
        """Called by the network (under its lock) for every new comment: queue the push, return at once."""
        with self._lock:
            subscription = self._subscriptions.get(page.id)
            run = self._run
        if subscription is None or subscription.state != "active":
            return  # Facebook sends nothing until the callback passed the handshake
        body = encode_body(feed_comment_payload(page, post, comment))
        self._submit(self._deliver, subscription, body, page.app_secret, {"comment_id": comment.id}, run)

    def messaging_event(self, page, payload):
        """A Messenger `messages` webhook (app/sandbox/messenger.py), queued behind the page's earlier ones."""
        with self._lock:
            subscription = self._subscriptions.get(page.id)
            run = self._run
        if subscription is None or subscription.state != "active":
            return
        (event,) = payload["entry"][0]["messaging"]
        self._submit(self._deliver, subscription, encode_body(payload), page.app_secret,
                     {"mid": event["message"]["mid"]}, run, ordered=True)

    def instagram_change(self, account, field, value):
        """An `instagram` webhook change (comments, live_comments, mentions) for IG account `account`, sent to its
        page's subscription, signed with the page's app secret, in order behind the account's earlier ones."""
        payload = {"object": "instagram", "entry": [{"id": account.id, "time": int(time.time()),
                                                     "changes": [{"field": field, "value": value}]}]}
        self._instagram(account, payload, {"field": field, **{k: value[k] for k in ("id", "comment_id", "media_id")
                                                              if k in value}})

    def instagram_messaging(self, account, event):
        """An Instagram DM or echo (`messaging`, is_echo on echoes: Instagram has no message_echoes field)."""
        payload = {"object": "instagram", "entry": [{"id": account.id, "time": int(time.time() * 1000),
                                                     "messaging": [event]}]}
        self._instagram(account, payload, {"field": "messaging", "mid": event["message"]["mid"]})

    def _instagram(self, account, payload, ref):
        page = self.network.pages.get(account.page_id)
        with self._lock:
            subscription = self._subscriptions.get(account.page_id)
            run = self._run
        if page is None or subscription is None or subscription.state != "active":
            return
        self._submit(self._deliver, subscription, encode_body(payload), page.app_secret,
                     {"ig_user_id": account.id, **ref}, run, ordered=True)

    # ------------------------------------------------------------------ sending

    def _submit(self, fn, *args, ordered=False):
        with self._lock:
            if ordered and self._ordered is None:
                self._ordered = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sandbox-push-ordered")
            if not ordered and self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="sandbox-push")
            executor = self._ordered if ordered else self._executor
        try:
            executor.submit(self._guarded, fn, *args)
        except RuntimeError:  # stopped meanwhile
            pass

    @staticmethod
    def _guarded(fn, *args):
        try:
            fn(*args)
        except Exception:  # a bug here must not kill the pool thread silently
            log.exception("sandbox push failed")

    def _settings(self, name):
        return self.network.settings[name]

    def _verify(self, subscription, run):
        challenge = str(secrets.randbelow(9 * 10 ** 9) + 10 ** 9)  # Facebook's are 10-digit numbers
        params = {"hub.mode": "subscribe", "hub.challenge": challenge, "hub.verify_token": subscription.verify_token}

        def attempt():
            subscription.handshake_attempts += 1
            response = requests.get(subscription.callback_url, params=params, timeout=self._settings("push_timeout"),
                                    headers={"User-Agent": USER_AGENT})
            if response.status_code == 200 and response.text.strip() == challenge:
                return None
            error = f"the callback answered {response.status_code} without echoing hub.challenge"
            if response.status_code < 500:
                raise Refusal(error)  # e.g. 403: the verify token did not match
            return error  # not ready yet: try again

        attempts, error = self._with_retries(attempt, self._settings("push_verify_attempts"), run)
        with self._lock:
            if self._subscriptions.get(subscription.page_id) is subscription and not run.ended.is_set():
                subscription.state, subscription.error = ("active", None) if error is None else ("failed", error)

    def _deliver(self, subscription, body, app_secret, ref, run):
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Hub-Signature": "sha1=" + hmac.new(app_secret.encode(), body, hashlib.sha1).hexdigest(),
            "X-Hub-Signature-256": "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest(),
        }
        statuses = []

        def attempt():
            response = requests.post(subscription.callback_url, data=body, headers=headers,
                                     timeout=self._settings("push_timeout"))
            statuses.append(response.status_code)
            return None if 200 <= response.status_code < 300 else f"the callback answered {response.status_code}"

        attempts, error = self._with_retries(attempt, self._settings("push_attempts"), run)
        outcome = "abandoned" if run.ended.is_set() else "delivered" if error is None else "failed"
        with self._lock:
            self._deliveries.append({
                "page_id": subscription.page_id, "callback_url": subscription.callback_url, **ref,
                "outcome": outcome, "attempts": attempts, "statuses": statuses, "error": error,
            })

    def _with_retries(self, attempt, max_attempts, run):
        """Call attempt() (None on success, else an error text) until it succeeds, with backoff and jitter.

        Returns (attempts made, last error or None). Stops early when the run ends or on a Refusal.
        """
        delay = self._settings("push_retry_delay")
        error = None
        for number in range(1, max_attempts + 1):
            if run.ended.is_set():
                return number - 1, error or "abandoned"
            try:
                error = attempt()
            except Refusal as refusal:
                return number, str(refusal)
            except requests.Timeout:
                error = "the callback did not answer in time"
            except requests.RequestException as exc:
                error = f"cannot reach the callback: {type(exc).__name__}"
            if error is None:
                return number, None
            if number < max_attempts:
                run.ended.wait(min(delay, MAX_RETRY_DELAY) * random.uniform(0.5, 1.5))
                delay *= 2
        return max_attempts, error

    def _end_run(self):
        with self._lock:
            run, self._run = self._run, _Run()
        run.ended.set()


def feed_comment_payload(page, post, comment):
    """The webhook body Facebook sends for a comment added on a page post."""
    value = {
        "post": {
            "status_type": "mobile_status_update", "is_published": True, "updated_time": fb_time(post.updated_time),
            "permalink_url": f"https://www.facebook.com/{page.id}/posts/{post.number}", "promotion_status": "inactive",
            "id": post.id,
        },
        "message": comment.message,
        "post_id": post.id,
        "comment_id": comment.id,
        "created_time": int(comment.created_time.timestamp()),
        "item": "comment",
        "parent_id": comment.parent_id or post.id,  # a top-level comment's parent is the post
        "verb": "add",
    }
    if comment.author:  # withheld for some commenters, as on Facebook
        value = {"from": {"id": comment.author["id"], "name": comment.author.get("name")}, **value}
    return {"entry": [{"id": page.id, "time": int(time.time()), "changes": [{"value": value, "field": "feed"}]}],
            "object": "page"}


def encode_body(payload):
    """Facebook's encoding: non-ASCII as lowercase \\u escapes, and slashes escaped too."""
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/").encode()
