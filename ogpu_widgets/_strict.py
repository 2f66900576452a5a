"""Strict keyword arguments: an unknown keyword names the closest valid one."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


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
