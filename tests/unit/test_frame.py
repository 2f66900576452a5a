"""Records to DataFrames: fixed columns, dtypes and categories, exact wei, UTC times."""

from __future__ import annotations

import pandas as pd
import pytest

from ogpu_widgets.read.frame import (
    DELIVERY_METHOD_DTYPE,
    RESPONSE_COLUMNS,
    RESPONSE_STATUS_DTYPE,
    TASK_COLUMNS,
    TASK_STATUS_DTYPE,
    empty_responses_frame,
    empty_tasks_frame,
    responses_frame,
    tasks_frame,
)
from ogpu_widgets.records import DeliveryMethod, TaskInfo, TaskResponse, TaskStatus

A = "0x" + "11" * 20
B = "0x" + "22" * 20
T = "0xAbCdEf0000000000000000000000000000000001"
S = "0x" + "33" * 20
C = "0x" + "44" * 20
BIG = 2**70 + 12345  # wei beyond uint64


def info(address=T, **kw) -> TaskInfo:
    values = dict(
        address=address,
        source=S,
        client=C,
        config="ipfs://config",
        payment=BIG,
        expiry=1_900_000_000,
        status=TaskStatus.FINALIZED,
        delivery_method=DeliveryMethod.FIRST_RESPONSE,
        attempt_count=3,
        winning_provider=B,
        response_count=2,
        first_attempt=1_800_000_000,
    )
    values.update(kw)
    return TaskInfo(**values)


def response(address=A, **kw) -> TaskResponse:
    values = dict(
        address=address,
        task=T,
        provider=B,
        data="ipfs://result",
        payment=BIG,
        status="confirmed",
        confirmed=True,
        timestamp=1_800_000_100,
    )
    values.update(kw)
    return TaskResponse(**values)


def assert_dtypes(df: pd.DataFrame, columns) -> None:
    assert list(df.columns) == list(columns)
    for name, dtype in columns.items():
        assert df[name].dtype == pd.api.types.pandas_dtype(dtype), name
    assert df.index.name == "address"
    assert df.index.dtype == pd.api.types.pandas_dtype("str")


def test_responses_frame_columns_dtypes_and_values():
    df = responses_frame(
        [response(), response(B, status="submitted", confirmed=False, payment=1)], {T: info()}
    )
    assert_dtypes(df, RESPONSE_COLUMNS)
    assert list(df.index) == [A, B]
    row = df.loc[A]
    assert row["payment"] == BIG and type(row["payment"]) is int  # exact, beyond uint64
    assert df.loc[B, "payment"] == 1
    assert row["payment_ogpu"] == pytest.approx(BIG / 10**18)
    assert row["status"] == "confirmed" and bool(row["confirmed"])
    assert row["timestamp"] == pd.Timestamp(1_800_000_100, unit="s", tz="UTC")
    assert row["task_status"] == "finalized"
    assert row["delivery_method"] == "first_response"
    assert row["task_expiry"] == pd.Timestamp(1_900_000_000, unit="s", tz="UTC")
    assert (row["task"], row["provider"], row["source"], row["client"]) == (T, B, S, C)
    assert row["task_first_attempt"] == pd.Timestamp(1_800_000_000, unit="s", tz="UTC")
    assert df["status"].dtype == RESPONSE_STATUS_DTYPE
    assert list(df["status"].cat.categories) == ["submitted", "confirmed"]
    assert list(df["task_status"].cat.categories) == [s.label for s in TaskStatus]
    assert df["task_status"].dtype == TASK_STATUS_DTYPE
    assert df["delivery_method"].dtype == DELIVERY_METHOD_DTYPE
    assert list(df["delivery_method"].cat.categories) == [
        "manual_confirmation",
        "first_response",
    ]


def test_times_out_of_range_or_zero_are_nat():
    df = responses_frame([response(timestamp=0)], {T: info(expiry=2**256 - 1, first_attempt=0)})
    assert pd.isna(df.loc[A, "timestamp"])
    assert pd.isna(df.loc[A, "task_expiry"])  # "never expires": past what datetime64[ns] holds
    assert pd.isna(df.loc[A, "task_first_attempt"])
    assert str(df["timestamp"].dtype) == "datetime64[ns, UTC]"


def test_empty_frames_keep_columns_and_dtypes():
    assert_dtypes(empty_responses_frame(), RESPONSE_COLUMNS)
    assert_dtypes(empty_tasks_frame(), TASK_COLUMNS)
    pd.testing.assert_frame_equal(responses_frame([], {}), empty_responses_frame())
    pd.testing.assert_frame_equal(tasks_frame([]), empty_tasks_frame())
    assert list(empty_responses_frame()["status"].cat.categories) == ["submitted", "confirmed"]


def test_empty_and_filled_frames_concatenate_without_dtype_drift():
    filled = responses_frame([response()], {T: info()})
    both = pd.concat([empty_responses_frame(), filled])
    for name in RESPONSE_COLUMNS:
        assert both[name].dtype == filled[name].dtype, name


def test_tasks_frame():
    df = tasks_frame(
        [
            info(),
            info(
                B,
                status=TaskStatus.NEW,
                delivery_method=DeliveryMethod.MANUAL_CONFIRMATION,
                attempt_count=0,
                response_count=0,
                winning_provider=None,
                first_attempt=0,
                payment=5,
            ),
        ]
    )
    assert_dtypes(df, TASK_COLUMNS)
    assert list(df.index) == [T, B]
    assert list(df["status"]) == ["finalized", "new"]
    assert list(df["delivery_method"]) == ["first_response", "manual_confirmation"]
    assert list(df["payment"]) == [BIG, 5]
    assert list(df["attempt_count"]) == [3, 0]
    assert list(df["response_count"]) == [2, 0]
    assert df.loc[T, "winning_provider"] == B
    assert pd.isna(df.loc[B, "winning_provider"])
    assert pd.isna(df.loc[B, "first_attempt"])
    assert df.loc[T, "config"] == "ipfs://config"
    assert df.loc[T, "expiry"] == pd.Timestamp(1_900_000_000, unit="s", tz="UTC")


def test_unicode_and_empty_data_survive():
    df = responses_frame([response(data=""), response(B, data="résultat ✓")], {T: info()})
    assert list(df["data"]) == ["", "résultat ✓"]
