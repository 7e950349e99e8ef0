"""Notifications for one person (an @mention, an assignment, a disabled webhook): stored, and pushed live."""
from app import events
from app.models import Notification
from app.serialize import notification_dict


def notify(session, user_id, kind, text, *, conversation_id=None, message_id=None):
    note = Notification(user_id=user_id, kind=kind, text=text[:500], conversation_id=conversation_id,
                        message_id=message_id)
    session.add(note)
    session.flush()
    events.publish(session, "notification", notification_dict(note), room=events.USER.format(user_id=user_id))
    return note
