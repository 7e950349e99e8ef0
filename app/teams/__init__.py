"""Teams: agents belong to teams; a team owns accounts and/or languages; its members see, search and are
assigned only its conversations (and unrouted ones); managers and admins see all.

- routing.py: `route_opened`, the team of each conversation ingest opens;
- visibility.py: `can_see`, `visible_clause`, `check_visible`: the one rule every surface applies;
- manage.py: creating, changing and deleting teams (permission teams.manage).
Events about a conversation reach only its viewers' Socket.IO rooms (app/events/publisher.py).
"""
from app.teams.manage import create_team, delete_team, get_team, list_teams, team_dict, update_team  # noqa: F401
from app.teams.routing import route_opened  # noqa: F401
from app.teams.visibility import can_see, check_visible, sees_everything, team_ids_of, visible_clause  # noqa: F401
