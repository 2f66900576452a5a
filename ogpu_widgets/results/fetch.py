"""Fetching one result and verifying it against its CID.

When a response's ``data`` names an IPFS CID (``ipfs://CID``, ``https://host/ipfs/CID[/path]``,
a subdomain gateway URL or a bare CID), the content is fetched through the CONFIGURED gateway,
never the host named in ``data``:

1. ``GET {gateway}/ipfs/{cid}{path}?format=car`` (``Accept: application/vnd.ipld.car``): every
   block of the CAR is checked against its CID while the file is rebuilt from UnixFS;
2. where the gateway has no CAR support, raw blocks (``?format=raw``, ``Accept:
   application/vnd.ipld.raw``), one request per block, each checked;
3. only then the plain ``GET {gateway}/ipfs/{cid}{path}``, checked by importing the content
   again with the CID's profile and comparing CIDs (:mod:`.reimport`: a ``raw`` CID's hash, a
   CIDv0 as ``ipfs add`` makes it, a CIDv1 as ``ipfs add --cid-version=1``). Only a file below
   a directory path cannot be checked so: it is unverified (``None``, the reason as its error),
   and never shown when it is an HTML page.

A gateway without trustless support is recognised by a reply whose Content-Type is not the
trustless one asked for (a plain gateway ignores ``?format``), or by HTTP 400/406/501. Bytes
that do not match their CID give :class:`~ogpu_widgets.errors.ResultVerificationError`: the
content is dropped, never shown as if fine. Any other URL goes through
:class:`~.policy.UrlPolicy` (refused unless ``allow_urls=True``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import quote

import requests

from ..errors import (
    ResultError,
    ResultNotFetchedError,
    ResultTooLargeError,
    ResultVerificationError,
)
from .cache import ResultCache
from .car import MAX_BLOCK  # the largest block, over the raw interface too (2 MiB)
from .deadline import new_session
from .outcome import Outcome, normalized
from .policy import Limits, Reply, UrlPolicy, guarded_get, shown

if TYPE_CHECKING:
    from .cid import Cid, Located

__all__ = ["Fetcher", "Outcome", "assemble"]

CAR = "application/vnd.ipld.car"
RAW = "application/vnd.ipld.raw"
_NO_TRUSTLESS_STATUS = (400, 406, 501)
_HTML = ("text/html", "application/xhtml+xml")
#: What the IPFS path gives: content, verified, from the cache, why it is unverified.
_Got = tuple[bytes, bool | None, bool, ResultError | None]


class _NoTrustless(Exception):
    """The gateway answered a trustless request with something else (``reply``)."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply


# ---- verification ------------------------------------------------------------------------------


def _failed(message: str, **data) -> ResultVerificationError:
    text = (
        message if message.startswith("verification failed") else f"verification failed: {message}"
    )
    return ResultVerificationError(text, **data)


def assemble(root: Cid, path: str, get_block: Callable[[Cid], bytes], max_bytes: int) -> bytes:
    """The file at ``path`` under ``root``, every block checked against its CID
    (:class:`ResultVerificationError`); :class:`ResultError` when the verified content is not
    a UnixFS file there; ``ResultTooLargeError`` above ``max_bytes``."""
    from .unixfs import file_from_blocks

    try:
        return file_from_blocks(root, get_block, max_bytes=max_bytes, path=path)
    except ResultVerificationError as exc:
        raise _failed(str(exc), **exc.data) from None
    except ResultError:
        raise
    except ValueError as exc:  # blocks that hash right but are not a UnixFS file
        raise ResultError(f"the content is not a UnixFS file ({exc})") from None


# ---- the fetcher -------------------------------------------------------------------------------


class Fetcher:
    """Fetches ``data`` values for one ``fetch_results`` call: its policy and gateway, limits,
    cache, per-thread HTTP sessions, and what the gateway showed it cannot do."""

    def __init__(
        self,
        *,
        policy: UrlPolicy,
        timeout: float,
        max_bytes: int,
        cache: ResultCache | None,
        budget_end: float | None = None,
    ) -> None:
        self.policy = policy
        self.gateway = policy.gateway
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.cache = cache
        self.budget_end = budget_end
        self.cancel = threading.Event()
        self.no_car = False
        self.no_raw = False
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()

    # sessions: one per worker thread, all closed by close()
    def session(self) -> requests.Session:
        s = getattr(self._local, "session", None)
        if s is None:
            s = new_session()
            self._local.session = s
            with self._lock:
                self._sessions.append(s)
        return s

    def close(self) -> None:
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for s in sessions:
            s.close()

    def limits(self) -> Limits:
        return Limits(self.timeout, self.max_bytes, self.budget_end, self.cancel)

    @property
    def car_cap(self) -> int:
        """Bytes accepted for a CAR (or all raw blocks) of a file of ``max_bytes``: the file
        plus the blocks' framing."""
        from .car import car_cap

        return car_cap(self.max_bytes)

    def from_cache(self, data: str) -> Outcome | None:
        """The verified result of ``data`` from the cache, or None (a miss, no cache, no CID)."""
        from .cid import locate

        if self.cache is None or not isinstance(data, str):
            return None
        try:
            located = locate(data.strip())
        except ValueError:
            return None
        if located is None:
            return None
        path = "" if located.path in ("", "/", None) else located.path

        def check(c: Cid, p: str, get_block: Callable[[Cid], bytes]) -> bytes:
            return assemble(c, p, get_block, self.max_bytes)

        hit = self.cache.get(located.cid, path, check, self.max_bytes)
        return None if hit is None else Outcome(hit, True, str(located.cid), None, True)

    def fetch(self, data: str, limits: Limits | None = None) -> Outcome:
        """Fetch and check what ``data`` names, within ``limits`` (new ones when None: the
        caller that holds them may :meth:`~.policy.Limits.expire` them at their deadline).
        Never raises for a fetch failure: the outcome carries the typed error."""
        from .cid import locate, unsupported

        limits = limits or self.limits()
        cid_text = None
        try:
            if not isinstance(data, str) or not data.strip():
                raise ResultNotFetchedError("not fetched: data is empty")
            located = locate(data.strip())
            if located is None:
                reason = unsupported(data)  # IPFS content, but none this library can verify
                if reason:
                    raise ResultNotFetchedError(f"not fetched: {reason}")
                return Outcome(*self._direct(data.strip(), limits))
            cid_text = str(located.cid)
            if not self.gateway:
                raise ResultNotFetchedError(
                    "not fetched: no IPFS gateway is configured (pass gateway=, set "
                    "$OGPU_IPFS_GATEWAY or the network's ipfs_gateway)"
                )
            content, verified, cached, note = self._ipfs(located, limits)
            return Outcome(content, verified, cid_text, note, cached)
        except ResultError as exc:
            exc = normalized(exc)
            if cid_text and getattr(exc, "cid", None) is None:
                exc.cid = cid_text
            verified = False if isinstance(exc, ResultVerificationError) else None
            return Outcome(None, verified, cid_text, exc)

    # ---- a URL that names no CID ------------------------------------------------------------

    def _direct(self, url: str, limits: Limits) -> tuple[bytes, None]:
        self.policy.check(url)
        reply = guarded_get(
            self.session(), url, policy=self.policy, limits=limits, cap=self.max_bytes
        )
        if reply.status != 200:
            raise ResultError(f"the server answered HTTP {reply.status}", url=url)
        return reply.body, None

    # ---- IPFS ---------------------------------------------------------------------------------

    def _ipfs(self, located: Located, limits: Limits) -> _Got:
        cid, path = located.cid, located.path or ""
        if path == "/":
            path = ""

        plain: Reply | None = None
        if not self.no_car:
            try:
                return self._car(cid, path, limits), True, False, None
            except _NoTrustless as exc:
                self.no_car = True
                plain = exc.reply
        if not self.no_raw:
            try:
                return self._raw(cid, path, limits), True, False, None
            except _NoTrustless as exc:
                self.no_raw = True
                if not path:  # the raw request asked for the root, without the path
                    plain = exc.reply
        if plain is None or plain.status != 200:
            plain = self._get(f"/ipfs/{cid}{quote(path)}", limits, None, self.max_bytes)
        if plain.status != 200:
            raise self._status_error(plain)
        if len(plain.body) > self.max_bytes:
            raise ResultTooLargeError(
                f"too large: more than {self.max_bytes:,} bytes",
                max_bytes=self.max_bytes,
                size=len(plain.body),
            )
        return self._plain(cid, path, plain)

    def _plain(self, cid: Cid, path: str, reply: Reply) -> _Got:
        """Plain content checked by importing it again with the CID's profile
        (:mod:`.reimport`): verified, or :func:`_failed`; unverified (with the reason as the
        outcome's error) only where the profile cannot be re-derived, and never an HTML page
        then (a gateway's listing or error page is not a result)."""
        from .reimport import Unverifiable, reimport

        try:
            blocks = reimport(cid, path, reply.body)
        except Unverifiable as exc:
            if reply.content_type in _HTML:
                raise ResultError(
                    f"not shown: the gateway sent an HTML page ({reply.content_type}) for "
                    f"{path!r} below {cid}, which cannot be checked; use a trustless gateway",
                    url=reply.url,
                ) from None
            return reply.body, None, False, ResultError(str(exc), url=reply.url)
        if blocks is None:
            raise _failed(
                f"the content the gateway sent for {cid} (a plain reply, "
                f"{reply.content_type or 'no type'}) does not import to that CID",
                url=reply.url,
            )
        self._keep(cid, path, blocks)
        return reply.body, True, False, None

    def _keep(self, cid: Cid, path: str, used: dict[Cid, bytes]) -> None:
        if self.cache is not None:
            self.cache.put(cid, path, used)

    def _get(self, suffix: str, limits: Limits, accept: str | None, cap: int) -> Reply:
        return guarded_get(
            self.session(),
            self.gateway + suffix,
            policy=self.policy,
            limits=limits,
            cap=cap,
            accept=accept,
        )

    def _status_error(self, reply: Reply) -> ResultError:
        if reply.status == 404:
            return ResultError("not found on the gateway (HTTP 404)", url=reply.url)
        return ResultError(f"the gateway answered HTTP {reply.status}", url=reply.url)

    def _trustless(self, reply: Reply, kind: str) -> None:
        if reply.status in _NO_TRUSTLESS_STATUS or (
            reply.status == 200 and reply.content_type != kind
        ):
            raise _NoTrustless(reply)
        if reply.status != 200:
            raise self._status_error(reply)

    def _car(self, cid: Cid, path: str, limits: Limits) -> bytes:
        """The content at ``path`` below ``cid`` from one CAR, checked block by block; the blocks
        it used are kept (cache)."""
        from .car import read_car

        reply = self._get(f"/ipfs/{cid}{quote(path)}?format=car", limits, CAR, self.car_cap)
        self._trustless(reply, CAR)
        try:
            _, blocks = read_car(reply.body)  # roots ignored: the CID is the one asked for
        except ValueError as exc:
            raise _failed(f"the gateway's CAR does not parse ({exc})", url=reply.url) from None
        used: dict[Cid, bytes] = {}

        def get_block(c: Cid) -> bytes:
            block = blocks.get(c)
            if block is None:
                raise _failed(f"the gateway's CAR lacks block {c}", url=reply.url)
            used[c] = block
            return block

        content = assemble(cid, path, get_block, self.max_bytes)
        self._keep(cid, path, used)
        return content

    def _raw(self, cid: Cid, path: str, limits: Limits) -> bytes:
        """As :meth:`_car`, from raw blocks asked one by one."""
        used: dict[Cid, bytes] = {}
        total = [0]

        def get_block(c: Cid) -> bytes:
            if c in used:
                return used[c]
            reply = self._get(f"/ipfs/{c}?format=raw", limits, RAW, MAX_BLOCK)
            self._trustless(reply, RAW)
            total[0] += len(reply.body)
            if total[0] > self.car_cap:
                raise ResultTooLargeError(
                    f"too large: more than {self.max_bytes:,} bytes", max_bytes=self.max_bytes
                )
            used[c] = reply.body
            return reply.body

        # the root first, capped like a whole file: a plain gateway sends the file here
        reply = self._get(f"/ipfs/{cid}?format=raw", limits, RAW, self.car_cap)
        self._trustless(reply, RAW)
        if len(reply.body) > MAX_BLOCK:
            raise _failed(f"the gateway's block {cid} is larger than a block can be")
        used[cid] = reply.body
        total[0] = len(reply.body)
        content = assemble(cid, path, get_block, self.max_bytes)
        self._keep(cid, path, used)
        return content


def describe(data: str) -> str:
    """``data`` for a log line: shortened and escaped."""
    return shown(data, 80)
