"""Teams: agents belong to teams; a team owns accounts and/or languages; its members see, search and are
assigned only its conversations (and unrouted ones); managers and admins see all."""


def route_opened(session, account, plan):
    """Give each conversation the ingest `plan` opened the team that owns it (its account and language),
    unless a rule already chose one. Updates the plan's rows and the database; never commits."""
    return None
