"""The domain's fixed words (docs/design.md, "Domain"), declared once and free of any dependency.

Models, connectors' items, API schemas and the SLA rules all take these from here.
"""
NETWORKS = ("twitter", "facebook", "custom")
CHANNELS = ("public", "private")  # mentions, comments and replies; direct messages
STATUSES = ("open", "pending", "resolved")
PRIORITIES = ("low", "normal", "high", "urgent")
DIRECTIONS = ("inbound", "outbound", "note")
DELIVERY_STATES = ("queued", "sending", "sent", "failed", "unknown")
SLA_STATES = ("ok", "warning", "breached", "paused", "stopped")
SLA_LEVELS = ("ok", "warning", "breached")
