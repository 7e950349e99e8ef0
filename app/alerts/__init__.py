"""Spike alerts: per account, inbound volume or the share of negative messages in the last 15 minutes
against the same time on the last 7 days; raised once per spike."""
