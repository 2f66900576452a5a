"""The table's column layout (the synced ``column_layout`` trait).

``{"order": [column, ...], "hidden": [column, ...], "widths": {column: px}}``: the order of
the data columns, the hidden ones and the widths the user dragged. The front-end sets it when
the user changes the layout and applies it on load, so a notebook saved with its widget state
reopens with it. Set from Python, a value of the wrong shape raises
:class:`~ogpu_widgets.errors.InvalidArgumentError` naming what is wrong; within the right shape,
entries that cannot be used (empty or duplicate names) are dropped and widths are clamped to
``MIN_WIDTH``..``MAX_WIDTH``. Names of columns the table does not show are kept (the front-end
ignores them), so a layout survives a change of ``columns``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..errors import InvalidArgumentError

KEYS = ("order", "hidden", "widths")
MIN_WIDTH = 48
MAX_WIDTH = 1200
MAX_NAMES = 500
MAX_NAME = 200


def _fail(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(
        f"column_layout: {message}. Expected {{'order': [column names], 'hidden': [column "
        "names], 'widths': {column name: pixels}}, or {} for the default layout",
        argument="column_layout",
    )


def _names(value: Any, key: str) -> list[str]:
    if not isinstance(value, list | tuple):
        raise _fail(f"{key!r} is a {type(value).__name__}, not a list of column names")
    out: list[str] = []
    for name in value:
        if not isinstance(name, str):
            raise _fail(f"{key!r} holds {name!r}, which is not a column name (a string)")
        if name == "" or len(name) > MAX_NAME or name in out:
            continue
        out.append(name)
    if len(out) > MAX_NAMES:
        raise _fail(f"{key!r} names {len(out)} columns (at most {MAX_NAMES})")
    return out


def _widths(value: Any) -> dict[str, int]:
    if not isinstance(value, Mapping):
        raise _fail(f"'widths' is a {type(value).__name__}, not a mapping of column name to px")
    out: dict[str, int] = {}
    for name, px in value.items():
        if not isinstance(name, str):
            raise _fail(f"'widths' has the key {name!r}, which is not a column name")
        if isinstance(px, bool) or not isinstance(px, int | float) or not math.isfinite(px):
            raise _fail(f"the width of {name!r} is {px!r}, not a number of pixels")
        if name == "" or len(name) > MAX_NAME:
            continue
        out[name] = round(min(MAX_WIDTH, max(MIN_WIDTH, px)))
    if len(out) > MAX_NAMES:
        raise _fail(f"'widths' has {len(out)} columns (at most {MAX_NAMES})")
    return out


def normalize_layout(value: Any) -> dict[str, Any]:
    """The layout in its normal form (``{}`` stays ``{}``); raises ``InvalidArgumentError``
    for a value of the wrong shape."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _fail(f"got a {type(value).__name__}, not a dict")
    unknown = sorted(str(k) for k in value if k not in KEYS)
    if unknown:
        raise _fail(f"unknown key(s) {', '.join(map(repr, unknown))}")
    if not value:
        return {}
    return {
        "order": _names(value.get("order", []), "order"),
        "hidden": _names(value.get("hidden", []), "hidden"),
        "widths": _widths(value.get("widths", {})),
    }
