"""The SSRF guard: webhook URLs must not reach loopback, private, link-local or reserved addresses.

Checked twice: when an endpoint is registered (`check_url`, a clear error
for the admin) and on every connection the delivery worker opens
(`guarded_session`). The second check resolves the host itself, refuses if
any address is forbidden, and connects to exactly the address it checked,
so a DNS answer that changes between the two checks (DNS rebinding) cannot
slip through. Redirects are never followed and proxies from the environment
are ignored, for the same reason.

Private addresses are allowed when app.config["CAREBOX_WEBHOOK_ALLOW_PRIVATE"]
is set or an admin turned the "webhooks" setting's allow_private on (tests and
the sandbox, whose receivers live on loopback).
"""
import ipaddress
import socket
import threading
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection as urllib3_connection

SETTING_KEY = "webhooks"


class BlockedAddress(Exception):
    """The URL resolves to an address webhooks may not reach. Not an OSError, so urllib3 never retries it."""


def forbidden(ip):
    """True for loopback, private, link-local, multicast, reserved and unspecified addresses (IPv4 or IPv6)."""
    ip = ipaddress.ip_address(ip)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def resolve(host, port):
    """Every address `host` resolves to, as (family, ip) pairs. Raises socket.gaierror."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen = []
    for family, _type, _proto, _name, sockaddr in infos:
        pair = (family, sockaddr[0])
        if pair not in seen:
            seen.append(pair)
    return seen


def check_addresses(host, addresses, allow_private):
    if allow_private:
        return
    bad = [ip for _family, ip in addresses if forbidden(ip)]
    if bad:
        raise BlockedAddress(f"{host} resolves to a loopback, private or reserved address ({bad[0]}); "
                             "webhooks may only reach public addresses")


def check_url(url, allow_private):
    """Refuse URLs that are not http(s) or that resolve to forbidden addresses. Returns the URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BlockedAddress("a webhook URL must be an http:// or https:// URL with a host")
    if parts.username or parts.password:
        raise BlockedAddress("a webhook URL must not carry a user name or password")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise BlockedAddress(f"bad port in the webhook URL: {exc}") from None
    try:
        addresses = resolve(parts.hostname, port)
    except (socket.gaierror, UnicodeError):
        raise BlockedAddress(f"cannot resolve {parts.hostname}") from None
    check_addresses(parts.hostname, addresses, allow_private)
    return url


def allow_private(app, session):
    """The configuration flag, or the admin setting."""
    if app.config.get("CAREBOX_WEBHOOK_ALLOW_PRIVATE"):
        return True
    from app.models import Setting

    row = session.get(Setting, SETTING_KEY)
    return bool(row and (row.value or {}).get("allow_private"))


# ------------------------------------------------------------------ guarded connections

class _Guarded:
    """Mixed into urllib3's connections: resolve, check, then connect to the checked address."""

    allow_private = False

    def _new_conn(self):
        try:
            addresses = resolve(self._dns_host, self.port)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        check_addresses(self.host, addresses, self.allow_private)
        error = None
        for _family, ip in addresses:
            try:
                return urllib3_connection.create_connection(
                    (ip, self.port), self.timeout, source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except socket.timeout as exc:
                error = ConnectTimeoutError(self, f"connection to {self.host} timed out")
                error.__cause__ = exc
            except OSError as exc:
                error = NewConnectionError(self, f"failed to establish a new connection: {exc}")
        raise error


def _pool_classes(allow):
    http_conn = type("GuardedHTTPConnection", (_Guarded, HTTPConnection), {"allow_private": allow})
    https_conn = type("GuardedHTTPSConnection", (_Guarded, HTTPSConnection), {"allow_private": allow})
    return {
        "http": type("GuardedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}),
        "https": type("GuardedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn}),
    }


_POOLS = {True: _pool_classes(True), False: _pool_classes(False)}


class GuardedAdapter(HTTPAdapter):
    def __init__(self, allow, **kwargs):
        self._allow = allow
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS[self._allow]


_local = threading.local()


def guarded_session(allow):
    """A requests.Session (one per thread, kept for keep-alive) whose connections pass the guard."""
    sessions = _local.__dict__.setdefault("sessions", {})
    http = sessions.get(allow)
    if http is None:
        http = requests.Session()
        http.trust_env = False  # an environment proxy would make the proxy, not the receiver, the peer we check
        adapter = GuardedAdapter(allow, max_retries=0)
        http.mount("http://", adapter)
        http.mount("https://", adapter)
        sessions[allow] = http
    return http
