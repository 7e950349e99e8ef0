"""The worker role: APScheduler timers for pollers (and, later, the SLA sweep and webhook delivery).

APScheduler 3 cannot share a job store between processes, so each worker
schedules every job locally and the database decides who runs it: one
poll job per account, each claiming that account's lease before polling.
Start it with `flask worker` or, embedded, inside `flask demo`.
"""
import logging
import os
import socket
import uuid

import sqlalchemy as sa
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from werkzeug.utils import import_string

from app.extensions import db
from app.models import SocialAccount
from app.ops.logs import job_context
from app.worker.jobs import PERIODIC_JOBS
from app.worker.leases import release_all
from app.worker.polling import poll_account

log = logging.getLogger(__name__)

POLL_TICK_SECONDS = 2  # how often each account job checks whether its account is due
SYNC_SECONDS = 5  # how often the job list follows accounts being added, disabled or removed


class Worker:
    def __init__(self, app, *, owner=None, threads=8):
        self.app = app
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.scheduler = BackgroundScheduler(
            timezone="UTC",
            executors={"default": ThreadPoolExecutor(max_workers=threads)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
        )

    def start(self):
        self.scheduler.add_job(self.sync_account_jobs, "interval", seconds=SYNC_SECONDS, id="sync-accounts",
                               next_run_time=_now())
        for job_id, target, seconds in PERIODIC_JOBS:
            self.scheduler.add_job(self.run_periodic, "interval", seconds=seconds, id=job_id,
                                   args=[job_id, import_string(target.replace(":", "."))], next_run_time=_now())
        self.scheduler.start()
        log.info("worker %s started", self.owner)
        return self

    def shutdown(self):
        self.scheduler.shutdown(wait=True)
        with self.app.app_context():
            release_all(db.session, self.owner)
            db.session.remove()
        log.info("worker %s stopped", self.owner)

    def sync_account_jobs(self):
        with self.app.app_context():
            try:
                ids = set(db.session.scalars(
                    sa.select(SocialAccount.id).where(SocialAccount.enabled.is_(True), SocialAccount.network != "custom")
                ))
            finally:
                db.session.remove()
        scheduled = {int(job.id.split(":")[1]) for job in self.scheduler.get_jobs() if job.id.startswith("poll:")}
        for account_id in ids - scheduled:
            # Jitter: workers' ticks would otherwise lock in phase, and the earliest would poll every account.
            self.scheduler.add_job(self.run_poll, "interval", seconds=POLL_TICK_SECONDS, args=[account_id],
                                   id=f"poll:{account_id}", next_run_time=_now(), jitter=POLL_TICK_SECONDS)
        for account_id in scheduled - ids:
            self.scheduler.remove_job(f"poll:{account_id}")

    def run_periodic(self, job_id, func):
        with self.app.app_context(), job_context(job_id):
            try:
                func(self.app, self.owner)
            except Exception:
                log.exception("job %s crashed", job_id)
                db.session.rollback()
            finally:
                db.session.remove()

    def run_poll(self, account_id):
        with self.app.app_context(), job_context(f"poll:{account_id}"):
            try:
                outcome = poll_account(self.app, account_id, self.owner)
                if outcome != "skipped":
                    log.info("poll account=%s outcome=%s worker=%s", account_id, outcome, self.owner)
            except Exception:
                log.exception("poll job for account %s crashed", account_id)
                db.session.rollback()
            finally:
                db.session.remove()


def _now():
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)
