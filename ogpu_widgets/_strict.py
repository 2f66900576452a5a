"""Strict arguments: an unknown keyword names the closest valid one; a number of seconds is a
finite, bounded number (never a bool, ``nan`` or ``inf``)."""

from __future__ import annotations

import difflib
import math
import numbers
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


def shown(value: Any) -> str:
    """A short ``repr`` of a given value (a huge int has none in full, a long text is cut)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"an int of {value.bit_length()} bits"
    if not (value is None or isinstance(value, numbers.Real)):
        return f"a {type(value).__name__}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def seconds_problem(
    value: Any,
    argument: str,
    *,
    none: bool = False,
    zero: bool = False,
    maximum: float = MAX_SECONDS,
    what: str = "",
) -> str | None:
    """What is wrong with ``value`` as ``argument``, a number of seconds: an int or float (never
    a bool), finite, > 0 (``>= 0`` with ``zero``) and at most ``maximum``; ``None`` passes with
    ``none`` (no limit). None when nothing is. ``what`` says what the seconds are for."""
    if value is None and none:
        return None
    number = None
    if isinstance(value, numbers.Real) and not isinstance(value, bool):  # numpy's too
        try:
            number = float(value)
        except (OverflowError, ValueError):  # an int past a float's range
            number = None
    finite = number is not None and math.isfinite(number)
    if finite and (number >= 0 if zero else number > 0) and number <= maximum:
        return None
    low = "[0" if zero else "(0"
    purpose = f" ({what})" if what else ""
    return (
        f"{argument}={shown(value)} is not a number of seconds{purpose} in {low}, "
        f"{maximum:.0f}]" + (" or None (no limit)" if none else "")
    )


def seconds(
    value: Any,
    argument: str,
    error: type[Exception],
    *,
    none: bool = False,
    zero: bool = False,
    maximum: float = MAX_SECONDS,
    what: str = "",
) -> float | None:
    """``value`` as seconds (see :func:`seconds_problem`: the one check of a time-out or an
    interval); anything else raises ``error`` (an error class of the library; given
    ``argument=`` when it carries one) naming what was given."""
    problem = seconds_problem(value, argument, none=none, zero=zero, maximum=maximum, what=what)
    if problem is not None:
        fields = getattr(error, "fields", None)
        data = {"argument": argument} if fields is not None and "argument" in fields() else {}
        raise error(problem, **data)
    return None if value is None else float(value)  # numpy's numbers too
