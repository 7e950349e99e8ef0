"""flask tokens create"""
import click
from flask.cli import with_appcontext

from app.accounts import find_user_by_email
from app.audit import record
from app.extensions import db
from app.models import TOKEN_SCOPES, ApiToken


@click.group(help="Manage API tokens.")
def tokens():
    pass


@tokens.command("create")
@click.option("--user", "email", required=True, help="Email of the user the token acts as.")
@click.option("--name", required=True, help="What the token is for, e.g. 'CRM sync'.")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(TOKEN_SCOPES),
              help="read, write, admin (repeatable; default: read and write).")
@with_appcontext
def create(email, name, scopes):
    """Create a token and print it once; only its hash is stored."""
    user = find_user_by_email(db.session, email)
    if user is None:
        raise click.ClickException(f"no user with email {email}")
    if not user.is_active:
        raise click.ClickException(f"user {email} is deactivated")
    scopes = list(scopes) or ["read", "write"]
    if "admin" in scopes and user.role != "admin":
        raise click.ClickException("only admins can hold a token with the admin scope")
    if not name.strip():
        raise click.ClickException("the token needs a name")
    token, raw = ApiToken.issue(user, name.strip()[:120], scopes)
    db.session.add(token)
    db.session.flush()
    record("token.created", actor=user, target=token, data={"name": token.name, "scopes": scopes})
    db.session.commit()
    click.echo(f"token {token.id} for {user.email}, scopes {', '.join(scopes)}. Shown once, store it now:")
    click.echo(raw)
