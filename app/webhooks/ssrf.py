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

from app.models import Setting

SETTING_KEY = "webhooks"


class BlockedAddress(Exception):
    """The URL resolves to an address webhooks may not reach. Not an OSError, so urllib3 never retries it."""


# IPv6 addresses that stand for an IPv4 one: traffic to them reaches that IPv4 address through a translator
# or a tunnel, so they are judged by it (Python's ipaddress judges only the IPv6 address: 64:ff9b::7f00:1,
# NAT64 for 127.0.0.1, is "global" to it).
NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052 well-known prefix, IPv4 in the last 32 bits
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated ::a.b.c.d
IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")  # SIIT ::ffff:0:a.b.c.d (RFC 2765)
# Refused whatever they carry: a site's own translator (RFC 8215, where the IPv4 sits depends on the site's
# prefix length) and site-local addresses (deprecated, still routed inside some networks).
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
SITE_LOCAL = ipaddress.ip_network("fec0::/10")


def embedded_ipv4(ip):
    """The IPv4 addresses an IPv6 address stands for: (kind, [addresses]), or None."""
    if ip.ipv4_mapped is not None:
        return "IPv4-mapped", [ip.ipv4_mapped]
    if ip.sixtofour is not None:
        return "6to4", [ip.sixtofour]
    if ip.teredo is not None:
        return "Teredo", list(ip.teredo)  # the relay server and the client
    for kind, network in (("NAT64", NAT64), ("IPv4-compatible", IPV4_COMPATIBLE), ("IPv4-translated", IPV4_TRANSLATED)):
        if ip in network:
            return kind, [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    return None


def why_forbidden(ip):
    """Why webhooks may not reach `ip` (loopback, private, link-local, multicast, reserved, unspecified, or an
    IPv6 address standing for such an IPv4 address), or None when it is a public address."""
    ip = ipaddress.ip_address(ip)
    if isinstance(ip, ipaddress.IPv6Address) and not (ip.is_loopback or ip.is_unspecified):
        if ip in SITE_LOCAL:
            return "a site-local IPv6 address"
        if ip in NAT64_LOCAL:
            return "a local-use NAT64 address"
        embedded = embedded_ipv4(ip)
        if embedded is not None:
            kind, addresses = embedded
            bad = [str(a) for a in addresses if why_forbidden(a)]
            if bad:
                return f"{kind} for {bad[0]}, a loopback, private or reserved address"
            if kind == "IPv4-mapped":
                return None  # the same host as its IPv4 address, which is public
    if not ip.is_global or ip.is_multicast:
        return "a loopback, private or reserved address"
    return None


def forbidden(ip):
    """True for addresses webhooks may not reach (see why_forbidden)."""
    return why_forbidden(ip) is not None


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
    for _family, ip in addresses:
        reason = why_forbidden(ip)
        if reason:
            raise BlockedAddress(f"{host} resolves to {ip}, {reason}; webhooks may only reach public addresses")


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
            except TimeoutError as exc:
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
