"""Notifications for one person (an @mention, an assignment, a disabled webhook): stored, and pushed live.

The text is stored in the recipient's language (their own choice, else the workspace's default: their
browser is not known here), so callers pass a lazy string (flask_babel.lazy_gettext) and it is read here.
"""
from flask import current_app, has_app_context
from flask_babel import force_locale

from app import events
from app.models import Notification, User
from app.serialize import notification_dict


def in_language_of(session, user_id, text):
    """`text` (a lazy string, or plain text kept as it is) read in the language of user `user_id`."""
    if not has_app_context():
        return str(text)
    user = session.get(User, user_id)
    locale = (user.locale if user is not None else None) or current_app.config["CAREBOX_DEFAULT_LOCALE"]
    with force_locale(locale):
        return str(text)


def notify(session, user_id, kind, text, *, conversation_id=None, message_id=None):
    text = in_language_of(session, user_id, text)
    note = Notification(user_id=user_id, kind=kind, text=text[:500], conversation_id=conversation_id,
                        message_id=message_id)
    session.add(note)
    session.flush()
    events.publish(session, "notification", notification_dict(note), room=events.USER.format(user_id=user_id))
    return note
