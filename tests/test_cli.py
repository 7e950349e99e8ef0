"""CLI commands: happy paths, clear errors and non-zero exit codes for bad input."""
import sqlalchemy as sa

from app.models import ApiToken, SocialAccount, User


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_users_create_and_errors(app, db):
    ok = run(app, "users", "create", "--email", "Ann@Example.test", "--role", "manager")
    assert ok.exit_code == 0, ok.output
    assert "password:" in ok.output  # generated and printed once
    user = db.session.scalars(sa.select(User)).one()
    assert user.email == "ann@example.test" and user.role == "manager"
    assert ok.output.split("password: ")[1].strip() not in user.password_hash
    dup = run(app, "users", "create", "--email", "ann@example.test", "--role", "agent")
    assert dup.exit_code != 0 and "already exists" in dup.output
    bad_role = run(app, "users", "create", "--email", "b@example.test", "--role", "boss")
    assert bad_role.exit_code != 0 and "boss" in bad_role.output
    bad_email = run(app, "users", "create", "--email", "not-an-email", "--role", "agent")
    assert bad_email.exit_code != 0 and "not an email" in bad_email.output
    short = run(app, "users", "create", "--email", "c@example.test", "--role", "agent", "--password", "short")
    assert short.exit_code != 0 and "12 characters" in short.output
    common = run(app, "users", "create", "--email", "c@example.test", "--role", "agent", "--password", "password1234")
    assert common.exit_code != 0 and "most common passwords" in common.output
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1


def test_users_set_password_ends_every_sign_in(app, db, make_user):
    from tests.conftest import login

    user = make_user("admin")
    browser = app.test_client()
    login(browser, user)
    weak = run(app, "users", "set-password", "--email", user.email, "--password", "qwertyuiop12")
    assert weak.exit_code != 0 and "common" in weak.output
    assert browser.get("/").status_code == 200  # a refused change ends nothing
    ok = run(app, "users", "set-password", "--email", user.email.upper())
    assert ok.exit_code == 0, ok.output
    password = ok.output.split("password: ")[1].strip()
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password(password)
    assert browser.get("/").status_code == 302  # signed out
    login(app.test_client(), user, password=password)
    missing = run(app, "users", "set-password", "--email", "nobody@example.test")
    assert missing.exit_code != 0 and "no user" in missing.output


def test_accounts_add_list_and_errors(app, db):
    ok = run(app, "accounts", "add", "--network", "twitter", "--name", "Acme on X",
             "--api-base-url", "http://127.0.0.1:5999", "--credential", "bearer_token=secret-bearer",
             "--credential", "user_id=42")
    assert ok.exit_code == 0, ok.output
    account = db.session.scalars(sa.select(SocialAccount)).one()
    assert account.credentials == {"bearer_token": "secret-bearer", "user_id": "42"}
    assert "secret-bearer" not in account.credentials_encrypted  # encrypted at rest
    listing = run(app, "accounts", "list")
    assert listing.exit_code == 0 and "Acme on X" in listing.output and "secret-bearer" not in listing.output
    cases = [
        (["--network", "myspace", "--name", "x"], "myspace"),
        (["--network", "twitter", "--name", "x", "--credential", "nonsense"], "KEY=VALUE"),
        (["--network", "twitter", "--name", "x", "--credential", "password=1"], "unknown credential"),
        (["--network", "twitter", "--name", "x"], "bearer_token"),
        (["--network", "twitter", "--name", "x", "--credential", "access_token=a"], "user context"),
        (["--network", "facebook", "--name", "x", "--credential", "page_id=1"], "page_access_token"),
        (["--network", "facebook", "--name", "x", "--credential", "page_id=1", "--credential", "page_access_token=t",
          "--api-base-url", "ftp://nope"], "http(s)"),
    ]
    for args, expected in cases:
        result = run(app, "accounts", "add", *args)
        assert result.exit_code != 0, args
        assert expected in result.output, (args, result.output)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SocialAccount)) == 1


def test_tokens_create_prints_once_and_stores_hash(app, db, make_user):
    user = make_user("agent", email="t@example.test")
    result = run(app, "tokens", "create", "--user", "t@example.test", "--name", "CRM")
    assert result.exit_code == 0, result.output
    raw = result.output.strip().splitlines()[-1]
    token = db.session.scalars(sa.select(ApiToken)).one()
    assert raw.startswith("cbx_") and raw != token.token_hash and token.user_id == user.id
    assert sorted(token.scopes) == ["read", "write"]
    assert run(app, "tokens", "create", "--user", "nobody@example.test", "--name", "x").exit_code != 0
    admin_scope = run(app, "tokens", "create", "--user", "t@example.test", "--name", "x", "--scope", "admin")
    assert admin_scope.exit_code != 0 and "admins" in admin_scope.output


def test_accounts_human_agent_tag_on_off_and_errors(app, db):
    from app.models import AuditEvent

    page = run(app, "accounts", "add", "--network", "facebook", "--name", "Acme Page", "--human-agent",
               "--credential", "page_id=1", "--credential", "page_access_token=t")
    assert page.exit_code == 0, page.output
    x = run(app, "accounts", "add", "--network", "twitter", "--name", "Acme on X", "--human-agent",
            "--credential", "bearer_token=b", "--credential", "user_id=42")
    assert x.exit_code != 0 and "only Facebook" in x.output
    account = db.session.scalars(sa.select(SocialAccount)).one()
    assert account.human_agent_enabled
    off = run(app, "accounts", "human-agent", str(account.id), "off")
    assert off.exit_code == 0, off.output
    db.session.expire_all()
    assert not db.session.get(SocialAccount, account.id).human_agent_enabled
    assert db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action == "account.human_agent")).all()
    assert run(app, "accounts", "human-agent", "999", "on").exit_code != 0
    assert run(app, "accounts", "human-agent", str(account.id), "maybe").exit_code != 0


def test_accounts_add_instagram_with_its_pages_credentials_and_the_human_agent_tag(app, db):
    ok = run(app, "accounts", "add", "--network", "instagram", "--name", "Acme on Instagram", "--human-agent",
             "--credential", "page_id=1000", "--credential", "page_access_token=secret-page-token",
             "--credential", "app_secret=s", "--credential", "ig_user_id=17841400000000001")
    assert ok.exit_code == 0, ok.output
    account = db.session.scalars(sa.select(SocialAccount)).one()
    assert (account.network, account.external_id, account.human_agent_enabled) == (
        "instagram", "17841400000000001", True)
    assert "secret-page-token" not in account.credentials_encrypted
    assert run(app, "accounts", "human-agent", str(account.id), "off").exit_code == 0
    no_page = run(app, "accounts", "add", "--network", "instagram", "--name", "No page",
                  "--credential", "ig_user_id=17841400000000001")
    assert no_page.exit_code != 0 and "page_id" in no_page.output
    bad_id = run(app, "accounts", "add", "--network", "instagram", "--name", "Bad", "--credential", "page_id=1",
                 "--credential", "page_access_token=t", "--credential", "ig_user_id=carebox")
    assert bad_id.exit_code != 0 and "ig_user_id" in bad_id.output
    assert db.session.scalar(sa.select(sa.func.count(SocialAccount.id))) == 1
