"""Frames given to ResponseTable are normalized once at construction (no chain): what
``pd.concat`` of load_responses frames loosens (chunked strings, categories, duplicate rows)
is put back, and what cannot be is a typed error naming it."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest
from test_table_comm import NET, frame

from ogpu_widgets.read.frame import RESPONSE_COLUMNS
from ogpu_widgets.table import ResponseTable, ResponseTableError


def table(df):
    return ResponseTable(df, network=NET, live=False, results=False)


def shown(t) -> pa.Table:
    return pa.ipc.open_stream(t._rows).read_all()


def test_two_concatenated_frames_make_one_table():
    a, b = frame(8, "a"), frame(8, "b")
    t = table(pd.concat([a, b]))
    try:
        assert list(t.df.index) == list(a.index) + list(b.index)
        assert shown(t).num_rows == 16
        assert shown(t).column("data").to_pylist() == list(a["data"]) + list(b["data"])
    finally:
        t.close()


def test_the_dtypes_of_load_responses_come_back():
    a, b = frame(8, "a"), frame(8, "b")
    loose = b.copy()
    loose["status"] = loose["status"].astype(str)
    loose["task_status"] = loose["task_status"].astype(object)
    loose["delivery_method"] = loose["delivery_method"].astype(str)
    loose["payment"] = loose["payment"].astype("int64")  # numpy ints
    t = table(pd.concat([a, loose]))
    try:
        for name, dtype in RESPONSE_COLUMNS.items():
            assert t.df[name].dtype == pd.api.types.pandas_dtype(dtype), name
        assert all(type(v) is int for v in t.df["payment"])
        assert shown(t).num_rows == 16
    finally:
        t.close()


def test_the_same_response_twice_with_the_same_data_is_kept_once():
    a, b = frame(8, "a"), frame(4, "b")
    again = a.copy()
    again.index = pd.Index([k.lower() for k in a.index], name="address")  # another spelling
    t = table(pd.concat([a, b, a, again]))
    try:
        assert list(t.df.index) == list(a.index) + list(b.index)
    finally:
        t.close()


@pytest.mark.parametrize(
    ("column", "value"),
    [("data", "another result"), ("status", "confirmed"), ("payment", 7), ("confirmed", True)],
)
def test_the_same_response_twice_with_different_data_is_refused(column, value):
    a = frame(8, "a")
    other = a.iloc[[3]].copy()
    other[column] = pd.Series([value], index=other.index).astype(a[column].dtype)
    with pytest.raises(ResponseTableError, match=f"twice .* different '{column}'") as info:
        table(pd.concat([a, other]))
    assert a.index[3] in str(info.value)


@pytest.mark.parametrize(
    ("column", "value", "words"),
    [
        ("status", "paid", "'status' holds 'paid'"),
        ("payment", float("nan"), "a payment in wei"),
        ("payment", -1, "a payment in wei"),
        ("payment", 1.5, "a payment in wei"),
        ("confirmed", None, "True or False"),
        ("timestamp", "yesterday", "'timestamp'"),
    ],
)
def test_a_column_that_cannot_be_normalized_is_a_typed_error(column, value, words):
    a, b = frame(8, "a"), frame(4, "b")
    bad = b.copy()
    bad[column] = pd.Series([value] * len(bad), index=bad.index, dtype=object)
    with pytest.raises(ResponseTableError, match=words):
        table(pd.concat([a, bad]))
