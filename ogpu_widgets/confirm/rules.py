"""THE one set of refusal rules: whether a response can be confirmed now, and if not, why.

Both the confirmation path (one response, in :func:`~ogpu_widgets.confirm.preflight`) and the
table (every row at once) ask :func:`verdicts`; each label maps to the typed error
(:data:`LABELS`) that the confirmation path raises with its detailed message.

    v = verdicts(Facts(...), signer=account.address, now=time.time())
    ok = v == ""
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import (
    AlreadyConfirmedError,
    ConfirmationError,
    ConfirmationInFlightError,
    FirstResponseSourceError,
    MissingSignerError,
    NotTaskClientError,
    TaskCanceledError,
    TaskExpiredError,
    TaskFinalizedError,
)

__all__ = [
    "LABELS",
    "NOT_CLIENT",
    "OPEN_STATUSES",
    "ORDER",
    "Facts",
    "not_client_message",
    "verdicts",
]

#: label -> the typed error the confirmation path raises for it. The order of this dict is the
#: order in which the rules are applied: the first failing rule names the row's reason.
LABELS: dict[str, type[ConfirmationError]] = {
    "read-only": MissingSignerError,
    "first-response source": FirstResponseSourceError,
    "confirmed": AlreadyConfirmedError,
    "task finalized": TaskFinalizedError,
    "task canceled": TaskCanceledError,
    "task expired": TaskExpiredError,
    "not the client": NotTaskClientError,
    "confirmation pending": ConfirmationInFlightError,
}
ORDER: tuple[str, ...] = tuple(LABELS)
#: The label of a signer that is neither the task's client nor an authorized agent of it.
NOT_CLIENT = "not the client"

#: Task statuses in which a response can still be confirmed (unless the task is past expiry).
OPEN_STATUSES = ("new", "attempted", "responded")


@dataclass(frozen=True)
class Facts:
    """What the rules look at, one entry per response (numpy arrays of equal length).

    ``task_status`` holds :class:`~ogpu_widgets.records.TaskStatus` labels (``"responded"``,
    ...), ``delivery`` ``"manual_confirmation"`` or ``"first_response"``, ``expiry`` unix
    seconds (0 or NaN: none), ``client`` checksummed addresses, ``pending`` whether a
    confirmation of the row's task is in flight from this process, ``agent`` whether the
    signer is an agent the row's client authorized in the Terminal (``None``: nowhere)."""

    confirmed: np.ndarray
    task_status: np.ndarray
    delivery: np.ndarray
    expiry: np.ndarray
    client: np.ndarray
    pending: np.ndarray
    agent: np.ndarray | None = None

    @classmethod
    def one(
        cls,
        *,
        confirmed: bool,
        task_status: str,
        delivery: str,
        expiry: float,
        client: str,
        pending: bool = False,
        agent: bool = False,
    ) -> Facts:
        """The facts of a single response."""
        return cls(
            confirmed=np.array([bool(confirmed)]),
            task_status=np.array([task_status], dtype=object),
            delivery=np.array([delivery], dtype=object),
            expiry=np.array([expiry], dtype=float),
            client=np.array([client], dtype=object),
            pending=np.array([bool(pending)]),
            agent=np.array([bool(agent)]),
        )

    def __len__(self) -> int:
        return len(self.confirmed)


def _bools(values: Any, n: int) -> np.ndarray:
    arr = np.asarray(values).reshape(-1)
    if len(arr) != n:
        raise ValueError(f"Facts arrays differ in length ({len(arr)} != {n})")
    if arr.dtype == bool:
        return arr
    arr = arr.astype(object)
    # None/NaN count as False
    return np.array([bool(v) and v == v for v in arr], dtype=bool) if n else np.zeros(0, bool)


def _texts(values: Any, n: int) -> np.ndarray:
    arr = np.asarray(values).reshape(-1)
    if len(arr) != n:
        raise ValueError(f"Facts arrays differ in length ({len(arr)} != {n})")
    if arr.dtype.kind == "U":
        return arr
    arr = arr.astype(object)
    return np.array(["" if v is None else str(v) for v in arr], dtype=object)


def verdicts(facts: Facts, *, signer: str | None, now: float) -> np.ndarray:
    """An object array: ``""`` where the response can be confirmed by ``signer`` at unix time
    ``now``, else the label of the first failing rule, in the order of :data:`LABELS`:
    ``"read-only"`` (no signer), ``"first-response source"``, ``"confirmed"``,
    ``"task finalized"``, ``"task canceled"``, ``"task expired"`` (status expired, or an open
    status with ``now > expiry > 0``), ``"not the client"`` (the signer is neither the client
    nor an agent of it), ``"confirmation pending"``.
    """
    n = len(np.asarray(facts.confirmed).reshape(-1))
    out = np.full(n, "", dtype=object)
    if signer is None:
        out[:] = "read-only"
        return out
    status = _texts(facts.task_status, n)
    expiry = np.asarray(facts.expiry, dtype=float).reshape(-1)
    if len(expiry) != n:
        raise ValueError(f"Facts arrays differ in length ({len(expiry)} != {n})")
    with np.errstate(invalid="ignore"):
        past = np.isin(status, OPEN_STATUSES) & (expiry > 0) & (now > expiry)
    agent = np.zeros(n, dtype=bool) if facts.agent is None else _bools(facts.agent, n)
    rules = (
        ("first-response source", _texts(facts.delivery, n) == "first_response"),
        ("confirmed", _bools(facts.confirmed, n)),
        ("task finalized", status == "finalized"),
        ("task canceled", status == "canceled"),
        ("task expired", (status == "expired") | past),
        (NOT_CLIENT, (_texts(facts.client, n) != signer) & ~agent),
        ("confirmation pending", _bools(facts.pending, n)),
    )
    for label, mask in rules:
        out[np.asarray(mask, dtype=bool) & (out == "")] = label
    return out


def not_client_message(
    signer: str, client: str, task: str | None = None, *, unchecked: str = "", head: str = ""
) -> str:
    """The message of :class:`~ogpu_widgets.errors.NotTaskClientError`: it names the signer and
    the client, and what to do. ``unchecked`` says why agents could not be checked (no
    Terminal address, a Terminal that does not answer), "" when the Terminal said no."""
    of = f" of task {task}" if task else ""
    who = f"the task's client {client}" if client else "the task's client"
    text = f"{head}the signer {signer} is not {who}{of} or an authorized agent of it; "
    if unchecked:
        return text + unchecked + "; or sign with the client's account (account=...)"
    return text + (
        "sign with the client's account (account=... or $CLIENT_PRIVATE_KEY), or have the "
        f"client authorize this signer once: authorize_agent({signer!r}, account=<client key>)"
    )
