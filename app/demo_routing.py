"""Demo data for issue 16 (`flask demo`): teams by language, example rules, a hidden comment and a liked one.

Written as rows directly: the services that manage them (app/teams, app/rules, app/moderation) validate
what people send; the demo's own rows are fixed and known good. Idempotent, like the rest of app/demo.py.
"""
import sqlalchemy as sa

from app.accounts import find_user_by_email
from app.extensions import db
from app.models import Conversation, Message, Rule, Team, utcnow
from app.rules.definition import validate

# (name, languages, members' emails): each team owns its languages on every account.
DEMO_TEAMS = (
    ("English care", ["en"], ("agent1@carebox.local",)),
    ("Русскоязычная поддержка", ["ru", "be"], ("agent2@carebox.local",)),
)

# (name, enabled, conditions, actions): a spam filter left off until its dry run was checked, and a live one.
DEMO_RULES = (
    ("Spam links: hide and mark spam", False,
     [{"type": "has_link"}, {"type": "intent", "intents": ["spam"]}],
     [{"type": "hide"}, {"type": "mark_spam"}]),
    ("Refund complaints: tag and raise", True,
     [{"type": "intent", "intents": ["complaint"]},
      {"type": "keywords", "keywords": ["refund", "money back", "возврат", "вярнуць грошы", "استرداد"]}],
     [{"type": "tag", "tags": ["refund"]}, {"type": "set_priority", "priority": "high"}]),
)

HIDDEN = "demo-fb-c-2"  # the spam comment an agent hid on the Page
LIKED = "demo-fb-c-1"  # the thanks the brand liked


def seed_routing(manager_email):
    """Teams, rules and the moderated comments, each once. The caller commits."""
    teams = _seed_teams()
    _seed_rules(find_user_by_email(db.session, manager_email))
    db.session.flush()
    _route_demo_conversations(teams)
    _moderate()


def _seed_teams():
    existing = {t.name: t for t in db.session.scalars(sa.select(Team))}
    for name, languages, emails in DEMO_TEAMS:
        if name not in existing:
            members = [u for u in (find_user_by_email(db.session, e) for e in emails) if u is not None]
            existing[name] = Team(name=name, languages=languages, members=members)
            db.session.add(existing[name])
    return [existing[name] for name, _languages, _emails in DEMO_TEAMS]


def _seed_rules(manager):
    names = set(db.session.scalars(sa.select(Rule.name)))
    last = db.session.scalar(sa.select(sa.func.max(Rule.position))) or 0
    for name, enabled, conditions, actions in DEMO_RULES:
        if name not in names:
            last += 1
            conditions, actions = validate(conditions, actions)  # stored as the rules page would store them
            db.session.add(Rule(name=name, position=last, enabled=enabled, conditions=conditions, actions=actions,
                                created_by_id=getattr(manager, "id", None)))


def _route_demo_conversations(teams):
    """The demo's conversations go to the team owning their language, as routing would have sent them had the
    teams been there first; the others (Arabic) stay unrouted, for managers to see."""
    by_language = {language: team for team in teams for language in team.languages}
    demo_ids = sa.select(Message.conversation_id).where(Message.external_id.like("demo-%"))
    conversations = db.session.scalars(sa.select(Conversation).where(
        Conversation.team_id.is_(None), Conversation.id.in_(demo_ids)))
    for conversation in conversations:
        team = by_language.get(conversation.language)
        if team is not None:
            conversation.team_id = team.id


def _moderate():
    now = utcnow()
    for external_id, changes in ((HIDDEN, {"moderation": "hidden"}), (LIKED, {"liked": True})):
        message = db.session.scalar(sa.select(Message).where(Message.network == "facebook",
                                                             Message.external_id == external_id))
        if message is not None and message.moderated_at is None:
            for field, value in changes.items():
                setattr(message, field, value)
            message.moderated_at = now
