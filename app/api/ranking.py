"""Ranking settings (managers): how reach and mood raise a conversation's priority (app/ranking.py)."""
from flask import jsonify
from flask_login import current_user
from pydantic import Field, StrictBool, StrictInt
from spectree import Response

from app import ranking
from app.api import bp, require, spec
from app.api.schemas import ErrorOut, Strict
from app.extensions import db

FOLLOWERS_HELP = "A customer with at least this many followers raises their conversations to {}; null: never."


class RankingIO(Strict):
    enabled: StrictBool = Field(True, description="Whether ingest raises priorities at all.")
    followers_high: StrictInt | None = Field(ranking.DEFAULTS["followers_high"], ge=1, le=ranking.MAX_FOLLOWERS, description=FOLLOWERS_HELP.format("high"))
    followers_urgent: StrictInt | None = Field(ranking.DEFAULTS["followers_urgent"], ge=1, le=ranking.MAX_FOLLOWERS,
                                         description=FOLLOWERS_HELP.format("urgent"))
    negative: StrictBool = Field(False, description="Whether a message of negative sentiment raises to high.")
    complaint: StrictBool = Field(False, description="Whether a complaint raises to high.")


@bp.get("/ranking")
@require("read", "manager")
@spec.validate(resp=Response(HTTP_200=RankingIO, HTTP_403=ErrorOut), tags=["ranking"])
def get_ranking():
    """How new customer messages raise their conversation's priority (reasons followers, negative, complaint)."""
    return jsonify(ranking.ranking_settings(db.session))


@bp.put("/ranking")
@require("write", role="manager")
@spec.validate(json=RankingIO, resp=Response(HTTP_200=RankingIO, HTTP_403=ErrorOut, HTTP_422=ErrorOut),
               tags=["ranking"])
def put_ranking(json: RankingIO):
    """Managers set how reach and mood raise priorities. Every field is replaced (omitted: its default)."""
    settings = ranking.set_ranking_settings(db.session, actor=current_user, **json.model_dump())
    db.session.commit()
    return jsonify(settings)
