"""The one JSON-RPC client of the library (network level: imports ``errors`` only).

:class:`RpcClient` speaks JSON-RPC over HTTP with a ``requests`` session per thread and per URL
(the table's worker threads and the confirmation watcher each get their own), and gives

* single calls (:meth:`RpcClient.single` returns a JSON-RPC error reply as an
  :class:`RpcError` instance, :meth:`RpcClient.call` raises it);
* batches (:meth:`RpcClient.batch`): results in order, failed items as :class:`RpcError`
  instances (not raised). A node that refuses batches is remembered per URL for the process
  and asked one call per request from then on; items a node drops from a batch are asked
  again alone; a whole batch answered with one "try again later" error gives that error to
  every item (the caller's policy decides whether to retry them);
* retries of transport errors and HTTP 408/425/429/5xx with exponential backoff, and when they
  run out (or the node answers something that is not JSON-RPC), :class:`Unreachable`, which
  knows whether the request may have reached the node (``maybe_sent``: a failed connect means
  certainly not);
* a count of the HTTP requests made (:attr:`RpcClient.requests`, every attempt counts).

Policies stay with the callers: the reader retries transient error replies and raises
``ReadError``; the confirmation path maps failures to its typed errors. :func:`revert_reason`
is the one decoder of revert reasons (``Error(string)``, ``Panic(uint256)``, custom errors by
selector, and the message shapes of anvil, geth and hardhat).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import re
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import requests
from eth_abi import decode as abi_decode

from .errors import ConnectionError_, ReadError

__all__ = [
    "BatchRefused",
    "RpcClient",
    "RpcError",
    "Unreachable",
    "forget_batch_refusals",
    "is_transient",
    "revert_reason",
]

log = logging.getLogger("ogpu_widgets.rpc")

Call = tuple[str, Sequence[Any]]

#: HTTP statuses that refuse a batch request (as opposed to failing it for now).
BATCH_REFUSED_STATUS = frozenset({400, 404, 405, 413, 415, 501})

# ---- errors --------------------------------------------------------------------------------------


class RpcError(Exception):
    """A JSON-RPC error reply to ``method``: ``code``, ``message`` and ``data`` of its error."""

    def __init__(self, method: str, error: Any) -> None:
        self.method = method
        if isinstance(error, dict):
            self.code = error.get("code")
            self.message = str(error.get("message", ""))
            self.data = error.get("data")
        else:
            self.code, self.message, self.data = None, str(error), None
        super().__init__(f"{self.message} (code {self.code})")


class Unreachable(ConnectionError_):
    """The node gave no usable answer to ``what`` (a method, or "a batch request").

    ``exhausted`` is True when every one of ``attempts`` failed transiently (transport error,
    HTTP 429/5xx), False when the answer was unusable at once (not JSON-RPC, a URL requests
    cannot use). ``maybe_sent`` is False only when the request certainly never reached the node
    (connection refused, connect timeout, unusable URL). ``detail`` says what went wrong."""

    def __init__(
        self,
        message: str,
        *,
        what: str,
        detail: str,
        attempts: int,
        exhausted: bool,
        maybe_sent: bool,
    ) -> None:
        super().__init__(message)
        self.what = what
        self.detail = detail
        self.attempts = attempts
        self.exhausted = exhausted
        self.maybe_sent = maybe_sent


class BatchRefused(Exception):
    """The node refuses JSON-RPC batch requests (raised only by ``batch(..., fallback=False)``)."""


_TRANSIENT_TEXT = re.compile(
    r"rate.?limit|too many requests|try again|temporar|busy|overloaded|capacity|"
    r"service unavailable|bad gateway|gateway timeout|connection reset",
    re.I,
)


def is_transient(err: RpcError) -> bool:
    """Whether an error reply says "try again later" (rate limits, an overloaded node).
    (-32005 "limit exceeded" also means "query too large", so the text must say which.)"""
    return err.code == 429 or bool(_TRANSIENT_TEXT.search(err.message))


# ---- revert reasons --------------------------------------------------------------------------------

_ERROR_STRING = "0x08c379a0"  # Error(string)
_PANIC = "0x4e487b71"  # Panic(uint256)
_REVERT_TEXT = re.compile(r"revert|invalid opcode|panic|bad instruction|invalid jump", re.I)
_REASON_TEXT = (
    re.compile(r"reason string '([^']*)'", re.I),  # hardhat
    re.compile(r"execution reverted:\s*(.+)", re.I),  # geth, anvil
    re.compile(r"\brevert(?:ed)?\s+(\w+)", re.I),
)


def _hex_data(data: Any) -> str | None:
    """The revert data of an error's ``data``: a hex string, or one nested the ways nodes nest
    it (``{"data": ...}``, ``{"originalError": ...}``, ``{"result": ...}``)."""
    if isinstance(data, str) and data.startswith("0x"):
        return data
    if isinstance(data, dict):
        for key in ("data", "originalError", "result"):
            found = _hex_data(data.get(key))
            if found:
                return found
    return None


def revert_reason(err: RpcError, custom_errors: Mapping[str, str] | None = None) -> str | None:
    """The revert reason in a JSON-RPC error, from its data (``Error(string)``, ``Panic``, a
    custom error whose 4-byte selector ``custom_errors`` names) or, failing that, its message;
    ``""`` for a revert without a reason, ``None`` if the error is not a revert."""
    data = _hex_data(err.data)
    if data and len(data) >= 10:
        selector = data[:10].lower()
        if selector == _ERROR_STRING:
            with contextlib.suppress(Exception):
                return abi_decode(["string"], bytes.fromhex(data[10:]))[0]
        elif selector == _PANIC:
            with contextlib.suppress(Exception):
                return f"Panic(0x{abi_decode(['uint256'], bytes.fromhex(data[10:]))[0]:02x})"
        elif custom_errors and selector in custom_errors:
            return custom_errors[selector]
    for pattern in _REASON_TEXT:
        m = pattern.search(err.message)
        if m:
            return m.group(1).strip()
    if err.code == 3 or _REVERT_TEXT.search(err.message):
        return ""
    return None


# ---- the transport ---------------------------------------------------------------------------------

#: URLs whose node refused a batch request in this process: asked one call per request since.
_batch_refused: set[str] = set()
_refused_lock = threading.Lock()
_local = threading.local()
_NOT_JSON = object()


def forget_batch_refusals() -> None:
    """Forget which nodes refused batches (for tests)."""
    with _refused_lock:
        _batch_refused.clear()


def _session(url: str) -> requests.Session:
    """This thread's session to ``url`` (sessions are not shared between threads)."""
    sessions = _local.__dict__.setdefault("sessions", {})
    session = sessions.get(url)
    if session is None:
        session = sessions[url] = requests.Session()
    return session


def _transient_status(status: int) -> bool:
    return status in (408, 425, 429) or (status >= 500 and status != 501)


def _looks_jsonrpc(body: Any) -> bool:
    return isinstance(body, list) or (
        isinstance(body, dict) and ("error" in body or "result" in body)
    )


_BAD_URL = (
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
    requests.exceptions.URLRequired,
)


class RpcClient:
    """JSON-RPC to the node at ``url``; see the module's docstring. ``attempts`` HTTP attempts
    per request, the backoff doubling from ``backoff`` seconds; batches of at most
    ``batch_limit`` calls per request unless :meth:`batch` is told otherwise. Safe to share
    between threads."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 30.0,
        name: str | None = None,
        attempts: int = 4,
        backoff: float = 0.25,
        batch_limit: int = 100,
        batching: bool = True,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.name = name
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.batch_limit = batch_limit
        #: False once the node refused a batch (or when the caller wants single requests).
        self.batching = batching and url not in _batch_refused
        #: HTTP requests made, retries included (for logs, tests and benchmarks).
        self.requests = 0
        self._ids = itertools.count(1)
        self._count_lock = threading.Lock()

    def _node(self) -> str:
        return f"the {self.name} RPC node" if self.name else "the RPC node"

    # -- HTTP --------------------------------------------------------------------------------------

    def _post(self, payload: Any, what: str) -> tuple[int, Any]:
        """One JSON-RPC request: (HTTP status, decoded JSON body or _NOT_JSON). Transport errors
        and HTTP 408/425/429/5xx are retried with backoff; :class:`Unreachable` when they run
        out."""
        delay, maybe_sent, detail = self.backoff, False, ""
        for attempt in range(1, self.attempts + 1):
            with self._count_lock:
                self.requests += 1
            try:
                reply = _session(self.url).post(self.url, json=payload, timeout=self.timeout)
            except _BAD_URL as exc:
                raise Unreachable(
                    f"cannot use the URL of {self._node()}, {self.url!r} "
                    f"({type(exc).__name__}); check it",
                    what=what,
                    detail=f"{type(exc).__name__}: {exc}",
                    attempts=attempt,
                    exhausted=False,
                    maybe_sent=False,
                ) from None
            except requests.RequestException as exc:
                connect_failed = isinstance(exc, requests.ConnectTimeout) or (
                    isinstance(exc, requests.ConnectionError)
                    and "NewConnectionError" in repr(exc.args)
                )
                maybe_sent = maybe_sent or not connect_failed
                detail = type(exc).__name__
            else:
                status = reply.status_code
                if not _transient_status(status):
                    try:
                        return status, reply.json()
                    except ValueError:
                        return status, _NOT_JSON
                maybe_sent, detail = True, f"HTTP {status}"
            if attempt < self.attempts:
                log.debug("%s at %s failed (%s, attempt %d); retrying", what, self.url, detail,
                          attempt)  # fmt: skip
                time.sleep(delay)
                delay *= 2
        raise Unreachable(
            f"cannot reach {self._node()} at {self.url} ({detail}, {self.attempts} attempts); "
            "check the URL and your connection",
            what=what,
            detail=detail,
            attempts=self.attempts,
            exhausted=True,
            maybe_sent=maybe_sent,
        )

    def _unusable(self, what: str, status: int) -> Unreachable:
        return Unreachable(
            f"{self._node()} at {self.url} answered HTTP {status} with a body that is not "
            "JSON-RPC; check the URL",
            what=what,
            detail=f"HTTP {status} with a body that is not JSON-RPC",
            attempts=1,
            exhausted=False,
            maybe_sent=True,
        )

    # -- calls -------------------------------------------------------------------------------------

    def single(self, method: str, params: Sequence[Any] = ()) -> Any:
        """The result of one call in its own request, or its error reply as an :class:`RpcError`
        (returned, not raised)."""
        payload = {
            "jsonrpc": "2.0",
            "id": next(self._ids),
            "method": method,
            "params": list(params),
        }
        status, reply = self._post(payload, method)
        if reply is _NOT_JSON or (status >= 300 and not _looks_jsonrpc(reply)):
            raise self._unusable(method, status)
        if not isinstance(reply, dict):
            raise ReadError(f"{method} on {self.url} returned a malformed JSON-RPC reply")
        if "error" in reply:
            return RpcError(method, reply["error"])
        return reply.get("result")

    def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        """The result of one call; an error reply raises :class:`RpcError`."""
        result = self.single(method, params)
        if isinstance(result, RpcError):
            raise result
        return result

    def batch(
        self, calls: Sequence[Call], *, per_request: int | None = None, fallback: bool = True
    ) -> list[Any]:
        """Each call's result in order, or an :class:`RpcError` in its place (not raised).

        Calls go ``per_request`` (default ``batch_limit``) to a batch request while the node takes
        batches, else one per request. When the node refuses a batch it is remembered and the
        rest go one by one, or, with ``fallback=False``, :class:`BatchRefused` is raised."""
        size = max(1, per_request or self.batch_limit)
        out: list[Any] = []
        for start in range(0, len(calls), size):
            out += self._batch(calls[start : start + size], fallback)
        return out

    def _batch(self, calls: Sequence[Call], fallback: bool) -> list[Any]:
        if len(calls) == 1 or not self.batching:
            return [self.single(m, p) for m, p in calls]
        ids = [next(self._ids) for _ in calls]
        payload = [
            {"jsonrpc": "2.0", "id": i, "method": m, "params": list(p)}
            for i, (m, p) in zip(ids, calls, strict=True)
        ]
        what = "a batch request"
        status, reply = self._post(payload, what)
        if isinstance(reply, list):
            by_id = {r.get("id"): r for r in reply if isinstance(r, dict)}
            if any(i in by_id for i in ids):
                out = []
                for i, (method, params) in zip(ids, calls, strict=True):
                    r = by_id.get(i)
                    if r is None:  # some nodes drop items of an oversized batch: ask again alone
                        out.append(self.single(method, params))
                    elif "error" in r:
                        out.append(RpcError(method, r["error"]))
                    else:
                        out.append(r.get("result"))
                return out
            reason = f"{len(reply)} replies to {len(calls)} calls, none of them matching"
        elif status in BATCH_REFUSED_STATUS:
            reason = f"HTTP {status}"
        elif reply is _NOT_JSON:
            raise self._unusable(what, status)
        else:
            error = reply.get("error", reply) if isinstance(reply, dict) else reply
            if is_transient(RpcError(what, error)):  # "try again later", not a refusal
                return [RpcError(m, error) for m, _ in calls]
            reason = str(RpcError(what, error))
        log.debug("the node at %s refuses JSON-RPC batches (%s); one call per request", self.url,
                  reason)  # fmt: skip
        with _refused_lock:
            _batch_refused.add(self.url)
        self.batching = False
        if not fallback:
            raise BatchRefused(f"the node at {self.url} refuses JSON-RPC batch requests ({reason})")
        return [self.single(m, p) for m, p in calls]
