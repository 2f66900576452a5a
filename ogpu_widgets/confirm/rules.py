"""THE one set of refusal rules: whether a response can be confirmed now, and if not, why.

Both the confirmation path (one response, :func:`check`, in the pipeline) and the table (every
row at once) ask :func:`verdicts`; each label maps to the typed error (:data:`LABELS`) that
:func:`check` raises with its detailed message and data.

    v = verdicts(Facts(...), signer=account.address, now=time.time())
    ok = v == ""
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from .confirmation import Confirmation
    from .preflight import State

__all__ = [
    "LABELS",
    "NOT_CLIENT",
    "OPEN_STATUSES",
    "ORDER",
    "Facts",
    "check",
    "in_flight_error",
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


# ---- the typed refusal of one response -------------------------------------------------------------


def _when(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def in_flight_error(entry: Confirmation, response: str) -> ConfirmationInFlightError:
    """The refusal for ``response`` while ``entry`` holds its task in this process."""
    state = entry.state
    what = {"signing": "being signed", "pending": "pending", "mined": "mined"}.get(state, state)
    tx = f" (tx {entry.tx_hash})" if entry.tx_hash else ""
    return ConfirmationInFlightError(
        f"task {entry.task} already has a confirmation {what} from this process: response "
        f"{entry.response}{tx}; a task pays one response, so {response} is refused"
        if entry.response != response
        else f"a confirmation of {response} is already {what}{tx}; follow it with "
        "pending_confirmation(task) instead of sending another",
        response=response,
        task=entry.task,
        signer=entry.signer,
        tx_hash=entry.tx_hash,
        confirmation=entry,
    )


def check(s: State, signer: str) -> None:
    """Raise the typed refusal for ``s``: a problem found while reading, else the first failing
    rule of :func:`~.rules.verdicts`, with its detailed message and data."""
    if s.problem:
        raise s.problem
    facts = Facts.one(
        confirmed=s.confirmed,
        task_status=s.task_status.label if s.task_status is not None else "",
        delivery=s.delivery.label if s.delivery is not None else "",
        expiry=s.expiry,
        client=s.client,
        agent=s.agent,
    )
    label = verdicts(facts, signer=signer, now=s.block_time)[0]
    if not label:
        return
    data = {"response": s.response, "task": s.task, "signer": signer}
    if label == "first-response source":
        raise LABELS[label](
            f"task {s.task} belongs to source {s.source}, which delivers FIRST_RESPONSE: the "
            "chain confirms the first response by itself, so there is nothing to confirm"
            + (f" (it confirmed provider {s.winner}'s response)" if s.winner else ""),
            source=s.source,
            **data,
        )
    if label == "confirmed":
        raise LABELS[label](
            f"response {s.response} is already confirmed and its task {s.task} finalized; "
            "the provider has been paid and there is nothing left to do",
            **data,
        )
    if label == "task finalized":
        won = f"provider {s.winner}'s response" if s.winner else "another response"
        raise LABELS[label](
            f"task {s.task} is already finalized: {won} was confirmed, so response "
            f"{s.response} (provider {s.provider}) can no longer be confirmed",
            winner=s.winner,
            **data,
        )
    if label == "task canceled":
        raise LABELS[label](
            f"task {s.task} was canceled by its client; its payment was returned and none of "
            f"its responses, {s.response} included, can be confirmed",
            **data,
        )
    if label == "task expired":
        raise LABELS[label](
            f"task {s.task} expired at {_when(s.expiry)} (unix {s.expiry}) before a response "
            f"was confirmed; the chain refuses to confirm {s.response} now",
            expiry=s.expiry,
            **data,
        )
    if label == NOT_CLIENT:
        raise LABELS[label](
            not_client_message(signer, s.client, s.task, unchecked=s.agent_unchecked),
            expected_client=s.client,
            is_agent=None if s.agent_unchecked else False,
            **data,
        )
    raise LABELS[label](f"{s.response} cannot be confirmed: {label}", **data)
