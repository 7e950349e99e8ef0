"""Canned responses: saved replies agents insert by shortcut; managers keep them (the API and the settings page).

`text` may use {{contact.name}}, {{contact.handle}} and {{agent.name}}. Each may be written in one
language (app.i18n.LANGUAGES, which the callers check) or in none (fits any conversation). Shortcuts
are unique per language, whatever their case: "/thanks" may exist once in English, once in Russian
and once without a language. Callers commit.
"""
import sqlalchemy as sa

from app.audit import record
from app.domain_errors import Conflict, NotFound
from app.models import CannedResponse

UNCHANGED = object()  # save_canned(language=UNCHANGED): leave the language as it is


def canned_dict(canned):
    return {"id": canned.id, "title": canned.title, "shortcut": canned.shortcut, "text": canned.text,
            "language": canned.language}


def all_canned(session, language=None):
    """By shortcut; given a `language`: those in it first, then those of no language, then the others,
    each group by title."""
    c = CannedResponse
    if not language:
        return session.scalars(sa.select(c).order_by(c.shortcut, c.id)).all()
    group = sa.case((c.language == language, 0), (c.language.is_(None), 1), else_=2)
    return session.scalars(sa.select(c).order_by(group, c.title, c.shortcut, c.id)).all()


def get_canned(session, canned_id):
    canned = session.get(CannedResponse, canned_id)
    if canned is None:
        raise NotFound(f"There is no canned response {canned_id}.")
    return canned


def save_canned(session, canned=None, *, actor, title=None, shortcut=None, text=None, language=UNCHANGED):
    """Create (`canned` None) or change a canned response; None (UNCHANGED for `language`, which may be
    set to None: any language) leaves a field as it is. Returns it."""
    creating = canned is None
    if creating:
        canned = CannedResponse(created_by_id=getattr(actor, "id", None))
    values = {"title": title, "shortcut": shortcut, "text": text}
    changed = sorted(f for f, v in values.items() if v is not None)
    if language is not UNCHANGED and (creating or language != canned.language):
        changed = sorted([*changed, "language"])
    new_language = canned.language if language is UNCHANGED else language
    if shortcut is not None or "language" in changed:
        _check_shortcut_free(session, (shortcut if shortcut is not None else canned.shortcut).strip(), new_language,
                             except_id=canned.id)
    for field in changed:
        if field == "language":
            canned.language = new_language
        else:
            setattr(canned, field, values[field].strip())
    session.add(canned)
    session.flush()
    if creating:
        record("canned.created", actor=actor, target=canned,
               data={"shortcut": canned.shortcut, "language": canned.language})
    else:
        record("canned.updated", actor=actor, target=canned, data={"fields": changed})
    return canned


def delete_canned(session, canned, *, actor):
    record("canned.deleted", actor=actor, target=canned, data={"shortcut": canned.shortcut})
    session.delete(canned)


def _check_shortcut_free(session, shortcut, language, except_id=None):
    same_language = (CannedResponse.language.is_(None) if language is None
                     else CannedResponse.language == language)
    taken = session.scalar(sa.select(CannedResponse.id).where(
        sa.func.lower(CannedResponse.shortcut) == shortcut.lower(), same_language,
        CannedResponse.id != (except_id or 0)))
    if taken:
        if language is None:
            raise Conflict(f"The shortcut '{shortcut}' is already used.", code="shortcut_taken")
        raise Conflict(f"The shortcut '{shortcut}' is already used in {language}.", code="shortcut_taken")
