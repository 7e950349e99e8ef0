"""The poll loop: one thread per worker that starts its accounts' polls when they are due.

Each round it claims the due, free accounts — the most overdue first, no more than it has idle
poll threads — with one UPDATE … RETURNING (leases.claim_due), and hands each to its bounded
pool of poll threads. Then it sleeps until the next account falls due:
- as the database says (leases.earliest_due: a next_poll_at, or the end of a lease a dead worker
  left behind), looked up after a round that found nothing due and at least every RESCAN_SECONDS,
  so accounts added or re-enabled, and the accounts other workers poll, are seen within that;
- or as its own polls say: each finished poll reports its next poll time, which wakes the loop on
  time without a query;
- but never sooner than BATCH_SECONDS after its last round: accounts falling due that close
  together are claimed together. With 1,000 accounts every 10 s that is one claim query every
  BATCH_SECONDS, not one per poll, for a start delay of at most BATCH_SECONDS plus the claim.
With no idle thread it waits for one (the worker is behind: the start delay grows and
carebox_poll_start_delay_seconds shows it).

Workers side by side each run this loop; the leases keep any account to one of them at a time,
and a killed worker's accounts fall due for the others when its leases run out.
"""
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from app.database import write_intent
from app.extensions import db
from app.logs import job_context
from app.models import utcnow
from app.worker.connections import ConnectorCache
from app.worker.leases import LeaseKeeper, claim_due, earliest_due
from app.worker.polling import run_poll

log = logging.getLogger(__name__)

BATCH_SECONDS = 0.1
RESCAN_SECONDS = 1.0


class PollLoop:
    """PollLoop(app, owner, threads).start() … .stop(): the loop thread, its poll threads, its lease keeper."""

    def __init__(self, app, owner, threads):
        self.app, self.owner, self.threads = app, owner, threads
        self.lease_seconds = app.config["CAREBOX_LEASE_SECONDS"]
        self.keeper = LeaseKeeper(app, owner, self.lease_seconds)
        self.connectors = ConnectorCache(threads)
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="poll")
        self._busy = 0  # polls claimed and not finished
        self._wake_at = 0.0  # time.monotonic() the loop sleeps until; finished polls may bring it forward
        self._changed = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="poll-loop", daemon=True)

    def start(self):
        self.keeper.start()
        self._thread.start()
        return self

    def stop(self):
        """No more claims; wait for the polls in progress, then stop renewing their leases."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        self._thread.join()
        self._pool.shutdown(wait=True)
        self.keeper.stop()
        self.connectors.close()

    # ------------------------------------------------------------------ the loop

    def _run(self):
        while True:
            round_started = time.monotonic()
            with self._changed:
                if self._stopping:
                    return
                idle = self.threads - self._busy
            claimed, due_at = self._claim(idle) if idle else (0, None)
            more_due = claimed == idle  # every idle thread got an account: others may be waiting
            wake = round_started + (BATCH_SECONDS if claimed else RESCAN_SECONDS)
            if due_at is not None:
                wake = min(wake, time.monotonic() + (due_at - utcnow()).total_seconds())
            self._sleep_until(max(wake, round_started + BATCH_SECONDS), need_thread=more_due)

    def _claim(self, limit):
        """Claim up to `limit` due accounts and start their polls; (how many, when the next one is due)."""
        with self.app.app_context():
            try:
                with write_intent():
                    claims = claim_due(db.session, self.owner, self.lease_seconds, limit)
                with self._changed:
                    self._busy += len(claims)
                for claim in claims:
                    self._pool.submit(self._poll, claim)
                # After a round that found accounts due, more are probably close behind (the schedule is dense):
                # claim again after BATCH_SECONDS, no lookup. After an empty round, sleep until the next is due.
                return len(claims), (earliest_due(db.session) if not claims else None)
            except Exception:  # the database is away: try again at the next round
                log.exception("the poll loop could not claim accounts")
                db.session.rollback()
                return 0, None
            finally:
                db.session.remove()

    def _sleep_until(self, wake, *, need_thread):
        """Until `wake` (which finished polls may bring forward) and, if `need_thread`, an idle poll thread."""
        with self._changed:
            self._wake_at = wake
            while not self._stopping:
                now = time.monotonic()
                if now >= self._wake_at and not (need_thread and self._busy >= self.threads):
                    return
                self._changed.wait(self._wake_at - now if now < self._wake_at else None)

    def _poll_finished(self, next_poll_at):
        with self._changed:
            self._busy -= 1
            if next_poll_at is not None:
                due_in = (next_poll_at - utcnow()).total_seconds()
                self._wake_at = min(self._wake_at, time.monotonic() + max(due_in, 0))
            self._changed.notify_all()

    # ------------------------------------------------------------------ one poll (a pool thread)

    def _poll(self, claim):
        started = utcnow()
        next_poll_at = None
        with self.app.app_context(), job_context(f"poll:{claim.account_id}"):
            try:
                outcome = run_poll(self.app, claim, self.owner, self.keeper, started=started,
                                   make_connector=self.connectors)
                next_poll_at = outcome.next_poll_at
                # The poll's scheduled start, actual start and duration: the schedule, readable from the logs.
                log.info("poll account=%s outcome=%s due=%s started=%s took=%.3f worker=%s", claim.account_id,
                         outcome.text, _iso(claim.due), _iso(started), (utcnow() - started).total_seconds(), self.owner)
            except Exception:
                log.exception("poll of account %s crashed", claim.account_id)
                db.session.rollback()
            finally:
                db.session.remove()
                self._poll_finished(next_poll_at)


def _iso(when):
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")
