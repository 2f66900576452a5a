"""The checked options of a fetch (``fetch_results``, ``TaskResponse.fetch_data``,
``load_responses(results=...)``): every bad value is an :class:`InvalidArgumentError` naming the
argument and what it may be, never an untyped error later or a wait without end."""

from __future__ import annotations

import numbers
from typing import Any

from .. import _strict as strict
from ..errors import InvalidArgumentError

__all__ = ["MAX_BYTES", "MAX_SECONDS", "MAX_WORKERS", "check_flag", "check_numbers"]

#: The largest ``timeout`` and ``budget`` (seconds), ``max_bytes`` and ``workers`` accepted.
MAX_SECONDS = 86_400.0
MAX_BYTES = 1 << 30
MAX_WORKERS = 256


def check_numbers(
    timeout: Any, max_bytes: Any, budget: Any, workers: Any
) -> tuple[float, int, float | None, int]:
    """The checked numbers of a fetch: :class:`InvalidArgumentError` naming the argument and
    its range for anything else (bools, ``inf``, ``nan``, negative, huge, not numbers)."""

    def seconds(value: Any, name: str, none_ok: bool = False) -> float:
        return strict.seconds(value, name, InvalidArgumentError, none=none_ok, maximum=MAX_SECONDS)

    def whole(value: Any, name: str, high: int) -> int:
        if (
            isinstance(value, bool)
            or not isinstance(value, numbers.Integral)
            or not 1 <= value <= high
        ):
            raise InvalidArgumentError(
                f"{name}={strict.shown(value)} is not a whole number in [1, {high:,}]",
                argument=name,
            )
        return int(value)

    return (
        seconds(timeout, "timeout"),
        whole(max_bytes, "max_bytes", MAX_BYTES),
        None if budget is None else seconds(budget, "budget", none_ok=True),
        whole(workers, "workers", MAX_WORKERS),
    )


def check_flag(value: Any, name: str) -> bool:
    """A True/False option; :class:`InvalidArgumentError` for anything else ("no" is not
    False)."""
    if not isinstance(value, bool):
        raise InvalidArgumentError(
            f"{name}={strict.shown(value)} is not True or False", argument=name
        )
    return value
