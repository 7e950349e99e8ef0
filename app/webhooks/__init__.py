"""Outbound webhooks (Standard Webhooks): the event catalogue, the outbox, the SSRF guard and the delivery worker.

- catalogue.py: which webhook types exist and which published events become which type.
- outbox.py: turns events published on a session into WebhookDelivery rows in the same transaction.
- endpoints.py: the rules the API and the admin pages share (create, update, rotate, redeliver, test).
- ssrf.py: refuses URLs that resolve to loopback, private, link-local or reserved addresses.
- delivery.py: the worker job that claims due deliveries, signs, sends and schedules retries.
"""
