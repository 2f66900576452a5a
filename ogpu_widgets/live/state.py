"""States only move forward, but for what a reorg undid.

A task goes ``NEW < ATTEMPTED < RESPONDED < {CANCELED, EXPIRED, FINALIZED}`` and a response
``SUBMITTED < CONFIRMED``; a final state never changes. Whatever shows a state (a table row, a
watcher's consumer) keeps ``newer_*(shown, seen)``: an answer from a lagging replica, a stale
read, or an event that a reorg took back after it was delivered can then never move a
confirmed response back to submitted, or a finalized task back to responded. The one backward
move is :func:`reorg_changes`, for a row whose events a reorg took back (the poller saw the
block hashes change): it takes the chain's states as they are, and marks the row ``reorged``.
"""

from __future__ import annotations

from typing import Any

from ..errors import InvalidArgumentError
from ..records import ResponseStatus, TaskStatus

__all__ = [
    "forward_changes",
    "is_final",
    "newer_response_label",
    "newer_response_status",
    "newer_task_label",
    "newer_task_status",
    "reorg_changes",
]

_FINAL = frozenset({TaskStatus.CANCELED, TaskStatus.EXPIRED, TaskStatus.FINALIZED})


def _status(value: Any, enum: type, what: str):
    if isinstance(value, enum):
        return value
    try:
        if isinstance(value, str):
            return enum[value.strip().upper()]
        if isinstance(value, int) and not isinstance(value, bool):
            return enum(value)
    except (KeyError, ValueError):
        pass
    raise InvalidArgumentError(
        f"{value!r} is not a {what} status: use one of {', '.join(s.name.lower() for s in enum)}",
        argument=what,
    )


def is_final(status: TaskStatus | str | int) -> bool:
    """Whether a task status never changes again (canceled, expired, finalized)."""
    return _status(status, TaskStatus, "task") in _FINAL


def newer_task_status(
    old: TaskStatus | str | int | None, new: TaskStatus | str | int
) -> TaskStatus:
    """The later of two task statuses (``new`` unless ``old`` is final or further along).
    Statuses are :class:`~ogpu_widgets.records.TaskStatus`, their ``int`` values or their
    names in any case (``"finalized"``); ``old`` may be None (nothing shown yet)."""
    new_s = _status(new, TaskStatus, "task")
    if old is None:
        return new_s
    old_s = _status(old, TaskStatus, "task")
    if old_s in _FINAL:
        return old_s
    return new_s if new_s > old_s else old_s


def newer_response_status(
    old: ResponseStatus | str | int | None, new: ResponseStatus | str | int
) -> ResponseStatus:
    """The later of two response statuses: ``CONFIRMED`` once either is confirmed."""
    new_s = _status(new, ResponseStatus, "response")
    if old is None:
        return new_s
    return max(_status(old, ResponseStatus, "response"), new_s)


# ---- labels, as rows show them -------------------------------------------------------------------


def newer_task_label(old: Any, new: Any) -> str:
    """The task status label that wins (states only move forward); an ``old`` that is no
    status (a missing value) gives way."""
    if old == new:
        return old
    if not isinstance(old, str) or old.upper() not in TaskStatus.__members__:
        return str(new)  # nothing known yet (a missing value)
    return TaskStatus(newer_task_status(old, new)).label


def newer_response_label(old: Any, new: Any) -> str:
    """The response status label that wins (``confirmed`` once either is)."""
    if old == new:
        return old
    if not isinstance(old, str) or old.upper() not in ResponseStatus.__members__:
        return str(new)
    return ResponseStatus(newer_response_status(old, new)).label


def forward_changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The fields of ``new`` (``status``, ``confirmed``, ``task_status``) that move the row
    ``old`` forward; nothing that would move it back (a lagging replica's answer)."""
    out: dict[str, Any] = {}
    status = str(old.get("status", "submitted"))
    if "status" in new:
        s = newer_response_label(status, str(new["status"]))
        if s != status:
            out["status"] = status = s
    confirmed = bool(old.get("confirmed", False))
    if (bool(new.get("confirmed", False)) or status == "confirmed") and not confirmed:
        out["confirmed"] = True
    if "task_status" in new:
        old_ts = str(old.get("task_status", "new"))
        ts = newer_task_label(old_ts, str(new["task_status"]))
        if ts != old_ts:
            out["task_status"] = ts
    return out


def reorg_changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The fields of ``new`` (``status``, ``confirmed``, ``task_status``) that differ from the
    row ``old``, backward moves included, plus ``reorged: True`` when one moves back: what a
    row whose events a reorg took back shows (the chain as it is, read after the reorg)."""
    out = forward_changes(old, new)
    back = {}
    for field in ("status", "task_status"):
        if field in new and field not in out and str(new[field]) != str(old.get(field)):
            back[field] = str(new[field])
    if "confirmed" in new and not bool(new["confirmed"]) and bool(old.get("confirmed", False)):
        back["confirmed"] = False
    if back:
        out.update(back, reorged=True)
    return out
