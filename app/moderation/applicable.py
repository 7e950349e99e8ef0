"""Which moderation actions make sense for a message, before anything is asked of the network.

Only a customer's public message on a network with a connector can be moderated. Hiding: a Facebook or
Instagram comment on the brand's own post or media, or an X reply (X hides only replies in conversations the
brand started; a plain mention is the customer's own conversation, and the network has the last word on the
rest). Deleting: Facebook and Instagram comments only (X cannot delete a customer's post). Liking: all three.
A message deleted on the network takes no further action.
"""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.domain_errors import Conflict, Invalid
from app.models import Conversation, Post

MODERATED_NETWORKS = ("twitter", "facebook", "instagram")
HIDING = ("hide", "unhide")
# What a message's state looks like after each action: (the column, its value).
TARGETS = {
    "hide": ("moderation", "hidden"),
    "unhide": ("moderation", "visible"),
    "delete": ("moderation", "deleted"),
    "like": ("liked", True),
    "unlike": ("liked", False),
}


def family(action):
    """The actions that set the same column as `action` (a later one of them supersedes a pending one)."""
    column = TARGETS[action][0]
    return {name for name, (col, _) in TARGETS.items() if col == column}


def not_applicable(message, reason):
    return Invalid(message, code="cannot_moderate", reason=reason)


def check_applicable(session, message, action):
    """Raise Invalid (code cannot_moderate, with the refusal `reason` the network would give) or Conflict
    (deleted already) unless `action` makes sense for `message`."""
    if message.moderation == "deleted":
        raise Conflict(_l("This message is deleted on the network already."), code="message_deleted")
    if message.direction != "inbound" or not message.external_id:
        raise not_applicable(_l("Only customers' messages can be moderated on the network."), "not_supported")
    conversation = session.get(Conversation, message.conversation_id)
    if message.network not in MODERATED_NETWORKS or conversation is None or conversation.channel != "public":
        raise not_applicable(_l("Direct messages and custom channels cannot be moderated on the network."),
                             "not_supported")
    if message.network == "twitter":
        if action == "delete":
            raise not_applicable(_l("X does not let a brand delete a customer's post; hide it instead."),
                                 "not_supported")
        if action in HIDING and not message.in_reply_to_external_id:
            raise not_applicable(_l("X hides only replies in conversations the brand started, not mentions."),
                                 "not_hideable")
        return
    if action in HIDING or action == "delete" or message.network == "instagram":
        _check_comment_on_own_post(session, message, action)


def _check_comment_on_own_post(session, message, action):
    """Facebook and Instagram moderate comments on the brand's own posts; a caption that mentions the brand
    is someone else's media, a comment there is theirs to moderate (liking it stays possible on Facebook)."""
    post_id = message.post_external_id
    if post_id and post_id == message.external_id:
        raise not_applicable(_l("This is a post, not a comment: only comments can be moderated."), "not_supported")
    if action in ("like", "unlike"):
        return
    owned = session.scalar(sa.select(Post.owned).where(Post.network == message.network,
                                                       Post.external_id == post_id)) if post_id else None
    if owned is False:
        raise not_applicable(_l("This comment is on someone else's post: only its owner can hide or delete it."),
                             "not_hideable")
