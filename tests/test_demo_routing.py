"""`flask demo` shows issue 16: teams by language with the demo agents, example rules, moderated comments."""
import sqlalchemy as sa

from app.models import Conversation, Message, Rule, Team
from app.vocabulary import RULE_ACTIONS, RULE_CONDITIONS


def test_the_demo_seeds_teams_rules_and_moderated_comments_once(app, db, tmp_path, monkeypatch):
    from app import demo, demo_routing

    monkeypatch.setattr(demo, "_logins_file", lambda: tmp_path / "demo-logins.txt")
    for _ in range(2):  # idempotent
        result = app.test_cli_runner().invoke(args=["demo", "--no-serve"])
        assert result.exit_code == 0, result.output
    db.session.commit()

    teams = {t.name: t for t in db.session.scalars(sa.select(Team))}
    assert {name: (t.languages, [m.email for m in t.members]) for name, t in teams.items()} == {
        "English care": (["en"], ["agent1@carebox.local"]),
        "Русскоязычная поддержка": (["ru", "be"], ["agent2@carebox.local"]),
    }
    routed = {c.language: c.team_id for c in db.session.scalars(sa.select(Conversation))}
    assert routed["en"] == teams["English care"].id
    assert routed["ru"] == routed["be"] == teams["Русскоязычная поддержка"].id
    assert routed["ar"] is None  # no team owns Arabic: managers see it

    rules = db.session.scalars(sa.select(Rule).order_by(Rule.position)).all()
    assert [(r.name, r.enabled) for r in rules] == [(name, enabled) for name, enabled, *_ in demo_routing.DEMO_RULES]
    assert {"type": "hide"} in rules[0].actions and not rules[0].enabled  # hiding on the network: off until checked
    assert {"type": "set_priority", "priority": "high"} in rules[1].actions
    for rule in rules:
        assert {c["type"] for c in rule.conditions} <= set(RULE_CONDITIONS)
        assert {a["type"] for a in rule.actions} <= set(RULE_ACTIONS)

    comments = {m.external_id: m for m in db.session.scalars(sa.select(Message).where(
        Message.external_id.in_([demo_routing.HIDDEN, demo_routing.LIKED])))}
    hidden, liked = comments[demo_routing.HIDDEN], comments[demo_routing.LIKED]
    assert (hidden.moderation, hidden.liked) == ("hidden", False)
    assert db.session.get(Conversation, hidden.conversation_id).channel == "public"
    assert (liked.moderation, liked.liked) == ("visible", True)
    assert hidden.moderated_at is not None and liked.moderated_at is not None
    assert hidden.conversation_id != liked.conversation_id  # two commenters, two conversations
