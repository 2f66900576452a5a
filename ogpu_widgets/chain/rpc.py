"""The one JSON-RPC client of the library, with the one retry policy.

:class:`RpcClient` speaks JSON-RPC over HTTP with a ``requests`` session per thread and per URL
(the table's worker threads and the confirmation watcher each get their own), and gives

* single calls (:meth:`RpcClient.single` returns a JSON-RPC error reply as an
  :class:`RpcError` instance, :meth:`RpcClient.call` raises it);
* batches (:meth:`RpcClient.batch`): results in order, failed items as :class:`RpcError`
  instances (not raised). A node that refuses batches is remembered (for
  :data:`CAPABILITIES`' ``ttl``, then probed again) and asked one call per request meanwhile;
  items a node drops from a batch are asked again alone;
* :class:`RetryPolicy`, the only retry loop: transport errors, HTTP 408/425/429/5xx, bodies that
  are truncated or not JSON-RPC, and error replies that say "try again later"
  (:func:`is_transient`: 429, rate limits, -32005 without a "query too large" text, -32603
  internal errors that are not reverts) are retried with exponential backoff. When they run out,
  :class:`Unreachable` (:class:`~ogpu_widgets.errors.NodeUnavailableError`) is raised: a
  connectivity error, never a verdict about an address. It knows whether the request may have
  reached the node (``maybe_sent``: a failed connect means certainly not);
* a count of the HTTP requests made (:attr:`RpcClient.requests`, every attempt counts).

Policies about *meaning* stay with the callers: the reader turns definitive answers into
``NotATaskError`` and the like; the confirmation path maps reverts to its typed refusals.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

import requests

from ..errors import NodeUnavailableError, RpcError
from .policy import CAPABILITIES, Capabilities, RetryPolicy, is_transient

__all__ = [
    "CAPABILITIES",
    "BatchRefused",
    "Capabilities",
    "RetryPolicy",
    "RpcClient",
    "RpcError",
    "Unreachable",
    "is_transient",
]

log = logging.getLogger("ogpu_widgets.rpc")

Call = tuple[str, Sequence[Any]]

#: HTTP statuses that refuse a batch request (as opposed to failing it for now).
BATCH_REFUSED_STATUS = frozenset({400, 404, 405, 413, 415, 501})

# ---- errors (RpcError lives in ogpu_widgets.errors with the others; re-exported here) ------------

#: The node gave no usable answer (see :class:`~ogpu_widgets.errors.NodeUnavailableError`).
Unreachable = NodeUnavailableError


class BatchRefused(Exception):
    """The node refuses JSON-RPC batch requests (raised only by ``batch(..., fallback=False)``)."""


# ---- the transport ---------------------------------------------------------------------------------

_local = threading.local()
_NOT_JSON = object()


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
    if isinstance(body, list):
        return True
    return isinstance(body, dict) and ("error" in body or "result" in body)


_BAD_URL = (
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
    requests.exceptions.URLRequired,
)


class _Transient(Exception):
    """One attempt failed in a way worth retrying; ``detail`` says how."""

    def __init__(self, detail: str, maybe_sent: bool) -> None:
        super().__init__(detail)
        self.detail, self.maybe_sent = detail, maybe_sent


class RpcClient:
    """JSON-RPC to the node at ``url``; see the module's docstring. ``policy`` (or ``attempts``
    and ``backoff``) is the retry policy; batches carry at most ``batch_limit`` calls per
    request unless :meth:`batch` is told otherwise. Safe to share between threads."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 30.0,
        name: str | None = None,
        attempts: int | None = None,
        backoff: float | None = None,
        policy: RetryPolicy | None = None,
        batch_limit: int = 100,
        batching: bool = True,
    ) -> None:
        policy = policy or RetryPolicy()
        if attempts is not None or backoff is not None:
            policy = RetryPolicy(
                attempts=max(1, attempts or policy.attempts),
                backoff=policy.backoff if backoff is None else backoff,
                max_backoff=policy.max_backoff,
            )
        self.url = url
        self.timeout = timeout
        self.name = name
        self.policy = policy
        self.batch_limit = batch_limit
        self._want_batching = batching
        #: HTTP requests made, retries included (for logs, tests and benchmarks).
        self.requests = 0
        self._ids = itertools.count(1)
        self._count_lock = threading.Lock()

    @property
    def attempts(self) -> int:
        return self.policy.attempts

    @property
    def batching(self) -> bool:
        """False while the node's refusal of batches is remembered (or the caller wants single
        requests)."""
        return self._want_batching and CAPABILITIES.allowed("batch", self.url)

    def _node(self) -> str:
        return f"the {self.name} RPC node" if self.name else "the RPC node"

    # -- HTTP --------------------------------------------------------------------------------------

    def _post_once(self, payload: Any, what: str) -> tuple[int, Any]:
        """One HTTP attempt: (status, decoded body). Raises :class:`_Transient` for what is worth
        retrying, :class:`Unreachable` for a URL that cannot be used."""
        with self._count_lock:
            self.requests += 1
        try:
            reply = _session(self.url).post(self.url, json=payload, timeout=self.timeout)
        except _BAD_URL as exc:
            raise Unreachable(
                f"cannot use the URL of {self._node()}, {self.url!r} ({type(exc).__name__}); "
                "check it",
                url=self.url,
                what=what,
                detail=f"{type(exc).__name__}: {exc}",
                attempts=1,
                exhausted=False,
                maybe_sent=False,
            ) from None
        except requests.RequestException as exc:
            connect_failed = isinstance(exc, requests.ConnectTimeout) or (
                isinstance(exc, requests.ConnectionError) and "NewConnectionError" in repr(exc.args)
            )
            raise _Transient(type(exc).__name__, not connect_failed) from None
        status = reply.status_code
        if _transient_status(status):
            raise _Transient(f"HTTP {status}", True)
        try:
            body = reply.json()
        except ValueError:
            if status < 300:  # a truncated or garbled answer: worth another try
                raise _Transient(f"HTTP {status} with a body that is not JSON", True) from None
            return status, _NOT_JSON
        if status < 300 and not _looks_jsonrpc(body):
            raise _Transient(f"HTTP {status} with neither result nor error", True)
        return status, body

    def _exhausted(self, what: str, detail: str, maybe_sent: bool) -> Unreachable:
        return Unreachable(
            f"cannot reach {self._node()} at {self.url} ({detail}, {self.attempts} attempts); "
            "check the URL and your connection, or try again later",
            url=self.url,
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
            url=self.url,
            what=what,
            detail=f"HTTP {status} with a body that is not JSON-RPC",
            attempts=1,
            exhausted=False,
            maybe_sent=True,
        )

    # -- calls -------------------------------------------------------------------------------------

    def single(self, method: str, params: Sequence[Any] = ()) -> Any:
        """The result of one call in its own request, or its (non-transient) error reply as an
        :class:`RpcError` (returned, not raised)."""
        maybe_sent, detail = False, ""
        pauses = self.policy.pauses()
        while True:
            payload = {"jsonrpc": "2.0", "id": next(self._ids), "method": method,
                       "params": list(params)}  # fmt: skip
            try:
                status, reply = self._post_once(payload, method)
                if reply is _NOT_JSON or not isinstance(reply, dict) or not _looks_jsonrpc(reply):
                    raise self._unusable(method, status)
                if "error" not in reply:
                    return reply.get("result")
                err = RpcError(method, reply["error"])
                if not is_transient(err):
                    return err
                maybe_sent, detail = True, f"error reply: {err.message} (code {err.code})"
            except _Transient as t:
                maybe_sent, detail = maybe_sent or t.maybe_sent, t.detail
            pause = next(pauses, None)
            if pause is None:
                raise self._exhausted(method, detail, maybe_sent)
            log.debug("%s at %s failed (%s); retrying in %.2f s", method, self.url, detail, pause)
            time.sleep(pause)

    def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        """The result of one call; an error reply raises :class:`RpcError`."""
        result = self.single(method, params)
        if isinstance(result, RpcError):
            raise result
        return result

    def batch(
        self, calls: Sequence[Call], *, per_request: int | None = None, fallback: bool = True
    ) -> list[Any]:
        """Each call's result in order, or its (non-transient) :class:`RpcError` in its place.

        Calls go ``per_request`` (default ``batch_limit``) to a batch request while the node takes
        batches, else one per request. Items whose reply is transient are asked again under the
        retry policy. When the node refuses a batch it is remembered and the rest go one by one,
        or, with ``fallback=False``, :class:`BatchRefused` is raised."""
        size = max(1, per_request or self.batch_limit)
        out: list[Any] = []
        for start in range(0, len(calls), size):
            out += self._batch_with_retries(calls[start : start + size], fallback)
        return out

    def _batch_with_retries(self, calls: Sequence[Call], fallback: bool) -> list[Any]:
        out: list[Any] = [None] * len(calls)
        todo = list(range(len(calls)))
        pauses = self.policy.pauses()
        maybe_sent, detail = False, ""
        while True:
            try:
                replies = self._batch_once([calls[i] for i in todo], fallback)
            except _Transient as t:
                maybe_sent, detail = maybe_sent or t.maybe_sent, t.detail
                replies = None
            if replies is not None:
                retry = []
                for i, reply in zip(todo, replies, strict=True):
                    out[i] = reply
                    if isinstance(reply, RpcError) and is_transient(reply):
                        retry.append(i)
                if not retry:
                    return out
                first = out[retry[0]]
                todo, maybe_sent = retry, True
                detail = f"error reply: {first.message} (code {first.code})"
            pause = next(pauses, None)
            if pause is None:
                what = "a batch request" if len(todo) > 1 else calls[todo[0]][0]
                raise self._exhausted(what, detail, maybe_sent)
            log.debug("%d calls at %s failed (%s); retrying", len(todo), self.url, detail)
            time.sleep(pause)

    def _batch_once(self, calls: Sequence[Call], fallback: bool) -> list[Any]:
        if len(calls) == 1 or not self.batching:
            return [self.single(m, p) for m, p in calls]
        ids = [next(self._ids) for _ in calls]
        payload = [
            {"jsonrpc": "2.0", "id": i, "method": m, "params": list(p)}
            for i, (m, p) in zip(ids, calls, strict=True)
        ]
        what = "a batch request"
        status, reply = self._post_once(payload, what)  # garbled answers: _Transient
        if isinstance(reply, list):
            by_id = {r.get("id"): r for r in reply if isinstance(r, dict)}
            if any(i in by_id for i in ids):
                out = []
                for i, (method, params) in zip(ids, calls, strict=True):
                    r = by_id.get(i)
                    if r is None or not _looks_jsonrpc(r):
                        out.append(self.single(method, params))  # dropped: ask again alone
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
            err = RpcError(what, error)
            if is_transient(err):  # "try again later", not a refusal
                raise _Transient(f"error reply: {err.message} (code {err.code})", True)
            reason = str(err)
        log.debug("the node at %s refuses JSON-RPC batches (%s); one call per request for now",
                  self.url, reason)  # fmt: skip
        CAPABILITIES.refuse("batch", self.url)
        if not fallback:
            raise BatchRefused(f"the node at {self.url} refuses JSON-RPC batch requests ({reason})")
        return [self.single(m, p) for m, p in calls]
