"""The table's column layout (the synced ``column_layout`` trait).

``{"order": [column, ...], "hidden": [column, ...], "widths": {column: px}}``: the order of
the data columns, the hidden ones and the widths the user dragged. The front-end sets it when
the user changes the layout and applies it on load, so a notebook saved with its widget state
reopens with it. A value of the wrong shape raises
:class:`~ogpu_widgets.errors.InvalidArgumentError` naming what is wrong, set from Python or
from the front-end alike (:func:`normalize_layout` is the one check; the front-end's bad value
is refused and it is told, see :mod:`ogpu_widgets.table.messages`); within the right shape,
entries that cannot be used (empty or duplicate names) are dropped and widths are clamped to
``MIN_WIDTH``..``MAX_WIDTH``. Names of columns the table does not show are kept (the front-end
ignores them), so a layout survives a change of ``columns``. The check is linear in the value
and bounded: at most ``MAX_ENTRIES`` entries a list or mapping are looked at.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..errors import InvalidArgumentError
from .protocol import shown

KEYS = ("order", "hidden", "widths")
MIN_WIDTH = 48
MAX_WIDTH = 1200
#: Most distinct names of one list (or widths), once unusable entries are dropped.
MAX_NAMES = 500
#: Longest column name kept (longer ones are dropped).
MAX_NAME = 200
#: Most entries of one list or mapping looked at (duplicates included): a longer one is refused
#: before it is read.
MAX_ENTRIES = 4 * MAX_NAMES


def _fail(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(
        f"column_layout: {message}. Expected {{'order': [column names], 'hidden': [column "
        "names], 'widths': {column name: pixels}}, or {} for the default layout",
        argument="column_layout",
    )


def _sized(value: Any, key: str) -> None:
    if len(value) > MAX_ENTRIES:
        raise _fail(f"{key!r} has {len(value)} entries (at most {MAX_ENTRIES})")


def _names(value: Any, key: str) -> list[str]:
    if not isinstance(value, list | tuple):
        raise _fail(f"{key!r} is a {type(value).__name__}, not a list of column names")
    _sized(value, key)
    out: dict[str, None] = {}  # in order, each once (a set test, not a list scan)
    for name in value:
        if not isinstance(name, str):
            raise _fail(f"{key!r} holds {shown(name)}, which is not a column name (a string)")
        if name == "" or len(name) > MAX_NAME:
            continue
        out[name] = None
    if len(out) > MAX_NAMES:
        raise _fail(f"{key!r} names {len(out)} columns (at most {MAX_NAMES})")
    return list(out)


def _widths(value: Any) -> dict[str, int]:
    if not isinstance(value, Mapping):
        raise _fail(f"'widths' is a {type(value).__name__}, not a mapping of column name to px")
    _sized(value, "widths")
    out: dict[str, int] = {}
    for name, px in value.items():
        if not isinstance(name, str):
            raise _fail(f"'widths' has the key {shown(name)}, which is not a column name")
        finite = isinstance(px, int) or (isinstance(px, float) and math.isfinite(px))
        if isinstance(px, bool) or not finite:
            raise _fail(f"the width of {shown(name)} is {shown(px)}, not a number of pixels")
        if name == "" or len(name) > MAX_NAME:
            continue
        out[name] = round(min(MAX_WIDTH, max(MIN_WIDTH, px)))
    if len(out) > MAX_NAMES:
        raise _fail(f"'widths' has {len(out)} columns (at most {MAX_NAMES})")
    return out


def normalize_layout(value: Any) -> dict[str, Any]:
    """The layout in its normal form (``{}`` stays ``{}``); raises ``InvalidArgumentError``
    for a value of the wrong shape. Linear in the value; bounded (see the module)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _fail(f"got a {type(value).__name__}, not a dict")
    unknown = [k for k in value if k not in KEYS]
    if unknown:
        named = ", ".join(shown(k) for k in unknown[:3])
        more = f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
        raise _fail(f"unknown key(s) {named}{more}")
    if not value:
        return {}
    return {
        "order": _names(value.get("order", []), "order"),
        "hidden": _names(value.get("hidden", []), "hidden"),
        "widths": _widths(value.get("widths", {})),
    }
