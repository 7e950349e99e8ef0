"""The worker's connectors: one per account, kept from one poll to the next, over one shared connection pool.

Building a connector per poll (a tweepy or facebook-sdk client and a requests.Session of its own)
also opened a new TCP connection per poll: at a hundred polls a second, connecting and closing was the
worker's largest single cost, and each connection a new thread on a threaded server. Connectors
are plain objects with no database state (app/connectors/base.py), so the worker keeps each
account's until its details change (the AccountInfo differs: new credentials, base URL, handle),
and every connector's session sends through one HTTPAdapter: keep-alive connections to each host
(the network's API, the sandbox) shared by all accounts, as many as there are poll threads.

requests also reads the proxy and CA-bundle variables from the environment on every request
(`trust_env`: two scans of os.environ each time); each connector's session gets them once,
resolved by requests' own rules for its base URL (~/.netrc, which no network here uses, is not read).

A connector is used by one poll at a time (an account's polls never overlap: its lease), so
caching needs no locking beyond the dictionary's own.
"""
import os
import threading
from collections import OrderedDict

from requests.adapters import HTTPAdapter
from requests.utils import get_environ_proxies

from app.connectors import connector_for


class ConnectorCache:
    """cache(info, timeout=…) -> the account's connector, built on first use; a drop-in for connector_for."""

    def __init__(self, threads, size=10000):
        # A connection per poll thread and host; more would only sit idle.
        self.adapter = HTTPAdapter(pool_connections=4, pool_maxsize=threads, pool_block=False)
        self.size = size
        self._connectors = OrderedDict()  # account id -> (AccountInfo, timeout, connector), least recent first
        self._lock = threading.Lock()

    def __call__(self, info, timeout):
        with self._lock:
            cached = self._connectors.get(info.id)
            if cached is not None and cached[0] == info and cached[1] == timeout:
                self._connectors.move_to_end(info.id)
                return cached[2]
        connector = connector_for(info, timeout=timeout)
        session = getattr(connector, "session", None)
        if session is not None:
            session.mount("http://", self.adapter)
            session.mount("https://", self.adapter)
            _settle_environment(session, getattr(session, "api_base_url", None))
        with self._lock:
            self._connectors[info.id] = (info, timeout, connector)
            self._connectors.move_to_end(info.id)
            while len(self._connectors) > self.size:
                self._connectors.popitem(last=False)
        return connector

    def close(self):
        self.adapter.close()


def _settle_environment(session, base_url):
    """What trust_env would read on every request (proxies for this host, the CA bundle), read once."""
    if base_url:
        session.proxies.update(get_environ_proxies(base_url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle and session.verify is True:
        session.verify = bundle
    session.trust_env = False
