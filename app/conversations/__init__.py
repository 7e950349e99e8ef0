"""Conversations: the inbox queries and the actions agents take on them."""

from app.conversations import replies as _replies  # noqa: E402
from app.rules.auto_reply import use_replies as _use_replies  # noqa: E402

# Rules run inside ingest, below this package: they queue automatic answers through these.
_use_replies(queue_outbound=_replies.queue_outbound, check_reply_text=_replies.check_reply_text,
             private_send_as=_replies.private_send_as)
