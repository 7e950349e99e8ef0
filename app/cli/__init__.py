"""`flask …` commands (docs/design.md, "Interfaces"): users, accounts, tokens, worker, sandbox, demo."""


def init_app(app):
    from app.cli import accounts, run, tokens, users

    for group in (users.users, accounts.accounts, tokens.tokens):
        app.cli.add_command(group)
    for command in (run.worker, run.sandbox, run.demo):
        app.cli.add_command(command)
