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

# The demo page's Instagram professional account: linked to the page, it uses the page's token and app.
DEMO_INSTAGRAM = {
    "ig_user_id": "17841400000000001",
    "username": "carebox.demo",
    "name": "Carebox Demo",
    "page_id": DEMO_FACEBOOK["page_id"],
    "page_access_token": DEMO_FACEBOOK["page_access_token"],
    "app_id": DEMO_FACEBOOK["app_id"],
    "app_secret": DEMO_FACEBOOK["app_secret"],
    "graph_version": DEMO_FACEBOOK["graph_version"],
}

# What the demo Instagram account has published before the sandbox starts: (hours ago, kind, caption).
DEMO_INSTAGRAM_MEDIA = [
    (240, "image", "Meet the Carebox Demo team 👋 Questions about an order? Ask in the comments."),
    (120, "carousel", "Our new packaging, in three pictures. 100% recycled ♻️ Swipe →"),
    (48, "reel", "How same-day delivery works, in 30 seconds 🚚"),
    (6, "image", "Weekend sale: 20% off everything in the app until Sunday night. Tell us what you'll get!"),
]

# What the demo page has published before the sandbox starts, oldest first.
DEMO_PAGE_POSTS = [
    "Welcome to the Carebox Demo Page! Questions about your order? Ask in the comments and our team will answer.",
    "New this week: same-day delivery in more cities. Tell us what you think below 👇",
]


def numbered_brand(network, number):
    """Credentials of sandbox brand `number` (1, 2, …) on "twitter", "facebook" or "instagram", shaped like
    DEMO_X / DEMO_FACEBOOK / DEMO_INSTAGRAM, for tests and benches that connect many brands (network.add_brands
    registers them; an Instagram brand is linked to Facebook brand `number`'s page and uses its token and app).

    Each page has its own app, as pages connected by different agencies would: the sandbox's app-wide
    Graph budget is then per brand too."""
    if network == "twitter":
        user_id = str(1600000000000000000 + number)
        return {
            "user_id": user_id, "username": f"brand_{number}", "name": f"Brand {number}",
            "bearer_token": f"sandbox-x-bearer-{number}", "consumer_key": f"sandbox-x-consumer-key-{number}",
            "consumer_secret": f"sandbox-x-consumer-secret-{number}",
            "access_token": f"{user_id}-sandbox-x-access-token-{number}",
            "access_token_secret": f"sandbox-x-access-token-secret-{number}",
        }
    if network == "facebook":
        return {
            "page_id": str(120000000000000 + number), "name": f"Brand {number} Page",
            "page_access_token": f"sandbox-fb-page-token-{number}", "app_id": str(2000000000000000 + number),
            "app_secret": f"sandbox-fb-app-secret-{number}", "graph_version": "v21.0",
        }
    if network == "instagram":
        page = numbered_brand("facebook", number)
        return {
            "ig_user_id": str(17841500000000000 + number), "username": f"brand.{number}", "name": f"Brand {number}",
            **{key: page[key] for key in ("page_id", "page_access_token", "app_id", "app_secret", "graph_version")},
        }
    raise ValueError(f"no numbered sandbox brands on {network!r}")
