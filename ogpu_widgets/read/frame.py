"""Records to pandas DataFrames with fixed columns and dtypes.

Every frame this library returns is built here, so that a frame read through any path, and an
empty one, has the same columns in the same order with the same dtypes:

* addresses and texts: pandas' string dtype ``"str"`` (checksummed addresses; missing is NaN);
* wei amounts (``payment``): ``object`` columns of Python ``int`` (exact: wei can exceed 2**64,
  so neither float nor ``uint64`` would do); ``payment_ogpu`` is the float64 convenience;
* statuses and delivery methods: categoricals listing every protocol value in enum order, even
  values no row has;
* times: ``datetime64[ns, UTC]`` (NaT where the chain holds 0 or a time pandas cannot hold).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..records import (
    DELIVERY_METHOD_LABELS,
    RESPONSE_STATUS_LABELS,
    TASK_STATUS_LABELS,
    WEI_PER_OGPU,
    TaskInfo,
    TaskResponse,
)

__all__ = [
    "DELIVERY_METHOD_DTYPE",
    "RESPONSE_COLUMNS",
    "RESPONSE_STATUS_DTYPE",
    "TASK_COLUMNS",
    "TASK_STATUS_DTYPE",
    "empty_responses_frame",
    "empty_tasks_frame",
    "responses_frame",
    "tasks_frame",
]

RESPONSE_STATUS_DTYPE = pd.CategoricalDtype(RESPONSE_STATUS_LABELS, ordered=False)
TASK_STATUS_DTYPE = pd.CategoricalDtype(TASK_STATUS_LABELS, ordered=False)
DELIVERY_METHOD_DTYPE = pd.CategoricalDtype(DELIVERY_METHOD_LABELS, ordered=False)
TIME_DTYPE = "datetime64[ns, UTC]"
STR_DTYPE = "str"

#: Columns of :func:`responses_frame` (``load_responses``, ``read_responses``), in order.
#: ``task_first_attempt`` is when the first provider attempted the task: the chain keeps no
#: publication time in the task itself, and the first attempt is the earliest cheap bound on it.
RESPONSE_COLUMNS: dict[str, object] = {
    "task": STR_DTYPE,
    "provider": STR_DTYPE,
    "data": STR_DTYPE,
    "payment": object,
    "payment_ogpu": "float64",
    "status": RESPONSE_STATUS_DTYPE,
    "confirmed": "bool",
    "timestamp": TIME_DTYPE,
    "task_status": TASK_STATUS_DTYPE,
    "delivery_method": DELIVERY_METHOD_DTYPE,
    "task_expiry": TIME_DTYPE,
    "source": STR_DTYPE,
    "client": STR_DTYPE,
    "task_first_attempt": TIME_DTYPE,
}

#: Columns of :func:`tasks_frame` (``load_tasks``), in order.
TASK_COLUMNS: dict[str, object] = {
    "source": STR_DTYPE,
    "client": STR_DTYPE,
    "status": TASK_STATUS_DTYPE,
    "delivery_method": DELIVERY_METHOD_DTYPE,
    "payment": object,
    "payment_ogpu": "float64",
    "expiry": TIME_DTYPE,
    "attempt_count": "int64",
    "response_count": "int64",
    "winning_provider": STR_DTYPE,
    "config": STR_DTYPE,
    "first_attempt": TIME_DTYPE,
}

# datetime64[ns] ends in 2262; later chain times (e.g. "never expires" = 2**256-1) become NaT.
_MAX_SECONDS = int(pd.Timestamp.max.timestamp())


def _times(seconds: Iterable[int]) -> pd.DatetimeIndex:
    """Unix seconds as ``datetime64[ns, UTC]``; 0 and out-of-range values become NaT."""
    values = np.fromiter((s if 0 < s <= _MAX_SECONDS else -1 for s in seconds), dtype="int64")
    out = pd.to_datetime(values, unit="s", utc=True).as_unit("ns")
    return out.where(values >= 0)


def _strings(values: Sequence[str | None]) -> pd.array:
    return pd.array([np.nan if v is None else v for v in values], dtype=STR_DTYPE)


def _wei(values: Sequence[int]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = [int(v) for v in values]
    return out


def _ogpu(values: Sequence[int]) -> np.ndarray:
    return np.array([v / WEI_PER_OGPU for v in values], dtype="float64")


def _index(addresses: Sequence[str]) -> pd.Index:
    return pd.Index(list(addresses), dtype=STR_DTYPE, name="address")


def _categorical(labels: Sequence[str], dtype: pd.CategoricalDtype) -> pd.Categorical:
    return pd.Categorical(labels, dtype=dtype)


def responses_frame(
    responses: Sequence[TaskResponse], tasks: Mapping[str, TaskInfo]
) -> pd.DataFrame:
    """One row per response, indexed by response address, with the columns of
    :data:`RESPONSE_COLUMNS`. ``tasks`` maps each response's task address to its
    :class:`~ogpu_widgets.records.TaskInfo` (for the task-level columns)."""
    if not responses:
        return empty_responses_frame()
    infos = [tasks[r.task] for r in responses]
    payments = [r.payment for r in responses]
    columns = {
        "task": _strings([r.task for r in responses]),
        "provider": _strings([r.provider for r in responses]),
        "data": _strings([r.data for r in responses]),
        "payment": _wei(payments),
        "payment_ogpu": _ogpu(payments),
        "status": _categorical([r.status for r in responses], RESPONSE_STATUS_DTYPE),
        "confirmed": np.array([bool(r.confirmed) for r in responses], dtype=bool),
        "timestamp": _times(r.timestamp for r in responses),
        "task_status": _categorical([t.status.label for t in infos], TASK_STATUS_DTYPE),
        "delivery_method": _categorical(
            [t.delivery_method.label for t in infos], DELIVERY_METHOD_DTYPE
        ),
        "task_expiry": _times(t.expiry for t in infos),
        "source": _strings([t.source for t in infos]),
        "client": _strings([t.client for t in infos]),
        "task_first_attempt": _times(t.first_attempt for t in infos),
    }
    return _frame(columns, [r.address for r in responses], RESPONSE_COLUMNS)


def tasks_frame(tasks: Sequence[TaskInfo]) -> pd.DataFrame:
    """One row per task, indexed by task address, with the columns of :data:`TASK_COLUMNS`."""
    if not tasks:
        return empty_tasks_frame()
    payments = [t.payment for t in tasks]
    columns = {
        "source": _strings([t.source for t in tasks]),
        "client": _strings([t.client for t in tasks]),
        "status": _categorical([t.status.label for t in tasks], TASK_STATUS_DTYPE),
        "delivery_method": _categorical(
            [t.delivery_method.label for t in tasks], DELIVERY_METHOD_DTYPE
        ),
        "payment": _wei(payments),
        "payment_ogpu": _ogpu(payments),
        "expiry": _times(t.expiry for t in tasks),
        "attempt_count": np.array([t.attempt_count for t in tasks], dtype="int64"),
        "response_count": np.array([t.response_count for t in tasks], dtype="int64"),
        "winning_provider": _strings([t.winning_provider for t in tasks]),
        "config": _strings([t.config for t in tasks]),
        "first_attempt": _times(t.first_attempt for t in tasks),
    }
    return _frame(columns, [t.address for t in tasks], TASK_COLUMNS)


def _frame(
    columns: Mapping[str, Any], addresses: Sequence[str], spec: Mapping[str, object]
) -> pd.DataFrame:
    """The frame of ``columns`` indexed by ``addresses``, with the dtypes of ``spec``."""
    # a DatetimeIndex carries its own index; the frame's index must come from `index=`
    data = {k: v.array if isinstance(v, pd.Index) else v for k, v in columns.items()}
    return _check(pd.DataFrame(data, index=_index(addresses)), spec)


def _empty(columns: Mapping[str, object]) -> pd.DataFrame:
    data = {name: pd.Series([], dtype=dtype) for name, dtype in columns.items()}
    return pd.DataFrame(data, index=_index([]))


def empty_responses_frame() -> pd.DataFrame:
    """A responses frame without rows: the columns and dtypes of :data:`RESPONSE_COLUMNS`."""
    return _empty(RESPONSE_COLUMNS)


def empty_tasks_frame() -> pd.DataFrame:
    """A tasks frame without rows: the columns and dtypes of :data:`TASK_COLUMNS`."""
    return _empty(TASK_COLUMNS)


def _check(frame: pd.DataFrame, columns: Mapping[str, object]) -> pd.DataFrame:
    # cheap insurance that every path yields the documented dtypes
    for name, dtype in columns.items():
        if frame[name].dtype != pd.api.types.pandas_dtype(dtype):
            frame[name] = frame[name].astype(dtype)
    return frame
