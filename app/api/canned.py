"""Canned responses: everyone reads them (the composer inserts them by shortcut); managers manage them."""
import sqlalchemy as sa
from flask import jsonify
from flask_login import current_user
from spectree import Response

from app.api import bp, require, spec
from app.api.schemas import CannedIn, CannedListOut, CannedOut, CannedPatchIn, ErrorOut
from app.audit import record
from app.errors import ApiError
from app.extensions import db
from app.models import CannedResponse


def canned_dict(c):
    return {"id": c.id, "title": c.title, "shortcut": c.shortcut, "text": c.text}


def _get_or_404(canned_id):
    canned = db.session.get(CannedResponse, canned_id)
    if canned is None:
        raise ApiError(404, f"There is no canned response {canned_id}.")
    return canned


def _check_shortcut_free(shortcut, except_id=None):
    taken = db.session.scalar(sa.select(CannedResponse.id).where(
        sa.func.lower(CannedResponse.shortcut) == shortcut.lower(), CannedResponse.id != (except_id or 0)))
    if taken:
        raise ApiError(409, f"The shortcut '{shortcut}' is already used.", code="shortcut_taken")


@bp.get("/canned-responses")
@require("read")
@spec.validate(resp=Response(HTTP_200=CannedListOut), tags=["canned responses"])
def list_canned():
    """Saved replies. Variables: {{contact.name}}, {{contact.handle}}, {{agent.name}}."""
    rows = db.session.scalars(sa.select(CannedResponse).order_by(CannedResponse.shortcut)).all()
    return jsonify({"items": [canned_dict(c) for c in rows]})


@bp.post("/canned-responses")
@require("write", role="manager")
@spec.validate(json=CannedIn, resp=Response(HTTP_201=CannedOut, HTTP_409=ErrorOut, HTTP_422=ErrorOut),
               tags=["canned responses"])
def create_canned(json: CannedIn):
    """Add a saved reply (managers)."""
    _check_shortcut_free(json.shortcut)
    canned = CannedResponse(title=json.title, shortcut=json.shortcut, text=json.text, created_by_id=current_user.id)
    db.session.add(canned)
    db.session.flush()
    record("canned.created", target=canned, data={"shortcut": canned.shortcut})
    db.session.commit()
    return jsonify(canned_dict(canned)), 201


@bp.patch("/canned-responses/<int:canned_id>")
@require("write", role="manager")
@spec.validate(json=CannedPatchIn, resp=Response(HTTP_200=CannedOut, HTTP_404=ErrorOut, HTTP_409=ErrorOut),
               tags=["canned responses"])
def update_canned(canned_id, json: CannedPatchIn):
    """Edit a saved reply (managers)."""
    canned = _get_or_404(canned_id)
    changes = json.model_dump(exclude_unset=True, exclude_none=True)
    if "shortcut" in changes:
        _check_shortcut_free(changes["shortcut"], except_id=canned.id)
    for field, value in changes.items():
        setattr(canned, field, value)
    record("canned.updated", target=canned, data={"fields": sorted(changes)})
    db.session.commit()
    return jsonify(canned_dict(canned))


@bp.delete("/canned-responses/<int:canned_id>")
@require("write", role="manager")
@spec.validate(resp=Response(HTTP_204=None, HTTP_404=ErrorOut), tags=["canned responses"])
def delete_canned(canned_id):
    """Remove a saved reply (managers)."""
    canned = _get_or_404(canned_id)
    record("canned.deleted", target=canned, data={"shortcut": canned.shortcut})
    db.session.delete(canned)
    db.session.commit()
    return "", 204
