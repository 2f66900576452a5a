"""Typed records and the protocol's enums, as Python values."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

WEI_PER_OGPU = 10**18
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


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


TASK_STATUS_LABELS = [s.label for s in TaskStatus]
RESPONSE_STATUS_LABELS = [s.label for s in ResponseStatus]
DELIVERY_METHOD_LABELS = [d.label for d in DeliveryMethod]


@dataclass(frozen=True, slots=True)
class TaskResponse:
    """One response, as the official SDK's docs describe it, plus ``task`` and ``payment``.

    ``status`` is ``"submitted"`` or ``"confirmed"``; ``timestamp`` is unix seconds;
    ``payment`` is in wei (exact).
    """

    address: str
    task: str
    provider: str
    data: str
    payment: int
    status: str
    confirmed: bool
    timestamp: int

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
