"""flask accounts add | list | human-agent"""
import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from app.accounts import HUMAN_AGENT_NETWORKS, AccountError, create_account, set_human_agent
from app.extensions import db
from app.models import NETWORKS, SocialAccount


@click.group(help="Manage connected brand accounts.")
def accounts():
    pass


def parse_credentials(pairs):
    credentials = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--credential")
        credentials[key.strip()] = value
    return credentials


@accounts.command("add")
@click.option("--network", required=True, type=click.Choice(NETWORKS))
@click.option("--name", required=True, help="A name agents recognise, e.g. 'Acme on X'.")
@click.option("--api-base-url", help="Another API host (the sandbox, a proxy). Default: the network's own.")
@click.option("--credential", "credential_pairs", multiple=True, metavar="KEY=VALUE",
              help="Repeatable. X: bearer_token, consumer_key, consumer_secret, access_token, access_token_secret, "
                   "user_id. Facebook: page_id, page_access_token, app_secret, graph_version. Instagram: its "
                   "Page's page_id, page_access_token, app_secret, graph_version, and optionally ig_user_id "
                   "(else found from the Page).")
@click.option("--human-agent/--no-human-agent", default=False,
              help="Facebook, Instagram: the app has the human-agent permission (answers up to 7 days, tagged).")
@with_appcontext
def add(network, name, api_base_url, credential_pairs, human_agent):
    """Connect an account. Credentials are encrypted at rest and never printed."""
    try:
        if human_agent and network not in HUMAN_AGENT_NETWORKS:
            raise AccountError("only Facebook and Instagram accounts have the human-agent tag")
        account = create_account(db.session, network=network, name=name, api_base_url=api_base_url,
                                 credentials=parse_credentials(credential_pairs), human_agent_enabled=human_agent)
    except AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"added {account.network} account {account.id}: {account.name}")


@accounts.command("list")
@with_appcontext
def list_accounts():
    """Accounts with their poller health."""
    rows = db.session.scalars(sa.select(SocialAccount).order_by(SocialAccount.id)).all()
    if not rows:
        click.echo("no accounts yet: add one with `flask accounts add`")
        return
    click.echo(f"{'id':>4}  {'network':9} {'name':28} {'health':10} {'last success':20} {'rate left':>9}  last error")
    for a in rows:
        last = a.last_success_at.strftime("%Y-%m-%d %H:%M:%S") if a.last_success_at else "never"
        left = "" if a.rate_limit_remaining is None else str(a.rate_limit_remaining)
        state = a.health if a.enabled else "disabled"
        click.echo(f"{a.id:>4}  {a.network:9} {a.name[:28]:28} {state:10} {last:20} {left:>9}  {(a.last_error or '')[:80]}")


@accounts.command("human-agent")
@click.argument("account_id", type=int)
@click.argument("state", type=click.Choice(["on", "off"]))
@with_appcontext
def human_agent(account_id, state):
    """Turn the human-agent tag on or off for a Facebook or Instagram account (only once Meta granted the
    permission)."""
    account = db.session.get(SocialAccount, account_id)
    if account is None:
        raise click.ClickException(f"there is no account {account_id}")
    try:
        set_human_agent(db.session, account, state == "on")
    except AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"account {account.id}: human-agent tag {state}")
