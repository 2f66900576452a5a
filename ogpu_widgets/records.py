"""Typed records and the protocol's enums, as Python values.

This module sits just above :mod:`.chain` and imports nothing else of the library: what a
record does with another room (``TaskResponse.fetch_data`` fetches through the results room)
is handed to it by the package (:func:`set_result_fetcher`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

from .chain.codec import ZERO_ADDRESS

__all__ = [
    "WEI_PER_OGPU",
    "ZERO_ADDRESS",
    "ConfirmationState",
    "DeliveryMethod",
    "LiveState",
    "ResponseStatus",
    "ResultState",
    "SourceStatus",
    "TaskInfo",
    "TaskResponse",
    "TaskStatus",
    "set_result_fetcher",
]

WEI_PER_OGPU = 10**18

#: What ``TaskResponse.fetch_data`` calls: ``fetch(response, **options)``.
_result_fetcher: list[Callable[..., Any]] = []


def set_result_fetcher(fetch: Callable[..., Any]) -> None:
    """Make ``fetch(response, **options)`` what :meth:`TaskResponse.fetch_data` calls (the
    package sets the results room's ``fetch_one``)."""
    _result_fetcher[:] = [fetch]


class _Labelled(IntEnum):
    """A protocol enum whose ``label`` is its name in lower case (``"responded"``)."""

    @property
    def label(self) -> str:
        return self.name.lower()


class TaskStatus(_Labelled):
    """``Task.getStatus()``."""

    NEW = 0
    ATTEMPTED = 1
    RESPONDED = 2
    CANCELED = 3
    EXPIRED = 4
    FINALIZED = 5


class ResponseStatus(_Labelled):
    """``Response.getStatus()``."""

    SUBMITTED = 0
    CONFIRMED = 1


class DeliveryMethod(_Labelled):
    """A source's ``deliveryMethod``."""

    MANUAL_CONFIRMATION = 0
    FIRST_RESPONSE = 1


class SourceStatus(_Labelled):
    """``Source.getStatus()``."""

    ACTIVE = 0
    INACTIVE = 1


class ConfirmationState(StrEnum):
    """Where a confirmation stands: ``Confirmation.state`` and the ``action`` of a table row,
    by the same names in Python and in the front-end (``js/src/core/states.ts``).

    ``NONE`` (a row without a confirmation) and ``REFUSED`` (refused before anything was sent)
    are row states only; a :class:`~ogpu_widgets.confirm.Confirmation` is ``SIGNING``,
    ``PENDING``, ``MINED`` or ``REVERTED``."""

    NONE = ""
    SIGNING = "signing"
    PENDING = "pending"
    MINED = "mined"
    REVERTED = "reverted"
    REFUSED = "refused"

    @property
    def done(self) -> bool:
        """Mined or reverted: nothing more will happen to the transaction."""
        return self in (ConfirmationState.MINED, ConfirmationState.REVERTED)


class ResultState(StrEnum):
    """Where a row's result stands: ``result_state`` of a table row and ``state`` of the
    detail view's answer, by the same names in Python and in the front-end.

    ``LOADING`` is the front-end's until an answer arrives; ``OK`` verified against its CID,
    ``UNVERIFIED`` fetched but not checkable, ``ERROR`` failed (or does not match its CID),
    ``NONE`` nothing to fetch (the data names no fetchable result)."""

    LOADING = "loading"
    OK = "ok"
    UNVERIFIED = "unverified"
    ERROR = "error"
    NONE = "none"


class LiveState(StrEnum):
    """Whether a live table follows the chain: ``_live_status["state"]``, by the same names in
    Python and in the front-end."""

    LIVE = "live"
    CONNECTING = "connecting"
    RECONNECTING = "reconnecting"
    PAUSED = "paused"
    OFF = "off"
    #: The subscription ended by itself (its poller died, its callbacks fell behind).
    ERROR = "error"


TASK_STATUS_LABELS = [s.label for s in TaskStatus]
RESPONSE_STATUS_LABELS = [s.label for s in ResponseStatus]
DELIVERY_METHOD_LABELS = [d.label for d in DeliveryMethod]


@dataclass(frozen=True, slots=True)
class TaskResponse:
    """One response, as the official SDK's docs describe it, plus ``task`` and ``payment``.

    ``status`` is ``"submitted"`` or ``"confirmed"``; ``timestamp`` is unix seconds;
    ``payment`` is in wei (exact). ``data`` is the chain's bytes decoded as UTF-8, with U+FFFD
    where they are not UTF-8; ``data_bytes`` holds the exact bytes.
    """

    address: str
    task: str
    provider: str
    data: str
    payment: int
    status: str
    confirmed: bool
    timestamp: int
    data_bytes: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def raw_data(self) -> bytes:
        """The exact bytes of ``data`` as stored on chain."""
        return self.data.encode("utf-8") if self.data_bytes is None else self.data_bytes

    @property
    def payment_ogpu(self) -> float:
        return self.payment / WEI_PER_OGPU

    def fetch_data(self, **options: Any) -> Any:
        """The result ``data`` points to, like the official SDK's ``Response.fetch_data()``:
        the parsed JSON value, the text, or bytes (an image, binary data). IPFS content is
        fetched through the gateway and verified against its CID (see
        :func:`ogpu_widgets.fetch_results`). ``options``: ``network``, ``gateway``,
        ``timeout`` (30 s), ``max_bytes``, ``cache``, ``allow_urls``, ``allow_private``.
        Raises the typed :class:`~ogpu_widgets.errors.ResultError` when there is no result
        (``ResultVerificationError``, ``ResultNotFetchedError``, ``ResultTooLargeError``,
        ``ResultTimeoutError``)."""
        (fetch,) = _result_fetcher
        return fetch(self, **options)


@dataclass(frozen=True, slots=True)
class TaskInfo:
    """One task's state, as read from chain."""

    address: str
    source: str
    client: str
    config: str
    payment: int
    expiry: int
    status: TaskStatus
    delivery_method: DeliveryMethod
    attempt_count: int
    winning_provider: str | None
    response_count: int
    #: Unix time of the first attempt (``getAttemptTimestamps(0, 0)``); 0 when none.
    first_attempt: int = 0
