"""What the kernel may contact to fetch a result, and the one guarded HTTP ``GET``.

A response's ``data`` is written by its provider, so the kernel must not become the providers'
HTTP client. IPFS content is fetched through the configured gateway only (the user chose it,
so it is always allowed, on loopback too); any other URL only with ``allow_urls=True``, and
never at a loopback, private, link-local, unspecified, multicast or otherwise non-global
address unless ``allow_private=True``. Hosts are resolved (IPv4 and IPv6, IPv4-mapped IPv6,
the decimal/hex/octal IPv4 forms, ``localhost`` and ``*.localhost``) and every address they
resolve to must pass. Only ``http``/``https`` are ever fetched. Every ``GET`` streams under a
size cap and one deadline for the whole exchange (:mod:`.deadline`), and follows at most
:data:`MAX_REDIRECTS` redirects, each target checked again by the same policy.

The check resolves a name before ``requests`` resolves it again: a host whose DNS answer
changes in between (DNS rebinding) is outside this check; the IPFS path never connects to a
host named by a provider at all.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from urllib3.util import parse_url

from ..chain.network import IPFS_GATEWAY_ENV, gateway_url, resolve_network
from ..errors import ResultError, ResultNotFetchedError, ResultTimeoutError, ResultTooLargeError
from .deadline import exchange

__all__ = [
    "MAX_REDIRECTS",
    "Limits",
    "Reply",
    "UrlPolicy",
    "address_reason",
    "guarded_get",
    "host_reason",
    "resolve_gateway",
    "shown",
]

#: Redirects followed per request, each target checked again.
MAX_REDIRECTS = 3
_REDIRECTS = (301, 302, 303, 307, 308)
_CHUNK = 16_384
_BAD_URL_CHARS = re.compile(r"[\x00-\x20\x7f\\]")
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}\.?$", re.I)


def shown(text: Any, limit: int = 60) -> str:
    """A provider-written value for a message: repr'd (control, ANSI and bidi characters
    escaped) and shortened."""
    out = repr(text)
    return out if len(out) <= limit else out[: limit - 1] + "…'"


def resolve_gateway(gateway: str | None, network: Any) -> str:
    """The gateway to fetch IPFS content through: the ``gateway`` argument, else
    ``$OGPU_IPFS_GATEWAY``, else the network's ``ipfs_gateway`` ("" when none is set)."""
    if gateway is not None:
        return gateway_url(gateway, "gateway")
    env = os.environ.get(IPFS_GATEWAY_ENV, "").strip()
    if env:
        return gateway_url(env, f"${IPFS_GATEWAY_ENV}")
    return resolve_network(network).ipfs_gateway


# ---- addresses ---------------------------------------------------------------------------------


def address_reason(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why an address must not be contacted (``"loopback address 127.0.0.1"``), or None."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip.teredo is not None:
            embedded = ip.teredo[1]
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            inner = address_reason(embedded)
            return f"{inner} (inside IPv6 {ip})" if inner else None
    for attr, label in (
        ("is_unspecified", "unspecified"),
        ("is_loopback", "loopback"),
        ("is_link_local", "link-local"),
        ("is_multicast", "multicast"),
        ("is_private", "private"),
        ("is_reserved", "reserved"),
    ):
        if getattr(ip, attr):
            return f"{label} address {ip}"
    if getattr(ip, "is_site_local", False):
        return f"private address {ip}"
    if not ip.is_global:
        return f"non-public address {ip}"
    return None


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def _literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host names literally (IPv6 with or without brackets and zone, dotted
    IPv4, and the decimal/hex/octal/short IPv4 forms ``inet_aton`` accepts), or None."""
    text = host.strip("[]")
    try:
        return ipaddress.ip_address(text.split("%", 1)[0] if ":" in text else text)
    except ValueError:
        pass
    if _NUMERIC_HOST.match(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host.rstrip(".")))
        except OSError:
            return None
    return None


def host_reason(host: str, port: int | None) -> str | None:
    """Why ``host`` must not be contacted (a forbidden address it names or resolves to), or
    None. :class:`ResultError` when it does not resolve."""
    name = host.lower().rstrip(".")
    if not name:
        return "no host"
    if name == "localhost" or name.endswith(".localhost"):
        return f"loopback host {shown(host)}"
    literal = _literal(name)
    if literal is not None:
        return address_reason(literal)
    try:
        infos = socket.getaddrinfo(name, port or 80, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise ResultError(f"host {shown(host)} does not resolve") from None
    for info in infos:
        reason = address_reason(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]))
        if reason:
            return f"{shown(host)} resolves to a {reason}"
    return None


# ---- the policy ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UrlPolicy:
    """Which URLs one ``fetch_results`` call may contact."""

    gateway: str = ""
    allow_urls: bool = False
    allow_private: bool = False

    def _origin(self) -> tuple[str, str, int | None] | None:
        return _origin(self.gateway) if self.gateway else None

    def is_gateway(self, url: str) -> bool:
        """Whether ``url`` is on the configured gateway (its origin, or a subdomain of its host
        on the same scheme and port, as a subdomain gateway redirects)."""
        mine, theirs = self._origin(), _origin(url)
        if mine is None or theirs is None:
            return False
        return theirs == mine or (
            theirs[0] == mine[0] and theirs[2] == mine[2] and theirs[1].endswith("." + mine[1])
        )

    def check(self, url: str, *, redirect: bool = False) -> None:
        """Refuse ``url`` with :class:`ResultNotFetchedError` ("not fetched: <reason>") unless
        the policy allows it. ``redirect``: a target a server redirected to (public hosts are
        allowed then without ``allow_urls``; the gateway chose them, not a provider)."""
        where = "redirect to" if redirect else "URL"

        def refuse(reason: str) -> ResultNotFetchedError:
            return ResultNotFetchedError(f"not fetched: {reason}", url=url)

        if not isinstance(url, str) or _BAD_URL_CHARS.search(url):
            raise refuse(f"{where} {shown(url)} has spaces, control characters or backslashes")
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme not in ("http", "https"):
            raise refuse(f"{where} {shown(url)}: only http(s) is ever fetched")
        origin = _origin(url)
        if origin is None:
            raise refuse(f"{where} {shown(url)} is not a URL this library can parse safely")
        if self.is_gateway(url):
            return
        if not (self.allow_urls or redirect):
            raise refuse(
                f"{shown(url)} names no IPFS CID (other URLs are fetched only with allow_urls=True)"
            )
        if not self.allow_private:
            reason = host_reason(origin[1], origin[2])
            if reason:
                raise refuse(f"{where} {reason} (allowed only with allow_private=True)")


def _origin(url: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) when ``urllib`` and ``urllib3`` (what requests uses) read the same
    authority from ``url``; None when they disagree or either fails."""
    try:
        a = urlsplit(url)
        b = parse_url(url)
        a_port = a.port
    except ValueError:
        return None
    host_a = (a.hostname or "").lower()
    host_b = (b.host or "").lower().strip("[]")
    if not host_a or host_a != host_b or a_port != b.port:
        return None
    scheme = a.scheme.lower()
    return scheme, host_a, a_port or (443 if scheme == "https" else 80)


# ---- the guarded GET -------------------------------------------------------------------------


@dataclass(eq=False)
class Limits:
    """The time and size limits of one result's fetch: ``timeout`` seconds for the whole
    result (connect, headers and body of every request), within the call's overall
    ``budget_end`` (``time.monotonic()``), and ``cancel`` set when the call gives up.

    The deadline holds however slowly bytes arrive: the connections of the exchange are
    watched (:mod:`.deadline`), and :meth:`expire`, called by whoever runs the fetch at
    :attr:`end`, shuts their sockets down, so a blocked read returns at once."""

    timeout: float
    max_bytes: int
    budget_end: float | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    started: float = field(default_factory=time.monotonic)
    expired: bool = field(default=False, repr=False)
    _conns: set[Any] = field(default_factory=set, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def end(self) -> float:
        """The deadline (``time.monotonic()``): the time-out's or the budget's, the sooner."""
        end = self.started + self.timeout
        return end if self.budget_end is None else min(end, self.budget_end)

    def remaining(self) -> float:
        """Seconds left; :class:`ResultTimeoutError` when none are."""
        now = time.monotonic()
        end = self.started + self.timeout
        budget = self.budget_end is not None and self.budget_end <= end
        if budget:
            end = self.budget_end  # type: ignore[assignment]
        if self.cancel.is_set() or self.expired or now >= end:
            if budget or self.cancel.is_set():
                raise ResultTimeoutError("timed out: the time budget ran out")
            raise ResultTimeoutError(f"timed out after {self.timeout:g} s")
        return end - now

    def watch(self, conn: Any) -> None:
        """Shut ``conn`` (an HTTP connection, its ``sock``) down at :meth:`expire`; at once if
        the deadline has passed already."""
        with self._lock:
            if not self.expired:
                self._conns.add(conn)
                return
        shut(conn)

    def release(self) -> None:
        """Forget the connections watched so far (their exchange is over)."""
        with self._lock:
            self._conns.clear()

    def expire(self) -> None:
        """The deadline is here: every watched connection is shut down, and later ones are
        refused; the fetch then ends with :class:`ResultTimeoutError`."""
        with self._lock:
            self.expired = True
            conns, self._conns = list(self._conns), set()
        for conn in conns:
            shut(conn)


def shut(conn: Any) -> None:
    """Shut the socket of ``conn`` (and its ``twin`` during a TLS handshake) down, both ways:
    a read blocked on it returns."""
    for sock in (getattr(conn, "sock", None), getattr(conn, "twin", None)):
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


@dataclass(frozen=True)
class Reply:
    """A finished ``GET``: status, content type (lowercase, no parameters), body, final URL."""

    status: int
    content_type: str
    body: bytes
    url: str


def guarded_get(
    session: requests.Session,
    url: str,
    *,
    policy: UrlPolicy,
    limits: Limits,
    cap: int,
    accept: str | None = None,
) -> Reply:
    """``GET url`` under the policy: each hop checked, at most :data:`MAX_REDIRECTS`
    redirects, the body streamed and cut at ``cap`` bytes (:class:`ResultTooLargeError`),
    within ``limits`` (:class:`ResultTimeoutError`). Other failures: :class:`ResultError`."""
    headers = {"Accept-Encoding": "identity"}
    if accept:
        headers["Accept"] = accept
    with exchange(limits):
        for hop in range(MAX_REDIRECTS + 1):
            policy.check(url, redirect=hop > 0)
            left = limits.remaining()
            try:
                reply = session.get(
                    url, headers=headers, stream=True, allow_redirects=False, timeout=(left, left)
                )
            except requests.RequestException as exc:
                limits.remaining()  # the deadline closed the connection: a time-out
                if isinstance(exc, requests.Timeout):
                    raise ResultTimeoutError(
                        f"timed out after {limits.timeout:g} s", url=url
                    ) from None
                raise ResultError(
                    f"cannot reach the server ({type(exc).__name__})", url=url
                ) from None
            with reply:
                location = reply.headers.get("location")
                if reply.status_code in _REDIRECTS and location:
                    url = urljoin(url, location)
                    continue
                body = _read_capped(reply, cap, limits, url)
                kind = reply.headers.get("content-type", "").split(";", 1)[0].strip().lower()
                return Reply(reply.status_code, kind, body, url)
    raise ResultError(f"more than {MAX_REDIRECTS} redirects", url=url)


def _read_capped(reply: requests.Response, cap: int, limits: Limits, url: str) -> bytes:
    declared = reply.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise ResultTooLargeError(
            f"too large: {int(declared):,} bytes, more than {cap:,}",
            url=url,
            size=int(declared),
            max_bytes=cap,
        )
    raw = reply.raw
    read = getattr(raw, "read1", None)  # what has arrived, so a slow drip meets the deadline
    parts: list[bytes] = []
    size = 0
    try:
        while True:
            limits.remaining()
            chunk = read(_CHUNK, decode_content=True) if read else raw.read(_CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > cap:
                raise ResultTooLargeError(
                    f"too large: more than {cap:,} bytes", url=url, size=None, max_bytes=cap
                )
            parts.append(chunk)
    except ResultError:
        raise
    except Exception as exc:  # urllib3's read errors: a reset, a read time-out
        limits.remaining()  # the deadline closed the connection: a time-out
        if "timed out" in str(exc).lower():
            raise ResultTimeoutError(f"timed out after {limits.timeout:g} s", url=url) from None
        raise ResultError(f"the transfer broke off ({type(exc).__name__})", url=url) from None
    limits.remaining()  # an end cut by the deadline is not the end of the body
    return b"".join(parts)
