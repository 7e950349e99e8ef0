"""Priority from reach and mood: why a conversation ranks high (followers, negative sentiment, complaints),
configurable by managers; the inbox's default sort weighs it."""


def rank(session, plan):
    """Raise the priority of the conversations the ingest `plan` touched whose new customer messages come
    from far-reaching or unhappy customers, with the reasons (vocabulary.PRIORITY_REASONS). Updates the
    plan's rows and the database; never commits."""
    return None
