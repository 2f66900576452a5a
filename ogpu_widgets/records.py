"""Typed records and the protocol's enums, as Python values."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

from .chain.codec import ZERO_ADDRESS

__all__ = [
    "WEI_PER_OGPU",
    "ZERO_ADDRESS",
    "ConfirmationState",
    "DeliveryMethod",
    "ResponseStatus",
    "SourceStatus",
    "TaskInfo",
    "TaskResponse",
    "TaskStatus",
]

WEI_PER_OGPU = 10**18


class TaskStatus(IntEnum):
    """``Task.getStatus()``."""

    NEW = 0
    ATTEMPTED = 1
    RESPONDED = 2
    CANCELED = 3
    EXPIRED = 4
    FINALIZED = 5

    @property
    def label(self) -> str:
        return self.name.lower()


class ResponseStatus(IntEnum):
    """``Response.getStatus()``."""

    SUBMITTED = 0
    CONFIRMED = 1

    @property
    def label(self) -> str:
        return self.name.lower()


class DeliveryMethod(IntEnum):
    """A source's ``deliveryMethod``."""

    MANUAL_CONFIRMATION = 0
    FIRST_RESPONSE = 1

    @property
    def label(self) -> str:
        return self.name.lower()


class SourceStatus(IntEnum):
    """``Source.getStatus()``."""

    ACTIVE = 0
    INACTIVE = 1

    @property
    def label(self) -> str:
        return self.name.lower()


class ConfirmationState(StrEnum):
    """Where a confirmation stands: ``Confirmation.state`` and the ``action`` of a table row,
    by the same names in Python and in the front-end (``js/src/states.ts``).

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
