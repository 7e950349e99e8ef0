"""Moderation on the network: hide, unhide, like, unlike and delete a customer's message, one or many."""
from flask import jsonify
from flask_login import current_user
from spectree import Response

from app import moderation
from app.api import bp, require, spec
from app.api.moderation_schemas import BulkModerationIn, BulkModerationOut, ModeratedOut, RefusedOut, UnavailableOut
from app.api.schemas import ErrorOut
from app.extensions import db
from app.serialize import message_dict

RESPONSES = dict(HTTP_200=ModeratedOut, HTTP_403=ErrorOut, HTTP_404=ErrorOut, HTTP_409=ErrorOut,
                 HTTP_422=RefusedOut, HTTP_503=UnavailableOut)


def _moderated(message_id, action):
    message = moderation.moderate(db.session, message_id, action, actor=current_user)
    return jsonify({"message": message_dict(message)})


@bp.post("/messages/<int:message_id>/hide")
@require("write")
@spec.validate(resp=Response(**RESPONSES), tags=["moderation"])
def hide_message(message_id):
    """Hide a customer's message on the network (a Facebook or Instagram comment, an X reply in a conversation
    the brand started). Hiding a hidden message succeeds."""
    return _moderated(message_id, "hide")


@bp.post("/messages/<int:message_id>/unhide")
@require("write")
@spec.validate(resp=Response(**RESPONSES), tags=["moderation"])
def unhide_message(message_id):
    """Show a hidden message again on the network."""
    return _moderated(message_id, "unhide")


@bp.post("/messages/<int:message_id>/like")
@require("write")
@spec.validate(resp=Response(**RESPONSES), tags=["moderation"])
def like_message(message_id):
    """Like a customer's message as the brand."""
    return _moderated(message_id, "like")


@bp.post("/messages/<int:message_id>/unlike")
@require("write")
@spec.validate(resp=Response(**RESPONSES), tags=["moderation"])
def unlike_message(message_id):
    """Take the brand's like back."""
    return _moderated(message_id, "unlike")


@bp.delete("/messages/<int:message_id>")
@require("write")
@spec.validate(resp=Response(**RESPONSES), tags=["moderation"])
def delete_message(message_id):
    """Delete a customer's comment on the network (Facebook, Instagram); the message stays in Carebox,
    marked deleted."""
    return _moderated(message_id, "delete")


@bp.post("/messages/moderation")
@require("write")
@spec.validate(json=BulkModerationIn, resp=Response(HTTP_200=BulkModerationOut, HTTP_403=ErrorOut,
                                                      HTTP_422=ErrorOut), tags=["moderation"])
def moderate_messages(json: BulkModerationIn):
    """One action on up to 100 messages; each has its own result, and one failure does not stop the rest."""
    results = moderation.moderate_many(db.session, json.message_ids, json.action, actor=current_user)
    out = []
    for result in results:
        row = {"id": result["id"], "ok": result["ok"]}
        if result["ok"]:
            row["message"] = message_dict(result["message"])
        else:
            row["reason"], row["error"] = result["reason"], str(result["error"])
        out.append(row)
    return jsonify({"results": out})
