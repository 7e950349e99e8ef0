"""The domain's fixed words (docs/design.md, "Domain"), declared once and free of any dependency.

Models, connectors' items, API schemas and the SLA rules all take these from here.
"""
NETWORKS = ("twitter", "facebook", "instagram", "custom")
CHANNELS = ("public", "private")  # mentions, comments and replies; direct messages
POLICY_CHANNELS = ("any",) + CHANNELS  # what an SLA policy may target
# How an outbound message goes out when it is not a plain reply on its conversation's channel: a Facebook
# Private Reply to a comment (the move to DM), a Messenger message tagged HUMAN_AGENT (past 24 hours).
SEND_AS = ("private_reply", "human_agent")
STATUSES = ("open", "pending", "resolved")
PRIORITIES = ("low", "normal", "high", "urgent")
DIRECTIONS = ("inbound", "outbound", "note")
DELIVERY_STATES = ("queued", "sending", "sent", "failed", "unknown")
SLA_STATES = ("ok", "warning", "breached", "paused", "stopped")
SLA_LEVELS = ("ok", "warning", "breached")
# What an Instagram media (or a Facebook post) is, as the network names it: the context shown above a thread.
MEDIA_TYPES = ("IMAGE", "VIDEO", "CAROUSEL_ALBUM")  # Instagram media_type
MEDIA_PRODUCT_TYPES = ("FEED", "REELS", "STORY", "AD", "LIVE")  # where it is published (media_product_type)
# Work a push receiver leaves for a follow-up read (webhooks that carry only ids): app/push/followups.py.
FOLLOWUP_KINDS = (
    "mentioned_comment",  # an Instagram `mentions` webhook for a comment: read it through mentioned_comment
    "mentioned_media",  # a `mentions` webhook for a caption: read it through mentioned_media
    "media",  # a comment pushed on a media Carebox has no details of: read its caption, permalink, thumbnail
)
# Triage signals on an inbound message (docs/design.md, "Domain"; app/triage).
SENTIMENTS = ("negative", "neutral", "positive")
INTENTS = ("complaint", "question", "praise", "spam", "other")
# A public message's state on the network (moderation), and what agents and rules may do to it there.
MODERATION_STATES = ("visible", "hidden", "deleted")
MODERATION_ACTIONS = ("hide", "unhide", "delete", "like", "unlike")
# Why a conversation ranks high in the inbox (shown beside it): app/ranking.
PRIORITY_REASONS = ("followers", "negative", "complaint", "vip", "rule", "manual")
# Rules (app/rules): what a condition looks at and what an action does; a rule's `conditions` and `actions`
# are lists of {"type": one of these, ...its fields}.
RULE_CONDITIONS = (
    "network", "account", "channel", "keywords", "phrase", "regex", "language", "has_link", "only_emoji",
    "only_mention", "followers", "vip", "contact_tags", "sentiment", "intent", "business_hours",
)
RULE_ACTIONS = (
    "tag", "set_priority", "assign_team", "assign_agent", "apply_sla_policy", "exclude_from_sla", "hide",
    "mark_spam", "notify", "auto_reply",
)
# Spike alerts (app/alerts): what rose, per account, over the last 15 minutes against the same time of day.
ALERT_KINDS = ("volume", "negative_share")
ALERT_STATES = ("open", "ended")
# ISO 639-1 codes of the languages ingest detects (app/ingest/language.py); teams may own any of them (app/teams).
DETECTED_LANGUAGES = ("en", "ru", "be", "uk", "ar")
