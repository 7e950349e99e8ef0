"""The domain model (names fixed by docs/design.md)."""
from app.models.account import HEALTH_STATES, NETWORKS, SocialAccount
from app.models.audit import AuditEvent, JobLease
from app.models.base import isoformat, utcnow
from app.models.conversation import (
    DELIVERY_STATES,
    DIRECTIONS,
    PRIORITIES,
    SLA_STATES,
    STATUSES,
    Contact,
    Conversation,
    Message,
    Post,
    PushFollowup,
    fold,
)
from app.models.routing import Alert, Rule, RuleHit, Team, team_accounts, team_members
from app.models.sla import SlaClock, SlaPolicy
from app.models.user import ROLES, TOKEN_SCOPES, ApiToken, User, UserSession, hash_token
from app.models.webhook import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from app.models.workspace import CannedResponse, Notification, Setting

__all__ = [
    "Alert", "Rule", "RuleHit", "Team", "team_accounts", "team_members",
    "CannedResponse", "Notification", "Setting", "WebhookAttempt", "WebhookDelivery", "WebhookEndpoint",
    "ApiToken", "AuditEvent", "Contact", "Conversation", "JobLease", "Message", "Post", "PushFollowup", "SlaClock", "SlaPolicy",
    "SocialAccount", "User", "UserSession", "DELIVERY_STATES", "DIRECTIONS", "HEALTH_STATES", "NETWORKS",
    "PRIORITIES", "ROLES", "SLA_STATES", "STATUSES", "TOKEN_SCOPES", "fold", "hash_token",
    "isoformat", "utcnow",
]
