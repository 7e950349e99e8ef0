"""Group commit for pushed messages: requests that arrive together share one ingest transaction.

POST /api/v1/messages stores one message per request. Alone, each request pays for a dozen statements
and a COMMIT (an fsync); when requests overlap, most of that is repeated work. So a request hands its
item to `ingest_pushed()`: whichever request finds no write in progress (the leader) ingests every item
waiting, for every account, through the one ingest path, commits once, and gives each waiting request
its result. A request that finds nobody writing writes at once, alone: nothing waits for company, so a
sequential client sees no delay, and under load the batches grow by themselves (bench/ingest.py
--batch N measures what a batch saves).

For the caller nothing changes: `ingest_pushed()` returns once its item is committed, or raises what
stopped it (a domain error: no such account, not a custom account, not stored in time). A batch that fails is retried one item at a time, so a bad item fails only its own request.
A request that writes alone does so in its own transaction, as if there were no batching at all.
"""
import dataclasses
import threading
from concurrent.futures import Future

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.accounts import lock_accounts
from app.domain_errors import Invalid, NotFound, Unavailable
from app.ingest.pipeline import ingest
from app.ingest.triage import asks_a_model, precompute

MAX_BATCH = 100  # a poller's page: the size the ingest path is built for
WAIT_SECONDS = 60  # a request gives up (and answers 503) if its batch takes longer than this


@dataclasses.dataclass
class _Waiting:
    account_id: int
    item: object  # app.ingest.InboundItem
    future: Future = dataclasses.field(default_factory=Future)


class GroupCommit:
    """One per application (app.extensions["carebox_group_commit"]): the queue of items waiting to be written."""

    def __init__(self):
        self._waiting = []
        self._waiting_lock = threading.Lock()
        self._writer = threading.Lock()  # held by the leader while it writes a batch

    def ingest(self, session, account_id, item):
        """Store `item` for the account through app.ingest.ingest(), together with whatever else is waiting;
        the session's transaction is committed (what the request read so far included)."""
        if asks_a_model():
            # A remote triage model labels the item now, each request its own, in parallel, holding nothing
            # (on SQLite the request may hold the write lock: a token's last use).
            session.commit()
            item = precompute([item])[0]
        mine = _Waiting(account_id, item)
        with self._waiting_lock:
            self._waiting.append(mine)
        if not self._writer.acquire(blocking=False):
            # Someone is writing. Wait holding no transaction: the writer may need what this one holds
            # (SQLite's write lock), and a waiting request should not keep a connection busy.
            session.commit()
            if not self._writer.acquire(timeout=WAIT_SECONDS):
                raise Unavailable(_l("The message could not be stored in time; send it again (it is stored only once)."))
        try:
            while not mine.future.done():  # written by the writer before us, or now by us
                with self._waiting_lock:
                    batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
                if not batch:  # taken by a writer that never answered (it cannot happen: _write answers all)
                    raise RuntimeError("a pushed message was taken for writing and lost")
                _write(session, batch)
        finally:
            self._writer.release()
        return mine.future.result()


def _write(session, batch):
    """Ingest and commit `batch` in one transaction; on failure, each item alone."""
    try:
        results = _ingest_batch(session, batch)
    except Exception as exc:
        try:
            session.rollback()
        except Exception:  # the connection broke: the next statement takes another
            pass
        if len(batch) == 1:
            batch[0].future.set_exception(exc)
            return
        for waiting in batch:
            _write(session, [waiting])
        return
    for waiting, result in zip(batch, results):
        if isinstance(result, Exception):
            waiting.future.set_exception(result)
        else:
            waiting.future.set_result(result)


def _ingest_batch(session, batch):
    by_account = {}  # account id -> its waiting items, in arrival order
    for waiting in batch:
        by_account.setdefault(waiting.account_id, []).append(waiting)
    results = {}
    accounts = lock_accounts(session, by_account)  # in id order, as everywhere
    for account_id, waitings in sorted(by_account.items()):
        refused = _refusal(account_id, accounts.get(account_id))
        if refused is not None:  # only these requests fail; the rest of the batch goes on
            results.update((id(waiting), refused) for waiting in waitings)
            continue
        account = accounts[account_id]
        stored = {r.external_id: r for r in ingest(session, account, [w.item for w in waitings])}
        first = set()
        for waiting in waitings:
            result = stored[waiting.item.external_id]
            if waiting.item.external_id in first:
                # The same message pushed twice at once: the first request stored it, this one repeats it.
                result = dataclasses.replace(result, created=False)
            first.add(waiting.item.external_id)
            results[id(waiting)] = result
    session.commit()
    return [results[id(waiting)] for waiting in batch]


def _refusal(account_id, account):
    if account is None:
        return NotFound(f"There is no account {account_id}.")
    if account.network != "custom":
        return Invalid(f"Account {account_id} is a {account.network} account; only custom accounts take pushed "
                       "messages.", code="not_a_custom_account")
    return None


def ingest_pushed(session, account_id, item):
    """`GroupCommit.ingest` on the current application's group."""
    return current_app.extensions["carebox_group_commit"].ingest(session, account_id, item)


def init_app(app):
    app.extensions["carebox_group_commit"] = GroupCommit()
