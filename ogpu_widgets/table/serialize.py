"""The rows of a ``ResponseTable`` as the front-end receives them: the column list, the Arrow
snapshot (``_rows``) and JSON patches (``_patch``). See ``docs/widget-protocol.md``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..chain.codec import checksummed
from ..errors import ResponseTableError
from ..read.frame import RESPONSE_COLUMNS

__all__ = [
    "COLUMNS",
    "CONTROL_COLUMNS",
    "DEFAULT_COLUMNS",
    "checksummed_index",
    "jsonable",
    "packed_addresses",
    "snapshot",
]

#: The data columns shown, in order: (name, label, kind). ``kind`` tells the front-end how to
#: format a value (see docs/widget-protocol.md).
COLUMNS: list[tuple[str, str, str]] = [
    ("address", "Response", "address"),
    ("task", "Task", "address"),
    ("provider", "Provider", "address"),
    ("data", "Data", "text"),
    ("result", "Result", "result"),
    ("payment_ogpu", "Payment", "ogpu"),
    ("status", "Status", "category"),
    ("task_status", "Task status", "category"),
    ("delivery_method", "Delivery", "category"),
    ("timestamp", "Submitted", "datetime"),
    ("task_expiry", "Expires", "datetime"),
    ("source", "Source", "address"),
]

#: The columns shown unless ``columns=`` says otherwise (``task_expiry`` and ``source`` are
#: available too). ``result`` is the preview of the result behind ``data``, fetched after the
#: table has painted (see :mod:`ogpu_widgets.table.results`).
DEFAULT_COLUMNS = [
    "address", "task", "provider", "data", "result", "payment_ogpu", "status", "task_status",
    "delivery_method", "timestamp",
]  # fmt: skip

#: Columns of the front-end's row store that only Python sets.
CONTROL_COLUMNS = (
    "can_confirm", "reason", "action", "tx_hash", "action_error",
    "result_preview", "result_state", "result_kind",
    "confirm_tx", "confirm_block", "confirm_tx_state", "confirm_tx_error", "reorged",
)  # fmt: skip

#: Columns shown from something other than the DataFrame (the result, fetched later).
DERIVED = ("result",)

#: Columns a DataFrame must have to be shown (``load_responses`` gives them all).
REQUIRED = [c for c, _, _ in COLUMNS if c != "address" and c not in DERIVED] + [
    "client", "payment", "confirmed",
]  # fmt: skip


def checked_frame(df: Any) -> pd.DataFrame:
    """A copy of ``df`` fit to be shown, normalized once: the columns of ``load_responses`` with
    its dtypes (what ``pd.concat`` of such frames loosens: categories, missing values, chunked
    strings), one row per response address, the index in verified EIP-55 spelling. The same
    response twice with the same data is kept once; with different data it is refused."""
    if not isinstance(df, pd.DataFrame):
        raise ResponseTableError(
            f"data must be a pandas DataFrame from load_responses(), not {type(df).__name__}"
        )
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise ResponseTableError(
            f"the DataFrame lacks column(s) {', '.join(missing)}; build it with "
            "load_responses() (or keep its columns when filtering)"
        )
    df = df.copy()
    df.index = checksummed_index(df.index)
    for name, dtype in RESPONSE_COLUMNS.items():
        if name in df.columns:
            df[name] = _column(df[name], name, dtype)
    if df.index.has_duplicates:
        df = _once(df)
    return df


def _column(values: pd.Series, name: str, dtype: Any) -> pd.Series:
    """One column of a given frame with the dtype ``load_responses`` gives it."""
    if name == "payment":  # exact wei: Python ints, never floats
        out = values.to_numpy(dtype=object).copy()
        for i, v in enumerate(out):
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 0:
                raise _bad_column(name, v, "a payment in wei (an int >= 0)")
            out[i] = int(v)
        return pd.Series(out, index=values.index, dtype=object, name=name)
    target = pd.api.types.pandas_dtype(dtype)
    if values.dtype == target:
        return values
    missing = values.isna().to_numpy()
    if name == "confirmed" and missing.any():
        raise _bad_column(name, None, "True or False")
    if isinstance(target, pd.CategoricalDtype):  # a category that is no protocol value
        lost = ~values.isin(list(target.categories)).to_numpy() & ~missing
        if lost.any():
            raise _bad_column(name, values[lost].iloc[0], f"one of {list(target.categories)}")
    try:
        out = values.astype(target)
    except (TypeError, ValueError) as exc:
        raise ResponseTableError(
            f"the DataFrame's column {name!r} cannot be read as {target} ({exc}); build the "
            "frame with load_responses() (pd.concat of such frames is fine)"
        ) from None
    return out


def _bad_column(name: str, value: Any, expected: str) -> ResponseTableError:
    shown = _short(value) if isinstance(value, str | float | None) else type(value).__name__
    return ResponseTableError(
        f"the DataFrame's column {name!r} holds {shown}, not {expected}; build the frame "
        "with load_responses() (pd.concat of such frames is fine)"
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:50] + "…"


def _once(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with each response once: a later copy must hold the same response data as the
    first (the same response read twice); one that differs is refused, naming what differs."""
    later = df.index.duplicated(keep="first")
    first = df[~later]
    again = df[later]
    columns = [c for c in RESPONSE_COLUMNS if c in df.columns]
    mine, theirs = again[columns], first.loc[again.index, columns]
    for c in columns:
        a, b = mine[c].to_numpy(dtype=object), theirs[c].to_numpy(dtype=object)
        same = (a == b) | (pd.isna(a) & pd.isna(b))
        if not same.all():
            at = int(np.flatnonzero(~same)[0])
            raise ResponseTableError(
                f"response {again.index[at]} appears twice in the DataFrame with different "
                f"{c!r} ({_short(a[at])} and {_short(b[at])}; maybe read at two times); rows "
                "are keyed by "
                "response address: keep one read of it, e.g. "
                "df[~df.index.duplicated(keep='last')]"
            )
    return first


def checksummed_index(index: pd.Index) -> pd.Index:
    """The index as verified EIP-55 addresses: single-case entries are checksummed, mixed-case
    ones must carry a correct checksum (a wrong one raises: a row no spelling could confirm
    must never be shown)."""
    try:
        values = index.to_numpy(dtype=object)  # not a Python loop over Arrow strings
        return pd.Index(checksummed(values, "response address (index)"), name="address")
    except ValueError as exc:  # InvalidAddressError: say where it came from
        raise ResponseTableError(
            f"the DataFrame's index must hold response addresses: {exc}"
        ) from None


def _strings(values: Any) -> pa.Array:
    """``values`` (a Series or array) as an Arrow string array, without a Python loop where
    pandas already holds them in Arrow or NumPy."""
    series = pd.Series(values)
    if not isinstance(series.dtype, pd.CategoricalDtype) and series.dtype != object:
        series = series.astype("string[pyarrow]")
    else:
        series = series.astype(str)
    arr = pa.array(
        series.array if hasattr(series.array, "__arrow_array__") else series, pa.string()
    )
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _dict_str(values: Any) -> pa.Array:
    """Dictionary-encoded strings with the narrowest index type that fits."""
    arr = _strings(values).dictionary_encode()
    n = len(arr.dictionary)
    index = pa.int8() if n < 2**7 else pa.int16() if n < 2**15 else pa.int32()
    return arr.cast(pa.dictionary(index, pa.string()))


def packed_addresses(addresses: Sequence[str]) -> pa.Array:
    """Checksummed addresses as 25 bytes each: the 20 address bytes, then a 40-bit mask whose
    bit i (LSB first, from byte 20) says hex digit i is upper case. The front-end rebuilds the
    exact EIP-55 string without hashing; this halves the cost of the key column."""
    digits = "".join(a[2:] for a in addresses)
    n = len(digits) // 40
    if n == 0:
        return pa.array([], pa.binary(25))
    ascii_ = np.frombuffer(digits.encode("ascii"), dtype=np.uint8).reshape(n, 40)
    upper = (ascii_ >= ord("A")) & (ascii_ <= ord("F"))
    masks = np.packbits(upper, axis=1, bitorder="little")  # 5 bytes a row
    raw = np.frombuffer(bytes.fromhex(digits), dtype=np.uint8).reshape(n, 20)
    packed = np.ascontiguousarray(np.concatenate([raw, masks], axis=1)).tobytes()
    return pa.Array.from_buffers(pa.binary(25), n, [None, pa.py_buffer(packed)])


def _seconds(values: pd.Series) -> pa.Array:
    secs = values.astype("int64").to_numpy() / 1e9 if len(values) else []
    mask = values.isna().to_numpy() if len(values) else None
    return pa.array(secs, pa.float64(), mask=mask)


def snapshot(df: pd.DataFrame, can_confirm: np.ndarray, reasons: np.ndarray) -> bytes:
    """The rows of ``df`` with Python's verdicts as one Arrow IPC stream."""
    table = pa.table(
        {
            "address": packed_addresses(df.index.to_numpy(dtype=object).tolist()),
            "task": _dict_str(df["task"]),
            "provider": _dict_str(df["provider"]),
            "data": _strings(df["data"]),
            "payment_ogpu": pa.array(df["payment_ogpu"].astype(float), pa.float64()),
            "status": _dict_str(df["status"]),
            "confirmed": pa.array(df["confirmed"].astype(bool), pa.bool_()),
            "timestamp": _seconds(df["timestamp"]),
            "task_status": _dict_str(df["task_status"]),
            "delivery_method": _dict_str(df["delivery_method"]),
            "task_expiry": _seconds(df["task_expiry"]),
            "source": _dict_str(df["source"]),
            "client": _dict_str(df["client"]),
            "can_confirm": pa.array(can_confirm, pa.bool_()),
            "reason": _dict_str(reasons),
        }
    )
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def jsonable(rows: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Row changes as JSON values: timestamps in seconds, wei as decimal strings."""
    out: dict[str, dict[str, Any]] = {}
    for addr, fields in rows.items():
        clean: dict[str, Any] = {}
        for k, v in fields.items():
            if isinstance(v, pd.Timestamp):
                v = v.timestamp()
            elif hasattr(v, "item"):
                v = v.item()
            if k == "payment":
                v = str(int(v))
            clean[k] = str(v) if isinstance(v, str) else v  # enum members as plain text
        out[addr] = clean
    return out


def wei_strings(values: Any) -> list[str | None]:
    """Exact wei as decimal strings (never floats or exponents); None where missing. One
    ``str()`` per distinct value (payments repeat across a task's responses)."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object).to_numpy(dtype=object))
    words = [str(int(v)) for v in uniques]
    return [words[c] if c >= 0 else None for c in codes.tolist()]


def visible_columns(columns: Iterable[str] | None, *, results: bool = True) -> list[dict[str, str]]:
    """The ``columns`` trait for the names asked for (default :data:`DEFAULT_COLUMNS`, without
    ``result`` when the table fetches no results)."""
    known = {name: (label, kind) for name, label, kind in COLUMNS}
    if isinstance(columns, str):
        columns = [columns]
    default = DEFAULT_COLUMNS if results else [c for c in DEFAULT_COLUMNS if c != "result"]
    if columns is not None and not isinstance(columns, list | tuple):
        try:
            columns = list(columns)
        except TypeError:
            raise ResponseTableError(
                f"columns= takes column names, not a {type(columns).__name__}; choose from "
                f"{', '.join(known)}",
                argument="columns",
            ) from None
    shown = list(default if columns is None else columns)
    unknown = [c for c in shown if not isinstance(c, str) or c not in known]
    if unknown or not shown:
        named = ", ".join(_short(c) for c in unknown[:5]) + (" …" if len(unknown) > 5 else "")
        raise ResponseTableError(
            f"cannot show column(s) {named or '(none)'}; choose from {', '.join(known)}",
            argument="columns",
        )
    return [{"name": n, "label": known[n][0], "kind": known[n][1]} for n in shown]
