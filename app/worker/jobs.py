"""The periodic jobs every worker schedules with APScheduler (polls have their own loop: loop.py).

Each entry: (job id, "module:function", interval in seconds). The function is
called as function(app, owner) inside an app context; work that must happen
once across all workers takes a database lease inside it (app/worker/leases.py).
"""
PERIODIC_JOBS = [
    ("reply-sending", "app.conversations.sending:run_sending_job", 5),
    ("sla-sweep", "app.worker.sla_sweep:run_sweep_job", 5),
    ("webhook-delivery", "app.webhooks.delivery:run_delivery_job", 1),
    ("moderation-pending", "app.worker.moderation:run_pending_moderation_job", 3),
]
