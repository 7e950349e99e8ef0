"""flask tokens create"""
import click
from flask.cli import with_appcontext

from app.accounts import find_user_by_email
from app.extensions import db
from app.models import TOKEN_SCOPES
from app.tokens import TokenError, issue_token


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
    try:
        token, raw = issue_token(db.session, user=user, name=name, scopes=list(scopes) or None)
    except TokenError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"token {token.id} for {user.email}, scopes {', '.join(token.scopes)}. Shown once, store it now:")
    click.echo(raw)
