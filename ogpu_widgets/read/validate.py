"""Typed errors for what the caller gave: the selector and the arguments of the public calls
(before anything is read), and the flags of what was read (``NotAContractError``,
``NotATaskError``, ``NotASourceError``, ``NotAResponseError``: definitive answers only)."""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any, Literal

from ..chain.codec import to_address
from ..chain.network import Network
from ..errors import (
    InvalidAddressError,
    InvalidArgumentError,
    InvalidRangeError,
    NotAContractError,
    NotAResponseError,
    NotASourceError,
    NotATaskError,
    OgpuWidgetsError,
    SelectorError,
)
from .rows import HAS_CODE, OK, Resp, SourceRow, TaskRow

# ---- arguments -----------------------------------------------------------------------------------


def address_list(values: Any, what: str, argument: str) -> list[str]:
    """Checksummed addresses of ``values`` (an iterable of addresses, or one address: a string
    or 20 bytes is one item, never walked character by character), duplicates once, in order.
    :class:`InvalidArgumentError` for None or a non-iterable; :class:`InvalidAddressError`
    naming the bad item's position."""
    if values is None:
        raise InvalidArgumentError(
            f"{argument}=None: pass a list of {what}es (or one {what})", argument=argument
        )
    if isinstance(values, str | bytes | bytearray):
        values = [values]
    try:
        items = list(values)
    except TypeError:
        raise InvalidArgumentError(
            f"{argument}={_shown(values)} is not a list of {what}es; pass a list of them",
            argument=argument,
        ) from None
    out = []
    for i, value in enumerate(items):
        try:
            out.append(to_address(value, what))
        except InvalidAddressError as exc:
            raise InvalidAddressError(
                f"{argument}[{i}]: {exc}", value=value, argument=argument
            ) from None
    return list(dict.fromkeys(out))


def _shown(value: Any) -> str:
    if isinstance(value, str | bytes | int | float | None):
        return repr(value)
    return f"<{type(value).__name__}>"


def selector_value(
    tasks: Any, source: Any, client: Any
) -> tuple[Literal["tasks", "source", "client"], Any]:
    """The one selector given, validated: ("tasks", [addresses]) or ("source"/"client",
    address). :class:`SelectorError` for none, several, an empty or a non-iterable one."""
    given = {
        name: value
        for name, value in (("tasks", tasks), ("source", source), ("client", client))
        if value is not None
    }
    if not given:
        raise SelectorError(
            "no selector: pass exactly one of tasks=[task addresses], source=<source address> "
            "or client=<client address>"
        )
    if len(given) > 1:
        raise SelectorError(
            f"more than one selector ({', '.join(given)}): pass exactly one of tasks=, source= "
            "or client=",
            argument=",".join(given),
        )
    ((name, value),) = given.items()
    if name == "tasks":
        if not isinstance(value, str | bytes | bytearray):
            try:
                iter(value)
            except TypeError:
                raise SelectorError(
                    f"tasks={_shown(value)} is not an iterable of task addresses; pass a list "
                    "of them",
                    argument="tasks",
                ) from None
        values = address_list(value, "task address", "tasks")
        if not values:
            raise SelectorError("tasks is empty: pass at least one task address", argument="tasks")
        return "tasks", values
    if isinstance(value, str) and not value.strip():
        raise SelectorError(
            f"{name} is empty: pass a {name} address (0x followed by 40 hex digits)",
            argument=name,
        )
    return name, to_address(value, f"{name} address")  # type: ignore[return-value]


def slot_bounds(lower: Any, upper: Any) -> tuple[int, int | None]:
    """``lower`` (inclusive) and ``upper`` (exclusive, or None: all) as slot indexes."""
    for name, v in (("lower", lower), ("upper", upper)):
        if v is None and name == "upper":
            continue
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise InvalidRangeError(
                f"{name}={v!r} is not a slot index: pass a non-negative int (lower inclusive, "
                "upper exclusive, as the official SDK)",
                argument=name,
            )
    return lower, upper


def block_number(value: Any, argument: str) -> int | None:
    """A block number argument (a non-negative int, or None for the default)."""
    if value is None:
        return None
    try:
        if isinstance(value, bool):
            raise TypeError
        number = operator.index(value)
    except TypeError:
        raise InvalidArgumentError(
            f"{argument}={_shown(value)} is not a block number: pass a non-negative int",
            argument=argument,
        ) from None
    if number < 0:
        raise InvalidArgumentError(
            f"{argument}={number} is not a block number: block numbers start at 0",
            argument=argument,
        )
    return number


# ---- what was read ---------------------------------------------------------------------------------


#: For each kind of address read: the error when it is a contract of another kind, what of it
#: does not answer then, the hint, and what to check when it has no code at all.
_WRONG: dict[str, tuple[type[OgpuWidgetsError], str, str, str]] = {
    "task": (NotATaskError, "its task getters do not answer",
             "pass task addresses (a source? use source=...)", "that you are on the right network"),
    "source": (NotASourceError, "getClient/getTaskCount do not answer",
               "pass a source address (a task? use tasks=[...])", "the network"),
    "response": (NotAResponseError, "its response getters do not answer",
                 "pass response addresses", "the network"),
}  # fmt: skip


def _not_a(what: str, address: str, flags: int, network: Network) -> OgpuWidgetsError:
    """The error for ``address``, which did not read as a ``what`` (a key of :data:`_WRONG`):
    :class:`NotAContractError` when it has no code, else the error of a ``what``."""
    error, silent, hint, check = _WRONG[what]
    if not flags & HAS_CODE:
        return NotAContractError(
            f"{what} address {address} has no contract code on {network.name} (chain "
            f"{network.chain_id}); check the address and {check}",
            address=address,
        )
    return error(
        f"{address} is a contract but not an OpenGPU {what} ({silent}); {hint}", address=address
    )


def check_tasks(rows: Sequence[TaskRow], network: Network) -> None:
    for row in rows:
        if row.flags != OK:
            raise _not_a("task", row.address, row.flags, network)


def check_source(row: SourceRow, network: Network) -> None:
    if row.flags != OK:
        raise _not_a("source", row.address, row.flags, network)


def check_responses(rows: Sequence[Resp], addresses: Sequence[str], network: Network) -> None:
    for (flags, record), address in zip(rows, addresses, strict=True):
        if record is None:
            raise _not_a("response", address, flags, network)
