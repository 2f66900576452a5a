"""Strict arguments: an unknown keyword names the closest valid one; a number of seconds is a
finite, bounded number (never a bool, ``nan`` or ``inf``)."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from typing import Any

#: The longest time-out or interval accepted (about 115 days): anything longer is a mistake,
#: and would overflow the clocks and sockets it is handed to.
MAX_SECONDS = 1e7


def reject_unknown(where: str, given: Iterable[str], valid: Iterable[str]) -> None:
    """Raise ``TypeError`` for the first name of ``given`` not in ``valid``, suggesting the
    closest valid name (a typo such as ``acount=`` must not silently do something else)."""
    valid = sorted(valid)
    for name in given:
        if name in valid:
            continue
        close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else f"; valid ones: {', '.join(valid)}"
        raise TypeError(f"{where} got an unexpected keyword argument {name!r}{hint}")


def seconds(
    value: Any, argument: str, error: type[Exception], *, none: bool = False, zero: bool = False
) -> float | None:
    """``value`` as seconds: an int or float, finite, > 0 (``>= 0`` with ``zero``) and at most
    :data:`MAX_SECONDS`; ``None`` passes with ``none`` (no limit). Anything else raises
    ``error`` (an error class of the library; given ``argument=`` when it carries one) naming
    what was given."""
    if value is None and none:
        return None
    number = isinstance(value, int | float) and not isinstance(value, bool)
    finite = number and (isinstance(value, int) or math.isfinite(value))
    fine = finite and (value >= 0 if zero else value > 0) and value <= MAX_SECONDS
    if not fine:
        shown = repr(value) if number or value is None else f"a {type(value).__name__}"
        if isinstance(value, int) and not isinstance(value, bool) and value > 10**20:
            shown = "a very large int"
        least = ">= 0" if zero else "> 0"
        fields = getattr(error, "fields", None)
        data = {"argument": argument} if fields is not None and "argument" in fields() else {}
        raise error(
            f"{argument}={shown} is not a number of seconds {least} and at most "
            f"{MAX_SECONDS:,.0f}" + (" (None: no limit)" if none else ""),
            **data,
        )
    return float(value)
