"""Teams: agents belong to teams; a team owns accounts and/or languages; its members see, search and are
assigned only its conversations (and unrouted ones); managers and admins see all."""


def route_opened(session, account, plan):
    """Give each conversation the ingest `plan` opened the team that owns it (its account and language),
    unless a rule already chose one. Updates the plan's rows and the database; never commits."""
    return None


# PLACEHOLDER (moderation branch): the teams helper's branch brings the real `can_see` (app/teams/visibility.py,
# team membership); this stand-in lets everyone see everything until the lead merges it. Keep theirs.
def can_see(session, user, conversation):
    """Whether `user` may see `conversation`."""
    return user is not None
