"""Canned responses: saved replies agents insert by shortcut; managers keep them (the API and the settings page).

`text` may use {{contact.name}}, {{contact.handle}} and {{agent.name}}. Shortcuts are unique,
whatever their case. Callers commit.
"""
import sqlalchemy as sa

from app.audit import record
from app.domain_errors import Conflict, NotFound
from app.models import CannedResponse


def canned_dict(canned):
    return {"id": canned.id, "title": canned.title, "shortcut": canned.shortcut, "text": canned.text}


def all_canned(session):
    return session.scalars(sa.select(CannedResponse).order_by(CannedResponse.shortcut)).all()


def get_canned(session, canned_id):
    canned = session.get(CannedResponse, canned_id)
    if canned is None:
        raise NotFound(f"There is no canned response {canned_id}.")
    return canned


def save_canned(session, canned=None, *, actor, title=None, shortcut=None, text=None):
    """Create (`canned` None) or change a canned response; None leaves a field as it is. Returns it."""
    creating = canned is None
    if creating:
        canned = CannedResponse(created_by_id=getattr(actor, "id", None))
    if shortcut is not None:
        _check_shortcut_free(session, shortcut, except_id=canned.id)
    changed = sorted(f for f, v in (("title", title), ("shortcut", shortcut), ("text", text)) if v is not None)
    for field in changed:
        setattr(canned, field, {"title": title, "shortcut": shortcut, "text": text}[field].strip())
    session.add(canned)
    session.flush()
    if creating:
        record("canned.created", actor=actor, target=canned, data={"shortcut": canned.shortcut})
    else:
        record("canned.updated", actor=actor, target=canned, data={"fields": changed})
    return canned


def delete_canned(session, canned, *, actor):
    record("canned.deleted", actor=actor, target=canned, data={"shortcut": canned.shortcut})
    session.delete(canned)


def _check_shortcut_free(session, shortcut, except_id=None):
    taken = session.scalar(sa.select(CannedResponse.id).where(
        sa.func.lower(CannedResponse.shortcut) == shortcut.lower(), CannedResponse.id != (except_id or 0)))
    if taken:
        raise Conflict(f"The shortcut '{shortcut}' is already used.", code="shortcut_taken")
