"""Conversations: list, counts, detail, and the actions agents take (update, claim, bulk, reply, note, move to DM)."""
from flask import current_app, jsonify, request
from flask_login import current_user
from spectree import Response
from flask_babel import lazy_gettext as _l

from app.api import bp, require, spec
from app.api.schemas import (
    BulkIn,
    BulkOut,
    ConflictOut,
    ConversationDetailOut,
    ConversationListOut,
    ConversationOut,
    ConversationPatchIn,
    ConversationQuery,
    CountsOut,
    ErrorOut,
    MessageOut,
    MoveToPrivateIn,
    MoveToPrivateOut,
    NoteIn,
    ReplyIn,
)
from app.conversations import actions, moving, replies, sending
from app.conversations.queries import counts, detail, list_conversations
from app.errors import ApiError
from app.extensions import db
from app.serialize import conversation_summary, message_dict

LIST_FILTERS = ("status", "assignee", "sla", "account", "network", "channel", "language", "tag", "team", "q")


@bp.get("/conversations")
@require("read")
@spec.validate(query=ConversationQuery, resp=Response(HTTP_200=ConversationListOut, HTTP_400=ErrorOut), tags=["conversations"])
def get_conversations(query: ConversationQuery):
    """List conversations, most urgent first by default."""
    filters = query.model_dump(include=set(LIST_FILTERS))
    rows, next_cursor = list_conversations(filters, user=current_user, limit=query.limit, cursor=query.cursor, sort=query.sort)
    return jsonify({"items": [conversation_summary(c) for c in rows], "next_cursor": next_cursor})


@bp.get("/conversations/counts")
@require("read")
@spec.validate(query=ConversationQuery, resp=Response(HTTP_200=CountsOut), tags=["conversations"])
def get_conversation_counts(query: ConversationQuery):
    """How many conversations each filter value would show, given the other filters."""
    return jsonify(counts(query.model_dump(include=set(LIST_FILTERS)), user=current_user))


@bp.get("/conversations/<int:conversation_id>")
@require("read")
@spec.validate(resp=Response(HTTP_200=ConversationDetailOut, HTTP_404=ErrorOut), tags=["conversations"])
def get_conversation(conversation_id):
    """A conversation with its customer, messages (thread order), earlier and related conversations, SLA clock,
    and what the composer needs: the reply limit, the messaging window (private), whether it can move to DM."""
    conv = actions.get_or_404(db.session, conversation_id, viewer=current_user)
    return jsonify(detail(conv, viewer=current_user))


@bp.patch("/conversations/<int:conversation_id>")
@require("write")
@spec.validate(json=ConversationPatchIn, resp=Response(HTTP_200=ConversationOut, HTTP_404=ErrorOut, HTTP_409=ErrorOut,
                                                        HTTP_422=ErrorOut), tags=["conversations"])
def patch_conversation(conversation_id, json: ConversationPatchIn):
    """Change status, priority, tags, assignee (null unassigns), spam flag or (managers) team."""
    conv = actions.get_or_404(db.session, conversation_id, viewer=current_user)
    fields = json.model_dump(exclude_unset=True)
    if "status" in fields and fields["status"] is None or "priority" in fields and fields["priority"] is None:
        raise ApiError(422, _l("status and priority cannot be null."), code="validation_error")
    actions.update_conversation(db.session, conv, actor=current_user, **fields)
    db.session.commit()
    return jsonify(conversation_summary(conv))


@bp.post("/conversations/<int:conversation_id>/claim")
@require("write")
@spec.validate(resp=Response(HTTP_200=ConversationOut, HTTP_404=ErrorOut, HTTP_409=ErrorOut), tags=["conversations"])
def claim_conversation(conversation_id):
    """Assign the conversation to me (409 when a colleague holds it)."""
    conv = actions.get_or_404(db.session, conversation_id, viewer=current_user)
    actions.claim(db.session, conv, actor=current_user)
    db.session.commit()
    return jsonify(conversation_summary(conv))


@bp.post("/conversations/bulk")
@require("write")
@spec.validate(json=BulkIn, resp=Response(HTTP_200=BulkOut, HTTP_422=ErrorOut), tags=["conversations"])
def bulk_conversations(json: BulkIn):
    """One action on a selection: assign, unassign, tag, untag, resolve, reopen, spam, priority."""
    updated, errors = actions.bulk_update(db.session, json.ids, json.action, json.value, actor=current_user)
    db.session.commit()
    return jsonify({"updated": updated, "errors": errors})


@bp.post("/conversations/<int:conversation_id>/replies")
@require("write")
@spec.validate(json=ReplyIn, resp=Response(HTTP_200=MessageOut, HTTP_202=MessageOut, HTTP_404=ErrorOut,
                                            HTTP_409=ConflictOut, HTTP_422=ErrorOut), tags=["conversations"])
def post_reply(conversation_id, json: ReplyIn):
    """Reply to the customer through the account's network (a direct message in a private conversation).

    Send `last_seen_message_id`: when the customer wrote again or someone else replied after it, the
    answer is 409 with `newer_messages` and nothing is sent. An `Idempotency-Key` header makes retries safe.
    Private conversations are refused before queueing (422) when the messaging window is closed
    (`outside_window`), the customer does not accept DMs (`recipient_refuses_dms`), or the text is longer
    than the network's DM limit (`reply_too_long`); past 24 hours on Messenger with the account's human-agent
    permission, the reply is sent tagged (`send_as: "human_agent"`). A public reply the network refuses
    ends `failed` with its reason in `delivery_error_code` when Carebox explains it (Instagram:
    comment_hidden, comment_deleted, live_comment, comments_disabled).
    """
    key = (request.headers.get("Idempotency-Key") or "").strip()[:100] or None
    message, created = replies.create_reply(
        db.session, conversation_id, author=current_user, text=json.text,
        in_reply_to_message_id=json.in_reply_to_message_id, last_seen_message_id=json.last_seen_message_id,
        idempotency_key=key,
    )
    db.session.commit()
    if created:
        sending.dispatch(current_app._get_current_object(), message.id)
    return jsonify(message_dict(message)), 202 if created else 200


@bp.post("/conversations/<int:conversation_id>/move-to-private")
@require("write")
@spec.validate(json=MoveToPrivateIn, resp=Response(HTTP_200=MoveToPrivateOut, HTTP_201=MoveToPrivateOut,
                                                    HTTP_404=ErrorOut, HTTP_409=ConflictOut, HTTP_422=ErrorOut),
               tags=["conversations"])
def move_to_private(conversation_id, json: MoveToPrivateIn):
    """Move a public conversation to DM: a Private Reply to the latest comment (Facebook, Instagram: on a
    live video only while it is live, `live_ended` otherwise), or a public reply
    with a DM link and the first DM (X). 201 with the private conversation; 200 with the same when it had
    moved already. 422 with the reason (`can_move_to_private.reason` of the detail) when it cannot move."""
    moved = moving.move_to_private(db.session, conversation_id, author=current_user, text=json.text,
                                   last_seen_message_id=json.last_seen_message_id)
    db.session.commit()
    if moved.moved_now:
        app = current_app._get_current_object()
        for message in moved.messages:
            sending.dispatch(app, message.id)
    body = {"conversation": detail(moved.private, viewer=current_user), "public": conversation_summary(moved.public),
            "messages": [message_dict(m) for m in moved.messages]}
    return jsonify(body), 201 if moved.moved_now else 200


@bp.post("/conversations/<int:conversation_id>/notes")
@require("write")
@spec.validate(json=NoteIn, resp=Response(HTTP_201=MessageOut, HTTP_404=ErrorOut, HTTP_422=ErrorOut), tags=["conversations"])
def post_note(conversation_id, json: NoteIn):
    """A private note for colleagues; @name mentions notify them."""
    note = replies.create_note(db.session, conversation_id, author=current_user, text=json.text, mention_ids=json.mentions)
    db.session.commit()
    return jsonify(message_dict(note)), 201
