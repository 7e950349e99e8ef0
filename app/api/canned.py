"""Canned responses: everyone reads them (the composer inserts them by shortcut); managers manage them."""
from flask import jsonify
from flask_login import current_user
from spectree import Response

from app import canned
from app.api import bp, require, spec
from app.api.schemas import CannedIn, CannedListOut, CannedOut, CannedPatchIn, ErrorOut
from app.canned import canned_dict
from app.extensions import db


@bp.get("/canned-responses")
@require("read")
@spec.validate(resp=Response(HTTP_200=CannedListOut), tags=["canned responses"])
def list_canned():
    """Saved replies. Variables: {{contact.name}}, {{contact.handle}}, {{agent.name}}."""
    return jsonify({"items": [canned_dict(c) for c in canned.all_canned(db.session)]})


@bp.post("/canned-responses")
@require("write", role="manager")
@spec.validate(json=CannedIn, resp=Response(HTTP_201=CannedOut, HTTP_409=ErrorOut, HTTP_422=ErrorOut),
               tags=["canned responses"])
def create_canned(json: CannedIn):
    """Add a saved reply (managers)."""
    saved = canned.save_canned(db.session, actor=current_user, title=json.title, shortcut=json.shortcut, text=json.text)
    db.session.commit()
    return jsonify(canned_dict(saved)), 201


@bp.patch("/canned-responses/<int:canned_id>")
@require("write", role="manager")
@spec.validate(json=CannedPatchIn, resp=Response(HTTP_200=CannedOut, HTTP_404=ErrorOut, HTTP_409=ErrorOut),
               tags=["canned responses"])
def update_canned(canned_id, json: CannedPatchIn):
    """Edit a saved reply (managers)."""
    saved = canned.save_canned(db.session, canned.get_canned(db.session, canned_id), actor=current_user,
                               title=json.title, shortcut=json.shortcut, text=json.text)
    db.session.commit()
    return jsonify(canned_dict(saved))


@bp.delete("/canned-responses/<int:canned_id>")
@require("write", role="manager")
@spec.validate(resp=Response(HTTP_204=None, HTTP_404=ErrorOut), tags=["canned responses"])
def delete_canned(canned_id):
    """Remove a saved reply (managers)."""
    canned.delete_canned(db.session, canned.get_canned(db.session, canned_id), actor=current_user)
    db.session.commit()
    return "", 204
