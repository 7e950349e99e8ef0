"""The well-known demo credentials the sandbox is seeded with.

`flask demo` connects Carebox accounts with exactly these values, so they
must not change. They are not secrets: the sandbox runs on loopback only.
"""

DEMO_X = {
    "user_id": "1500000000000000001",
    "username": "carebox_demo",
    "name": "Carebox Demo",
    "bearer_token": "sandbox-x-bearer",
    "consumer_key": "sandbox-x-consumer-key",
    "consumer_secret": "sandbox-x-consumer-secret",
    # Real X access tokens start with the user id and a dash; tweepy relies on that.
    "access_token": "1500000000000000001-sandbox-x-access-token",
    "access_token_secret": "sandbox-x-access-token-secret",
}

DEMO_FACEBOOK = {
    "page_id": "110000000000001",
    "name": "Carebox Demo Page",
    "page_access_token": "sandbox-fb-page-token",
    "app_id": "1000000000000001",
    "app_secret": "sandbox-fb-app-secret",
    "graph_version": "v21.0",
}

# What the demo page has published before the sandbox starts, oldest first.
DEMO_PAGE_POSTS = [
    "Welcome to the Carebox Demo Page! Questions about your order? Ask in the comments and our team will answer.",
    "New this week: same-day delivery in more cities. Tell us what you think below 👇",
]
