"""Contacts: customers across networks, and one with their conversations.

An agent sees the customers of the conversations they see (app/teams), and only those conversations."""
import sqlalchemy as sa
from flask import jsonify
from flask_login import current_user
from spectree import Response
from flask_babel import lazy_gettext as _l

from app.api import bp, require, spec
from app.api.integration_schemas import ContactDetailOut, ContactListOut, ContactQuery
from app.api.paging import get_by_id, page_by_id
from app.api.schemas import ErrorOut
from app.errors import ApiError
from app.extensions import db
from app.models import Contact, Conversation, fold, isoformat
from app.serialize import contact_dict, conversation_summary
from app.teams import visible_clause

CONVERSATIONS_SHOWN = 100


def contact_summary(contact):
    return {**contact_dict(contact), "network": contact.network, "created_at": isoformat(contact.created_at)}


@bp.get("/contacts")
@require("read")
@spec.validate(query=ContactQuery, resp=Response(HTTP_200=ContactListOut), tags=["contacts"])
def list_contacts(query: ContactQuery):
    """Customers, newest first; `q` searches handles and names."""
    stmt = sa.select(Contact)
    seen = visible_clause(current_user)
    if seen is not None:
        stmt = stmt.where(Contact.id.in_(sa.select(Conversation.contact_id).where(seen)))
    if query.network:
        stmt = stmt.where(Contact.network == query.network)
    if query.q:
        needle = fold(query.q).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Contact.search_text.like(f"%{needle}%", escape="\\"))
    rows, next_cursor = page_by_id(db.session, stmt, Contact.id, query.cursor, query.limit)
    return jsonify({"items": [contact_summary(c) for c in rows], "next_cursor": next_cursor})


@bp.get("/contacts/<int:contact_id>")
@require("read")
@spec.validate(resp=Response(HTTP_200=ContactDetailOut, HTTP_404=ErrorOut), tags=["contacts"])
def get_contact(contact_id):
    """A customer with their conversations (newest first, at most 100)."""
    contact = get_by_id(db.session, Contact, contact_id)
    seen = visible_clause(current_user)
    visible = sa.select(Conversation).where(Conversation.contact_id == contact_id, *(() if seen is None else (seen,)))
    if contact is None or seen is not None and db.session.scalar(visible.with_only_columns(Conversation.id).limit(1)) is None:
        raise ApiError(404, _l("There is no contact %(id)s.", id=contact_id))
    conversations = db.session.scalars(visible.order_by(Conversation.id.desc()).limit(CONVERSATIONS_SHOWN))
    return jsonify({**contact_summary(contact), "conversations": [conversation_summary(c) for c in conversations]})
