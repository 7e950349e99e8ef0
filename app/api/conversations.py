"""Conversations: list with filters and cursor pagination, and one with its messages."""
from flask import jsonify
from flask_login import current_user
from spectree import Response

from app.api import bp, require, spec
from app.api.schemas import ConversationDetailOut, ConversationListOut, ConversationQuery, ErrorOut
from app.conversations.queries import list_conversations
from app.errors import ApiError
from app.extensions import db
from app.models import Conversation
from app.serialize import conversation_summary, message_dict


@bp.get("/conversations")
@require("read")
@spec.validate(query=ConversationQuery, resp=Response(HTTP_200=ConversationListOut, HTTP_400=ErrorOut), tags=["conversations"])
def get_conversations(query: ConversationQuery):
    """List conversations, most urgent first by default."""
    filters = query.model_dump(exclude={"sort", "cursor", "limit"})
    rows, next_cursor = list_conversations(filters, user=current_user, limit=query.limit, cursor=query.cursor, sort=query.sort)
    return jsonify({"items": [conversation_summary(c) for c in rows], "next_cursor": next_cursor})


def get_conversation_or_404(conversation_id):
    conv = db.session.get(Conversation, conversation_id)
    if conv is None:
        raise ApiError(404, f"There is no conversation {conversation_id}.")
    return conv


@bp.get("/conversations/<int:conversation_id>")
@require("read")
@spec.validate(resp=Response(HTTP_200=ConversationDetailOut, HTTP_404=ErrorOut), tags=["conversations"])
def get_conversation(conversation_id):
    """A conversation with its contact, messages and SLA clock."""
    conv = get_conversation_or_404(conversation_id)
    body = conversation_summary(conv)
    body["messages"] = [message_dict(m) for m in conv.messages]
    return jsonify(body)
