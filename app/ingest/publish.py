"""Publishing a stored batch: the events its plan means, each conversation as the whole batch left it."""
from app import events
from app.ingest.plan import ConversationPlan
from app.models import Message, utcnow
from app.serialize import conversation_summary, message_dict


def publish(session, plan):
    summaries = {}  # conversation id -> its summary, built once: every event carries the state after the batch
    now = utcnow()

    def summary(conversation: ConversationPlan):
        if conversation.id not in summaries:
            summaries[conversation.id] = conversation_summary(conversation.row, contact=conversation.contact,
                                                              now=now, session=session)
        return summaries[conversation.id]

    for conversation in sorted((c for c in plan.conversations if c.opened), key=lambda c: c.id):
        events.publish(session, "conversation.created", {"conversation": summary(conversation)})
    for message in plan.messages:
        events.publish(session, "message.created",
                       {"conversation": summary(message.conversation), "message": message_dict(message)})
    for confirmed in plan.confirmed:
        reply = session.get(Message, confirmed.reply.id, populate_existing=True)
        events.publish(session, "message.updated", {
            "conversation": summary(confirmed.conversation), "message": message_dict(reply),
            "changes": {"delivery_status": {"from": confirmed.reply.delivery_status, "to": "sent"}},
        })
