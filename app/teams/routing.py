"""Routing at ingest: each conversation a batch opened gets the team that owns it.

A team owns accounts and/or languages. For a conversation, the team owning both its account and its
language wins over one owning only the account, which wins over one owning only the language; among
equals the lowest id. A team that owns no account and no language owns nothing. A team that owns
languages but no account owns them on every account; one that owns accounts but no language owns every
language of them. The team is chosen once: a conversation whose language becomes known later keeps it.
"""
from collections import defaultdict

import sqlalchemy as sa

from app.batch_sql import update_rows
from app.models import Conversation, Team, team_accounts

BOTH, ACCOUNT_ONLY, LANGUAGE_ONLY = 0, 1, 2  # precedence: lower wins


def owners(session):
    """[(team id, {account ids}, {languages})] of the teams that own something, by id."""
    teams = session.execute(sa.select(Team.id, Team.languages).order_by(Team.id)).all()
    accounts = defaultdict(set)
    for team_id, account_id in session.execute(sa.select(team_accounts.c.team_id, team_accounts.c.account_id)):
        accounts[team_id].add(account_id)
    return [(team_id, accounts[team_id], set(languages or ())) for team_id, languages in teams
            if accounts[team_id] or languages]


def owning_team(owned, account_id, language):
    """The id of the team that owns a conversation on `account_id` in `language` (None: unrouted)."""
    best = None
    for team_id, account_ids, languages in owned:
        account_matches = account_id in account_ids
        language_matches = language is not None and language in languages
        if account_matches and (language_matches or not languages):
            rank = BOTH if language_matches else ACCOUNT_ONLY
        elif language_matches and not account_ids:
            rank = LANGUAGE_ONLY
        else:
            continue
        if best is None or (rank, team_id) < best:
            best = (rank, team_id)
    return best[1] if best else None


def route_opened(session, account, plan):
    """Give each conversation the ingest `plan` opened the team that owns it (its account and language),
    unless one was already chosen. Updates the plan's rows and the database; never commits."""
    opened = [c.row for c in plan.conversations if c.opened and c.row.team_id is None]
    if not opened:
        return
    owned = owners(session)
    if not owned:
        return
    changed = []
    for row in sorted(opened, key=lambda r: r.id):
        team_id = owning_team(owned, account.id, row.language)
        if team_id is not None:
            row.team_id = team_id
            changed.append({"id": row.id, "team_id": team_id})
    update_rows(session, Conversation, changed)
