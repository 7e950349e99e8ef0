"""The domain's fixed words (docs/design.md, "Domain"), declared once and free of any dependency.

Models, connectors' items, API schemas and the SLA rules all take these from here.
"""
NETWORKS = ("twitter", "facebook", "custom")
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
