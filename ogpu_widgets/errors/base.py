"""The base of the error hierarchy, and the errors of input, configuration, the node, results,
monitoring and the widget."""

from __future__ import annotations

from typing import Any

__all__ = [
    "BadRequest",
    "ConnectionError_",
    "EventsLostError",
    "InvalidAddressError",
    "InvalidArgumentError",
    "InvalidRangeError",
    "NetworkConfigError",
    "NodeUnavailableError",
    "NotAContractError",
    "NotAResponseError",
    "NotASourceError",
    "NotATaskError",
    "OgpuWidgetsError",
    "PollerDiedError",
    "ReadError",
    "ResponseTableError",
    "ResultError",
    "ResultNotFetchedError",
    "ResultTimeoutError",
    "ResultTooLargeError",
    "ResultVerificationError",
    "RpcError",
    "RpcReplyError",
    "SelectorError",
    "SubscriptionEndedError",
    "WatchTimeoutError",
    "DeepReorgError",
    "WrongChainError",
]


class OgpuWidgetsError(Exception):
    """Base class of every error this library raises on purpose.

    Subclasses declare the data they carry as class attributes (default ``None``); the
    constructor takes them by keyword and refuses names no class of the error declares."""

    def __init__(self, message: str = "", **data: Any) -> None:
        super().__init__(message)
        fields = self.fields()
        for name, value in data.items():
            if name not in fields:
                raise TypeError(
                    f"{type(self).__name__} carries no {name!r}; it carries {sorted(fields)}"
                )
            setattr(self, name, value)

    @classmethod
    def fields(cls) -> set[str]:
        """The names of the data attributes this error declares (its own and inherited)."""
        out: set[str] = set()
        for klass in cls.__mro__:
            out.update(k for k in getattr(klass, "__annotations__", {}) if not k.startswith("_"))
        return out

    @property
    def data(self) -> dict[str, Any]:
        """The declared attributes that are set, as a dict."""
        return {k: getattr(self, k) for k in sorted(self.fields()) if getattr(self, k, None)
                is not None}  # fmt: skip

    def __reduce__(self):  # pickling keeps the data (multiprocessing, joblib)
        return (_rebuild, (type(self), str(self), self.data))


def _rebuild(cls: type[OgpuWidgetsError], message: str, data: dict[str, Any]) -> Any:
    return cls(message, **data)


# ---- input and configuration -----------------------------------------------------------------


class InvalidArgumentError(OgpuWidgetsError, ValueError, TypeError):
    """An argument has a value or type the call does not accept (e.g. an unknown
    ``read_path``, ``None`` where addresses are expected)."""

    argument: str | None


class InvalidAddressError(InvalidArgumentError):
    """A value that should be a 20-byte hex address is not one."""

    value: Any


class SelectorError(InvalidArgumentError):
    """``load_responses``/``load_tasks`` got no selector, an empty one, or more than one."""


class InvalidRangeError(InvalidArgumentError):
    """A slot range (``lower``/``upper`` of ``get_task_responses``) is not non-negative ints."""


class NotAContractError(OgpuWidgetsError, ValueError):
    """An address has no code on the connected chain (a definitive answer of the node)."""

    address: str | None


class NotATaskError(OgpuWidgetsError, ValueError):
    """An address has code but does not behave like an OpenGPU task contract."""

    address: str | None


class NotASourceError(OgpuWidgetsError, ValueError):
    """An address has code but does not behave like an OpenGPU source contract."""

    address: str | None


class NotAResponseError(OgpuWidgetsError, ValueError):
    """An address has code but does not behave like an OpenGPU response contract."""

    address: str | None


class NetworkConfigError(OgpuWidgetsError, ValueError):
    """A network description is incomplete or inconsistent (missing address, bad state file)."""


# ---- the node ----------------------------------------------------------------------------------


class ConnectionError_(OgpuWidgetsError, ConnectionError):
    """The RPC node cannot be reached or keeps failing after retries."""

    url: str | None


class WrongChainError(OgpuWidgetsError):
    """The RPC node reports another chain id than the network expects."""

    url: str | None
    expected_chain_id: int | None
    chain_id: int | None


class ReadError(OgpuWidgetsError):
    """A read failed after every retry and fallback; no partial result is returned."""


class NodeUnavailableError(ConnectionError_, ReadError):
    """The node gave no usable answer to ``what`` after the retry policy ran out (transport
    errors, HTTP 408/425/429/5xx, "try again later" error replies, truncated or non-JSON-RPC
    bodies), or the URL cannot be used at all.

    ``exhausted`` is True when every one of ``attempts`` failed transiently, False when the
    answer was unusable at once. ``maybe_sent`` is False only when the request certainly never
    reached the node (connection refused, unusable URL)."""

    what: str | None
    detail: str | None
    attempts: int | None
    exhausted: bool | None
    maybe_sent: bool | None


class RpcReplyError(OgpuWidgetsError):
    """The node answered ``method`` with a JSON-RPC error reply (``code``, ``rpc_message``,
    ``rpc_data``) that is not a transient one."""

    method: str | None
    code: Any
    rpc_message: str | None
    rpc_data: Any


class RpcError(RpcReplyError):
    """A JSON-RPC error reply to ``method``: ``code``, ``message`` and ``data`` of its error."""

    def __init__(self, method: str, error: Any) -> None:
        if isinstance(error, dict):
            code, message, data = (
                error.get("code"),
                str(error.get("message", "")),
                error.get("data"),
            )
        else:
            code, message, data = None, str(error), None
        super().__init__(
            f"{method}: {message} (code {code})",
            method=method,
            code=code,
            rpc_message=message,
            rpc_data=data,
        )
        self.message = message

    @property
    def data(self) -> Any:  # type: ignore[override]
        """The ``data`` of the error reply (revert data, for a revert)."""
        return self.rpc_data

    def __reduce__(self):
        return (RpcError, (self.method, {"code": self.code, "message": self.message,
                                         "data": self.data}))  # fmt: skip


# ---- results behind the URLs ------------------------------------------------------------------


class ResultError(OgpuWidgetsError):
    """A response's result (the content its ``data`` URL names) could not be had or trusted."""

    response: str | None
    cid: str | None
    url: str | None


class ResultVerificationError(ResultError):
    """Content served for a CID does not hash to that CID (a tampering or broken gateway)."""


class ResultNotFetchedError(ResultError):
    """A result was not fetched on purpose: not IPFS content, or an address the kernel must not
    contact (loopback, private, link-local) without being allowed."""


class ResultTooLargeError(ResultError):
    """A result is larger than ``max_bytes``."""

    size: int | None
    max_bytes: int | None


class ResultTimeoutError(ResultError):
    """Fetching a result took longer than its time-out, or the overall time budget ran out."""


# ---- monitoring ------------------------------------------------------------------------------


class WatchTimeoutError(OgpuWidgetsError, TimeoutError):
    """What was waited for (responses of a task, its confirmation) did not happen in time.
    ``found`` holds what had arrived by then."""

    task: str | None
    expected: int | None
    found: list | None
    timeout: float | None


class SubscriptionEndedError(OgpuWidgetsError):
    """A live subscription (a watcher, a live table, :func:`~ogpu_widgets.live.subscribe`) ended
    by itself and gets no more events: one of its callbacks raised a ``BaseException`` (such as
    ``SystemExit``), or the subclasses below. ``since_block``: the first block whose events it
    may not have been given (subscribe again from there); ``network``: the network's name."""

    network: str | None
    since_block: int | None


class EventsLostError(SubscriptionEndedError):
    """A subscriber's callbacks fell ``capacity`` calls behind the poller: the events from
    ``since_block`` on were dropped and the subscription ended (keep callbacks quick, or hand
    the work to a thread of your own)."""

    capacity: int | None


class PollerDiedError(SubscriptionEndedError):
    """The network's shared event poller stopped on an unexpected error (``cause``); its
    subscriptions ended with it, and the next subscription to the network starts a new one."""

    cause: str | None


class DeepReorgError(OgpuWidgetsError, RuntimeError):
    """A reorg forked the chain deeper than the poller follows (``depth`` blocks below the
    ``tip`` it had read): events of blocks below ``resync_from`` that the reorg replaced may be
    missed. Raise the poller's ``reorg_depth`` to follow deeper reorgs."""

    depth: int | None
    tip: int | None
    resync_from: int | None


# ---- the widget --------------------------------------------------------------------------------


class ResponseTableError(OgpuWidgetsError, ValueError):
    """A ``ResponseTable`` was asked for something it cannot do (unknown row, bad data, a bad
    argument: ``argument`` names it)."""

    argument: str | None


class BadRequest(OgpuWidgetsError, ValueError):
    """A front-end request that cannot be handled; ``rid`` is the id to answer with."""

    rid: Any
