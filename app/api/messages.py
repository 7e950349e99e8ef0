"""POST /messages: push an inbound message from a custom channel through the one ingest path."""
from flask import current_app, jsonify
from flask_login import current_user
from spectree import Response
from flask_babel import lazy_gettext as _l

from app.api import bp, require, spec
from app.api.schemas import ConversationOut, ErrorOut, MessageCreatedOut, MessageIn, MessageOut
from app.conversations import replies, sending
from app.errors import ApiError
from app.extensions import db
from app.group_commit import ingest_pushed
from app.ingest.items import InboundAuthor, InboundItem
from app.models import Message
from app.serialize import conversation_summary, message_dict


@bp.post("/messages")
@require("write")
@spec.validate(
    json=MessageIn,
    resp=Response(HTTP_200=MessageCreatedOut, HTTP_201=MessageCreatedOut, HTTP_404=ErrorOut, HTTP_409=ErrorOut,
                  HTTP_422=ErrorOut, HTTP_503=ErrorOut),
    tags=["messages"],
)
def create_message(json: MessageIn):
    """Push a customer message from a custom channel.

    Idempotent on `external_id`: sending the same message again answers 200 with what was stored.
    """
    author = json.author
    item = InboundItem(
        external_id=json.external_id,
        text=json.text,
        created_at=json.created_at,
        author=InboundAuthor(author.external_id, author.handle, author.name, author.followers_count,
                             str(author.profile_url) if author.profile_url else None),
        in_reply_to=json.in_reply_to,
        network="custom",
    )
    result = ingest_pushed(db.session, json.account_id, item)
    if result.account_id is not None and result.account_id != json.account_id:
        raise ApiError(409, _l("This external_id is already stored for another account."), code="external_id_taken")
    if result.created:
        return jsonify(result.message), 201
    return jsonify(message_dict(db.session.get(Message, result.message_id))), 200


@bp.post("/messages/<int:message_id>/retry")
@require("write")
@spec.validate(resp=Response(HTTP_202=MessageOut, HTTP_404=ErrorOut, HTTP_409=ErrorOut), tags=["messages"])
def retry_message(message_id):
    """Send a failed or unknown reply again (the agent decided it should go out)."""
    message = replies.retry_reply(db.session, message_id, actor=current_user)
    db.session.commit()
    sending.dispatch(current_app._get_current_object(), message.id)
    return jsonify(message_dict(message)), 202


@bp.post("/messages/<int:message_id>/discard")
@require("write")
@spec.validate(resp=Response(HTTP_200=ConversationOut, HTTP_404=ErrorOut, HTTP_409=ErrorOut), tags=["messages"])
def discard_message(message_id):
    """Give up on a failed or unknown reply; it leaves the thread."""
    conv = replies.discard_reply(db.session, message_id, actor=current_user)
    db.session.commit()
    return jsonify(conversation_summary(conv))
