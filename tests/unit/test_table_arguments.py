"""Every argument edge of the table and of the reads gets a typed error (no chain): time-outs,
intervals and flags that are inf, nan, negative, bool, huge or of the wrong type."""

from __future__ import annotations

import math

import pytest
from test_table_comm import NET, frame

from ogpu_widgets import read
from ogpu_widgets.chain.codec import to_address
from ogpu_widgets.chain.network import Network
from ogpu_widgets.errors import (
    InvalidAddressError,
    InvalidArgumentError,
    NetworkConfigError,
    ResponseTableError,
)
from ogpu_widgets.table import ResponseTable

HUGE = pytest.param(10**400, id="huge-int")
BAD_SECONDS = [math.inf, -math.inf, math.nan, -1, 0, True, False, 1e12, HUGE, "30", None, [5]]


@pytest.mark.parametrize("value", BAD_SECONDS)
def test_a_bad_confirm_timeout_is_a_typed_error(value):
    with pytest.raises(ResponseTableError, match="confirm_timeout") as info:
        ResponseTable(frame(4), network=NET, live=False, results=False, confirm_timeout=value)
    assert info.value.argument == "confirm_timeout"


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_a_flag_that_is_not_a_bool_is_a_typed_error(value):
    with pytest.raises(ResponseTableError, match="progress"):
        ResponseTable(frame(4), network=NET, live=False, results=False, progress=value)
    with pytest.raises(InvalidArgumentError, match="progress"):
        read.load_responses(tasks=[NET.nexus], network=NET, progress=value)


@pytest.fixture
def t():
    table = ResponseTable(frame(4), network=NET, live=False, results=False)
    yield table
    table.close()


@pytest.mark.parametrize("value", [math.inf, math.nan, -1, True, 1e12, HUGE, "1", [1]])
@pytest.mark.parametrize("wait", ["wait_idle", "wait_results", "wait_history", "wait_live"])
def test_a_bad_wait_timeout_is_a_typed_error(t, wait, value):
    with pytest.raises(InvalidArgumentError, match="timeout") as info:
        getattr(t, wait)(value)
    assert info.value.argument == "timeout"


@pytest.mark.parametrize("wait", ["wait_idle", "wait_results"])
def test_a_good_wait_timeout_still_works(t, wait):
    assert getattr(t, wait)(0) is True
    assert getattr(t, wait)(0.5) is True
    assert getattr(t, wait)(None) is True


def test_table_methods_refuse_wrong_types(t):
    with pytest.raises(ResponseTableError, match="select"):
        t.select(5)
    with pytest.raises(ResponseTableError, match="wait="):
        t.confirm(t.df.index[0], wait="yes")
    t.select([t.df.index[0]] * 100_000)  # duplicates: one row selected
    assert t.selected_keys == [t.df.index[0]]


@pytest.mark.parametrize("value", [math.inf, math.nan, 1e12, -1, True, "30", HUGE])
def test_a_bad_request_timeout_is_a_typed_error(value):
    with pytest.raises(NetworkConfigError, match="request_timeout"):
        NET.with_settings(request_timeout=value)


def test_an_address_error_never_echoes_a_huge_value():
    for value in ("x" * 1_000_000, 10**4000, b"\x00" * 1_000_000):
        with pytest.raises(InvalidAddressError) as info:
            to_address(value, "response address")
        assert len(str(info.value)) < 300


@pytest.mark.parametrize("columns", [5, [["task"]], ["nope"] * 100_000, [{"a": 1}], []])
def test_bad_columns_are_a_short_typed_error(columns):
    with pytest.raises(ResponseTableError, match="column") as info:
        ResponseTable(frame(4), network=NET, live=False, results=False, columns=columns)
    assert len(str(info.value)) < 400 and info.value.argument == "columns"


@pytest.mark.parametrize("value", [math.inf, math.nan, 1e12, HUGE])
def test_a_bad_request_timeout_is_refused_before_the_node_is_asked(value):
    with pytest.raises(NetworkConfigError, match="request_timeout"):
        Network.custom("http://127.0.0.1:9", nexus=NET.nexus, controller=NET.controller,
                       vault=NET.vault, request_timeout=value)  # fmt: skip
