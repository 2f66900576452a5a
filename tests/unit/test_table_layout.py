"""The column layout trait's checks (no kernel, no chain)."""

from __future__ import annotations

import math

import pytest

from ogpu_widgets.errors import InvalidArgumentError
from ogpu_widgets.table.layout import MAX_WIDTH, MIN_WIDTH, normalize_layout
from ogpu_widgets.table.widget import ResponseTable


def test_the_default_is_empty():
    assert normalize_layout({}) == {}
    assert normalize_layout(None) == {}


def test_a_good_layout_is_kept_in_normal_form():
    got = normalize_layout(
        {"order": ["task", "address"], "hidden": ["data"], "widths": {"task": 200}}
    )
    assert got == {"order": ["task", "address"], "hidden": ["data"], "widths": {"task": 200}}
    assert normalize_layout({"hidden": ("data",)}) == {
        "order": [],
        "hidden": ["data"],
        "widths": {},
    }


def test_unusable_entries_are_dropped_and_widths_clamped():
    got = normalize_layout(
        {"order": ["a", "a", "", "x" * 500], "widths": {"a": 1, "b": 10**9, "": 100, "c": 99.6}}
    )
    assert got["order"] == ["a"]
    assert got["widths"] == {"a": MIN_WIDTH, "b": MAX_WIDTH, "c": 100}


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("order", "not a dict"),
        ([1, 2], "not a dict"),
        ({"colors": []}, "unknown key"),
        ({"order": "address"}, "'order' is a str"),
        ({"hidden": [1]}, "not a column name"),
        ({"widths": [100]}, "'widths' is a list"),
        ({"widths": {"a": "100px"}}, "not a number of pixels"),
        ({"widths": {"a": math.nan}}, "not a number of pixels"),
        ({"widths": {"a": True}}, "not a number of pixels"),
        ({"widths": {3: 100}}, "not a column name"),
        ({"order": [f"c{i}" for i in range(600)]}, "at most"),
    ],
)
def test_garbage_from_python_is_a_typed_error(value, words):
    with pytest.raises(InvalidArgumentError) as info:
        normalize_layout(value)
    assert words in str(info.value)
    assert info.value.argument == "column_layout"
    assert "Expected {'order'" in str(info.value)


def test_the_trait_is_synced_and_validated():
    trait = ResponseTable.class_traits()["column_layout"]
    assert trait.metadata.get("sync") is True
    assert ResponseTable._valid_layout(None, {"value": {"hidden": ["data", "data"]}}) == {
        "order": [],
        "hidden": ["data"],
        "widths": {},
    }
    with pytest.raises(InvalidArgumentError):
        ResponseTable._valid_layout(None, {"value": {"widths": "wide"}})
