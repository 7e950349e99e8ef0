"""Rules managers write: ordered, each with conditions and actions, run once per new customer message inside
the one ingest path (and, for a dry run, over the last 7 days of stored messages, by the same functions)."""


def run_rules(session, account, plan):
    """Run the enabled rules, in order, over the new customer messages of the ingest `plan`; apply their
    actions to the plan's rows and the database and record each hit. Never commits."""
    return None
