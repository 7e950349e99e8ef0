"""Each brand's conversations as nested threads, for the HTML page and GET /_sandbox/timeline."""


def build_timelines(network):
    with network.lock:
        timelines = [_x_timeline(network, account.user) for account in network.x_accounts.values()]
        timelines += [_page_timeline(network, page) for page in network.pages.values()]
        timelines += [_instagram_timeline(network, account) for account in network.instagram.accounts.values()]
    return timelines


def _x_timeline(network, brand):
    # Every conversation the brand takes part in: mentions of it and its own tweets.
    tweets = [t for t in network.tweets.values()
              if not t.deleted and (brand.id in t.mention_ids or t.author_id == brand.id)]
    children = {}
    for tweet in tweets:
        children.setdefault(tweet.in_reply_to_tweet_id, []).append(tweet)
    known = {t.id for t in tweets}
    roots = [t for t in tweets if t.in_reply_to_tweet_id not in known]

    def node(tweet):
        author = network.x_users.get(tweet.author_id)
        replies = sorted(children.get(tweet.id, []), key=lambda t: int(t.id))
        return {
            "id": tweet.id, "text": tweet.text, "created_at": tweet.created_at.isoformat(),
            "author": None if tweet.minimal or author is None else author.name,
            "handle": None if tweet.minimal or author is None else author.username,
            "from_brand": tweet.author_id == brand.id, "via_api": tweet.via_api,
            "replies": [node(r) for r in replies],
        }

    threads = sorted((node(r) for r in roots), key=_latest_activity, reverse=True)
    return {"network": "twitter", "account": brand.id, "name": f"@{brand.username}", "threads": threads}


def _page_timeline(network, page):
    threads = []
    for post in network.feed(page.id):
        comments = network.comments_of(post)
        threads.append({
            "id": post.id, "text": post.message, "created_at": post.created_time.isoformat(),
            "author": page.name, "handle": None, "from_brand": True, "via_api": False,
            "replies": sorted((_comment_node(network, page, c) for c in comments),
                              key=_latest_activity, reverse=True),
        })
    return {"network": "facebook", "account": page.id, "name": page.name, "threads": threads}


def _comment_node(network, page, comment):
    return {
        "id": comment.id, "text": comment.message, "created_at": comment.created_time.isoformat(),
        "author": comment.author["name"] if comment.author else None, "handle": None,
        "from_brand": bool(comment.author and comment.author["id"] == page.id), "via_api": comment.via_api,
        "replies": [_comment_node(network, page, r) for r in network.comments_of(comment)],
    }


def _latest_activity(node):
    return max([node["created_at"]] + [_latest_activity(r) for r in node["replies"]])


def _instagram_timeline(network, account):
    book = network.instagram
    threads = []
    for media in book.media_of(account):
        threads.append({
            "id": media.id, "text": media.caption, "created_at": media.timestamp.isoformat(),
            "author": account.name, "handle": account.username, "from_brand": True, "via_api": False,
            "replies": sorted((_ig_comment_node(book, account, c) for c in book.top_level(media)),
                              key=_latest_activity, reverse=True),
        })
    return {"network": "instagram", "account": account.id, "name": f"@{account.username}", "threads": threads}


def _ig_comment_node(book, account, comment):
    return {
        "id": comment.id, "text": comment.text, "created_at": comment.timestamp.isoformat(),
        "author": comment.author["username"], "handle": comment.author["username"],
        "from_brand": comment.author["id"] == account.id, "via_api": comment.via_api,
        "replies": [_ig_comment_node(book, account, r) for r in book.replies_of(comment)]
        if comment.parent_id is None else [],
    }
