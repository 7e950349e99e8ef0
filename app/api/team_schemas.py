"""Request and response models of the teams API (app/api/teams.py)."""
from typing import Literal

from pydantic import BaseModel, Field

from app.api.schemas import DbId, Strict
from app.assignment import AUTO_ASSIGN_MODES
from app.vocabulary import DETECTED_LANGUAGES

Language = Literal[DETECTED_LANGUAGES]
AutoAssign = Literal[AUTO_ASSIGN_MODES]


class TeamIn(Strict):
    name: str = Field(min_length=1, max_length=120)
    member_ids: list[DbId] = Field(default_factory=list, max_length=500, description="Its members (user ids).")
    account_ids: list[DbId] = Field(default_factory=list, max_length=500,
                                    description="The accounts it owns: their new conversations are its own.")
    languages: list[Language] = Field(default_factory=list, max_length=len(DETECTED_LANGUAGES),
                                      description="The languages it owns (of its accounts, or of any when it has none).")
    auto_assign: AutoAssign | None = Field(default=None, description="Its auto-assignment mode; null: the workspace's.")


class TeamPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    member_ids: list[DbId] | None = Field(default=None, max_length=500)
    account_ids: list[DbId] | None = Field(default=None, max_length=500)
    languages: list[Language] | None = Field(default=None, max_length=len(DETECTED_LANGUAGES))
    auto_assign: AutoAssign | None = None


class TeamOut(BaseModel):
    id: int
    name: str
    member_ids: list[int]
    account_ids: list[int]
    languages: list[str]
    auto_assign: str | None
    created_at: str | None
    updated_at: str | None


class TeamListOut(BaseModel):
    items: list[TeamOut]
