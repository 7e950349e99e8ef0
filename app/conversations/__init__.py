"""Conversations: the inbox queries and the actions agents take on them."""
