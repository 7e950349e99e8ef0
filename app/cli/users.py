"""flask users create | set-password"""
import click
from flask.cli import with_appcontext

from app.accounts import find_user_by_email
from app.extensions import db
from app.models import ROLES
from app.passwords import MIN_LENGTH
from app.users import UserError, change_password, create_user, generate_password


@click.group(help="Manage staff users.")
def users():
    pass


@users.command("create")
@click.option("--email", required=True, help="Sign-in email.")
@click.option("--role", required=True, type=click.Choice(ROLES), help="agent, manager or admin.")
@click.option("--name", help="Display name (default: the part of the email before @).")
@click.option("--password", help=f"At least {MIN_LENGTH} characters and hard to guess; generated and printed "
                                 "when omitted.")
@with_appcontext
def create(email, role, name, password):
    """Create a user."""
    generated = password is None
    password = password or generate_password()
    try:
        user = create_user(db.session, email=email, role=role, name=name, password=password)
    except UserError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"created {user.role} {user.email} (id {user.id})")
    if generated:
        click.echo(f"password: {password}")


@users.command("set-password")
@click.option("--email", required=True, help="Sign-in email of the user.")
@click.option("--password", help=f"At least {MIN_LENGTH} characters and hard to guess; generated and printed "
                                 "when omitted.")
@with_appcontext
def set_password(email, password):
    """Give a user a new password (e.g. a locked-out admin). Signs them out everywhere."""
    user = find_user_by_email(db.session, email)
    if user is None:
        raise click.ClickException(f"there is no user with email {email}")
    generated = password is None
    password = password or generate_password()
    try:
        change_password(db.session, user, new_password=password)
    except UserError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"new password set for {user.email}; every sign-in ended")
    if generated:
        click.echo(f"password: {password}")
