"""What one read item is and yields: the rows of tasks and sources, attempter-slot ranges, and
responses as read (a flag word saying whether the address has code and reads as it should)."""

from __future__ import annotations

from dataclasses import dataclass

from ..chain.codec import text
from ..records import DeliveryMethod, ResponseStatus, TaskInfo, TaskResponse, TaskStatus

__all__ = [
    "HAS_CODE",
    "LOOKS_RIGHT",
    "OK",
    "Range",
    "Resp",
    "SourceRow",
    "TaskRow",
    "response_record",
    "split_range",
    "task_info",
]

#: Flags of an item (as ``contracts/ResponseLens.sol`` reports them): the address has code; every
#: getter answered as the protocol's contract does. ``OK`` is both.
HAS_CODE, LOOKS_RIGHT = 1, 2
OK = HAS_CODE | LOOKS_RIGHT


@dataclass(slots=True)
class TaskRow:
    address: str
    flags: int
    status: int
    delivery: int
    source: str
    client: str
    payment: int
    expiry: int
    attempts: int
    winner: str | None
    first_attempt: int
    config: str


@dataclass(slots=True)
class SourceRow:
    address: str
    flags: int
    status: int
    client: str
    task_count: int


@dataclass(slots=True)
class Range:
    """Attempter slots (or a source's task slots) ``lower..upper`` of ``target``, inclusive."""

    key: int  # which requested range this is (a part of, after splitting)
    target: str
    lower: int
    upper: int

    @property
    def size(self) -> int:
        return self.upper - self.lower + 1

    def word(self) -> int:
        """The range as one lens input word: target | lower << 160 | upper << 208."""
        return int(self.target, 16) | (self.lower << 160) | (self.upper << 208)

    def halves(self) -> list[Range]:
        mid = (self.lower + self.upper) // 2
        return [
            Range(self.key, self.target, self.lower, mid),
            Range(self.key, self.target, mid + 1, self.upper),
        ]


def split_range(r: Range, limit: int) -> list[Range]:
    """``r`` cut into consecutive parts of at most ``limit`` slots (same key, in order)."""
    if limit < 1:
        raise ValueError(f"limit={limit} must be at least 1")
    return [
        Range(r.key, r.target, lo, min(r.upper, lo + limit - 1))
        for lo in range(r.lower, r.upper + 1, limit)
    ]


#: A response as read: (flags, record or None when it does not read as a response).
Resp = tuple[int, TaskResponse | None]


def response_record(
    address: str,
    flags: int,
    status: int,
    confirmed: int,
    timestamp: int,
    task: str,
    provider: str,
    payment: int,
    data: bytes,
) -> Resp:
    """A response as read; ``data`` are the exact bytes stored on chain. Raises ``ValueError``
    when the flags say the response reads right but its status or confirmation are not the
    protocol's values (output that cannot be true)."""
    if flags != OK:
        return flags, None
    if confirmed > 1:
        raise ValueError(f"confirmedFinal() of {address} is {confirmed}, not a bool")
    return flags, TaskResponse(
        address=address,
        task=task,
        provider=provider,
        data=text(data),
        payment=payment,
        status=ResponseStatus(status).label,
        confirmed=bool(confirmed),
        timestamp=timestamp,
        data_bytes=bytes(data),
    )


def task_info(row: TaskRow, response_count: int) -> TaskInfo:
    return TaskInfo(
        address=row.address,
        source=row.source,
        client=row.client,
        config=row.config,
        payment=row.payment,
        expiry=row.expiry,
        status=TaskStatus(row.status),
        delivery_method=DeliveryMethod(row.delivery),
        attempt_count=row.attempts,
        winning_provider=row.winner,
        response_count=response_count,
        first_attempt=row.first_attempt,
    )
