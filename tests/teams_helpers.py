"""Helpers shared by the teams tests: accounts, teams and customer messages ingested as pollers do."""
from datetime import datetime, timedelta, timezone

from app.accounts import create_account
from app.ingest.items import InboundAuthor, InboundItem
from app.ingest.pipeline import ingest
from app.models import Conversation, SocialAccount, User
from app.teams import create_team
from tests.conftest import writing


def account(db, name):
    with writing(db) as session:
        return create_account(session, network="custom", name=name)


def team(db, name, *, members=(), accounts=(), languages=(), auto_assign=None):
    with writing(db) as session:
        admin = session.query(User).filter_by(role="admin").first()
        if admin is None:
            from app.users import create_user
            admin = create_user(session, email="teams-boss@example.test", role="admin", name="Boss",
                                password="correct horse battery")
        made = create_team(session, admin, name=name, member_ids=[u.id for u in members],
                           account_ids=[a.id for a in accounts], languages=list(languages), auto_assign=auto_assign)
        return made.id


def customer(db, acct, external_id, text, *, author=None, language=None, minutes_ago=1):
    """A customer post ingested the way pollers do it; returns its conversation id."""
    created = datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)
    who = InboundAuthor(author or f"c-{external_id}", handle=author or f"c-{external_id}", name=None)
    with writing(db) as session:
        fresh = session.get(SocialAccount, acct.id)
        (result,) = ingest(session, fresh, [InboundItem(external_id, text, created, who, language=language)])
    return result.conversation_id


def team_of(db, conversation_id):
    db.session.expire_all()
    return db.session.get(Conversation, conversation_id).team_id
