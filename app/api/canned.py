"""Canned responses: everyone reads them (the composer inserts them by shortcut); managers manage them."""
from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user
from spectree import Response

from app import canned
from app.api import bp, require, spec
from app.api.schemas import CannedIn, CannedListOut, CannedOut, CannedPatchIn, CannedQuery, ErrorOut
from app.canned import canned_dict
from app.errors import ApiError
from app.extensions import db
from app.i18n import LANGUAGES


@bp.get("/canned-responses")
@require("read")
@spec.validate(query=CannedQuery, resp=Response(HTTP_200=CannedListOut), tags=["canned responses"])
def list_canned(query: CannedQuery):
    """Saved replies. Variables: {{contact.name}}, {{contact.handle}}, {{agent.name}}.

    With `language` (the conversation's): those in that language first, then those of no language, then the others.
    """
    return jsonify({"items": [canned_dict(c) for c in canned.all_canned(db.session, query.language)]})


@bp.post("/canned-responses")
@require("write", role="manager")
@spec.validate(json=CannedIn, resp=Response(HTTP_201=CannedOut, HTTP_400=ErrorOut, HTTP_409=ErrorOut,
                                            HTTP_422=ErrorOut), tags=["canned responses"])
def create_canned(json: CannedIn):
    """Add a saved reply (managers)."""
    saved = canned.save_canned(db.session, actor=current_user, title=json.title, shortcut=json.shortcut, text=json.text,
                               language=_language(json.language))
    db.session.commit()
    return jsonify(canned_dict(saved)), 201


@bp.patch("/canned-responses/<int:canned_id>")
@require("write", role="manager")
@spec.validate(json=CannedPatchIn, resp=Response(HTTP_200=CannedOut, HTTP_400=ErrorOut, HTTP_404=ErrorOut,
                                                 HTTP_409=ErrorOut), tags=["canned responses"])
def update_canned(canned_id, json: CannedPatchIn):
    """Edit a saved reply (managers). `"language": null` makes it fit any conversation."""
    language = _language(json.language) if "language" in json.model_fields_set else canned.UNCHANGED
    saved = canned.save_canned(db.session, canned.get_canned(db.session, canned_id), actor=current_user,
                               title=json.title, shortcut=json.shortcut, text=json.text, language=language)
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


def _language(code):
    """One of app.i18n.LANGUAGES, or None (any); anything else is refused."""
    if code is None or code == "":
        return None
    if code not in LANGUAGES:
        raise ApiError(400, _("Unknown language \"%(language)s\": a canned response is written in one of "
                              "%(languages)s, or in none (null) to fit any conversation.",
                              language=code, languages=", ".join(LANGUAGES)), code="unknown_language")
    return code
