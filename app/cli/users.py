"""flask users create"""
import click
from flask.cli import with_appcontext

from app.extensions import db
from app.models import ROLES
from app.users import UserError, create_user


@click.group(help="Manage staff users.")
def users():
    pass


@users.command("create")
@click.option("--email", required=True, help="Sign-in email.")
@click.option("--role", required=True, type=click.Choice(ROLES), help="agent, manager or admin.")
@click.option("--name", help="Display name (default: the part of the email before @).")
@click.option("--password", help="At least 10 characters; generated and printed when omitted.")
@with_appcontext
def create(email, role, name, password):
    """Create a user."""
    generated = password is None
    from app.users import generate_password

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
