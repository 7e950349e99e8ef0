"""The worker role: the poll loop for the accounts, APScheduler timers for the periodic jobs.

Polls: one loop thread claims the accounts that are due, in batches, and runs their polls on
a bounded pool of threads (app/worker/loop.py), each account on its own fixed slots, start to
start (app/worker/schedule.py). One APScheduler job per account, as before, cost a claim query
per account every tick: 500 a second at 1,000 accounts, each starting up to a tick late.

Periodic jobs (reply delivery, the SLA sweep, spike alerts, webhook delivery: app/worker/jobs.py) stay
APScheduler 3 interval jobs. APScheduler cannot share a job store between processes, so each
worker schedules them locally and the database decides who runs what: every lease is a row
(app/worker/leases.py). Start it with `flask worker` or, embedded, inside `flask demo`; a Worker
starts its scheduler and loop once.
"""
import logging
import os
import socket
import sys
import uuid
from datetime import datetime, timezone

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from werkzeug.utils import import_string

from app.extensions import db
from app.logs import job_context
from app.worker.jobs import PERIODIC_JOBS
from app.worker.leases import release_all
from app.worker.loop import PollLoop

log = logging.getLogger(__name__)

# A poll thread waits on a socket a dozen times per poll (HTTP requests, database round trips) and needs
# the GIL back each time; while another thread runs Python, CPython hands it over only after the switch
# interval (several milliseconds by default), so with many polls a second those hand-overs, not the work,
# set a poll's duration (bench/polling.py shows it).
WORKER_SWITCH_INTERVAL = 0.001


def tune_worker_process():
    """For a process that is only a worker (`flask worker`): hand the GIL over sooner (see above)."""
    sys.setswitchinterval(WORKER_SWITCH_INTERVAL)


class Worker:
    def __init__(self, app, *, owner=None, threads=None):
        self.app = app
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.polls = PollLoop(app, self.owner, threads or app.config["CAREBOX_POLL_THREADS"])
        self.scheduler = BackgroundScheduler(
            timezone="UTC",
            executors={"default": ThreadPoolExecutor(max_workers=len(PERIODIC_JOBS))},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
        )
        self._started = False

    def start(self):
        if self._started:
            raise RuntimeError(f"worker {self.owner} is already running")
        self._started = True
        for job_id, target, seconds in PERIODIC_JOBS:
            self.scheduler.add_job(self.run_periodic, "interval", seconds=seconds, id=job_id,
                                   args=[job_id, import_string(target.replace(":", "."))], next_run_time=_now())
        self.scheduler.start()
        self.polls.start()
        log.info("worker %s started", self.owner)
        return self

    def shutdown(self):
        self.polls.stop()
        self.scheduler.shutdown(wait=True)
        with self.app.app_context():
            release_all(db.session, self.owner)
            db.session.remove()
        log.info("worker %s stopped", self.owner)

    def run_periodic(self, job_id, func):
        with self.app.app_context(), job_context(job_id):
            try:
                func(self.app, self.owner)
            except Exception:
                log.exception("job %s crashed", job_id)
                db.session.rollback()
            finally:
                db.session.remove()


def _now():
    return datetime.now(timezone.utc)
