"""Sandbox settings: the defaults, and how a caller's overrides are merged into them.

Rate limits are the real networks' defaults; tests shrink them (e.g. 3 calls
per 10 s) by passing overrides to `create_sandbox_app(settings)` or to
`network.reset(settings)`.
"""
import copy

from app.sandbox.demo_accounts import DEMO_FACEBOOK, DEMO_INSTAGRAM, DEMO_PAGE_POSTS, DEMO_X

DEFAULT_SETTINGS = {
    # X API v2: calls per fixed window, per endpoint and credential ("user" = OAuth 1.0a
    # user context, "app" = app-only bearer; 0 = not allowed with that kind of auth).
    "x_rate_limit_window": 900,
    "x_rate_limits": {
        "mentions": {"user": 180, "app": 450},
        "user_tweets": {"user": 900, "app": 1500},
        "users_me": {"user": 75, "app": 0},
        "user_lookup": {"user": 900, "app": 300},
        "create_tweet": {"user": 100, "app": 0},
        "dm_lookup": {"user": 300, "app": 0},  # the three DM event GETs share this window
        "dm_send": {"user": 200, "app": 0},  # both DM POSTs
        "hide_replies": {"user": 50, "app": 0},  # PUT /2/tweets/:id/hidden (app/sandbox/x_moderation.py)
        "likes": {"user": 50, "app": 0},  # POST /2/users/:id/likes
        "unlikes": {"user": 50, "app": 0},  # DELETE /2/users/:id/likes/:tweet_id
    },
    "x_hidden_per_conversation": 725,  # X hides at most this many posts in one conversation
    # X DM sends per 24 h per user (the brand's access token) and per app (its consumer key).
    "x_dm_daily_window": 86400,
    "x_dm_daily_limits": {"user": 1000, "app": 15000},
    # Graph API: calls per window per page token and per app (X-Page-Usage / X-App-Usage).
    "graph_rate_limit_window": 3600,
    "graph_rate_limits": {"page": 4800, "app": 20000},
    # Traffic generator: customer posts per minute (0 = off), random seed (None = random).
    "traffic_rate": 0,
    "traffic_seed": None,
    # Waves (traffic_waves.py): spam waves and complaint bursts per hour while the generator runs (0 = none).
    "traffic_wave_rate": 0,
    # Share of generated Facebook comments that come without `from` (customer privacy).
    "anonymous_comment_share": 0.1,
    # Direct messages in generated traffic: the share of events that are a customer's DM (X DM or Messenger),
    # the share of those from a customer who wrote publicly first (the rest write only in private), and the
    # share of events that are the brand answering a DM natively (X app, Page inbox: outside Carebox).
    "traffic_private_share": 0.25,
    "traffic_moved_share": 0.5,
    "traffic_brand_native_share": 0.05,
    # Instagram (app/sandbox/instagram*.py): the Business Use Case budget is 4800 calls (tests shrink the
    # factor) x the account's impressions per window (24 h); the shares of generated events that happen on Instagram, of those that
    # mention the brand elsewhere (a caption or a comment on someone else's media), and of those that are the
    # brand answering natively from the Instagram app.
    "instagram_impressions": 100,
    "instagram_calls_per_impression": 4800,
    "instagram_rate_limit_window": 86400,
    "traffic_instagram_share": 0.3,
    "traffic_instagram_mention_share": 0.15,
    "traffic_instagram_native_share": 0.1,
    # Seed accounts: dicts shaped like DEMO_X / DEMO_FACEBOOK / DEMO_INSTAGRAM (linked to a page).
    "x_accounts": [DEMO_X],
    "facebook_pages": [DEMO_FACEBOOK],
    "instagram_accounts": [DEMO_INSTAGRAM],  # seeded only when their page is
    "page_posts": DEMO_PAGE_POSTS,  # published on every seeded page
    "default_fault_delay": 3.0,  # seconds a "timeout" fault sleeps when no delay is given
    # Facebook webhooks (app/sandbox/push.py): [{"page_id", "callback_url", "verify_token"}] subscribed at
    # start, each request's timeout, how often a delivery / the handshake is tried, the first retry delay.
    "facebook_push_subscriptions": [],
    "push_timeout": 5.0,
    "push_attempts": 4,
    "push_verify_attempts": 8,
    "push_retry_delay": 0.5,
    # Messenger (app/sandbox/messenger.py): Conversations API calls per second per Page, and the pages
    # granted the Human Agent permission (HUMAN_AGENT tag up to 7 days).
    "messenger_conversations_per_second": 2,
    "messenger_human_agent_pages": [],
    # Moderation: pages whose token lacks pages_manage_engagement (hiding, deleting, liking refused with #200),
    # and Instagram's burst limit on likes (more than this many calls in the window lock the account out).
    "facebook_pages_without_engagement": [],
    "instagram_like_burst": 50,
    "instagram_like_burst_window": 5,
}


def merge_settings(overrides=None, base=None):
    """A deep copy of `base` (the defaults) with `overrides` merged in, dicts recursively."""
    merged = copy.deepcopy(base if base is not None else DEFAULT_SETTINGS)
    for key, value in (overrides or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_settings(value, merged[key])
        else:
            merged[key] = copy.deepcopy(value)
    return merged
